package wasm

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
)

// contents is an open for writeZip that writes the content named by id.
func contents(files map[string]string) func(context.Context, string, io.Writer) error {
	return func(_ context.Context, id string, w io.Writer) error {
		c, ok := files[id]
		if !ok {
			return errors.New("integrity: " + id)
		}
		_, err := io.WriteString(w, c)
		return err
	}
}

func TestWriteZip(t *testing.T) {
	entries := []ZipEntry{
		{Path: "Trips/", Mtime: 1795000000},
		{Path: "Trips/été.txt", ID: "a", Mtime: 1795000100},
		{Path: "Trips/2024/"},
		{Path: "Trips/2024/lake.png", ID: "b"},
		{Path: "notes.md", ID: "c"},
	}
	files := map[string]string{"a": "sunny", "b": strings.Repeat("\x89PNG", 5000), "c": ""}
	var out bytes.Buffer
	if err := writeZip(context.Background(), &out, entries, contents(files)); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(out.Bytes()), int64(out.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != len(entries) {
		t.Fatalf("%d entries, want %d", len(zr.File), len(entries))
	}
	for i, f := range zr.File {
		e := entries[i]
		if f.Name != e.Path || f.Method != zip.Store {
			t.Errorf("entry %d: %q method %d, want %q stored", i, f.Name, f.Method, e.Path)
		}
		if e.ID != "" && f.Flags&0x8 == 0 {
			t.Errorf("%s: no data descriptor (flags %#x)", f.Name, f.Flags)
		}
		if f.NonUTF8 {
			t.Errorf("%s: not marked UTF-8", f.Name)
		}
		if e.Mtime != 0 && f.Modified.Unix() != e.Mtime {
			t.Errorf("%s: modified %v, want %d", f.Name, f.Modified, e.Mtime)
		}
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(r)
		if err != nil || string(b) != files[e.ID] {
			t.Errorf("%s: %d bytes, %v", f.Name, len(b), err)
		}
	}
}

// TestWriteZipFails: a file that does not verify stops the zip at once,
// without the central directory: what was written is no archive.
func TestWriteZipFails(t *testing.T) {
	entries := []ZipEntry{{Path: "a.txt", ID: "a"}, {Path: "b.txt", ID: "bad"}, {Path: "c.txt", ID: "c"}}
	var out bytes.Buffer
	err := writeZip(context.Background(), &out, entries, contents(map[string]string{"a": "fine", "c": "never"}))
	if err == nil || !strings.Contains(err.Error(), "integrity") {
		t.Fatalf("err %v", err)
	}
	if _, err := zip.NewReader(bytes.NewReader(out.Bytes()), int64(out.Len())); err == nil {
		t.Fatal("a zip that failed reads as an archive")
	}
	if strings.Contains(out.String(), "never") {
		t.Fatal("the zip went on after a file failed")
	}
	// Cancelled: stops too.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := writeZip(ctx, io.Discard, entries[:1], contents(map[string]string{"a": "x"})); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestZipEntriesRefused(t *testing.T) {
	for _, c := range []struct {
		name    string
		entries []ZipEntry
	}{
		{"none", nil},
		{"empty path", []ZipEntry{{Path: "", ID: "a"}}},
		{"absolute", []ZipEntry{{Path: "/etc/passwd", ID: "a"}}},
		{"dot dot", []ZipEntry{{Path: "../a", ID: "a"}}},
		{"dot", []ZipEntry{{Path: "./a", ID: "a"}}},
		{"empty segment", []ZipEntry{{Path: "a//b", ID: "a"}}},
		{"backslash", []ZipEntry{{Path: `a\b`, ID: "a"}}},
		{"control", []ZipEntry{{Path: "a\nb", ID: "a"}}},
		{"not UTF-8", []ZipEntry{{Path: "a\xffb", ID: "a"}}},
		{"long", []ZipEntry{{Path: strings.Repeat("x", 256), ID: "a"}}},
		{"folder with id", []ZipEntry{{Path: "a/", ID: "a"}}},
		{"file without id", []ZipEntry{{Path: "a"}}},
		{"twice", []ZipEntry{{Path: "a", ID: "a"}, {Path: "a", ID: "b"}}},
		{"file and folder", []ZipEntry{{Path: "a", ID: "a"}, {Path: "a/"}}},
	} {
		if err := checkZipEntries(c.entries); err == nil {
			t.Errorf("%s: accepted", c.name)
		}
	}
}

// FuzzZipEntries: any entries the page sends are refused or make an
// archive whose names are exactly the entries' paths.
func FuzzZipEntries(f *testing.F) {
	f.Add(`[{"path":"Trips/"},{"path":"Trips/a.txt","id":"a","mtime":1795000000}]`)
	f.Add(`[{"path":"../x","id":"a"}]`)
	f.Add(`[{"path":"é/ü.txt","id":"b"},{"path":"é/"}]`)
	f.Add(`[{"path":"a","id":"a"},{"path":"a/"}]`)
	f.Fuzz(func(t *testing.T, s string) {
		var entries []ZipEntry
		if json.Unmarshal([]byte(s), &entries) != nil || len(entries) > 64 {
			return
		}
		if checkZipEntries(entries) != nil {
			return
		}
		var out bytes.Buffer
		err := writeZip(context.Background(), &out, entries, func(_ context.Context, id string, w io.Writer) error {
			_, err := io.WriteString(w, id)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		zr, err := zip.NewReader(bytes.NewReader(out.Bytes()), int64(out.Len()))
		if err != nil {
			t.Fatal(err)
		}
		for i, f := range zr.File {
			if f.Name != entries[i].Path || strings.HasPrefix(f.Name, "/") || strings.Contains("/"+f.Name+"/", "/../") {
				t.Fatalf("entry %d: %q for %q", i, f.Name, entries[i].Path)
			}
		}
	})
}
