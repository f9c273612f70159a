package main

import (
	"archive/zip"
	"bytes"
	"crypto/rand"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeTree makes a local folder tree of files with random content and
// returns their contents by slash path below root.
func writeTree(t *testing.T, root string, files map[string]int) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for p, n := range files {
		b := make([]byte, n)
		rand.Read(b)
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, b, 0o644); err != nil {
			t.Fatal(err)
		}
		out[p] = b
	}
	return out
}

// readTree returns the files below root by slash path, and its folders.
func readTree(t *testing.T, root string) (map[string][]byte, []string) {
	t.Helper()
	files := map[string][]byte{}
	var dirs []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			dirs = append(dirs, rel)
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files[rel] = b
		return nil
	})
	return files, dirs
}

func sameFiles(t *testing.T, what string, got, want map[string][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d files, want %d", what, len(got), len(want))
	}
	for p, b := range want {
		if !bytes.Equal(got[p], b) {
			t.Fatalf("%s: %s differs", what, p)
		}
	}
}

// TestCLIFiles: folders uploaded recursively come back byte for byte, as
// a folder and as a zip; files, mkdir, mv, rm, trash and versions.
func TestCLIFiles(t *testing.T) {
	d := startDaemon(t, t.TempDir(), "")
	c := newCLI(t, "correct horse battery staple")
	c.ok("", "signup", "--server", d.url, "--user", "fran")

	local := filepath.Join(t.TempDir(), "Trips")
	want := writeTree(t, local, map[string]int{
		"a.txt": 10, "2024/b.bin": 300 << 10, "2024/deep/c": 0, "2025/d e f.jpg": 70 << 10,
	})
	os.MkdirAll(filepath.Join(local, "empty"), 0o755)
	single := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(single, []byte("v1"), 0o644)

	up := uploaded(t, c.ok("", "upload", local, single, "--ids"))
	ids := []string{up["Trips/"].id, up["notes.txt"].id}
	if len(up) != 10 || ids[0] == "" || ids[1] == "" || up["Trips/2024/b.bin"].local != filepath.Join(local, "2024", "b.bin") || up["Trips/2024/b.bin"].what != "new" {
		t.Fatalf("upload printed %+v", up)
	}
	root := c.ok("", "files")
	if !strings.Contains(root, "Trips/") || !strings.Contains(root, "notes.txt") || !strings.Contains(root, ids[0]) {
		t.Fatalf("files:\n%s", root)
	}
	if got := c.ok("", "files", "Trips/2024"); !strings.Contains(got, "300 KiB") || !strings.Contains(got, "deep/") || !strings.Contains(got, "b.bin") {
		t.Fatalf("files Trips/2024:\n%s", got)
	}
	// Back as a folder, byte for byte.
	out := t.TempDir()
	c.ok("", "download", "Trips", "-o", filepath.Join(out, "copy"))
	got, dirs := readTree(t, filepath.Join(out, "copy"))
	sameFiles(t, "the folder downloaded", got, want)
	if !strings.Contains(strings.Join(dirs, ","), "empty") {
		t.Fatalf("folders %v", dirs)
	}
	// -o an existing folder: into it, under the folder's name; not twice.
	c.ok("", "download", ids[0], "-o", filepath.Join(out, "copy"))
	c.fails("already exists", "", "download", ids[0], "-o", filepath.Join(out, "copy"))
	if got, _ := readTree(t, filepath.Join(out, "copy", "Trips")); len(got) != len(want) {
		t.Fatal("download into a folder")
	}
	// As a zip.
	zpath := filepath.Join(out, "trips.zip")
	c.ok("", "download", ids[0], "-o", zpath)
	zr, err := zip.OpenReader(zpath)
	if err != nil {
		t.Fatal(err)
	}
	fromZip := map[string][]byte{}
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/") {
			continue
		}
		r, _ := f.Open()
		b, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		fromZip[strings.TrimPrefix(f.Name, "Trips/")] = b
	}
	zr.Close()
	sameFiles(t, "the zip", fromZip, want)

	// mkdir, mv, rm, trash.
	c.ok("", "mkdir", "Archive/Old")
	c.fails("exists already", "", "mkdir", "Archive/Old")
	c.ok("", "mv", "Trips/a.txt", "notes.txt", "Archive/Old")
	c.fails("cannot be moved into itself", "", "mv", "Archive", "Archive/Old")
	c.ok("", "mv", "Archive/Old/notes.txt", "Archive/renamed.txt")
	if got := c.ok("", "files", "Archive"); !strings.Contains(got, "renamed.txt") || !strings.Contains(got, "Old/") {
		t.Fatalf("after mv:\n%s", got)
	}
	c.ok("", "rm", "Trips/2025")
	if got := c.ok("", "trash"); !strings.Contains(got, "Trips/2025/") {
		t.Fatalf("trash:\n%s", got)
	}
	c.fails("no file or folder Trips/2025", "", "files", "Trips/2025")
	c.ok("", "trash", "--restore", "Trips/2025")
	c.ok("", "files", "Trips/2025")
	c.ok("", "rm", "Trips/2025", "Archive/Old")
	c.ok("", "trash", "--empty")
	if r := c.run("", "trash"); !strings.Contains(r.stderr, "empty") {
		t.Fatalf("trash after emptying: %+v", r)
	}

	// An upload into a folder that is not there says how to make it.
	c.fails("no folder Nowhere/x: hearth mkdir Nowhere/x makes it", "", "upload", single, "--to", "Nowhere/x")
	c.ok("", "mkdir", "/Nowhere/x")
	c.ok("", "upload", single, "--to", "/Nowhere/x")

	// Versions: an upload onto a name makes one.
	os.WriteFile(single, []byte("version two"), 0o644)
	first := uploadedID(t, c.ok("", "upload", single, "--to", "Archive", "--ids"))
	os.WriteFile(single, []byte("version three"), 0o644)
	if id := uploadedID(t, c.ok("", "upload", single, "--to", "Archive", "--ids")); id != first {
		t.Fatalf("a new version has a new id: %s, %s", id, first)
	}
	if got := c.ok("", "versions", "Archive/notes.txt"); !strings.Contains(got, "      1") {
		t.Fatalf("versions:\n%s", got)
	}
	// --restore 0 is no version (they are numbered from 1): an error, not the listing.
	c.fails("--restore: the number of an earlier version", "", "versions", "Archive/notes.txt", "--restore", "0")
	c.ok("", "versions", "Archive/notes.txt", "--restore", "1")
	dst := filepath.Join(t.TempDir(), "n")
	c.ok("", "download", "Archive/notes.txt", "-o", dst)
	if b, _ := os.ReadFile(dst); string(b) != "version two" {
		t.Fatalf("restored version: %q", b)
	}

	// Two items of one name in a folder (another client can make them): a
	// path that names both says so, with their ids.
	c.ok("", "mkdir", "Dup")
	first = strings.TrimSpace(c.ok("", "mkdir", "Dup/x"))
	c.ok("", "mkdir", "Dup/y")
	c.ok(`{"kind":"folder","name":"x","parent":"`+idOf(t, c.ok("", "files"), "Dup/")+`"}`, "put", "io.hearth.files", "--id", "dupdupdupdupdupdupdupdup12")
	r := c.fails("names 2 items", "", "files", "Dup/x")
	if !strings.Contains(r.stderr, first) || !strings.Contains(r.stderr, "dupdupdupdupdupdupdupdup12") {
		t.Fatalf("ambiguous: %s", r.stderr)
	}
	// ls --long shows names.
	if got := c.ok("", "ls", "io.hearth.files", "--long"); !strings.Contains(got, "notes.txt") || !strings.Contains(got, "b.bin") {
		t.Fatalf("ls --long:\n%s", got)
	}
	// rm DOCTYPE ID still deletes a document for good.
	c.ok("", "rm", "io.hearth.files", "dupdupdupdupdupdupdupdup12")
	c.ok("", "files", "Dup/x")
}

// uploadLine is a line `hearth upload --ids` prints.
type uploadLine struct{ local, drive, what, id string }

// uploaded reads the lines `hearth upload --ids` printed, by drive path.
func uploaded(t *testing.T, out string) map[string]uploadLine {
	t.Helper()
	got := map[string]uploadLine{}
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		f := strings.Split(l, "\t")
		if len(f) != 4 {
			t.Fatalf("upload printed %q", l)
		}
		got[f[1]] = uploadLine{f[0], f[1], f[2], f[3]}
	}
	return got
}

// uploadedID is the id of the one item `hearth upload --ids` printed.
func uploadedID(t *testing.T, out string) string {
	t.Helper()
	got := uploaded(t, out)
	if len(got) != 1 {
		t.Fatalf("upload printed %q", out)
	}
	for _, l := range got {
		return l.id
	}
	return ""
}

// idOf returns the id on the line of a files listing that ends in name.
func idOf(t *testing.T, listing, name string) string {
	t.Helper()
	for _, l := range strings.Split(listing, "\n") {
		f := strings.Fields(l)
		if len(f) >= 2 && f[len(f)-1] == name {
			return f[len(f)-2]
		}
	}
	t.Fatalf("no %s in\n%s", name, listing)
	return ""
}
