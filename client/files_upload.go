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
// uploaded as UploadFile does (a new version of a file of that name
// there, or nothing when it holds these bytes already). It returns what
// became of each, parallel to srcs (a folder's: its id, Unchanged if it
// was there already), and stops at the
// first error (what was uploaded before it stays). progress, if not nil,
// is called with the bytes sent of all the files and their total (a file
// found unchanged counts as sent).
func (c *Client) UploadAll(ctx context.Context, parent string, srcs []UploadSource, progress func(done, total int64)) (done []Uploaded, err error) {
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
	// All of it checked against the limits before anything is sent; a
	// file of that name and length there may be found unchanged.
	sizes := make([]upSize, 0, len(srcs))
	base := t.Path(parent)
	for _, s := range srcs {
		if !s.Folder {
			there := t.Lookup(base + "/" + s.Path)
			same := len(there) == 1 && sameLength(t, there[0].ID, s.Size)
			sizes = append(sizes, upSize{name: path.Base(s.Path), size: s.Size, same: same})
		}
	}
	if err := c.checkUpload(ctx, sizes); err != nil {
		return nil, err
	}
	// The share links of what this changed are republished once, at the
	// end, whether all of it was uploaded or not.
	defer func() {
		touched := []string{parent}
		for _, u := range done {
			if u.ID != "" && !u.Unchanged {
				touched = append(touched, u.ID)
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
		id, err := c.createFilesDoc(ctx, newFolder(pid, name))
		if err != nil {
			return "", err
		}
		folders[p], made[id] = id, true
		return id, nil
	}
	done = make([]Uploaded, len(srcs))
	var before int64
	for i, s := range srcs {
		if s.Folder {
			if done[i].ID, err = folder(s.Path); err != nil {
				return done, err
			}
			done[i].Unchanged = !made[done[i].ID] // there already
			continue
		}
		dir, name := splitPath(s.Path)
		pid, err := folder(dir)
		if err != nil {
			return done, err
		}
		target := files[s.Path]
		if target == "" && !made[pid] {
			if target, err = fileNamed(t, pid, name); err != nil {
				return done, err
			}
		}
		r, err := s.Open()
		if err != nil {
			return done, err
		}
		u, err := c.uploadInto(ctx, t, pid, target, r, s.Size, name, s.Type, s.ModTime, func(sent, _ int64) {
			if progress != nil {
				progress(before+sent, total)
			}
		})
		r.Close()
		if err != nil {
			return done, fmt.Errorf("%s: %w", s.Path, err)
		}
		before += s.Size
		if progress != nil && u.Unchanged {
			progress(before, total)
		}
		done[i], files[s.Path] = u, u.ID
	}
	return done, nil
}

// splitPath splits a '/'-separated path into its folder and last name.
func splitPath(p string) (dir, name string) {
	dir, name = path.Split(p)
	return strings.TrimSuffix(dir, "/"), name
}
