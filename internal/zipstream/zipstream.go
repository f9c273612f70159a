// Package zipstream writes a ZIP archive as it streams (spec/protocol.md
// §6.3 "Zip", spec/web.md §8): entries stored (method 0), sizes and CRC-32
// in data descriptors, UTF-8 names, folders as entries ending in '/'. It is
// the one zip writer of the Files app and the CLI (client.WriteZip) and of
// the link page (wasm/linkpage). It depends on the standard library only.
package zipstream

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxPathLen bounds an entry's path, in bytes: a link manifest's bound
// (crypto/link.MaxPathLen), well under the zip format's 65,535, and the
// PATH_MAX of the systems that unpack it.
const MaxPathLen = 4096

// ErrBadPath is an entry path a zip must not carry (CheckPath).
var ErrBadPath = errors.New("zip: an entry's path must be a relative, '/'-separated path of 1 to 4096 bytes of UTF-8, without '.', '..' or empty elements, backslashes or control characters")

// CheckPath refuses an entry path a zip must not carry: empty, absolute,
// with an empty, "." or ".." element, a backslash or a control character
// (NUL among them), not UTF-8, or longer than MaxPathLen. What it accepts
// stays inside the folder the zip is unpacked into.
func CheckPath(p string) error {
	if p == "" || len(p) > MaxPathLen || !utf8.ValidString(p) || strings.HasPrefix(p, "/") || strings.ContainsAny(p, "\\") || path.Clean(p) != p {
		return fmt.Errorf("%w: %q", ErrBadPath, p)
	}
	for _, el := range strings.Split(p, "/") {
		if el == "." || el == ".." {
			return fmt.Errorf("%w: %q", ErrBadPath, p)
		}
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("%w: %q", ErrBadPath, p)
		}
	}
	return nil
}

// Names hands out the names of one archive (or one folder written to
// disk) so that none is used twice.
type Names map[string]bool

// Unique returns dir+name, or, if it is taken, dir+name with " (n)" before
// its extension (a folder's name has none) for the first n from 2 that is
// free; and marks it taken. So two items of one name in one folder (a
// drop named as a file of the owner's, say) are both kept, neither over
// the other.
func (n Names) Unique(dir, name string, folder bool) string {
	p := dir + name
	ext := ""
	if !folder {
		ext = path.Ext(name)
	}
	base := strings.TrimSuffix(name, ext)
	for i := 2; n[p]; i++ {
		p = fmt.Sprintf("%s%s (%d)%s", dir, base, i, ext)
	}
	n[p] = true
	return p
}

// Entry is one entry of an archive: a folder, or a file whose content
// Content writes.
type Entry struct {
	Path     string // '/'-separated, below the archive's root; no trailing '/'
	Folder   bool
	Modified time.Time // the zero time: none recorded
	// Content writes a file's content to w; nil for a folder. It MUST
	// return an error unless all it wrote is verified.
	Content func(ctx context.Context, w io.Writer) error
}

// Write writes entries to w, in order, as one archive. It checks every
// path first (CheckPath, and no path twice) and refuses before writing a
// byte. The first error of an entry's Content (or of w, or ctx) stops the
// archive at once, without a central directory: what w received is then
// no valid zip (a reader finds no end of central directory), and the
// caller MUST discard it.
func Write(ctx context.Context, w io.Writer, entries []Entry) error {
	seen := make(map[string]bool, len(entries))
	for _, e := range entries {
		if err := CheckPath(e.Path); err != nil {
			return err
		}
		if seen[e.Path] {
			return fmt.Errorf("zip: the path %q stands twice", e.Path)
		}
		seen[e.Path] = true
	}
	zw := zip.NewWriter(w)
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		h := &zip.FileHeader{Name: e.Path, Method: zip.Store, Modified: e.Modified}
		if e.Folder {
			h.Name += "/"
		}
		fw, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		if e.Folder || e.Content == nil {
			continue
		}
		if err := e.Content(ctx, fw); err != nil {
			return fmt.Errorf("zip: %s: %w", e.Path, err)
		}
	}
	return zw.Close()
}
