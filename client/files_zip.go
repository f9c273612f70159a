package client

import (
	"archive/zip"
	"cmp"
	"context"
	"fmt"
	"io"
	"path"
	"strings"
)

// zipEntry is one entry of a zip WriteZip writes: a file, or a folder
// (its path ends in '/').
type zipEntry struct {
	path string
	it   *FileItem
}

// WriteZip writes the files and folders ids (folders with all they hold
// that is not in the trash) to w as one zip archive (§6.3), streaming:
// entries stored, their sizes and CRC-32 in data descriptors, each file
// verified whole before its entry is closed. progress, if not nil, is
// called with the plaintext bytes written so far and their total.
//
// A file that fails to verify (or any other error) stops the archive at
// once: WriteZip returns the error without writing the central directory,
// so what w received is not a valid zip (and holds, at its end, the
// unverified beginning of that file): the caller MUST discard it, as for
// Download. Two items of one name in one folder get " (2)", " (3)"… added
// before the extension.
func (c *Client) WriteZip(ctx context.Context, ids []string, w io.Writer, progress func(done, total int64)) error {
	t, err := c.Files(ctx)
	if err != nil {
		return err
	}
	var entries []zipEntry
	used := map[string]bool{}
	var total int64
	var add func(dir string, it *FileItem)
	add = func(dir string, it *FileItem) {
		p := uniqueName(used, dir, cmp.Or(it.Name, it.ID), it.Folder)
		if it.Folder {
			entries = append(entries, zipEntry{p + "/", it})
			for _, ch := range t.Children(it.ID) {
				add(p+"/", ch)
			}
			return
		}
		total += it.Length
		entries = append(entries, zipEntry{p, it})
	}
	for _, id := range ids {
		it, err := item(t, id)
		if err != nil {
			return err
		}
		add("", it)
	}
	zw := zip.NewWriter(w)
	var before int64
	prog := func(done, _ int64) {
		if progress != nil {
			progress(before+done, total)
		}
	}
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.path, Method: zip.Store}
		if !e.it.ModTime.IsZero() {
			h.Modified = e.it.ModTime
		}
		fw, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		if e.it.Folder {
			continue
		}
		if _, err := c.downloadFile(ctx, e.it.ID, t.docs[e.it.ID], fw, prog); err != nil {
			return fmt.Errorf("zip: %s: %w", e.path, err)
		}
		before += e.it.Length
	}
	return zw.Close()
}

// uniqueName returns dir+name, or, if used has it, dir+name with " (n)"
// before its extension for the first n from 2 that used lacks; and marks
// it used.
func uniqueName(used map[string]bool, dir, name string, folder bool) string {
	p := dir + name
	ext := ""
	if !folder {
		ext = path.Ext(name)
	}
	base := strings.TrimSuffix(name, ext)
	for n := 2; used[p]; n++ {
		p = fmt.Sprintf("%s%s (%d)%s", dir, base, n, ext)
	}
	used[p] = true
	return p
}
