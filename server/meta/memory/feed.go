package memory

import (
	"context"
	"fmt"
	"slices"

	"github.com/hearthcloud/hearth/server/meta"
)

// Changes implements meta.Feed. A limit of 0 or less means no limit. fn
// runs under the store's lock, which is what makes the entries and bodies
// one consistent state.
func (s *Store) Changes(ctx context.Context, user string, since uint64, limit int, doctypes []string, withDocs bool, fn func(meta.Change) bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[user]
	if !ok || since >= uint64(len(a.feed)) {
		return nil
	}
	n := 0
	for _, c := range a.feed[since:] {
		if limit > 0 && n == limit {
			break
		}
		if len(doctypes) > 0 && !slices.Contains(doctypes, c.Doctype) {
			continue
		}
		if withDocs {
			if d := a.docs[docKey{c.Doctype, c.ID}]; d != nil && d.Rev == c.Rev {
				c.Sealed = clone(d.Sealed)
			}
		}
		n++
		if !fn(c) {
			break
		}
	}
	return nil
}

// Head implements meta.Feed.
func (s *Store) Head(ctx context.Context, user string) (uint64, [32]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[user]
	if !ok || len(a.feed) == 0 {
		return 0, [32]byte{}, nil
	}
	c := a.feed[len(a.feed)-1]
	return c.Seq, c.Chain, nil
}

// ChainAt implements meta.Feed. The chain at seq 0 is 32 zero bytes.
func (s *Store) ChainAt(ctx context.Context, user string, seq uint64) ([32]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n uint64
	a, ok := s.accounts[user]
	if ok {
		n = uint64(len(a.feed))
	}
	switch {
	case seq > n:
		return [32]byte{}, fmt.Errorf("memory.ChainAt: seq %d past head %d: %w", seq, n, meta.ErrNotFound)
	case seq == 0:
		return [32]byte{}, nil
	}
	return a.feed[seq-1].Chain, nil
}
