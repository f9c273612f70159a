package client

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hearthcloud/hearth/internal/zipstream"
)

// now is the clock of the files operations (a variable for the tests).
var now = time.Now

// folderFor checks that parent is "" (the root) or a folder of t not in
// the trash.
func folderFor(t *Tree, parent string) error {
	if parent == "" {
		return nil
	}
	p := t.Item(parent)
	if p == nil {
		return fmt.Errorf("%w: no folder %s", ErrNotFound, parent)
	}
	if !p.Folder || p.InTrash {
		return fmt.Errorf("%w: %s", ErrNotFolder, cmp.Or(p.Name, parent))
	}
	return nil
}

// filesIn lists the files for a change in folder parent ("" for the
// root), checked as folderFor checks it: a parent that is missing is
// ErrNotFound; one that is no folder, or is in the trash, ErrNotFolder.
func (c *Client) filesIn(ctx context.Context, parent string) (*Tree, error) {
	t, err := c.Files(ctx)
	if err != nil {
		return nil, err
	}
	return t, folderFor(t, parent)
}

// item returns item id of t, or ErrNotFound.
func item(t *Tree, id string) (*FileItem, error) {
	if it := t.Item(id); it != nil {
		return it, nil
	}
	return nil, fmt.Errorf("%w: no file or folder %s", ErrNotFound, id)
}

var errOldFormat = errors.New("client: this file's document is of the old format and could not be upgraded yet (list the files again)")

// Mkdir makes a folder named name in folder parent ("" for the root) and
// returns its id. A folder that holds an item of that name already is
// ErrNameTaken.
func (c *Client) Mkdir(ctx context.Context, parent, name string) (string, error) {
	if err := CheckFileName(name); err != nil {
		return "", err
	}
	t, err := c.filesIn(ctx, parent)
	if err != nil {
		return "", err
	}
	if len(t.named(parent, name)) > 0 {
		return "", fmt.Errorf("%w: %s", ErrNameTaken, name)
	}
	id, err := c.createFilesDoc(ctx, newFolder(parent, name))
	if err != nil {
		return "", err
	}
	return id, c.reshare(ctx, t, parent)
}

// newFolder is the document of a new folder named name in folder parent.
func newFolder(parent, name string) docEdit {
	m := docEdit{}
	m.set("kind", KindFolder)
	m.set("name", name)
	m.set("parent", parent)
	m.set("mtime", now().Unix())
	return m
}

// folderPath finds or makes the folders Restore puts items back into.
type folderPath struct {
	c    *Client
	t    *Tree
	made map[string]string // the '/'-joined names of the paths made, to their folders
}

// ensure returns the folder at the path names from the root: its live
// folders found by name (the first, by the tree's order), those missing
// made, each path once; "" (the root) for no names, or when an item that
// is no folder holds one of the names.
func (f *folderPath) ensure(ctx context.Context, names []string) (string, error) {
	parent := ""
	for i, name := range names {
		key := strings.Join(names[:i+1], "/")
		if id, ok := f.made[key]; ok {
			parent = id
			continue
		}
		found := ""
		for _, it := range f.t.named(parent, name) {
			if !it.Folder {
				return "", nil
			}
			if found == "" {
				found = it.ID
			}
		}
		if found == "" {
			id, err := f.c.createFilesDoc(ctx, newFolder(parent, name))
			if err != nil {
				return "", err
			}
			found, f.made[key] = id, id
		}
		parent = found
	}
	return parent, nil
}

// Rename gives item id the name name. Another item of that name in its
// folder is ErrNameTaken.
func (c *Client) Rename(ctx context.Context, id, name string) error {
	if err := CheckFileName(name); err != nil {
		return err
	}
	t, err := c.Files(ctx)
	if err != nil {
		return err
	}
	it, err := item(t, id)
	if err != nil {
		return err
	}
	for _, o := range t.named(it.Parent, name) {
		if o.ID != id {
			return fmt.Errorf("%w: %s", ErrNameTaken, name)
		}
	}
	_, err = c.editFilesDoc(ctx, id, false, func(d *filesDoc, m docEdit) error {
		if d.old {
			return errOldFormat
		}
		m.set("name", name)
		return nil
	})
	if err != nil {
		return err
	}
	return c.reshare(ctx, t, id)
}

