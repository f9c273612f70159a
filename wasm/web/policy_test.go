package web_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/hearthcloud/hearth/server/site"
)

// allDenied is an app's policy when it asks for nothing; homePolicy is
// Home's: passkeys are Home's alone.
const (
	allDenied  = "camera=(), microphone=(), geolocation=(), usb=(), serial=(), hid=(), payment=(), clipboard-read=(), publickey-credentials-get=(), publickey-credentials-create=()"
	homePolicy = "camera=(), microphone=(), geolocation=(), usb=(), serial=(), hid=(), payment=(), clipboard-read=(), publickey-credentials-get=(self), publickey-credentials-create=(self)"
)

// TestPermissionsPolicy: every origin denies the powerful browser
// features but those its app's manifest asks for ("features"), which it
// allows to itself only, and passkeys to Home alone: Home asks for none; a bundled app and an app
// installed from an archive get what their manifests ask; an app whose
// manifest asks for none, or does not read, gets none.
func TestPermissionsPolicy(t *testing.T) {
	f := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	st := installedStatic()
	st["notes/hearth-app.json"] = f(`{"hearth":1,"slug":"notes","name":"Notes","version":"1.0.0",
	 "permissions":[{"doctype":"io.hearth.notes","verbs":["read"],"reason":"Notes."}],
	 "features":{"microphone":"To dictate a note."}}`)
	inst := &fakeInstalled{}
	snap := todoApp()
	snap["hearth-app.json"] = f(`{"hearth":1,"slug":"snap","name":"Snap","version":"1.0.0",
	 "permissions":[{"doctype":"org.example.photos","verbs":["read"],"reason":"Photos."}],
	 "features":{"camera":"To take a photo.","clipboard-read":"To paste a photo."}}`)
	inst.install("ann", "snap", snap)
	plain := todoApp()
	plain["hearth-app.json"] = f(`{"hearth":1,"slug":"plain","name":"Plain","version":"1.0.0",
	 "permissions":[{"doctype":"org.example.plain","verbs":["read"],"reason":"Plain."}]}`)
	inst.install("ann", "plain", plain)
	inst.install("ann", "todo", todoApp()) // a manifest that does not read
	dist := testDist(t)
	dist[site.ExecName] = f("\"use strict\";\n(() => { globalThis.Go = class {}; })();\n")
	s, err := site.New(site.Config{Static: st, Dist: dist, Installed: inst})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ what, host, path, want string }{
		{"Home", "home.localhost:8080", "/", homePolicy},
		{"Home's script", "home.localhost:8080", "/home.js", homePolicy},
		{"a bundled app", "notes.ann.localhost:8080", "/", strings.Replace(allDenied, "microphone=()", "microphone=(self)", 1)},
		{"an installed app", "snap.ann.localhost:8080", "/", strings.NewReplacer("camera=()", "camera=(self)", "clipboard-read=()", "clipboard-read=(self)").Replace(allDenied)},
		{"an installed app's file", "snap.ann.localhost:8080", "/app.css", strings.NewReplacer("camera=()", "camera=(self)", "clipboard-read=()", "clipboard-read=(self)").Replace(allDenied)},
		{"an installed app asking for none", "plain.ann.localhost:8080", "/", allDenied},
		{"an installed app whose manifest does not read", "todo.ann.localhost:8080", "/", allDenied},
	} {
		res := get(s, c.host, c.path)
		if res.Code != 200 {
			t.Errorf("%s: %d", c.what, res.Code)
			continue
		}
		if got := res.Header().Get("Permissions-Policy"); got != c.want {
			t.Errorf("%s: Permissions-Policy: %s\nwant %s", c.what, got, c.want)
		}
	}
}

