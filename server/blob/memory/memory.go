// Package memory is a blob.Store held in memory, for tests. It keeps the
// semantics of blob.Store (exact sizes, digest checks, nothing stored by a
// failed Put) except durability, and it necessarily holds every body in
// memory. It is safe for concurrent use.
package memory

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/hearthcloud/hearth/server/blob"
	"github.com/hearthcloud/hearth/server/blob/internal/body"
)

// Store is an in-memory blob.Store.
type Store struct {
	maxSize int64

	mu       sync.RWMutex
	bodies   map[blob.Digest][]byte // never modified once stored
	partials map[string][]byte      // partial bodies by name (partial.go)
}

var _ blob.Store = (*Store)(nil)

// New returns an empty Store whose Put refuses bodies larger than maxSize
// bytes with blob.ErrTooLarge.
func New(maxSize int64) *Store {
	return &Store{maxSize: maxSize, bodies: make(map[blob.Digest][]byte)}
}

// Put reads the body into memory and stores it under its digest.
func (s *Store) Put(ctx context.Context, r io.Reader, size int64, want *blob.Digest) (blob.Digest, error) {
	const op = "memory.Put"
	if size > s.maxSize {
		return blob.Digest{}, fmt.Errorf("%s: %d bytes, limit %d: %w", op, size, s.maxSize, blob.ErrTooLarge)
	}
	var buf bytes.Buffer
	d, err := body.Copy(ctx, &buf, r, size, want)
	if err != nil {
		return blob.Digest{}, fmt.Errorf("%s: %w", op, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.bodies[d]; !ok {
		s.bodies[d] = buf.Bytes()
	}
	return d, nil
}

// Get returns a reader over the stored body; Close does nothing.
func (s *Store) Get(ctx context.Context, d blob.Digest) (io.ReadSeekCloser, int64, error) {
	const op = "memory.Get"
	if err := ctx.Err(); err != nil {
		return nil, 0, fmt.Errorf("%s: %w", op, err)
	}
	s.mu.RLock()
	b, ok := s.bodies[d]
	s.mu.RUnlock()
	if !ok {
		return nil, 0, fmt.Errorf("%s %x: %w", op, d, blob.ErrNotFound)
	}
	return nopCloser{bytes.NewReader(b)}, int64(len(b)), nil
}

// Remove forgets the body with digest d, if present.
func (s *Store) Remove(ctx context.Context, d blob.Digest) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory.Remove: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.bodies, d)
	return nil
}

// Enumerate calls fn for every body stored when it was called. fn may call
// the Store's other methods.
func (s *Store) Enumerate(ctx context.Context, fn func(d blob.Digest, size int64) error) error {
	type entry struct {
		d    blob.Digest
		size int64
	}
	s.mu.RLock()
	entries := make([]entry, 0, len(s.bodies))
	for d, b := range s.bodies {
		entries = append(entries, entry{d, int64(len(b))})
	}
	s.mu.RUnlock()
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("memory.Enumerate: %w", err)
		}
		if err := fn(e.d, e.size); err != nil {
			return err
		}
	}
	return nil
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }
