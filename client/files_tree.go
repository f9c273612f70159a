package client

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// FileItem is a file or a folder of a person's files (§6.3), as the tree
// resolved it.
type FileItem struct {
	ID     string
	Rev    uint64
	Folder bool
	// Name is the item's name; "" for a file of the old format whose
	// metadata could not be read (show it by ID).
	Name string
	// Parent is the folder the item is in as the tree resolved it: ""
	// (the root) when its document names none, or a folder that is
	// missing, deleted or not a folder, or when it closed a cycle.
	Parent string
	Type   string // a file's media type, may be empty
	// Length is a file's length in bytes; a folder's is the sum of the
	// lengths of the files below it that are not in the trash (of all
	// below it, for a folder in the trash).
	Length  int64
	ModTime time.Time // zero if not recorded
	// Trashed is when the person put this item in the trash; zero if they
	// did not (it may still be in the trash with a folder above it).
	Trashed time.Time
	// InTrash says the item or a folder above it is in the trash.
	InTrash bool
	// TrashedFrom is, for an item the person put in the trash (Trashed
	// set), where it was: the names of the folders from the root down to
	// its folder (none: the root), the folder's path now when it is still
	// there, else as its document recorded it when it went in (§6.3).
	TrashedFrom []string
	// FromGone says the folder such an item was in is no longer a live
	// folder (deleted, or in the trash itself): Restore makes the folders
	// of TrashedFrom again, or, when that is empty, puts the item at the
	// root.
	FromGone bool
	// Dropped says the file was adopted from a drop link (§4.5): a
	// stranger sent it.
	Dropped bool
	// Versions are a file's earlier contents, newest first.
	Versions []FileVersion
	// OldFormat marks a file whose document is of the format before kinds
	// (§6.3), whose metadata this listing could not read or upgrade.
	OldFormat bool
	// SealedSize is what a file's current content takes on the server.
	SealedSize int64

	lower string // Name in lower case, the first key of byName
}

// FileVersion is an earlier content of a file.
type FileVersion struct {
	Length     int64
	ModTime    time.Time
	Replaced   time.Time // when it stopped being the current content
	SealedSize int64
}

// Tree is a person's files and folders at one moment (Client.Files).
type Tree struct {
	items map[string]*FileItem
	docs  map[string]*filesDoc // the documents, parsed, by id (all kinds)
	// children is what each folder holds, trash or not; sorted by name
	// (byName) at the first need (kids), which replaces the slice.
	sortMu   sync.Mutex
	children map[string][]*FileItem
	sorted   map[string]bool
	// Malformed lists the documents that break §6.3: none of the tree.
	Malformed []string
	// VersionsKept is how many earlier versions of a file are kept.
	VersionsKept int
	// links is the owner's records of share and drop links (§4.5), by
	// link id.
	links map[string]*linkRecord
}

// Item returns the file or folder id, or nil.
func (t *Tree) Item(id string) *FileItem { return t.items[id] }

// Len returns how many files and folders the tree holds, trash included.
func (t *Tree) Len() int { return len(t.items) }

// Children returns what folder id ("" for the root) holds, sorted by
// name, leaving out the items put in the trash themselves (inside a
// folder in the trash, the rest are in the trash with it).
func (t *Tree) Children(id string) []*FileItem {
	var out []*FileItem
	for _, it := range t.kids(id) {
		if it.Trashed.IsZero() {
			out = append(out, it)
		}
	}
	return out
}

// kids returns what folder id holds, trash or not, sorted by name: the
// children of a folder are sorted when first asked for (sorting the
// children of every folder took a tenth of a listing of 10,000 files).
func (t *Tree) kids(id string) []*FileItem {
	t.sortMu.Lock()
	defer t.sortMu.Unlock()
	c := t.children[id]
	if !t.sorted[id] {
		c = slices.Clone(c)
		slices.SortFunc(c, byName)
		t.children[id] = c
		if t.sorted == nil {
			t.sorted = map[string]bool{}
		}
		t.sorted[id] = true
	}
	return c
}

// Walk calls fn with every item: those not in the trash from the root
// down, each folder before what it holds and its items sorted by name as
// Children has them, then each item of Trash before what it holds
// and what it holds. It is Children and Descendants without the copies.
func (t *Tree) Walk(fn func(*FileItem)) {
	var walk func(id string, all bool)
	walk = func(id string, all bool) {
		for _, it := range t.kids(id) {
			if !all && !it.Trashed.IsZero() {
				continue
			}
			fn(it)
			if it.Folder {
				walk(it.ID, all)
			}
		}
	}
	walk("", false)
	for _, it := range t.Trash() {
		fn(it)
		if it.Folder {
			walk(it.ID, true)
		}
	}
}

