// Package disk is the embedded default blob.Store: bodies kept as files in a
// local directory, named by their SHA-256 digest.
//
// Layout under the store's directory:
//
//	sha256/ab/cd/abcd…   one file per body (mode 0600), named by the lower-case
//	                     hex of its digest, fanned out by its first two bytes
//	tmp/                 bodies being written; emptied by Open
//	uploads/             partial bodies (blob.Partials), one file each,
//	                     named by the partial's name; kept by Open
//
// Directories are created with mode 0700. A body becomes visible only by a
// rename from tmp/ after its file has been fsynced, and Put returns only after
// the directory holding it has been fsynced, so a body whose Put returned
// survives a crash and a body whose Put did not return is never visible (its
// temporary file is removed by the next Open).
//
// One process at a time may use a directory: Open removes whatever is in
// tmp/, including the temporary files of another live Store on the same
// directory.
package disk

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/hearthcloud/hearth/server/blob"
)

const (
	dirMode    = 0o700
	bodiesName = "sha256"
	tmpName    = "tmp"
	uploadName = "uploads"
)

// Store is a blob.Store on a local directory. It is safe for concurrent use.
type Store struct {
	bodies  string // dir/sha256
	tmp     string // dir/tmp
	uploads string // dir/uploads
	maxSize int64

	// mu guards durable, the fan-out directories this Store has created or
	// fsynced the parents of, so that a body renamed into one of them is
	// reachable after a crash once its own directory is fsynced.
	mu      sync.Mutex
	durable map[string]bool

	fileSyncs atomic.Int64 // bodies fsynced, for tests
}

var _ blob.Store = (*Store)(nil)

// Open opens the store in dir, creating dir and its subdirectories if needed,
// and removes leftover temporary files (the debris of a crash). Put refuses
// bodies larger than maxSize bytes with blob.ErrTooLarge.
func Open(dir string, maxSize int64) (*Store, error) {
	const op = "disk.Open"
	s := &Store{
		bodies:  filepath.Join(dir, bodiesName),
		tmp:     filepath.Join(dir, tmpName),
		uploads: filepath.Join(dir, uploadName),
		maxSize: maxSize,
		durable: make(map[string]bool),
	}
	for _, d := range []string{dir, s.bodies, s.tmp, s.uploads} {
		if err := os.MkdirAll(d, dirMode); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
	}
	entries, err := os.ReadDir(s.tmp)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(s.tmp, e.Name())); err != nil {
			return nil, fmt.Errorf("%s: removing debris: %w", op, err)
		}
	}
	// Make the entries for sha256/, tmp/ and uploads/ durable.
	if err := syncDir(dir); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return s, nil
}

// Get opens the body with digest d. The reader is an *os.File.
func (s *Store) Get(ctx context.Context, d blob.Digest) (io.ReadSeekCloser, int64, error) {
	const op = "disk.Get"
	if err := ctx.Err(); err != nil {
		return nil, 0, fmt.Errorf("%s: %w", op, err)
	}
	f, err := os.Open(s.path(d))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, fmt.Errorf("%s %x: %w", op, d, blob.ErrNotFound)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", op, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("%s: %w", op, err)
	}
	return f, fi.Size(), nil
}

// Remove deletes the body with digest d. The removal is not fsynced: after a
// crash the body may reappear, to be collected again.
func (s *Store) Remove(ctx context.Context, d blob.Digest) error {
	const op = "disk.Remove"
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := os.Remove(s.path(d)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// path is where the body with digest d lives.
func (s *Store) path(d blob.Digest) string {
	name := hex.EncodeToString(d[:])
	return filepath.Join(s.bodies, name[0:2], name[2:4], name)
}

// syncDir fsyncs the directory dir, making the entries in it durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
