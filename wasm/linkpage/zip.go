package linkpage

import (
	"context"
	"io"
	"time"

	"github.com/hearthcloud/hearth/crypto/link"
	"github.com/hearthcloud/hearth/internal/zipstream"
)

// writeZip writes a link's entries (files and folders) to w as one zip,
// with the zip writer the Files app and the CLI share (internal/zipstream:
// stored, data descriptors, UTF-8 names; every path checked before a byte
// is written). open writes the verified content of a file entry; its first
// error stops the zip without a central directory, so a partial zip never
// reads as whole.
func writeZip(ctx context.Context, w io.Writer, entries []link.Entry, open func(context.Context, link.Entry, io.Writer) error) error {
	zs := make([]zipstream.Entry, len(entries))
	for i, e := range entries {
		zs[i] = zipstream.Entry{Path: e.Path, Folder: e.Folder}
		if e.MTime > 0 {
			zs[i].Modified = time.Unix(e.MTime, 0)
		}
		if !e.Folder {
			zs[i].Content = func(ctx context.Context, w io.Writer) error { return open(ctx, e, w) }
		}
	}
	return zipstream.Write(ctx, w, zs)
}
