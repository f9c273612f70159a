package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCLIDropSameName: a stranger drops a file named as one the owner has
// in the drop folder. Both stay files of the folder, and `hearth download
// FOLDER` writes both, as the zip does: the stranger's file never takes
// the place of the owner's on disk.
func TestCLIDropSameName(t *testing.T) {
	d := startDaemon(t, t.TempDir(), "")
	c := newCLI(t, "correct horse battery staple")
	c.ok("", "signup", "--server", d.url, "--user", "alice")
	local := filepath.Join(t.TempDir(), "Inbox")
	os.MkdirAll(local, 0o755)
	os.WriteFile(filepath.Join(local, "report.pdf"), []byte("the owner's report"), 0o644)
	c.ok("", "upload", local)
	drop := strings.TrimSpace(c.ok("", "request", "/Inbox"))
	forged := filepath.Join(t.TempDir(), "report.pdf")
	os.WriteFile(forged, []byte("the stranger's report"), 0o644)
	stranger := newCLI(t, "")
	stranger.ok("", "drop", drop, forged)
	c.ok("", "drops")

	out := filepath.Join(t.TempDir(), "out")
	c.ok("", "download", "Inbox", "-o", out)
	got, _ := readTree(t, out)
	if len(got) != 2 {
		t.Fatalf("downloaded %d files, want both: %q", len(got), got)
	}
	if string(got["report.pdf"]) != "the owner's report" {
		t.Errorf("report.pdf holds %q", got["report.pdf"])
	}
	if string(got["report (2).pdf"]) != "the stranger's report" {
		t.Errorf("report (2).pdf holds %q", got["report (2).pdf"])
	}
}
