package memory

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/hearthcloud/hearth/server/meta"
)

// linkRec is a stored link with the order it was made in and its drops.
type linkRec struct {
	l     meta.Link
	seq   uint64
	drops []string // drop ids, oldest first (live or deleted: BlobRow tells)
}

func (s *Store) linksInit() {
	if s.links == nil {
		s.links = map[string]*linkRec{}
		s.linkTokens = map[[32]byte]meta.LinkToken{}
	}
}

func cloneLink(l *meta.Link) *meta.Link {
	c := *l
	c.Salt = clone(l.Salt)
	c.Manifest = clone(l.Manifest)
	c.Blobs = slices.Clone(l.Blobs)
	if l.KDF != nil {
		k := *l.KDF
		c.KDF = &k
	}
	if l.Drop != nil {
		d := *l.Drop
		d.Tag = clone(l.Drop.Tag)
		c.Drop = &d
	}
	return &c
}

// out returns a copy of r's link with its pending drops counted. The
// caller holds s.mu.
func (s *Store) linkOut(r *linkRec) *meta.Link {
	c := cloneLink(&r.l)
	if c.Drop != nil {
		c.Drop.Pending = int64(len(s.liveDrops(r)))
	}
	return c
}

func (s *Store) liveDrops(r *linkRec) []*meta.BlobRow {
	a := s.accounts[r.l.User]
	var out []*meta.BlobRow
	for _, id := range r.drops {
		if b, ok := a.blobs[blobKey{meta.DropsDoctype, id, false}]; ok && !b.deleted {
			row := b.row
			out = append(out, &row)
		}
	}
	return out
}

// CreateLink implements meta.Links.
func (s *Store) CreateLink(ctx context.Context, l *meta.Link) error {
	const op = "memory.CreateLink"
	s.mu.Lock()
	defer s.mu.Unlock()
	s.linksInit()
	a, err := s.account(op, l.User)
	if err != nil {
		return err
	}
	if _, ok := s.links[l.ID]; ok {
		return fmt.Errorf("%s: %w", op, meta.ErrExists)
	}
	n := 0
	for _, r := range s.links {
		if r.l.User == l.User {
			n++
		}
	}
	if n >= meta.MaxLinks {
		return fmt.Errorf("%s: %w", op, meta.ErrTooMany)
	}
	if err := s.grow(op, a, int64(len(l.Manifest))+meta.EntryBytes, 0); err != nil {
		return err
	}
	s.linkSeq++
	c := cloneLink(l)
	sort.Strings(c.Blobs)
	s.links[l.ID] = &linkRec{l: *c, seq: s.linkSeq}
	return nil
}

// Link implements meta.Links.
func (s *Store) Link(ctx context.Context, id string) (*meta.Link, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.links[id]
	if !ok {
		return nil, fmt.Errorf("memory.Link: %w", meta.ErrNotFound)
	}
	return s.linkOut(r), nil
}

// Links implements meta.Links.
func (s *Store) Links(ctx context.Context, user string) ([]*meta.Link, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var rs []*linkRec
	for _, r := range s.links {
		if r.l.User == user {
			rs = append(rs, r)
		}
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].seq < rs[j].seq })
	out := make([]*meta.Link, 0, len(rs))
	for _, r := range rs {
		out = append(out, s.linkOut(r))
	}
	return out, nil
}

// ownLink returns user's link id. The caller holds s.mu.
func (s *Store) ownLink(op, user, id string) (*linkRec, error) {
	r, ok := s.links[id]
	if !ok || r.l.User != user {
		return nil, fmt.Errorf("%s: %w", op, meta.ErrNotFound)
	}
	return r, nil
}

// UpdateLink implements meta.Links.
func (s *Store) UpdateLink(ctx context.Context, user, id string, u *meta.LinkUpdate) (*meta.Link, error) {
	const op = "memory.UpdateLink"
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.ownLink(op, user, id)
	if err != nil {
		return nil, err
	}
	if !r.l.Revoked.IsZero() {
		return nil, fmt.Errorf("%s: %w", op, &meta.GoneError{Reason: meta.GoneRevoked})
	}
	if u.Manifest != nil {
		if u.Version != r.l.Version+1 {
			return nil, fmt.Errorf("%s: version %d after %d: %w", op, u.Version, r.l.Version, meta.ErrConflict)
		}
		if err := s.grow(op, s.accounts[user], int64(len(u.Manifest)-len(r.l.Manifest)), 0); err != nil {
			return nil, err
		}
		r.l.Manifest, r.l.Version = clone(u.Manifest), u.Version
		r.l.Blobs = slices.Clone(u.Blobs)
		sort.Strings(r.l.Blobs)
	}
	if u.Expires != nil {
		r.l.Expires = *u.Expires
	}
	if u.MaxOpens != nil {
		r.l.MaxOpens = *u.MaxOpens
	}
	return s.linkOut(r), nil
}

