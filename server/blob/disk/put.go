package disk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"

	"github.com/hearthcloud/hearth/server/blob"
	"github.com/hearthcloud/hearth/server/blob/internal/body"
)

// Put streams exactly size bytes from r into a temporary file in tmp/,
// hashing them, then fsyncs the file, renames it to its digest's path and
// fsyncs that directory (and, the first time this Store uses a fan-out
// directory, its parents). A failed or cancelled Put removes its temporary
// file.
//
// A body already stored is stored again the same way: its new copy,
// fsynced, replaces the old one (the bytes are equal, by their digest), so
// that storing bytes that are present does the same durable work as
// storing new ones and an upload's timing does not tell one account whether
// another stores the same bytes (spec §8.7.1). What remains is the
// creation of a fan-out directory, once per 16-bit digest prefix.
//
// If only the final directory fsync fails, the complete body may remain in
// place while Put reports the error; it is content addressed, so it is
// correct, and a later Put of the same body or garbage collection settles it.
func (s *Store) Put(ctx context.Context, r io.Reader, size int64, want *blob.Digest) (blob.Digest, error) {
	const op = "disk.Put"
	if size < 0 {
		return blob.Digest{}, fmt.Errorf("%s: negative size %d", op, size)
	}
	if size > s.maxSize {
		return blob.Digest{}, fmt.Errorf("%s: %d bytes, limit %d: %w", op, size, s.maxSize, blob.ErrTooLarge)
	}
	if err := ctx.Err(); err != nil {
		return blob.Digest{}, fmt.Errorf("%s: %w", op, err)
	}
	f, err := os.CreateTemp(s.tmp, "put-*") // mode 0600
	if noSpace(err) {
		return blob.Digest{}, fmt.Errorf("%s: %w: %w", op, blob.ErrNoSpace, err)
	}
	if err != nil {
		return blob.Digest{}, fmt.Errorf("%s: %w", op, err)
	}
	d, err := s.put(ctx, f, r, size, want)
	if err != nil {
		f.Close() // may be closed already
		os.Remove(f.Name())
		if noSpace(err) {
			return blob.Digest{}, fmt.Errorf("%s: %w: %w", op, blob.ErrNoSpace, err)
		}
		return blob.Digest{}, fmt.Errorf("%s: %w", op, err)
	}
	return d, nil
}

// noSpace reports a full file system or an exhausted quota.
func noSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// put fills the temporary file f and moves it into place. On error the
// caller closes and removes f.
func (s *Store) put(ctx context.Context, f *os.File, r io.Reader, size int64, want *blob.Digest) (blob.Digest, error) {
	d, err := body.Copy(ctx, &writebackWriter{f: f}, r, size, want)
	if err != nil {
		return blob.Digest{}, err
	}
	if err := s.sync(f); err != nil {
		return blob.Digest{}, err
	}
	if err := f.Close(); err != nil {
		return blob.Digest{}, err
	}
	final := s.path(d)
	leaf := filepath.Dir(final)
	if err := s.ensureDir(leaf); err != nil {
		return blob.Digest{}, err
	}
	// Whether or not the body is there already (stored by this account or
	// another, or by a concurrent Put), the rename replaces it atomically
	// with identical, fsynced bytes; a reader of the old file keeps it.
	if err := os.Rename(f.Name(), final); err != nil {
		return blob.Digest{}, err
	}
	if err := syncDir(leaf); err != nil {
		return blob.Digest{}, err
	}
	return d, nil
}

// ensureDir creates the fan-out directory leaf (sha256/ab/cd) if needed and,
// once per Store, fsyncs its parents so that its entries are durable. It does
// this even for directories that exist: an earlier process may have created
// them and died before fsyncing.
func (s *Store) ensureDir(leaf string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.durable[leaf] {
		return nil
	}
	if err := os.MkdirAll(leaf, dirMode); err != nil {
		return err
	}
	if err := syncDir(filepath.Dir(leaf)); err != nil { // entry for cd/ in ab/
		return err
	}
	if err := syncDir(s.bodies); err != nil { // entry for ab/ in sha256/
		return err
	}
	s.durable[leaf] = true
	return nil
}

// sync fsyncs f, counting it.
func (s *Store) sync(f *os.File) error {
	s.fileSyncs.Add(1)
	return f.Sync()
}

// writebackWriter writes to f and starts the writeback of each chunk at once
// (see startWriteback).
type writebackWriter struct {
	f   *os.File
	off int64
}

func (w *writebackWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	if n > 0 {
		startWriteback(w.f, w.off, int64(n))
		w.off += int64(n)
	}
	return n, err
}