// Move moves the items ids into folder parent ("" for the root). A folder
// moved into itself or below itself is ErrMoveIntoItself; a name the
// destination holds already is ErrNameTaken; nothing is moved then.
func (c *Client) Move(ctx context.Context, ids []string, parent string) error {
	t, err := c.filesIn(ctx, parent)
	if err != nil {
		return err
	}
	names := map[string]bool{}
	for _, id := range ids {
		it, err := item(t, id)
		if err != nil {
			return err
		}
		if it.Folder && parent != "" && t.under(parent, id) {
			return fmt.Errorf("%w: %s", ErrMoveIntoItself, cmp.Or(it.Name, id))
		}
		if it.Parent == parent && it.Trashed.IsZero() {
			continue
		}
		if names[it.Name] || len(t.named(parent, it.Name)) > 0 {
			return fmt.Errorf("%w: %s", ErrNameTaken, it.Name)
		}
		names[it.Name] = true
	}
	for _, id := range ids {
		if it := t.Item(id); it.Parent == parent && it.Trashed.IsZero() {
			continue
		}
		_, err := c.editFilesDoc(ctx, id, false, func(d *filesDoc, m docEdit) error {
			if d.old {
				return errOldFormat
			}
			m.set("parent", parent)
			return nil
		})
		if err != nil {
			c.reshare(ctx, t, append(slices.Clone(ids), parent)...) // what moved before the failure
			return err
		}
	}
	return c.reshare(ctx, t, append(slices.Clone(ids), parent)...)
}

// Trash puts the items ids in the trash (with what they hold), each
// recording the path of the folder it was in (trashed_from, §6.3), so
// that Restore can make it again if it is gone by then.
func (c *Client) Trash(ctx context.Context, ids []string) error {
	t, err := c.Files(ctx)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if _, err := item(t, id); err != nil {
			return err
		}
	}
	when := now().Unix()
	for _, id := range ids {
		var from []string
		if p := t.Item(id).Parent; p != "" {
			from = strings.Split(t.Path(p), "/")
		}
		_, err := c.editFilesDoc(ctx, id, false, func(d *filesDoc, m docEdit) error {
			if d.old {
				return errOldFormat
			}
			if d.Trashed == 0 {
				m.set("trashed", when)
				m.set("trashed_from", checkedTrashedFrom(from))
			}
			return nil
		})
		if err != nil {
			c.reshare(ctx, t, ids...)
			return err
		}
	}
	return c.reshare(ctx, t, ids...)
}

// Restore takes the items ids out of the trash, each back into its
// folder. If that folder is gone or stays in the trash, the item goes to
// the path it was trashed from (FileItem.TrashedFrom), its folders found
// by name or made again; to the root when that path is not known, or
// when an item that is no folder holds one of its names. An item in the
// trash only with a folder above it comes out alone, the same way.
func (c *Client) Restore(ctx context.Context, ids []string) error {
	t, err := c.Files(ctx)
	if err != nil {
		return err
	}
	set := map[string]bool{}
	for _, id := range ids {
		if _, err := item(t, id); err != nil {
			return err
		}
		set[id] = true
	}
	// liveAfter reports whether folder p is out of the trash once the
	// items of set are.
	liveAfter := func(p string) bool {
		for it := t.Item(p); it != nil; it = t.Item(it.Parent) {
			if !it.Trashed.IsZero() && !set[it.ID] {
				return false
			}
			if it.Parent == "" {
				return true
			}
		}
		return false
	}
	remade := folderPath{c: c, t: t, made: map[string]string{}}
	// A name the folder restored into holds already (a file made there
	// since, say) gets " (2)" before its extension, or " (3)"…: two live
	// items of one name are what writers avoid (§6.3).
	taken, seen := zipstream.Names{}, map[string]bool{}
	freeName := func(dest string, it *FileItem) string {
		if !seen[dest] {
			seen[dest] = true
			for _, ch := range t.Children(dest) {
				taken[dest+"/"+ch.Name] = true
			}
		}
		n := strings.TrimPrefix(taken.Unique(dest+"/", it.Name, it.Folder), dest+"/")
		if it.Name == "" || CheckFileName(n) != nil {
			return it.Name // too long with the number: as it is
		}
		return n
	}
	for _, id := range ids {
		it := t.Item(id)
		if !it.InTrash {
			continue
		}
		keep := it.Parent != "" && liveAfter(it.Parent)
		resolved, to := it.Parent, ""
		if !keep && (it.Parent != "" || it.FromGone) {
			names := it.TrashedFrom
			if it.Trashed.IsZero() { // in the trash with a folder above it
				names = strings.Split(t.Path(it.Parent), "/")
			}
			var err error
			if to, err = remade.ensure(ctx, names); err != nil {
				c.reshare(ctx, t, ids...)
				return err
			}
		}
		if keep {
			to = it.Parent
		}
		name := freeName(to, it)
		_, err := c.editFilesDoc(ctx, id, false, func(d *filesDoc, m docEdit) error {
			if d.old {
				return errOldFormat
			}
			m.set("trashed", int64(0))
			m.set("trashed_from", []string(nil))
			if !keep {
				m.set("parent", to)
			} else if d.Parent != resolved {
				m.set("parent", "") // moved meanwhile where this tree did not look: the root
			}
			if name != d.Name {
				m.set("name", name)
			}
			return nil
		})
		if err != nil {
			c.reshare(ctx, t, ids...)
			return err
		}
	}
	return c.reshare(ctx, t, ids...)
}

