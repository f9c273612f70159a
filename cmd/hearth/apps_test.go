package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// copyApp copies the example app (spec/example-app) to a temporary folder,
// changing its manifest with edit.
func copyApp(t *testing.T, edit func(string) string) string {
	t.Helper()
	src := filepath.Join("..", "..", "spec", "example-app")
	dst := filepath.Join(t.TempDir(), "bookmarks")
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	m := filepath.Join(dst, "hearth-app.json")
	b, err := os.ReadFile(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(m, []byte(edit(string(b))), 0o644); err != nil {
		t.Fatal(err)
	}
	return dst
}

// appPage fetches the app's page at its origin on the daemon.
func appPage(t *testing.T, d *daemon, slug, user string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", d.url+"/", nil)
	req.Host = slug + "." + user + ".localhost:" + d.url[strings.LastIndexByte(d.url, ':')+1:]
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// TestCLIApps installs the example app from its folder (asking first),
// lists it, updates it to a version asking for more, and removes it.
func TestCLIApps(t *testing.T) {
	d := startDaemon(t, t.TempDir(), "")
	a := newCLI(t, "apps test passphrase")
	a.ok("", "signup", "--server", d.url, "--user", "ann")
	dir := filepath.Join("..", "..", "spec", "example-app")

	// Without a terminal to answer on, nothing is installed.
	r := a.fails("run on a terminal", "", "app", "install", dir)
	if !strings.Contains(r.stdout, "Install Bookmarks 1.0.0 (bookmarks)?") ||
		!strings.Contains(r.stdout, "Read, write and delete the data of type org.example.bookmarks — Your bookmarks: to list, add and remove them.") {
		t.Fatalf("the offer says:\n%s", r.stdout)
	}
	if out := a.ok("", "app", "list"); !strings.Contains(out, "No app installed") {
		t.Fatalf("list after declining: %q", out)
	}
	if code, _ := appPage(t, d, "bookmarks", "ann"); code != 404 {
		t.Fatalf("the app's origin answers %d before it is installed", code)
	}

	out := a.ok("", "app", "install", "--yes", dir)
	if !strings.Contains(out, "Installed Bookmarks 1.0.0") || !strings.Contains(out, "http://bookmarks.ann.localhost:") {
		t.Fatalf("install: %q", out)
	}
	if out := a.ok("", "app", "list"); out != "bookmarks\t1.0.0\tBookmarks\n" {
		t.Fatalf("list: %q", out)
	}
	code, page := appPage(t, d, "bookmarks", "ann")
	if code != 200 || !strings.Contains(page, `<script type="module" src="/bookmarks.js" integrity="sha384-`) {
		t.Fatalf("the app's page: %d\n%s", code, page)
	}
	if code, _ := appPage(t, d, "bookmarks", "bob"); code != 404 {
		t.Fatalf("another user's origin of the app answers %d", code)
	}

	// The same version again is a reinstall, not an update.
	if out := a.ok("", "app", "install", "--yes", dir); !strings.Contains(out, "Reinstall Bookmarks 1.0.0 (bookmarks)?") {
		t.Fatalf("the same version again: %q", out)
	}

	// An update that asks for more says so.
	more := copyApp(t, func(m string) string {
		m = strings.Replace(m, `"version": "1.0.0"`, `"version": "1.1.0"`, 1)
		return strings.Replace(m, `"permissions": [`, `"permissions": [
    {"doctype": "io.hearth.notes", "verbs": ["read"], "reason": "To link a bookmark to a note."},`, 1)
	})
	out = a.ok("", "app", "install", "--yes", more)
	for _, want := range []string{"Bookmarks is installed (version 1.0.0).", "Update Bookmarks 1.1.0", "Asks for the first time: Read your notes", "Installed Bookmarks 1.1.0"} {
		if !strings.Contains(out, want) {
			t.Fatalf("update output lacks %q:\n%s", want, out)
		}
	}
	older := copyApp(t, func(m string) string { return m })
	if out := a.ok("", "app", "install", "--yes", older); !strings.Contains(out, "Go back to an older version of Bookmarks 1.0.0") ||
		!strings.Contains(out, "No longer asks: Read your notes") {
		t.Fatalf("downgrade output:\n%s", out)
	}

	// Bad archives are refused with the rule they break, and change nothing.
	broken := copyApp(t, func(m string) string { return strings.Replace(m, `"read", "write"`, `"read", "admin"`, 1) })
	a.fails(`app archive: hearth-app.json: permissions[0].verbs[1]: "admin" is not a verb`, "", "app", "install", "--yes", broken)
	os.Remove(filepath.Join(older, "index.html"))
	a.fails("app archive: index.html: named by hearth-app.json but not in the archive", "", "app", "install", "--yes", older)
	a.fails("no such file", "", "app", "install", "--yes", filepath.Join(dir, "missing.zip"))
	// A look-alike of a bundled app's name is refused before anything of
	// it is shown, whatever the server would say.
	impostor := copyApp(t, func(m string) string {
		return strings.Replace(m, `"name": "Bookmarks"`, `"name": "N\u043etes"`, 1)
	})
	if r := a.fails(`passes for "Notes"`, "", "app", "install", impostor); strings.Contains(r.stdout, "Install") {
		t.Fatalf("the impostor's offer was shown:\n%s", r.stdout)
	}

	out = a.ok("", "app", "remove", "bookmarks")
	if !strings.Contains(out, "Uninstalled bookmarks") {
		t.Fatalf("remove: %q", out)
	}
	if code, _ := appPage(t, d, "bookmarks", "ann"); code != 404 {
		t.Fatalf("the app's origin answers %d after removal", code)
	}
	if out := a.ok("", "app", "list"); !strings.Contains(out, "No app installed") {
		t.Fatalf("list after removal: %q", out)
	}
	if out := a.ok("", "reseal"); !strings.Contains(out, "Nothing to seal again") {
		t.Fatalf("reseal: %q", out)
	}
	// Removing it again, or a bundled app, says so and fails.
	a.fails("no app bookmarks is installed", "", "app", "remove", "bookmarks")
	a.fails("Notes comes with Hearth: remove it in Home", "", "app", "remove", "notes")
}

// TestAppURL: an app's address is built from the base domain, whether the
// server was given as it, as a loopback address or as Home's host.
func TestAppURL(t *testing.T) {
	for server, want := range map[string]string{
		"http://localhost:8080":           "http://notes.ann.localhost:8080/",
		"http://127.0.0.1:8080":           "http://notes.ann.localhost:8080/",
		"http://[::1]:8080/":              "http://notes.ann.localhost:8080/",
		"http://home.localhost:8080":      "http://notes.ann.localhost:8080/",
		"https://Home.cloud.example.org/": "https://notes.ann.cloud.example.org/",
		"https://cloud.example.org":       "https://notes.ann.cloud.example.org/",
		"https://homes.example.org":       "https://notes.ann.homes.example.org/",
	} {
		if got := appURL(server, "notes", "ann"); got != want {
			t.Errorf("%s: %s, want %s", server, got, want)
		}
	}
}
