package linkpage

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/hearthcloud/hearth/crypto/link"
	"github.com/hearthcloud/hearth/internal/zipstream"
)

// The paths a manifest may hold all fit a zip. (The path checks, their
// tests and FuzzCheckPath are internal/zipstream's.)
func TestPathBounds(t *testing.T) {
	if link.MaxPathLen > zipstream.MaxPathLen {
		t.Fatalf("a manifest path may be %d bytes, a zip entry's %d", link.MaxPathLen, zipstream.MaxPathLen)
	}
}

// TestWriteZip: a link's folders and files, each file written by open,
// in a zip that reads back; a bad path is refused before a byte is
// written, and nothing is opened.
func TestWriteZip(t *testing.T) {
	entries := []link.Entry{{Path: "F", Folder: true}, {Path: "F/a.txt", MTime: 1700000000}}
	open := func(_ context.Context, e link.Entry, w io.Writer) error {
		_, err := io.WriteString(w, "content of "+e.Path)
		return err
	}
	var w bytes.Buffer
	if err := writeZip(context.Background(), &w, entries, open); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(w.Bytes()), int64(w.Len()))
	if err != nil || len(zr.File) != 2 || zr.File[0].Name != "F/" || zr.File[1].Name != "F/a.txt" || zr.File[1].Modified.Unix() != 1700000000 {
		t.Fatalf("%v %v", zr, err)
	}
	r, _ := zr.File[1].Open()
	if got, _ := io.ReadAll(r); string(got) != "content of F/a.txt" {
		t.Fatalf("%q", got)
	}

	w.Reset()
	opened := 0
	err = writeZip(context.Background(), &w, append(entries, link.Entry{Path: "../up"}), func(context.Context, link.Entry, io.Writer) error {
		opened++
		return nil
	})
	if err == nil || w.Len() != 0 || opened != 0 {
		t.Fatalf("%v, %d bytes written, %d opened", err, w.Len(), opened)
	}
}