// Trash returns the items the person put in the trash, but those inside a
// folder that is in the trash too, sorted by name.
func (t *Tree) Trash() []*FileItem {
	var out []*FileItem
	for _, it := range t.items {
		if !it.Trashed.IsZero() && (it.Parent == "" || !t.items[it.Parent].InTrash) {
			out = append(out, it)
		}
	}
	slices.SortFunc(out, byName)
	return out
}

// Descendants returns every item below folder id, in the trash or not,
// folders before what they hold.
func (t *Tree) Descendants(id string) []*FileItem {
	var out []*FileItem
	stack := []string{id}
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, c := range t.kids(p) {
			out = append(out, c)
			if c.Folder {
				stack = append(stack, c.ID)
			}
		}
	}
	return out
}

// Path returns the '/'-separated names from the root to item id ("" for
// the root; an unnamed item is its id).
func (t *Tree) Path(id string) string {
	var names []string
	for it := t.items[id]; it != nil; it = t.items[it.Parent] {
		names = append(names, cmp.Or(it.Name, it.ID))
		if it.Parent == "" {
			break
		}
	}
	slices.Reverse(names)
	return strings.Join(names, "/")
}

// Lookup returns the items not in the trash at path, '/'-separated names
// from the root (empty parts are skipped): none if nothing is there, more
// than one if a folder holds two items of one name.
func (t *Tree) Lookup(path string) []*FileItem {
	cur := []string{""}
	var found []*FileItem
	parts := strings.FieldsFunc(path, func(r rune) bool { return r == '/' })
	if len(parts) == 0 {
		return nil
	}
	for i, name := range parts {
		found = found[:0:0]
		for _, p := range cur {
			for _, c := range t.Children(p) {
				if c.Name == name && (c.Folder || i == len(parts)-1) {
					found = append(found, c)
				}
			}
		}
		cur = cur[:0]
		for _, f := range found {
			cur = append(cur, f.ID)
		}
	}
	return found
}

// AmbiguousPathError is a path that names more than one item (a folder
// may hold two items of one name, §6.3).
type AmbiguousPathError struct {
	Path string
	IDs  []string
}

func (e *AmbiguousPathError) Error() string {
	return fmt.Sprintf("%q names %d items: give one of their ids: %s", e.Path, len(e.IDs), strings.Join(e.IDs, ", "))
}

// Resolve finds the file or folder ref names: an item's id (in the trash
// or not), or a '/'-separated path of names from the root (not into the
// trash). Nothing there is ErrNotFound; a path naming two items is an
// *AmbiguousPathError. The root itself is no item (ErrNotFound).
func (t *Tree) Resolve(ref string) (*FileItem, error) {
	if it := t.Item(ref); it != nil {
		return it, nil
	}
	found := t.Lookup(ref)
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("%w: no file or folder %q", ErrNotFound, ref)
	case 1:
		return found[0], nil
	}
	e := &AmbiguousPathError{Path: ref}
	for _, f := range found {
		e.IDs = append(e.IDs, f.ID)
	}
	return nil, e
}

// named returns the items not in the trash of name in folder parent.
func (t *Tree) named(parent, name string) []*FileItem {
	var out []*FileItem
	for _, c := range t.Children(parent) {
		if c.Name == name {
			out = append(out, c)
		}
	}
	return out
}

// under reports whether item id is folder anc or below it.
func (t *Tree) under(id, anc string) bool {
	for it := t.items[id]; it != nil; it = t.items[it.Parent] {
		if it.ID == anc {
			return true
		}
		if it.Parent == "" {
			break
		}
	}
	return false
}

func byName(a, b *FileItem) int {
	if a.Folder != b.Folder {
		if a.Folder {
			return -1
		}
		return 1
	}
	// Of two items of one name, a file of the person's own comes before one
	// a stranger dropped, so that it keeps the name where only one can (a
	// download to disk, a zip: the other gets " (2)").
	// (One comparison after the other: cmp.Or would make all four.)
	if c := cmp.Compare(a.lower, b.lower); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Name, b.Name); c != 0 {
		return c
	}
	if c := cmp.Compare(boolInt(a.Dropped), boolInt(b.Dropped)); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// buildTree makes the tree of the parsed documents docs (by id), whose
