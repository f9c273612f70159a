package site

import (
	"strings"
	"testing"
	"testing/fstest"
)

// TestWithAppShares: an app's bundle holds the shared files of the site's
// bundle themselves (not copies), and neither Home's pages nor the bundled
// apps' files.
func TestWithAppShares(t *testing.T) {
	f := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	b, err := Build(fstest.MapFS{
		"index.html":       f(`<!doctype html><script src="/a.js"></script>`),
		"a.js":             f(`1`),
		"big.bin":          f(strings.Repeat("x", keepInMemory+1)),
		"notes/index.html": f(`<p>notes`),
		"notes/n.js":       f(`2`),
		"todo/old.js":      f(`3`),
	}, fstest.MapFS{}, BuildOptions{Encoders: []Encoder{Gzip}})
	if err != nil {
		t.Fatal(err)
	}
	a, err := b.WithApp("todo", fstest.MapFS{"index.html": f(`<script src="/a.js"></script><script src="app.js"></script>`), "app.js": f(`4`)})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"a.js", "big.bin"} {
		if a.files[p] == nil || a.files[p] != b.files[p] {
			t.Errorf("%s not shared", p)
		}
	}
	if a.files["big.bin"].raw.data != nil {
		t.Error("big.bin read into memory")
	}
	for _, p := range []string{"index.html", "notes/index.html", "notes/n.js"} {
		if a.files[p] != nil {
			t.Errorf("%s in the app's bundle", p)
		}
	}
	if a.files["todo/old.js"] != nil || a.files["todo/app.js"] == nil || a.files["todo/index.html"] == nil {
		t.Error("the app's files")
	}
	if b.files["todo/app.js"] != nil || len(b.apps) != len(Apps) {
		t.Error("WithApp changed its bundle")
	}
}
