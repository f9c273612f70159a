package client

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"strings"
)

// A small reader of the files documents of design 16 A (spec/protocol.md
// §6.3 as the files helper rewrites it): kinds file, folder, settings and
// link, each with a parent. The links need it to walk a shared folder and
// to find a folder by path before the files helper's tree API exists.
// TODO(merge): fold into client/files.go's tree once it lands.

// treeDoc is a files document's content, whatever its kind.
type treeDoc struct {
	Kind    string `json:"kind"` // "" (the old format: a file at the root), file, folder, settings, link
	Name    string `json:"name"`
	Parent  string `json:"parent"`
	Type    string `json:"type"`
	Length  int64  `json:"length"`
	MTime   int64  `json:"mtime"`
	Blob    string `json:"blob"`
	Digest  []byte `json:"digest"`
	Size    int64  `json:"size"`
	Trashed int64  `json:"trashed"`
}

func (d *treeDoc) isFile() bool   { return d.Kind == "file" || d.Kind == "" && d.Blob != "" }
func (d *treeDoc) isFolder() bool { return d.Kind == "folder" }

// fileTree is every live files document of the account, by id.
type fileTree struct {
	docs map[string]*treeDoc
	raw  map[string][]byte // the content, for kinds this reader leaves to others
}

// loadTree reads every live document of FilesDoctype.
func (c *Client) loadTree(ctx context.Context) (*fileTree, error) {
	ids, err := c.List(ctx, FilesDoctype)
	if err != nil {
		return nil, err
	}
	docs, err := c.GetMany(ctx, FilesDoctype, ids)
	if err != nil {
		return nil, err
	}
	t := &fileTree{docs: map[string]*treeDoc{}, raw: map[string][]byte{}}
	for i, d := range docs {
		if d == nil || d.Deleted {
			continue
		}
		var td treeDoc
		if json.Unmarshal(d.Content, &td) != nil {
			continue
		}
		t.docs[ids[i]] = &td
		t.raw[ids[i]] = d.Content
	}
	return t, nil
}

// parentOf returns the folder an item is in ("" for the root): a parent
// that is missing, not a folder, or a cycle puts the item at the root.
func (t *fileTree) parentOf(id string) string {
	p := t.docs[id].Parent
	seen := map[string]bool{id: true}
	for q := p; q != ""; q = t.docs[q].Parent {
		d := t.docs[q]
		if d == nil || !d.isFolder() || seen[q] {
			return ""
		}
		seen[q] = true
	}
	return p
}

// trashed reports whether an item or a folder it is in is in the trash.
func (t *fileTree) trashed(id string) bool {
	for q := id; q != ""; q = t.parentOf(q) {
		if t.docs[q].Trashed != 0 {
			return true
		}
	}
	return false
}

// children returns the live items directly in folder ("" for the root).
func (t *fileTree) children(folder string) []string {
	var out []string
	for id, d := range t.docs {
		if (d.isFile() || d.isFolder()) && d.Trashed == 0 && t.parentOf(id) == folder {
			out = append(out, id)
		}
	}
	return out
}

// resolve finds an item by id or by a '/'-path of names from the root.
func (t *fileTree) resolve(ref string) (string, error) {
	if d, ok := t.docs[ref]; ok && (d.isFile() || d.isFolder()) {
		return ref, nil
	}
	cur := ""
	for _, name := range strings.Split(strings.Trim(path.Clean("/"+ref), "/"), "/") {
		if name == "" {
			continue
		}
		next := ""
		for _, id := range t.children(cur) {
			if t.docs[id].Name == name {
				next = id
				break
			}
		}
		if next == "" {
			return "", fmt.Errorf("%w: no file or folder %q", ErrNotFound, ref)
		}
		cur = next
	}
	if cur == "" {
		return "", fmt.Errorf("client: %q is the root, not a file or folder", ref)
	}
	return cur, nil
}
