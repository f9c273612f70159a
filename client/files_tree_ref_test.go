//go:build hearthtest

package client

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// buildTreeRef is buildTree as it was before it worked on indices, kept to check
// the new one against (TestBuildTreeSame). It makes the tree of the parsed documents docs (by id), whose
// revisions are revs, as §6.3 says: a parent that is missing, not a
// folder or closes a cycle puts the item at the root. It ends on any
// input: each item is visited a bounded number of times.
func buildTreeRef(docs map[string]*filesDoc, revs map[string]uint64) *Tree {
	t := &Tree{items: make(map[string]*FileItem, len(docs)), docs: docs, children: map[string][]*FileItem{}, VersionsKept: DefaultVersionsKept}
	ids := make([]string, 0, len(docs))
	for id, d := range docs {
		switch d.Kind {
		case KindFile, KindFolder:
			ids = append(ids, id)
		case KindSettings:
			if id == settingsID {
				t.VersionsKept = d.kept
			}
		}
	}
	slices.Sort(ids)
	parent := make(map[string]string, len(ids))
	for _, id := range ids {
		if id == settingsID {
			continue
		}
		d := docs[id]
		it := &FileItem{ID: id, Rev: revs[id], Folder: d.Kind == KindFolder, Name: d.Name, Type: d.Type,
			Length: d.Length, ModTime: fromUnix(d.MTime), Trashed: fromUnix(d.Trashed), OldFormat: d.old, Dropped: d.FromDrop != "",
			lower: strings.ToLower(d.Name)}
		if !it.Folder {
			it.SealedSize = d.Size
			for _, v := range d.versions {
				it.Versions = append(it.Versions, FileVersion{Length: v.Length, ModTime: fromUnix(v.MTime), Replaced: fromUnix(v.Replaced), SealedSize: v.Size})
			}
		}
		t.items[id] = it
		parent[id] = d.Parent
	}
	for id, p := range parent {
		if pd := docs[p]; p != "" && (pd == nil || pd.Kind != KindFolder || t.items[p] == nil) {
			parent[id] = ""
		}
	}
	// Break cycles: walk up from each item, marking the path; meeting the
	// path again is a cycle, broken at its smallest id.
	const (
		onPath = 1
		done   = 2
	)
	state := make(map[string]uint8, len(ids))
	var path []string
	for _, id := range ids {
		path = path[:0]
		cur := id
		for cur != "" && state[cur] == 0 {
			state[cur] = onPath
			path = append(path, cur)
			cur = parent[cur]
		}
		if cur != "" && state[cur] == onPath {
			cycle := path[slices.Index(path, cur):]
			parent[slices.Min(cycle)] = ""
		}
		for _, p := range path {
			state[p] = done
		}
	}
	// Depths, in the trash or not: memoized walks up the (now acyclic)
	// parents.
	depth := make(map[string]int, len(ids))
	for _, id := range ids {
		it := t.items[id]
		if it == nil {
			continue
		}
		it.Parent = parent[id]
		path = path[:0]
		cur := id
		for cur != "" {
			if _, ok := depth[cur]; ok {
				break
			}
			path = append(path, cur)
			cur = parent[cur]
		}
		d, trash := 0, false
		if cur != "" {
			d, trash = depth[cur], t.items[cur].InTrash
		}
		for i := len(path) - 1; i >= 0; i-- {
			d++
			depth[path[i]] = d
			x := t.items[path[i]]
			trash = trash || !x.Trashed.IsZero()
			x.InTrash = trash
		}
	}
	// Folder sizes: deepest first, each item adds to its parent.
	var byDepth [][]*FileItem
	for _, it := range t.items {
		d := depth[it.ID]
		for len(byDepth) <= d {
			byDepth = append(byDepth, nil)
		}
		byDepth[d] = append(byDepth[d], it)
		if it.Folder {
			it.Length = 0
		}
	}
	for d := len(byDepth) - 1; d >= 0; d-- {
		for _, it := range byDepth[d] {
			if it.Parent != "" && (!it.InTrash || t.items[it.Parent].InTrash) {
				t.items[it.Parent].Length += it.Length
			}
			t.children[it.Parent] = append(t.children[it.Parent], it)
		}
	}
	return t
}

// TestBuildTreeSame: buildTree gives what it gave before it worked on
// indices (buildTreeRef), on random trees with cycles, self-parents,
// missing parents, files as parents, the trash and settings.
func TestBuildTreeSame(t *testing.T) {
	for seed := range uint64(300) {
		r := rand.New(rand.NewPCG(seed, 7))
		n := 1 + r.IntN(60)
		id := func(i int) string { return fmt.Sprintf("id%024d", i) }
		docs := map[string]*filesDoc{}
		for i := range n {
			d := &filesDoc{Kind: KindFolder, Name: fmt.Sprint("n", r.IntN(8))}
			if r.IntN(3) == 0 {
				d = &filesDoc{Kind: KindFile, Name: fmt.Sprint("f", r.IntN(8)), Length: int64(r.IntN(1000)), Blob: "b", Digest: make([]byte, 32), Size: 1}
			}
			switch r.IntN(5) {
			case 0: // the root
			case 1:
				d.Parent = id(n + 5) // missing
			default:
				d.Parent = id(r.IntN(n))
			}
			if r.IntN(6) == 0 {
				d.Trashed = 1790000000
			}
			docs[id(i)] = d
		}
		if r.IntN(4) == 0 {
			docs[settingsID] = &filesDoc{Kind: KindSettings, kept: r.IntN(20)}
		}
		want, got := buildTreeRef(docs, nil), buildTree(docs, nil)
		if got.Len() != want.Len() || got.VersionsKept != want.VersionsKept {
			t.Fatalf("seed %d: %d items (kept %d), want %d (%d)", seed, got.Len(), got.VersionsKept, want.Len(), want.VersionsKept)
		}
		for k, w := range want.items {
			g := got.items[k]
			if g == nil || g.Parent != w.Parent || g.InTrash != w.InTrash || g.Length != w.Length || g.Name != w.Name || g.Folder != w.Folder {
				t.Fatalf("seed %d: %s is %+v, want %+v", seed, k, g, w)
			}
		}
		for _, p := range append(slices.Collect(maps.Keys(want.items)), "") {
			gc, wc := got.Children(p), want.Children(p)
			if len(gc) != len(wc) {
				t.Fatalf("seed %d: %q holds %d, want %d", seed, p, len(gc), len(wc))
			}
			for i := range gc {
				if gc[i].ID != wc[i].ID {
					t.Fatalf("seed %d: %q's children differ", seed, p)
				}
			}
		}
		var gw, ww []string
		got.Walk(func(it *FileItem) { gw = append(gw, it.ID) })
		want.Walk(func(it *FileItem) { ww = append(ww, it.ID) })
		if strings.Join(gw, ",") != strings.Join(ww, ",") {
			t.Fatalf("seed %d: walks differ", seed)
		}
	}
}
