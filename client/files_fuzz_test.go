//go:build hearthtest

package client

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
)

var filesDocSeeds = []string{
	`{"kind":"file","name":"holiday.jpg","parent":"a7kq3mfx2wnbgyqrsl5vtd6c4e","type":"image/jpeg","length":2483716,"mtime":1795000000,"blob":"sx26hrxtfeijjcjry3kajh7m6a","digest":"LXEWQrcmsEQBYnyp+6wy9chTD7GQPMTbAiWHF5IaSIE=","size":7340238,"versions":[{"blob":"k3m2xq7vbd4ahf6wty5rsnljce","digest":"3HrDXvYvU7uQn2HcPFV1DbvYv3Y0oS2qP6xS2vYwOJQ=","size":7340238,"length":2481005,"mtime":1794990000,"replaced":1795000000}]}`,
	`{"kind":"folder","name":"Trips","parent":"","mtime":1795000000}`,
	`{"kind":"folder","name":"2024","parent":"a7kq3mfx2wnbgyqrsl5vtd6c4e","mtime":1795000000,"trashed":1795000200}`,
	`{"kind":"settings","versions":10}`,
	`{"kind":"link","link":"x","item":"y"}`,
	`{"blob":"sx26hrxtfeijjcjry3kajh7m6a","digest":"LXEWQrcmsEQBYnyp+6wy9chTD7GQPMTbAiWHF5IaSIE=","size":7340238}`,
	`{"kind":"file","name":"../x","blob":"sx26hrxtfeijjcjry3kajh7m6a","digest":"LXEWQrcmsEQBYnyp+6wy9chTD7GQPMTbAiWHF5IaSIE=","size":1}`,
	`{"kind":"folder","name":"a\u0000b"}`,
	`{"kind":"settings","versions":1000}`,
	`{"kind":"file","name":"a","versions":7}`,
	`[]`, `null`, `"x"`, `{"kind":1}`,
}

// FuzzFilesDoc: parseFilesDoc never panics; what it accepts as a file or
// folder has a name that is safe as a file name and ids that are ids;
// and whatever it accepts, an edit of it keeps the members it does not
// know and parses again the same.
func FuzzFilesDoc(f *testing.F) {
	for _, s := range filesDocSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := parseFilesDoc(b)
		if err != nil {
			return
		}
		switch d.Kind {
		case KindFile, KindFolder:
			if !d.old && CheckFileName(d.Name) != nil {
				t.Fatalf("accepted name %q", d.Name)
			}
			if d.Parent != "" && checkDocID(d.Parent) != nil {
				t.Fatalf("accepted parent %q", d.Parent)
			}
			if d.Kind == KindFile && !goodContent(d.Blob, d.Digest, d.Size) {
				t.Fatal("accepted a file without content")
			}
		case KindSettings:
			if d.kept < 0 || d.kept > MaxVersionsKept {
				t.Fatalf("versions kept %d", d.kept)
			}
		}
		m, err := newDocEdit(b)
		if err != nil {
			return // valid JSON object needed; a parsed doc is one
		}
		m["zz-unknown"] = json.RawMessage(`1`)
		d2, err := parseFilesDoc(m.bytes())
		if err != nil || d2.Kind != d.Kind || d2.Name != d.Name || d2.Parent != d.Parent || d2.Blob != d.Blob {
			t.Fatalf("re-encoded differs: %v", err)
		}
	})
}

