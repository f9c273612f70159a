package zipstream

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var badPaths = []string{
	"", "/etc/passwd", "../up", "a/../../up", "a/..", "./a", "a/./b", "a//b", "a/", "..", ".",
	"a\\b", "..\\up", "C:\\\\x", "a\x00b", "nul\x00", "tab\tname", "line\nbreak", "del\x7f",
	"\xff\xfe", strings.Repeat("n", MaxPathLen+1), strings.Repeat("a/", 2100) + "b",
}

var goodPaths = []string{
	"a.txt", "Trips/2024/lake.png", "name with spaces, commas and ü.txt", "...hidden", "a..b", ".profile",
	strings.Repeat("n", MaxPathLen), "日本語/ファイル.txt",
}

func TestCheckPath(t *testing.T) {
	for _, p := range badPaths {
		if err := CheckPath(p); !errors.Is(err, ErrBadPath) {
			t.Errorf("%q accepted (%v)", p, err)
		}
	}
	for _, p := range goodPaths {
		if err := CheckPath(p); err != nil {
			t.Errorf("%q refused: %v", p, err)
		}
	}
}

func file(p, content string) Entry {
	return Entry{Path: p, Content: func(_ context.Context, w io.Writer) error {
		_, err := io.WriteString(w, content)
		return err
	}}
}

// TestWriteZipRefusesBeforeWriting: one bad path among good ones, or one
// path twice, stops the zip before a byte is written, and nothing is read.
func TestWriteZipRefusesBeforeWriting(t *testing.T) {
	for _, bad := range append(badPaths, "ok.txt") {
		var w bytes.Buffer
		opened := 0
		open := func(context.Context, io.Writer) error { opened++; return nil }
		err := Write(context.Background(), &w, []Entry{{Path: "ok.txt", Content: open}, {Path: bad, Content: open}})
		if err == nil || w.Len() != 0 || opened != 0 {
			t.Errorf("%q: %v, %d bytes written, %d opened", bad, err, w.Len(), opened)
		}
	}
}

// TestWrite: folders and files, stored with data descriptors, read back
// as written; a failing entry leaves no archive.
func TestWrite(t *testing.T) {
	mod := time.Date(2024, 5, 6, 7, 8, 10, 0, time.UTC)
	entries := []Entry{
		{Path: "F", Folder: true},
		file("F/a.txt", "aaa"),
		{Path: "F/empty", Folder: true},
		{Path: "top.txt", Modified: mod, Content: file("", "top").Content},
	}
	var buf bytes.Buffer
	if err := Write(context.Background(), &buf, entries); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ name, body string }{{"F/", ""}, {"F/a.txt", "aaa"}, {"F/empty/", ""}, {"top.txt", "top"}}
	if len(zr.File) != len(want) {
		t.Fatalf("%d entries", len(zr.File))
	}
	for i, zf := range zr.File {
		if zf.Name != want[i].name || zf.Method != zip.Store || zf.Flags&0x800 == 0 && !isASCII(zf.Name) {
			t.Errorf("entry %d: %s method %d flags %x", i, zf.Name, zf.Method, zf.Flags)
		}
		if !strings.HasSuffix(zf.Name, "/") && zf.Flags&0x8 == 0 {
			t.Errorf("%s: no data descriptor", zf.Name)
		}
		r, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if err != nil || string(got) != want[i].body {
			t.Errorf("%s: %q, %v", zf.Name, got, err)
		}
	}
	if !zr.File[3].Modified.Equal(mod) {
		t.Errorf("modified %v", zr.File[3].Modified)
	}

	buf.Reset()
	boom := errors.New("boom")
	entries[1].Content = func(_ context.Context, w io.Writer) error {
		io.WriteString(w, "half")
		return boom
	}
	if err := Write(context.Background(), &buf, entries); !errors.Is(err, boom) {
		t.Fatalf("a failing entry: %v", err)
	}
	if _, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len())); err == nil {
		t.Fatal("the failed zip reads as an archive")
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func TestUnique(t *testing.T) {
	n := Names{}
	got := []string{
		n.Unique("", "a.txt", false), n.Unique("", "a.txt", false), n.Unique("", "a.txt", false),
		n.Unique("", "F.d", true), n.Unique("", "F.d", true), n.Unique("F.d/", "a.txt", false),
		n.Unique("", "a (2).txt", false),
	}
	want := []string{"a.txt", "a (2).txt", "a (3).txt", "F.d", "F.d (2)", "F.d/a.txt", "a (2) (2).txt"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%d: %q, want %q", i, got[i], want[i])
		}
	}
}

// FuzzCheckPath: what CheckPath accepts, a zip holds under that very name,
// and it stays inside the folder it is unpacked into.
func FuzzCheckPath(f *testing.F) {
	for _, p := range append(append([]string{}, badPaths...), goodPaths...) {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if CheckPath(p) != nil {
			return
		}
		if !filepath.IsLocal(filepath.FromSlash(p)) && !strings.Contains(p, ":") || strings.ContainsRune(p, 0) || !utf8.ValidString(p) {
			t.Fatalf("%q accepted, but it is not a local path", p)
		}
		for _, el := range strings.Split(p, "/") {
			if el == "" || el == "." || el == ".." {
				t.Fatalf("%q accepted, with the element %q", p, el)
			}
		}
		var w bytes.Buffer
		if err := Write(context.Background(), &w, []Entry{file(p, "x")}); err != nil {
			t.Fatalf("%q: %v", p, err)
		}
		zr, err := zip.NewReader(bytes.NewReader(w.Bytes()), int64(w.Len()))
		if err != nil || len(zr.File) != 1 || zr.File[0].Name != p {
			t.Fatalf("%q: the zip reads back as %v, %v", p, zr, err)
		}
	})
}