// revisions are revs, as §6.3 says: a parent that is missing, not a
// folder or closes a cycle puts the item at the root. It ends on any
// input: each item is visited a bounded number of times. It works on the
// items' indices in id order (one map, the tree's own: maps of strings
// are slow in WebAssembly, and a drive may hold 10,000 files).
func buildTree(docs map[string]*filesDoc, revs map[string]uint64) *Tree {
	t := &Tree{docs: docs, children: map[string][]*FileItem{}, VersionsKept: DefaultVersionsKept}
	ids := make([]string, 0, len(docs))
	for id, d := range docs {
		switch d.Kind {
		case KindFile, KindFolder:
			if id != settingsID {
				ids = append(ids, id)
			}
		case KindSettings:
			if id == settingsID {
				t.VersionsKept = d.kept
			}
		}
	}
	slices.Sort(ids)
	all := make([]FileItem, len(ids)) // in id order: the smallest id of a cycle is its smallest index
	t.items = make(map[string]*FileItem, len(ids))
	for i, id := range ids {
		d := docs[id]
		it := &all[i]
		*it = FileItem{ID: id, Rev: revs[id], Folder: d.Kind == KindFolder, Name: d.Name, Type: d.Type,
			Length: d.Length, ModTime: fromUnix(d.MTime), Trashed: fromUnix(d.Trashed), OldFormat: d.old, Dropped: d.FromDrop != "",
			lower: strings.ToLower(d.Name)}
		if !it.Folder {
			it.SealedSize = d.Size
			for _, v := range d.versions {
				it.Versions = append(it.Versions, FileVersion{Length: v.Length, ModTime: fromUnix(v.MTime), Replaced: fromUnix(v.Replaced), SealedSize: v.Size})
			}
		}
		t.items[id] = it
	}
	// parent[i] is the index of item i's folder, or -1 for the root.
	parent := make([]int32, len(all))
	for i, id := range ids {
		parent[i] = -1
		if p := docs[id].Parent; p != "" {
			if j, ok := slices.BinarySearch(ids, p); ok && all[j].Folder {
				parent[i] = int32(j)
			}
		}
	}
	// Break cycles: walk up from each item, marking the path; meeting the
	// path again is a cycle, broken at its smallest id.
	const (
		onPath = 1
		done   = 2
	)
	state := make([]uint8, len(all))
	var path []int32
	for i := range all {
		path = path[:0]
		cur := int32(i)
		for cur >= 0 && state[cur] == 0 {
			state[cur] = onPath
			path = append(path, cur)
			cur = parent[cur]
		}
		if cur >= 0 && state[cur] == onPath {
			cycle := path[slices.Index(path, cur):]
			parent[slices.Min(cycle)] = -1
		}
		for _, p := range path {
			state[p] = done
		}
	}
	// Depths (0: not known yet) and the trash, in the trash or not:
	// memoized walks up the (now acyclic) parents.
	depth := make([]int32, len(all))
	maxDepth := int32(0)
	for i := range all {
		if parent[i] >= 0 {
			all[i].Parent = ids[parent[i]]
		}
		path = path[:0]
		cur := int32(i)
		for cur >= 0 && depth[cur] == 0 {
			path = append(path, cur)
			cur = parent[cur]
		}
		d, trash := int32(0), false
		if cur >= 0 {
			d, trash = depth[cur], all[cur].InTrash
		}
		for k := len(path) - 1; k >= 0; k-- {
			d++
			depth[path[k]] = d
			x := &all[path[k]]
			trash = trash || !x.Trashed.IsZero()
			x.InTrash = trash
		}
		maxDepth = max(maxDepth, d)
	}
	// Where the items put in the trash came from.
	for _, it := range t.items {
		if it.Trashed.IsZero() {
			continue
		}
		switch p := t.items[it.Parent]; {
		case p == nil && docs[it.ID].Parent == "":
			// At the root.
		case p == nil:
			it.FromGone, it.TrashedFrom = true, docs[it.ID].TrashedFrom // missing, or closed a cycle
		default:
			it.FromGone = p.InTrash
			for ; p != nil; p = t.items[p.Parent] {
				it.TrashedFrom = append(it.TrashedFrom, cmp.Or(p.Name, p.ID))
			}
			slices.Reverse(it.TrashedFrom)
		}
	}
	// Folder sizes: deepest first, each item adds to its parent.
	byDepth := make([][]int32, maxDepth+1)
	for i := range all {
		byDepth[depth[i]] = append(byDepth[depth[i]], int32(i))
		if all[i].Folder {
			all[i].Length = 0
		}
	}
	for d := len(byDepth) - 1; d >= 0; d-- {
		for _, i := range byDepth[d] {
			it := &all[i]
			if p := parent[i]; p >= 0 && (!it.InTrash || all[p].InTrash) {
				all[p].Length += it.Length
			}
			t.children[it.Parent] = append(t.children[it.Parent], it)
		}
	}
	return t
}

// fileOfDrop returns the live file adopted from drop, or "".
func (t *Tree) fileOfDrop(drop string) string {
	for id, d := range t.docs {
		if d.Kind == KindFile && d.FromDrop == drop {
			return id
		}
	}
	return ""
}