// TestTreeHostile: a host serving folders that name each other, or
// themselves, or a file, as parents, gets a tree that lists everything
// once, from the root, and never loops.
func TestTreeHostile(t *testing.T) {
	id := func(i int) string { return fmt.Sprintf("id%024d", i) }
	folder := func(name, parent string) *filesDoc {
		return &filesDoc{Kind: KindFolder, Name: name, Parent: parent}
	}
	docs := map[string]*filesDoc{
		id(1): folder("a", id(2)), id(2): folder("b", id(3)), id(3): folder("c", id(1)), // a cycle of three
		id(4): folder("self", id(4)),     // its own parent
		id(5): folder("under-a", id(1)),  // below the cycle
		id(6): folder("missing", id(99)), // a parent that does not exist
		id(7): {Kind: KindFile, Name: "f", Blob: id(50), Digest: make([]byte, 32), Size: 1, Length: 5},
		id(8): folder("in-file", id(7)), // a file as parent
		id(9): {Kind: KindFile, Name: "g", Parent: id(5), Blob: id(51), Digest: make([]byte, 32), Size: 1, Length: 7},
	}
	tr := buildTree(docs, nil)
	if tr.Len() != 9 {
		t.Fatalf("%d items", tr.Len())
	}
	seen := map[string]bool{}
	var walk func(p string, depth int)
	walk = func(p string, depth int) {
		if depth > 20 {
			t.Fatal("too deep: a cycle")
		}
		for _, c := range tr.Children(p) {
			if seen[c.ID] {
				t.Fatalf("%s twice", c.ID)
			}
			seen[c.ID] = true
			walk(c.ID, depth+1)
		}
	}
	walk("", 0)
	if len(seen) != 9 {
		t.Fatalf("reached %d of 9 from the root", len(seen))
	}
	// The cycle is broken at its smallest id, which goes to the root.
	if tr.Item(id(1)).Parent != "" || tr.Item(id(3)).Parent != id(1) || tr.Item(id(2)).Parent != id(3) {
		t.Fatalf("cycle resolved as %q %q %q", tr.Item(id(1)).Parent, tr.Item(id(2)).Parent, tr.Item(id(3)).Parent)
	}
	for _, i := range []int{4, 6, 8} {
		if p := tr.Item(id(i)).Parent; p != "" {
			t.Errorf("%d: parent %q", i, p)
		}
	}
	if got := tr.Path(id(9)); got != "a/under-a/g" {
		t.Errorf("path %q", got)
	}
	if tr.Item(id(1)).Length != 7 || tr.Item(id(3)).Length != 0 {
		t.Errorf("sizes %d %d", tr.Item(id(1)).Length, tr.Item(id(3)).Length)
	}
}

// BenchmarkTree10k: building the tree of 10,000 files in 100 folders.
func BenchmarkTree10k(b *testing.B) {
	docs := map[string]*filesDoc{}
	for i := range 100 {
		docs[fmt.Sprintf("folder%020d", i)] = &filesDoc{Kind: KindFolder, Name: fmt.Sprint("folder ", i)}
	}
	for i := range 10_000 {
		docs[fmt.Sprintf("file%022d", i)] = &filesDoc{Kind: KindFile, Name: fmt.Sprint("file ", i), Parent: fmt.Sprintf("folder%020d", i%100), Length: int64(i), Blob: "b", Digest: make([]byte, 32), Size: 1}
	}
	b.ReportAllocs()
	for b.Loop() {
		if t := buildTree(docs, nil); t.Len() != 10_100 {
			b.Fatal(t.Len())
		}
	}
}

// FuzzFilesDocFast: what decodeFilesDoc decodes, encoding/json decodes the
// same (parseFilesDoc asks encoding/json whenever decodeFilesDoc fails).
func FuzzFilesDocFast(f *testing.F) {
	for _, s := range filesDocSeeds {
		f.Add([]byte(s))
	}
	for _, s := range []string{
		`{"kind":"file","Name":"x"}`, `{"kind":"file","kind":"folder"}`, `{"length":1.5}`, `{"length":1e3}`, `{"length":-4}`,
		`{"length":"4"}`, `{"name":null,"digest":null,"versions":null}`, `{"versions": [1, {"a": [null]}] }`, ` {"name":"\u00e9\ud800"} `,
		`{"name":"\xff"}`, `{"digest":"AA=="}`, `{"digest":"A"}`, `{"size":99999999999999999999}`,
		`{"trashed_from":["Trips","2024"],"mac":"AAEC","mac_gen":3}`, `{"trashed_from":[],"mac":null,"mac_gen":null}`, `{"trashed_from":null}`,
		`{"trashed_from":["a",null,5]}`, `{"mac_gen":-1}`, `{"mac_gen":4294967296}`, `{"mac_gen":4294967295}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var fast filesDoc
		if decodeFilesDoc(b, &fast) != nil {
			return
		}
		var std filesDoc
		if err := json.Unmarshal(b, &std); err != nil {
			t.Fatalf("%q: decoded fast, refused by encoding/json: %v", b, err)
		}
		if !reflect.DeepEqual(fast, std) {
			t.Fatalf("%q: fast %+v, encoding/json %+v", b, fast, std)
		}
	})
}
