package client

import (
	"cmp"
	"context"
	"io"

	"github.com/hearthcloud/hearth/internal/zipstream"
)

// WriteZip writes the files and folders ids (folders with all they hold
// that is not in the trash) to w as one zip archive (§6.3), streaming, with
// the zip writer the link page shares (internal/zipstream): entries
// stored, their sizes and CRC-32 in data descriptors, each file verified
// whole before its entry is closed, every path checked before a byte is
// written. progress, if not nil, is called with the plaintext bytes
// written so far and their total.
//
// A file that fails to verify (or any other error) stops the archive at
// once: WriteZip returns the error without writing the central directory,
// so what w received is not a valid zip (and holds, at its end, the
// unverified beginning of that file): the caller MUST discard it, as for
// Download. Two items of one name in one folder get " (2)", " (3)"… added
// before the extension (zipstream.Names).
func (c *Client) WriteZip(ctx context.Context, ids []string, w io.Writer, progress func(done, total int64)) error {
	t, err := c.Files(ctx)
	if err != nil {
		return err
	}
	var entries []zipstream.Entry
	names := zipstream.Names{}
	var total, before int64
	var add func(dir string, it *FileItem)
	add = func(dir string, it *FileItem) {
		p := names.Unique(dir, cmp.Or(it.Name, it.ID), it.Folder)
		e := zipstream.Entry{Path: p, Folder: it.Folder, Modified: it.ModTime}
		entries = append(entries, e)
		if it.Folder {
			for _, ch := range t.Children(it.ID) {
				add(p+"/", ch)
			}
			return
		}
		total += it.Length
		entries[len(entries)-1].Content = func(ctx context.Context, fw io.Writer) error {
			prog := func(done, _ int64) {
				if progress != nil {
					progress(before+done, total)
				}
			}
			if _, err := c.downloadFile(ctx, it.ID, t.docs[it.ID], fw, prog); err != nil {
				return err
			}
			before += it.Length
			return nil
		}
	}
	for _, id := range ids {
		it, err := item(t, id)
		if err != nil {
			return err
		}
		add("", it)
	}
	return zipstream.Write(ctx, w, entries)
}