// EmptyTrash deletes for good every item in the trash and what it holds:
// their blobs (current and earlier versions, unless another live document
// names them), then their documents. Interrupted, it can be run again.
func (c *Client) EmptyTrash(ctx context.Context) error {
	t, err := c.Files(ctx)
	if err != nil {
		return err
	}
	var gone []string
	for id, it := range t.items {
		if it.InTrash {
			gone = append(gone, id)
		}
	}
	if err := c.deleteItems(ctx, t, gone); err != nil {
		return err
	}
	return c.reshare(ctx, t, gone...)
}

// DeleteFile deletes file or folder fileID for good (a folder with all it
// holds, §6.3): the blobs of its content and versions, unless another live
// document names them (one an app with write access made), then the
// documents' tombstones; interrupted, it can be run again. A blob already
// gone is not an error. A document of another kind (a link's record) is
// deleted alone.
func (c *Client) DeleteFile(ctx context.Context, fileID string) error {
	t, err := c.Files(ctx)
	if err != nil {
		return err
	}
	if it := t.Item(fileID); it != nil {
		ids := []string{fileID}
		for _, d := range t.Descendants(fileID) {
			ids = append(ids, d.ID)
		}
		if err := c.deleteItems(ctx, t, ids); err != nil {
			return err
		}
		return c.reshare(ctx, t, ids...)
	}
	if _, err := c.Get(ctx, FilesDoctype, fileID); err != nil {
		return err
	}
	return c.Delete(ctx, FilesDoctype, fileID)
}

// blobsNamed returns the blobs the documents of t name, but those of
// except, with how many documents name each.
func (t *Tree) blobsNamed(except map[string]bool) map[string]int {
	out := map[string]int{}
	for id, d := range t.docs {
		if except[id] {
			continue
		}
		for _, b := range d.blobs() {
			out[b]++
		}
	}
	return out
}

// deleteBlobs deletes the blobs of doctype FilesDoctype that no document
// of t but those of except names. A blob already gone is no error.
func (c *Client) deleteBlobs(ctx context.Context, t *Tree, blobs []string, except map[string]bool) error {
	named := t.blobsNamed(except)
	for _, b := range blobs {
		if named[b] > 0 {
			continue
		}
		_, err := c.call(ctx, request{method: "DELETE", path: "/v1/blobs/" + FilesDoctype + "/" + pathEscape(b)})
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	return nil
}

// deleteItems deletes the items ids of t for good: their blobs, then
// their documents, files first, then folders from the deepest, in bulk.
func (c *Client) deleteItems(ctx context.Context, t *Tree, ids []string) error {
	set := map[string]bool{}
	var blobs []string
	for _, id := range ids {
		set[id] = true
		if d := t.docs[id]; d != nil {
			blobs = append(blobs, d.blobs()...)
		}
	}
	if err := c.deleteBlobs(ctx, t, blobs, set); err != nil {
		return err
	}
	depth := func(id string) int {
		n := 0
		for it := t.Item(id); it != nil && it.Parent != ""; it = t.Item(it.Parent) {
			n++
		}
		return n
	}
	slices.SortFunc(ids, func(a, b string) int {
		fa, fb := t.Item(a).Folder, t.Item(b).Folder
		if fa != fb {
			if fa {
				return 1
			}
			return -1
		}
		return cmp.Compare(depth(b), depth(a))
	})
	items := make([]Item, len(ids))
	for i, id := range ids {
		items[i] = Item{ID: id}
	}
	res, err := c.PutMany(ctx, FilesDoctype, items)
	if err != nil {
		return err
	}
	for _, r := range res {
		if errors.Is(r.Err, ErrNotFound) {
			c.fc.forget(r.ID) // gone already (PutMany remembered the others)
		}
		if r.Err != nil && !errors.Is(r.Err, ErrNotFound) {
			return r.Err
		}
	}
	return nil
}
