package linkpage

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"path"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hearthcloud/hearth/crypto/link"
)

// checkPath refuses an entry path a zip must not carry: empty, absolute,
// with a "." or ".." element, a backslash or a control character (NUL
// among them), not UTF-8, or longer than a manifest's paths may be
// (link.MaxPathLen, well under the zip format's 65,535 bytes).
func checkPath(p string) error {
	if p == "" || len(p) > link.MaxPathLen || !utf8.ValidString(p) || strings.HasPrefix(p, "/") || strings.ContainsAny(p, "\\") || path.Clean(p) != p {
		return fmt.Errorf("linkpage: the link names a file at %q, which no zip may hold", p)
	}
	for _, el := range strings.Split(p, "/") {
		if el == "." || el == ".." {
			return fmt.Errorf("linkpage: the link names a file at %q, which no zip may hold", p)
		}
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("linkpage: the link names a file at %q, which no zip may hold", p)
		}
	}
	return nil
}

// writeZip writes entries (files and folders) to w as a zip written as it
// streams: stored, with data descriptors, UTF-8 names. open writes the
// verified content of a file entry; its first error stops the zip without
// a central directory, so a partial zip never reads as whole.
func writeZip(ctx context.Context, w io.Writer, entries []link.Entry, open func(context.Context, link.Entry, io.Writer) error) error {
	for _, e := range entries {
		if err := checkPath(e.Path); err != nil {
			return err
		}
	}
	zw := zip.NewWriter(w)
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		h := &zip.FileHeader{Name: e.Path, Method: zip.Store}
		if e.MTime > 0 {
			h.Modified = time.Unix(e.MTime, 0)
		}
		if e.Folder {
			h.Name += "/"
			if _, err := zw.CreateHeader(h); err != nil {
				return err
			}
			continue
		}
		fw, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		if err := open(ctx, e, fw); err != nil {
			return err
		}
	}
	return zw.Close()
}
