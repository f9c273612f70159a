package memory

import (
	"context"
	"fmt"

	"github.com/hearthcloud/hearth/server/meta"
)

// Manifest implements meta.Manifests.
func (s *Store) Manifest(ctx context.Context, user, doctype string) (uint64, []byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.accounts[user]; ok {
		if m, ok := a.manifests[doctype]; ok {
			return m.rev, clone(m.sealed), nil
		}
	}
	return 0, nil, fmt.Errorf("memory.Manifest: %w", meta.ErrNotFound)
}

// PutManifest implements meta.Manifests.
func (s *Store) PutManifest(ctx context.Context, user, doctype string, ifRev uint64, sealed []byte) (uint64, error) {
	const op = "memory.PutManifest"
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.account(op, user)
	if err != nil {
		return 0, err
	}
	if !a.doctypes[doctype] {
		return 0, fmt.Errorf("%s: %w", op, meta.ErrUnknownDoctype)
	}
	m := a.manifests[doctype]
	switch {
	case ifRev == 0 && m != nil:
		return 0, fmt.Errorf("%s: %w", op, meta.ErrExists)
	case ifRev != 0 && m == nil:
		return 0, fmt.Errorf("%s: manifest: %w", op, meta.ErrNotFound)
	case ifRev != 0 && m.rev != ifRev:
		return 0, fmt.Errorf("%s: manifest at %d: %w", op, m.rev, meta.ErrConflict)
	}
	grow := int64(len(sealed))
	if m != nil {
		grow -= int64(len(m.sealed))
	}
	if err := s.grow(op, a, grow, 0); err != nil {
		return 0, err
	}
	a.manifests[doctype] = &manifestRec{rev: ifRev + 1, sealed: clone(sealed)}
	return ifRev + 1, nil
}
