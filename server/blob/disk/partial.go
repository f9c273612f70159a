package disk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/hearthcloud/hearth/server/blob"
	"github.com/hearthcloud/hearth/server/blob/internal/body"
)

// Partial bodies (blob.Partials) are files in uploads/, named by their
// partial's name, which Open leaves alone (unlike tmp/): they outlive a
// restart, and the server removes those no upload session names.

// partialPath is where partial body name lives, or "" for a name the store
// never made (a name read back from a database is never a path).
func (s *Store) partialPath(name string) string {
	if !body.ValidName(name) {
		return ""
	}
	return filepath.Join(s.uploads, name)
}

// BeginPartial implements blob.Partials: an empty file in uploads/, its
// entry made durable by an fsync of the directory.
func (s *Store) BeginPartial(ctx context.Context, size int64) (blob.Partial, error) {
	const op = "disk.BeginPartial"
	if size < 1 {
		return blob.Partial{}, fmt.Errorf("%s: bad size %d", op, size)
	}
	if size > s.maxSize {
		return blob.Partial{}, fmt.Errorf("%s: %d bytes, limit %d: %w", op, size, s.maxSize, blob.ErrTooLarge)
	}
	if err := ctx.Err(); err != nil {
		return blob.Partial{}, fmt.Errorf("%s: %w", op, err)
	}
	name := body.NewName()
	f, err := os.OpenFile(s.partialPath(name), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return blob.Partial{}, s.fail(op, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return blob.Partial{}, s.fail(op, err)
	}
	if err := syncDir(s.uploads); err != nil {
		os.Remove(f.Name())
		return blob.Partial{}, s.fail(op, err)
	}
	return body.Start(name, size), nil
}

// fail wraps err for op, as ErrNoSpace when the storage is full.
func (s *Store) fail(op string, err error) error {
	if noSpace(err) {
		return fmt.Errorf("%s: %w: %w", op, blob.ErrNoSpace, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// openPartial opens p's file for writing at p.Offset, dropping whatever
// lies past it (bytes appended but never recorded).
func (s *Store) openPartial(op string, p blob.Partial) (*os.File, error) {
	f, err := os.OpenFile(s.partialPath(p.Name), os.O_WRONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", op, blob.ErrNotFound)
	}
	if err != nil {
		return nil, s.fail(op, err)
	}
	fi, err := f.Stat()
	if err == nil && fi.Size() < p.Offset {
		err = fmt.Errorf("holds %d bytes, %d recorded: %w", fi.Size(), p.Offset, blob.ErrNotFound)
	}
	if err == nil && fi.Size() > p.Offset {
		err = f.Truncate(p.Offset)
	}
	if err == nil {
		_, err = f.Seek(p.Offset, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, s.fail(op, err)
	}
	return f, nil
}

// AppendPartial implements blob.Partials: the bytes are written at
// p.Offset and fsynced before it returns, whatever stopped the copy.
func (s *Store) AppendPartial(ctx context.Context, p blob.Partial, r io.Reader, n int64) (blob.Partial, error) {
	const op = "disk.AppendPartial"
	if err := body.CheckAppend(p, n); err != nil {
		return p, fmt.Errorf("%s: %w", op, err)
	}
	if err := ctx.Err(); err != nil {
		return p, fmt.Errorf("%s: %w", op, err)
	}
	f, err := s.openPartial(op, p)
	if err != nil {
		return p, err
	}
	q, cerr := body.Append(ctx, &writebackWriter{f: f, off: p.Offset}, r, p, n)
	// What arrived is kept: made durable before it is reported.
	serr := s.sync(f)
	if err := f.Close(); serr == nil {
		serr = err
	}
	if serr != nil {
		return p, s.fail(op, serr)
	}
	if cerr != nil {
		return q, s.fail(op, cerr)
	}
	return q, nil
}

// CommitPartial implements blob.Partials: the file, fsynced, is renamed to
// its digest's path and that directory fsynced, as Put does (put.go).
func (s *Store) CommitPartial(ctx context.Context, p blob.Partial, want *blob.Digest) (blob.Digest, error) {
	const op = "disk.CommitPartial"
	if p.Offset != p.Size {
		return blob.Digest{}, fmt.Errorf("%s: %d of %d bytes: %w", op, p.Offset, p.Size, blob.ErrIncomplete)
	}
	if !body.ValidName(p.Name) {
		return blob.Digest{}, fmt.Errorf("%s: %w", op, blob.ErrNotFound)
	}
	if err := ctx.Err(); err != nil {
		return blob.Digest{}, fmt.Errorf("%s: %w", op, err)
	}
	d, err := body.Digest(p)
	if err != nil {
		return blob.Digest{}, fmt.Errorf("%s: %w", op, err)
	}
	if want != nil && *want != d {
		return blob.Digest{}, fmt.Errorf("%s: got %x, want %x: %w", op, d, *want, blob.ErrDigestMismatch)
	}
	f, err := s.openPartial(op, p) // drops bytes past Size, if any
	if err != nil {
		return blob.Digest{}, err
	}
	err = s.sync(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return blob.Digest{}, s.fail(op, err)
	}
	final := s.path(d)
	leaf := filepath.Dir(final)
	if err := s.ensureDir(leaf); err != nil {
		return blob.Digest{}, s.fail(op, err)
	}
	if err := os.Rename(f.Name(), final); err != nil {
		return blob.Digest{}, s.fail(op, err)
	}
	if err := syncDir(leaf); err != nil {
		return blob.Digest{}, s.fail(op, err)
	}
	return d, nil
}

// RemovePartial implements blob.Partials. The removal is not fsynced: after
// a crash the file may reappear, to be removed again at start-up.
func (s *Store) RemovePartial(ctx context.Context, name string) error {
	const op = "disk.RemovePartial"
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	path := s.partialPath(name)
	if path == "" {
		return nil
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// EnumeratePartials implements blob.Partials; names that are not a
// partial's are skipped.
func (s *Store) EnumeratePartials(ctx context.Context, fn func(name string) error) error {
	const op = "disk.EnumeratePartials"
	entries, err := os.ReadDir(s.uploads)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		if e.Type().IsRegular() && body.ValidName(e.Name()) {
			if err := fn(e.Name()); err != nil {
				return err
			}
		}
	}
	return nil
}
