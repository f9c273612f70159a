package memory

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/hearthcloud/hearth/server/meta"
)

func copyToken(t *meta.Token) *meta.Token {
	c := *t
	if t.Scopes != nil {
		c.Scopes = make([]meta.Scope, len(t.Scopes))
		for i, sc := range t.Scopes {
			c.Scopes[i] = meta.Scope{Doctype: sc.Doctype, Verbs: append([]string(nil), sc.Verbs...)}
		}
	}
	return &c
}

// CreateToken implements meta.Tokens. A user without an account, or a
// Session that names none of the user's tokens, is ErrNotFound.
func (s *Store) CreateToken(ctx context.Context, t *meta.Token) error {
	const op = "memory.CreateToken"
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.account(op, t.User); err != nil {
		return err
	}
	if t.Session != "" {
		if r, ok := s.tokens[t.Session]; !ok || r.t.User != t.User {
			return fmt.Errorf("%s: session: %w", op, meta.ErrNotFound)
		}
	}
	if _, ok := s.tokens[t.ID]; ok {
		return fmt.Errorf("%s: id: %w", op, meta.ErrExists)
	}
	if _, ok := s.byHash[t.Hash]; ok {
		return fmt.Errorf("%s: hash: %w", op, meta.ErrExists)
	}
	// At most MaxTokens of a kind: the least recently used session ends,
	// or the token is refused.
	var n int
	var lru *tokenRec
	for _, r := range s.tokens {
		if r.t.User == t.User && r.t.Kind == t.Kind {
			n++
			if lru == nil || r.t.LastSeen.Before(lru.t.LastSeen) || r.t.LastSeen.Equal(lru.t.LastSeen) && r.order < lru.order {
				lru = r
			}
		}
	}
	if n >= meta.MaxTokens {
		if t.Kind != meta.KindSession {
			return fmt.Errorf("%s: %w", op, meta.ErrTooMany)
		}
		s.deleteToken(lru)
	}
	s.tokenSeq++
	s.tokens[t.ID] = &tokenRec{t: *copyToken(t), order: s.tokenSeq}
	s.byHash[t.Hash] = t.ID
	return nil
}

// TokenByHash implements meta.Tokens.
func (s *Store) TokenByHash(ctx context.Context, hash [32]byte) (*meta.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.byHash[hash]
	if !ok {
		return nil, fmt.Errorf("memory.TokenByHash: %w", meta.ErrNotFound)
	}
	return copyToken(&s.tokens[id].t), nil
}

// TokenByID implements meta.Tokens.
func (s *Store) TokenByID(ctx context.Context, id string) (*meta.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.tokens[id]
	if !ok {
		return nil, fmt.Errorf("memory.TokenByID: %w", meta.ErrNotFound)
	}
	return copyToken(&r.t), nil
}

// Tokens implements meta.Tokens.
func (s *Store) Tokens(ctx context.Context, user, kind string) ([]*meta.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var recs []*tokenRec
	for _, r := range s.tokens {
		if r.t.User == user && r.t.Kind == kind {
			recs = append(recs, r)
		}
	}
	sort.Slice(recs, func(i, j int) bool {
		if !recs[i].t.Created.Equal(recs[j].t.Created) {
			return recs[i].t.Created.Before(recs[j].t.Created)
		}
		return recs[i].order < recs[j].order
	})
	out := make([]*meta.Token, len(recs))
	for i, r := range recs {
		out[i] = copyToken(&r.t)
	}
	return out, nil
}

// DeleteToken implements meta.Tokens.
func (s *Store) DeleteToken(ctx context.Context, user, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.tokens[id]
	if !ok || r.t.User != user {
		return fmt.Errorf("memory.DeleteToken: %w", meta.ErrNotFound)
	}
	s.deleteToken(r)
	return nil
}

// deleteToken removes r and its grant, and the tokens bound to r (whose
// Session is r's id) with theirs. The caller holds s.mu.
func (s *Store) deleteToken(r *tokenRec) {
	s.dropGrant(r)
	delete(s.tokens, r.t.ID)
	delete(s.byHash, r.t.Hash)
	for _, b := range s.tokens {
		if b.t.Session == r.t.ID && b.t.User == r.t.User {
			s.dropGrant(b)
			delete(s.tokens, b.t.ID)
			delete(s.byHash, b.t.Hash)
		}
	}
}

// DeleteTokens implements meta.Tokens.
func (s *Store) DeleteTokens(ctx context.Context, user, kind, keepID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, r := range s.tokens {
		if r.t.User == user && r.t.Kind == kind && id != keepID {
			s.deleteToken(r)
		}
	}
	return nil
}

// TouchToken implements meta.Tokens. An unknown id is ErrNotFound.
func (s *Store) TouchToken(ctx context.Context, id string, t, expires time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.tokens[id]
	if !ok {
		return fmt.Errorf("memory.TouchToken: %w", meta.ErrNotFound)
	}
	r.t.LastSeen = t
	if !expires.IsZero() {
		r.t.Expires = expires
	}
	return nil
}

// PutGrant implements meta.Grants.
func (s *Store) PutGrant(ctx context.Context, user, tokenID string, ifRev uint64, sealed []byte) (uint64, error) {
	const op = "memory.PutGrant"
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.tokens[tokenID]
	if !ok || r.t.User != user {
		return 0, fmt.Errorf("%s: token: %w", op, meta.ErrNotFound)
	}
	switch {
	case ifRev == 0 && r.grantRev != 0:
		return 0, fmt.Errorf("%s: %w", op, meta.ErrExists)
	case ifRev != r.grantRev:
		return 0, fmt.Errorf("%s: grant at %d: %w", op, r.grantRev, meta.ErrConflict)
	}
	a, err := s.account(op, user)
	if err != nil {
		return 0, err
	}
	if err := s.grow(op, a, int64(len(sealed))-int64(len(r.grant)), 0); err != nil {
		return 0, err
	}
	r.grantRev++
	r.grant = clone(sealed)
	return r.grantRev, nil
}

// Grant implements meta.Grants.
func (s *Store) Grant(ctx context.Context, user, tokenID string) (uint64, []byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.tokens[tokenID]
	if !ok || r.t.User != user || r.grantRev == 0 {
		return 0, nil, fmt.Errorf("memory.Grant: %w", meta.ErrNotFound)
	}
	return r.grantRev, clone(r.grant), nil
}

// DeleteGrant implements meta.Grants. A later PutGrant with ifRev 0
// creates the grant again at revision 1.
func (s *Store) DeleteGrant(ctx context.Context, user, tokenID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.tokens[tokenID]
	if !ok || r.t.User != user || r.grantRev == 0 {
		return fmt.Errorf("memory.DeleteGrant: %w", meta.ErrNotFound)
	}
	s.dropGrant(r)
	return nil
}

// dropGrant removes r's grant, if any, and gives its bytes back to the
// account's usage. The caller holds s.mu.
func (s *Store) dropGrant(r *tokenRec) {
	if a, ok := s.accounts[r.t.User]; ok {
		a.used.Bytes -= int64(len(r.grant))
	}
	r.grantRev, r.grant = 0, nil
}