// RevokeLink implements meta.Links.
func (s *Store) RevokeLink(ctx context.Context, user, id string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.ownLink("memory.RevokeLink", user, id)
	if err != nil {
		return err
	}
	if r.l.Revoked.IsZero() {
		r.l.Revoked = at
	}
	for h, t := range s.linkTokens {
		if t.Link == id {
			delete(s.linkTokens, h)
		}
	}
	if a := s.accounts[user]; a != nil {
		for _, u := range a.uploads {
			if u.Link == id && u.Expires.After(at) {
				u.Expires = at
			}
		}
	}
	return nil
}

// OpenLink implements meta.Links.
func (s *Store) OpenLink(ctx context.Context, id string, now time.Time, t *meta.LinkToken) (*meta.Link, error) {
	const op = "memory.OpenLink"
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.links[id]
	if !ok || r.l.Kind != meta.LinkShare {
		return nil, fmt.Errorf("%s: %w", op, meta.ErrNotFound)
	}
	if why := r.l.Gone(now); why != "" {
		return nil, fmt.Errorf("%s: %w", op, &meta.GoneError{Reason: why})
	}
	r.l.Opens++
	r.l.LastOpen = now
	s.linkTokens[t.Hash] = *t
	return s.linkOut(r), nil
}

// LinkFailure implements meta.Links.
func (s *Store) LinkFailure(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.links[id]; ok {
		r.l.Failures++
	}
	return nil
}

// LinkTokenByHash implements meta.Links.
func (s *Store) LinkTokenByHash(ctx context.Context, hash [32]byte) (*meta.LinkToken, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.linkTokens[hash]
	if !ok {
		return nil, fmt.Errorf("memory.LinkTokenByHash: %w", meta.ErrNotFound)
	}
	return &t, nil
}

// PutDrop implements meta.Links.
func (s *Store) PutDrop(ctx context.Context, linkID string, row *meta.BlobRow, now time.Time) error {
	const op = "memory.PutDrop"
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.links[linkID]
	if !ok || r.l.Drop == nil {
		return fmt.Errorf("%s: %w", op, meta.ErrNotFound)
	}
	if why := r.l.Gone(now); why != "" {
		return fmt.Errorf("%s: %w", op, &meta.GoneError{Reason: why})
	}
	d := r.l.Drop
	if row.Size > d.MaxFileSize || d.Bytes+row.Size > d.MaxTotal || d.Files+1 > d.MaxFiles {
		return fmt.Errorf("%s: %w", op, meta.ErrLinkLimit)
	}
	a := s.accounts[r.l.User]
	k := blobKey{meta.DropsDoctype, row.ID, false}
	if _, used := a.blobs[k]; used {
		return fmt.Errorf("%s: id used: %w", op, meta.ErrExists)
	}
	if err := s.grow(op, a, row.Size+meta.EntryBytes, 0); err != nil {
		return err
	}
	c := *row
	c.Doctype, c.Segment = meta.DropsDoctype, false
	a.blobs[k] = &blobRec{row: c}
	s.digests[row.Digest]++
	d.Files++
	d.Bytes += row.Size
	r.drops = append(r.drops, row.ID)
	return nil
}

// Drops implements meta.Links.
func (s *Store) Drops(ctx context.Context, user, linkID string) ([]*meta.BlobRow, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.ownLink("memory.Drops", user, linkID)
	if err != nil {
		return nil, err
	}
	return s.liveDrops(r), nil
}

// DeleteDrop implements meta.Links.
func (s *Store) DeleteDrop(ctx context.Context, user, linkID, dropID string) (bool, error) {
	const op = "memory.DeleteDrop"
	s.mu.Lock()
	r, err := s.ownLink(op, user, linkID)
	if err == nil && !slices.Contains(r.drops, dropID) {
		err = fmt.Errorf("%s: %w", op, meta.ErrNotFound)
	}
	s.mu.Unlock()
	if err != nil {
		return false, err
	}
	return s.DeleteBlobRow(ctx, user, meta.DropsDoctype, dropID, false)
}