// TestEmbeddedPermissionsPolicy: the site as built denies every feature to
// Home (but passkeys) and to each bundled app (none of which asks for one).
func TestEmbeddedPermissionsPolicy(t *testing.T) {
	s, err := site.New(site.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, host := range []string{"home.localhost", "notes.ann.localhost", "tasks.ann.localhost", "contacts.ann.localhost"} {
		res := get(s, host, "/")
		want := allDenied
		if host == "home.localhost" {
			want = homePolicy
		}
		if got := res.Header().Get("Permissions-Policy"); res.Code != 200 || got != want {
			t.Errorf("%s: %d, Permissions-Policy: %s", host, res.Code, got)
		}
	}
}

// TestCheckAppReservedNames: the server refuses an archive whose app's name
// is, or passes for, a bundled app's name or Hearth's, naming the manifest
// member; other names pass.
func TestCheckAppReservedNames(t *testing.T) {
	s, err := site.New(site.Config{})
	if err != nil {
		t.Fatal(err)
	}
	f := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	app := func(name string) fstest.MapFS {
		return fstest.MapFS{
			"hearth-app.json": f(`{"hearth":1,"slug":"impostor","name":"` + name + `","version":"1.0.0",
			 "permissions":[{"doctype":"io.hearth.notes","verbs":["read"],"reason":"Notes."}]}`),
			"index.html": f(`<!doctype html><title>x</title>`),
		}
	}
	for _, name := range []string{"Notes", "notes.", " TASKS ", `Con\u200btacts`, "Ｎｏｔｅｓ", "N0tes", "Hearth"} {
		err := s.CheckApp("impostor", app(name))
		if err == nil || !strings.Contains(err.Error(), "hearth-app.json: name:") || !strings.Contains(err.Error(), "passes for") {
			t.Errorf("%q: %v", name, err)
		} else {
			t.Logf("%q: %v", name, err)
		}
	}
	if err := s.CheckApp("impostor", app("Meeting notes")); err != nil {
		t.Errorf("another name: %v", err)
	}
}

// TestStandardPageNamePassesFor: an archive whose manifest's name passes
// the check, but whose standard page names itself, in Hearth's bar and
// title (spec/apps.md §4.1), with a name that passes for a bundled app's
// or Hearth's, is refused as its manifest would be, naming the page; the
// app's own name, or another, passes.
func TestStandardPageNamePassesFor(t *testing.T) {
	s, err := site.New(site.Config{})
	if err != nil {
		t.Fatal(err)
	}
	f := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	app := func(name string) fstest.MapFS {
		return fstest.MapFS{
			"hearth-app.json": f(`{"hearth":1,"slug":"bookmarks","name":"Bookmarks","version":"1.0.0",
			 "permissions":[{"doctype":"org.example.bookmarks","verbs":["read"],"reason":"Bookmarks."}]}`),
			"index.html":    f(`<p>x`),
			"settings.html": f("<meta name=\"hearth-page\" content=\"" + name + "\">\n<p>x\n"),
		}
	}
	for _, name := range []string{"Home", "Hearth", "Notes", "N&#1086;tes", "Ｔａｓｋｓ", "Contacts "} {
		err := s.CheckApp("bookmarks", app(name))
		if err == nil || !strings.Contains(err.Error(), "settings.html") || !strings.Contains(err.Error(), "passes for") {
			t.Errorf("page name %q: %v", name, err)
		} else {
			t.Logf("%q: %v", name, err)
		}
	}
	for _, name := range []string{"Bookmarks", "Bookmarks: settings"} {
		if err := s.CheckApp("bookmarks", app(name)); err != nil {
			t.Errorf("page name %q: %v", name, err)
		}
	}
}

// TestCheckAppTagSlash: a tag whose name a browser ends at a "/" (<script/>,
// <link/rel=…>) is checked as one that ends at a space: an inline script
// or a remote script or style sheet so written fails the install check,
// as spec/apps.md §4.1 says, rather than being left to the CSP.
func TestCheckAppTagSlash(t *testing.T) {
	s, err := site.New(site.Config{})
	if err != nil {
		t.Fatal(err)
	}
	f := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	app := func(page string) fstest.MapFS {
		return fstest.MapFS{
			"hearth-app.json": f(`{"hearth":1,"slug":"bookmarks","name":"Bookmarks","version":"1.0.0",
			 "permissions":[{"doctype":"org.example.bookmarks","verbs":["read"],"reason":"Bookmarks."}]}`),
			"index.html": f(page),
			"app.js":     f(`export const x = 1;`),
		}
	}
	for _, page := range []string{
		"<!doctype html><script/>alert(1)</script>",
		"<meta name=\"hearth-page\" content=\"Bookmarks\">\n<p>x</p><script/>alert(1)</script>\n",
		`<!doctype html><script/src="https://evil.example/x.js"></script>`,
		`<!doctype html><link/rel="stylesheet"/href="https://evil.example/x.css">`,
	} {
		if err := s.CheckApp("bookmarks", app(page)); err == nil {
			t.Errorf("%s: accepted", page)
		} else {
			t.Logf("%s: %v", page, err)
		}
	}
	if err := s.CheckApp("bookmarks", app(`<!doctype html><script/type="module"/src="/app.js"></script>`)); err != nil {
		t.Errorf("a local module so written: %v", err)
	}
}
