package main

import (
	"bytes"
	"crypto/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hearthcloud/hearth/crypto/link"
)

// TestCLILinks: share a file with a password and fetch it with a client
// that never signed in; list, revoke; a drop link takes a stranger's file
// and the owner files it. The daemon's data folder and log never hold the
// link's key, its password or the file's name (SECURITY.md 15, 18).
func TestCLILinks(t *testing.T) {
	d := startDaemon(t, t.TempDir(), "")
	c := newCLI(t, "correct horse battery staple")
	c.ok("", "signup", "--server", d.url, "--user", "alice")
	const name, pw = "zq9secret-plan.txt", "zq9 link password"
	src := filepath.Join(t.TempDir(), name)
	content := make([]byte, 300000)
	rand.Read(content)
	os.WriteFile(src, content, 0o644)
	fileID := uploadedID(t, c.ok("", "upload", src, "--ids"))

	c.env = []string{"HEARTH_LINK_PASSWORD=" + pw}
	url := strings.TrimSpace(c.ok("", "share", fileID, "--password", "--expires", "2d", "--max-opens", "3", "--label", "for Bob"))
	u, err := link.ParseURL(url)
	if err != nil {
		t.Fatalf("share printed %q: %v", url, err)
	}
	stranger := newCLI(t, "")
	stranger.env = []string{"HEARTH_LINK_PASSWORD=wrong"}
	stranger.fails("wrong password", "", "fetch", url, "-o", filepath.Join(t.TempDir(), "x"))
	if r := stranger.run("", "fetch", url, "-o", filepath.Join(t.TempDir(), "x")); strings.Contains(r.stderr, "client:") {
		t.Errorf("an error names the client package: %q", r.stderr)
	}
	stranger.env = []string{"HEARTH_LINK_PASSWORD=" + pw}
	dst := filepath.Join(t.TempDir(), "got.txt")
	stranger.ok("", "fetch", url, "-o", dst)
	if got, _ := os.ReadFile(dst); !bytes.Equal(got, content) {
		t.Fatal("fetched file differs")
	}
	list := c.ok("", "shares")
	if !strings.Contains(list, u.ID) || !strings.Contains(list, "opens 1/3") || !strings.Contains(list, "for Bob") || !strings.Contains(list, url) ||
		!strings.Contains(list, "share  "+name) {
		t.Fatalf("shares:\n%s", list)
	}
	c.ok("", "unshare", u.ID)
	stranger.fails("revoked", "", "fetch", url, "-o", filepath.Join(t.TempDir(), "y"))

	// A drop link into a folder.
	f := strings.Fields(c.ok(`{"kind":"folder","name":"Inbox","parent":""}`, "put", "io.hearth.files"))
	drop := strings.TrimSpace(c.ok("", "request", "/Inbox", "--max-files", "3"))
	dropped := filepath.Join(t.TempDir(), "zq9scan.pdf")
	os.WriteFile(dropped, []byte("a scanned page"), 0o644)
	stranger.ok("", "drop", drop, dropped)
	out := c.ok("", "drops")
	fields := strings.Fields(out)
	if len(fields) != 2 || fields[1] != "zq9scan.pdf" {
		t.Fatalf("drops: %q", out)
	}
	// A drop link that took its files says it is used up (it was never "opened").
	one := strings.TrimSpace(c.ok("", "request", "/Inbox", "--max-files", "1"))
	stranger.fails("used up: it was opened, or took files, as many times as it allows (1 of the 2 files were dropped before this)", "", "drop", one, dropped, dropped)
	stranger.fails("this link is used up", "", "drop", one, dropped)
	got := filepath.Join(t.TempDir(), "adopted")
	c.ok("", "download", fields[0], "-o", got)
	if b, _ := os.ReadFile(got); string(b) != "a scanned page" {
		t.Fatalf("adopted file: %q", b)
	}
	if doc := c.ok("", "get", "io.hearth.files", fields[0]); !strings.Contains(doc, f[0]) {
		t.Errorf("the adopted file is not in Inbox: %s", doc)
	}

	d.stop()
	// Markers long enough that no ciphertext holds one by chance ("zq9"
	// alone is in about one 300 kB blob in sixty).
	for _, secret := range []string{link.EncodeKey(u.Key), pw, "zq9secret-plan", "zq9scan"} {
		if strings.Contains(d.log.String(), secret) {
			t.Errorf("the server's log holds %q", secret)
		}
		if out, _ := exec.Command("grep", "-rl", "--", secret, d.dir).Output(); len(out) > 0 {
			t.Errorf("the data folder holds %q: %s", secret, out)
		}
	}
}
