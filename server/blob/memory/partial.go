package memory

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/hearthcloud/hearth/server/blob"
	"github.com/hearthcloud/hearth/server/blob/internal/body"
)

// BeginPartial implements blob.Partials.
func (s *Store) BeginPartial(ctx context.Context, size int64) (blob.Partial, error) {
	const op = "memory.BeginPartial"
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
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.partials == nil {
		s.partials = map[string][]byte{}
	}
	s.partials[name] = []byte{}
	return body.Start(name, size), nil
}

// held returns partial p's bytes up to p.Offset (dropping any past it).
// The caller holds s.mu.
func (s *Store) held(op string, p blob.Partial) ([]byte, error) {
	b, ok := s.partials[p.Name]
	if !ok || int64(len(b)) < p.Offset {
		return nil, fmt.Errorf("%s: %w", op, blob.ErrNotFound)
	}
	return b[:p.Offset:p.Offset], nil
}

// AppendPartial implements blob.Partials. Reading happens outside the
// lock; appends to one partial are the caller's to serialise.
func (s *Store) AppendPartial(ctx context.Context, p blob.Partial, r io.Reader, n int64) (blob.Partial, error) {
	const op = "memory.AppendPartial"
	if err := body.CheckAppend(p, n); err != nil {
		return p, fmt.Errorf("%s: %w", op, err)
	}
	if err := ctx.Err(); err != nil {
		return p, fmt.Errorf("%s: %w", op, err)
	}
	s.mu.RLock()
	_, err := s.held(op, p)
	s.mu.RUnlock()
	if err != nil {
		return p, err
	}
	var piece bytes.Buffer
	q, cerr := body.Append(ctx, &piece, r, p, n)
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.held(op, p)
	if err != nil {
		return p, err
	}
	s.partials[p.Name] = append(b, piece.Bytes()[:q.Offset-p.Offset]...)
	if cerr != nil {
		return q, fmt.Errorf("%s: %w", op, cerr)
	}
	return q, nil
}

// CommitPartial implements blob.Partials.
func (s *Store) CommitPartial(ctx context.Context, p blob.Partial, want *blob.Digest) (blob.Digest, error) {
	const op = "memory.CommitPartial"
	if p.Offset != p.Size {
		return blob.Digest{}, fmt.Errorf("%s: %d of %d bytes: %w", op, p.Offset, p.Size, blob.ErrIncomplete)
	}
	if err := ctx.Err(); err != nil {
		return blob.Digest{}, fmt.Errorf("%s: %w", op, err)
	}
	d, err := body.Digest(p)
	if err != nil {
		return blob.Digest{}, fmt.Errorf("%s: %w", op, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.held(op, p)
	if err != nil {
		return blob.Digest{}, err
	}
	if want != nil && *want != d {
		return blob.Digest{}, fmt.Errorf("%s: got %x, want %x: %w", op, d, *want, blob.ErrDigestMismatch)
	}
	delete(s.partials, p.Name)
	if _, ok := s.bodies[d]; !ok {
		s.bodies[d] = b
	}
	return d, nil
}

// RemovePartial implements blob.Partials.
func (s *Store) RemovePartial(ctx context.Context, name string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory.RemovePartial: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.partials, name)
	return nil
}

// EnumeratePartials implements blob.Partials; fn may call the Store's
// other methods.
func (s *Store) EnumeratePartials(ctx context.Context, fn func(name string) error) error {
	s.mu.RLock()
	names := make([]string, 0, len(s.partials))
	for n := range s.partials {
		names = append(names, n)
	}
	s.mu.RUnlock()
	for _, n := range names {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("memory.EnumeratePartials: %w", err)
		}
		if err := fn(n); err != nil {
			return err
		}
	}
	return nil
}
