package client

import (
	"context"
	"fmt"
	"io"
	"path"
	"strings"
	"time"
)

// UploadSource is one item of UploadAll: a folder, or a file and how to
// read it.
type UploadSource struct {
	// Path is the item's place below the folder uploaded into:
	// '/'-separated names, each by the name rule (CheckFileName).
	Path    string
	Folder  bool
	Size    int64 // a file's length: Open gives exactly that many bytes
	Type    string
	ModTime time.Time
	Open    func() (io.ReadCloser, error)
}

// UploadAll uploads srcs into folder parent ("" for the root), reading
// the tree once: the folders along each path are made where missing (a
// folder of that name that is there already is used), and each file is
// uploaded as UploadTo does (a new version of a file of that name there).
// It returns the items' ids, parallel to srcs, and stops at the first
// error (what was uploaded before it stays). progress, if not nil, is
// called with the bytes sent of all the files and their total.
func (c *Client) UploadAll(ctx context.Context, parent string, srcs []UploadSource, progress func(done, total int64)) (ids []string, err error) {
	var total int64
	for _, s := range srcs {
		for _, n := range strings.Split(s.Path, "/") {
			if err := CheckFileName(n); err != nil {
				return nil, fmt.Errorf("%q: %w", s.Path, err)
			}
		}
		if !s.Folder {
			total += s.Size
		}
	}
	t, err := c.filesIn(ctx, parent)
	if err != nil {
		return nil, err
	}
	// The share links of what this changed are republished once, at the
	// end, whether all of it was uploaded or not.
	defer func() {
		touched := []string{parent}
		for _, id := range ids {
			if id != "" {
				touched = append(touched, id)
			}
		}
		if rerr := c.reshare(ctx, t, touched...); err == nil {
			err = rerr
		}
	}()
	// folders maps the paths of the folders reached to their ids; made
	// those that are new (not in t: nothing of them to look up there).
	folders := map[string]string{"": parent}
	made := map[string]bool{}
	files := map[string]string{} // paths of the files uploaded, to their ids
	var folder func(p string) (string, error)
	folder = func(p string) (string, error) {
		if id, ok := folders[p]; ok {
			return id, nil
		}
		dir, name := splitPath(p)
		pid, err := folder(dir)
		if err != nil {
			return "", err
		}
		if !made[pid] {
			for _, it := range t.named(pid, name) {
				if !it.Folder {
					return "", fmt.Errorf("%w: %s is a file", ErrNameTaken, p)
				}
				folders[p] = it.ID
				return it.ID, nil
			}
		}
		m := docEdit{}
		m.set("kind", KindFolder)
		m.set("name", name)
		m.set("parent", pid)
		m.set("mtime", now().Unix())
		id, err := c.createFilesDoc(ctx, m)
		if err != nil {
			return "", err
		}
		folders[p], made[id] = id, true
		return id, nil
	}
	ids = make([]string, len(srcs))
	var before int64
	for i, s := range srcs {
		if s.Folder {
			if ids[i], err = folder(s.Path); err != nil {
				return ids, err
			}
			continue
		}
		dir, name := splitPath(s.Path)
		pid, err := folder(dir)
		if err != nil {
			return ids, err
		}
		target := files[s.Path]
		if target == "" && !made[pid] {
			if target, err = fileNamed(t, pid, name); err != nil {
				return ids, err
			}
		}
		r, err := s.Open()
		if err != nil {
			return ids, err
		}
		id, err := c.uploadInto(ctx, t, pid, target, r, s.Size, name, s.Type, s.ModTime, func(done, _ int64) {
			if progress != nil {
				progress(before+done, total)
			}
		})
		r.Close()
		if err != nil {
			return ids, fmt.Errorf("%s: %w", s.Path, err)
		}
		before += s.Size
		ids[i], files[s.Path] = id, id
	}
	return ids, nil
}

// splitPath splits a '/'-separated path into its folder and last name.
func splitPath(p string) (dir, name string) {
	dir, name = path.Split(p)
	return strings.TrimSuffix(dir, "/"), name
}
