package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCLIUploadSays: hearth upload prints a line for each item, its local
// path, where it went in the drive and what happened, tab-separated (the
// id last with --ids), and a summary for people on stderr; the same bytes
// again are "unchanged" (nothing sent), other bytes a "new version"; a
// file over the server's largest is refused before anything is sent,
// with both sizes.
func TestCLIUploadSays(t *testing.T) {
	d := startDaemon(t, t.TempDir(), "", "--max-blob-size", "1000000")
	c := newCLI(t, "correct horse battery staple")
	c.ok("", "signup", "--server", d.url, "--user", "ines")
	c.ok("", "mkdir", "Work")

	src := t.TempDir()
	photos := filepath.Join(src, "Photos")
	writeTree(t, photos, map[string]int{"a.jpg": 100, "2024/b.jpg": 200})
	notes := filepath.Join(src, "notes.txt")
	os.WriteFile(notes, []byte("first"), 0o644)

	r := c.run("", "upload", photos, notes, "--to", "Work")
	want := strings.Join([]string{
		photos + "/\tWork/Photos/\tnew folder",
		filepath.Join(photos, "2024") + "/\tWork/Photos/2024/\tnew folder",
		filepath.Join(photos, "2024", "b.jpg") + "\tWork/Photos/2024/b.jpg\tnew",
		filepath.Join(photos, "a.jpg") + "\tWork/Photos/a.jpg\tnew",
		notes + "\tWork/notes.txt\tnew",
	}, "\n") + "\n"
	if r.code != 0 || r.stdout != want {
		t.Fatalf("upload printed (%d)\n%s\nwant\n%s\nstderr %s", r.code, r.stdout, want, r.stderr)
	}
	if r.stderr != "3 files into Work: 3 new.\n" {
		t.Fatalf("stderr %q", r.stderr)
	}

	// Again: unchanged; the notes changed: a new version; with --ids.
	os.WriteFile(notes, []byte("second"), 0o644)
	r = c.run("", "upload", photos, notes, "--to", "Work", "--ids")
	up := uploaded(t, r.stdout)
	if r.code != 0 || up["Work/Photos/"].what != "existing folder" || up["Work/Photos/a.jpg"].what != "unchanged" ||
		up["Work/notes.txt"].what != "new version" || up["Work/notes.txt"].id == "" || !strings.Contains(c.ok("", "files", "Work"), up["Work/notes.txt"].id+"  notes.txt") {
		t.Fatalf("again: %+v (%s)", up, r.stderr)
	}
	if r.stderr != "3 files into Work: 1 new version, 2 unchanged.\n" {
		t.Fatalf("stderr %q", r.stderr)
	}
	if got := c.ok("", "versions", "Work/Photos/a.jpg"); !strings.Contains(got, "current") || strings.Contains(got, "      1") {
		t.Fatalf("an unchanged file got a version:\n%s", got)
	}

	// Too large for this server: said before anything is sent.
	big := filepath.Join(src, "film.iso")
	os.WriteFile(big, make([]byte, 1500000), 0o644)
	r = c.fails("film.iso is 1.5 MB; this server takes files up to 975.9 KiB", "", "upload", big)
	if r.stdout != "" {
		t.Fatalf("stdout %q", r.stdout)
	}
	if got := c.ok("", "files"); strings.Contains(got, "film.iso") {
		t.Fatalf("the file went up:\n%s", got)
	}
}
