package linkpage

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hearthcloud/hearth/crypto/link"
)

var badPaths = []string{
	"", "/etc/passwd", "../up", "a/../../up", "a/..", "./a", "a/./b", "a//b", "a/", "..", ".",
	"a\\b", "..\\up", "C:\\\\x", "a\x00b", "nul\x00", "tab\tname", "line\nbreak", "del\x7f",
	"\xff\xfe", strings.Repeat("n", link.MaxPathLen+1), strings.Repeat("a/", 2100) + "b",
}

var goodPaths = []string{
	"a.txt", "Trips/2024/lake.png", "name with spaces, commas and ü.txt", "...hidden", "a..b", ".profile",
	strings.Repeat("n", link.MaxPathLen), "日本語/ファイル.txt",
}

func TestCheckPath(t *testing.T) {
	for _, p := range badPaths {
		if checkPath(p) == nil {
			t.Errorf("%q accepted", p)
		}
	}
	for _, p := range goodPaths {
		if err := checkPath(p); err != nil {
			t.Errorf("%q refused: %v", p, err)
		}
	}
}

// TestWriteZipRefusesBeforeWriting: one bad path among good ones stops the
// zip before a byte is written, and nothing is read.
func TestWriteZipRefusesBeforeWriting(t *testing.T) {
	for _, bad := range badPaths {
		var w bytes.Buffer
		opened := 0
		err := writeZip(context.Background(), &w, []link.Entry{{Path: "ok.txt"}, {Path: bad}}, func(context.Context, link.Entry, io.Writer) error {
			opened++
			return nil
		})
		if err == nil || w.Len() != 0 || opened != 0 {
			t.Errorf("%q: %v, %d bytes written, %d opened", bad, err, w.Len(), opened)
		}
	}
}

// FuzzCheckPath: what checkPath accepts, a zip holds under that very name,
// and it stays inside the folder it is unpacked into.
func FuzzCheckPath(f *testing.F) {
	for _, p := range append(append([]string{}, badPaths...), goodPaths...) {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if checkPath(p) != nil {
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
		err := writeZip(context.Background(), &w, []link.Entry{{Path: p}}, func(_ context.Context, _ link.Entry, fw io.Writer) error {
			_, err := fw.Write([]byte("x"))
			return err
		})
		if err != nil {
			t.Fatalf("%q: %v", p, err)
		}
		zr, err := zip.NewReader(bytes.NewReader(w.Bytes()), int64(w.Len()))
		if err != nil || len(zr.File) != 1 || zr.File[0].Name != p {
			t.Fatalf("%q: the zip reads back as %v, %v", p, zr, err)
		}
	})
}
