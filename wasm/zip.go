package wasm

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hearthcloud/hearth/crypto/seal"
)

// ZipEntry is one entry of a zip the page asks for (spec/web.md §3,
// saveFile): a folder, whose path ends in "/", or a file, ID naming its
// document. Paths are "/"-separated names, each a plain name by the rule
// of spec/protocol.md §6.1.
type ZipEntry struct {
	Path  string `json:"path"`
	ID    string `json:"id,omitempty"`
	Mtime int64  `json:"mtime,omitempty"` // Unix seconds; 0: none
}

// MaxZipEntries bounds the entries of one zip.
const MaxZipEntries = 1 << 20

// checkZipEntries refuses entries that are not a tree of plain names:
// an empty or absolute path, a segment that breaks the name rule, a
// folder with an id, a path twice.
func checkZipEntries(entries []ZipEntry) error {
	if len(entries) == 0 {
		return badInput("a zip of nothing")
	}
	if len(entries) > MaxZipEntries {
		return badInput("a zip of more than %d entries", MaxZipEntries)
	}
	seen := make(map[string]bool, len(entries))
	for _, e := range entries {
		p, dir := strings.CutSuffix(e.Path, "/")
		if dir && e.ID != "" {
			return badInput("zip entry %q: a folder names no file", e.Path)
		}
		if !dir && e.ID == "" {
			return badInput("zip entry %q: a file entry names its file", e.Path)
		}
		for _, seg := range strings.Split(p, "/") {
			if !plainName(seg) {
				return badInput("zip entry %q: %q is not a plain name", e.Path, seg)
			}
		}
		if seen[p] {
			return badInput("zip entry %q comes twice", e.Path)
		}
		seen[p] = true
	}
	return nil
}

// plainName reports whether n is a name by the rule of spec/protocol.md
// §6.1: 1 to 255 bytes of UTF-8, no / or \ or control character, not . or ..
func plainName(n string) bool {
	if n == "" || len(n) > seal.MaxNameLen || !utf8.ValidString(n) || n == "." || n == ".." || strings.ContainsAny(n, "/\\") {
		return false
	}
	for _, r := range n {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// writeZip writes entries as one ZIP archive (spec/protocol.md §6.3,
// Zip) to w as it goes: entries stored, their sizes and CRC-32 in data
// descriptors, names in UTF-8. open writes a file's content and returns
// nil only once it verified the whole file. When it fails, writeZip
// returns its error at once, without the central directory: what w got is
// no archive.
func writeZip(ctx context.Context, w io.Writer, entries []ZipEntry, open func(ctx context.Context, id string, w io.Writer) error) error {
	if err := checkZipEntries(entries); err != nil {
		return err
	}
	zw := zip.NewWriter(w)
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		h := &zip.FileHeader{Name: e.Path, Method: zip.Store}
		if e.Mtime > 0 {
			h.Modified = time.Unix(e.Mtime, 0).UTC()
		}
		ew, err := zw.CreateHeader(h)
		if err != nil {
			return fmt.Errorf("zip: %w", err)
		}
		if e.ID == "" {
			continue
		}
		if err := open(ctx, e.ID, ew); err != nil {
			return err
		}
	}
	return zw.Close()
}
