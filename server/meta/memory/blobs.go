package memory

import (
	"context"
	"fmt"
	"sort"

	"github.com/hearthcloud/hearth/server/meta"
)

// PutBlobRow implements meta.BlobRows. A user without an account is
// ErrNotFound.
func (s *Store) PutBlobRow(ctx context.Context, user string, r *meta.BlobRow) error {
	const op = "memory.PutBlobRow"
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.account(op, user)
	if err != nil {
		return err
	}
	return s.putBlobRow(op, a, r)
}

// putBlobRow is PutBlobRow for account a. The caller holds s.mu.
func (s *Store) putBlobRow(op string, a *account, r *meta.BlobRow) error {
	k := blobKey{r.Doctype, r.ID, r.Segment}
	if old, ok := a.blobs[k]; ok {
		if !old.deleted && old.row.Digest == r.Digest {
			return nil
		}
		return fmt.Errorf("%s: id used: %w", op, meta.ErrExists)
	}
	if err := s.grow(op, a, r.Size+meta.EntryBytes, 0); err != nil { // the row stays, deleted or not
		return err
	}
	a.blobs[k] = &blobRec{row: *r}
	s.digests[r.Digest]++
	return nil
}

// BlobRow implements meta.BlobRows.
func (s *Store) BlobRow(ctx context.Context, user, doctype, id string, segment bool) (*meta.BlobRow, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.accounts[user]; ok {
		if b, ok := a.blobs[blobKey{doctype, id, segment}]; ok && !b.deleted {
			r := b.row
			return &r, nil
		}
	}
	return nil, fmt.Errorf("memory.BlobRow: %w", meta.ErrNotFound)
}

// BlobRowsOf implements meta.BlobRows.
func (s *Store) BlobRowsOf(ctx context.Context, user, doctype string, ids []string) (map[string]*meta.BlobRow, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]*meta.BlobRow{}
	a, ok := s.accounts[user]
	if !ok {
		return out, nil
	}
	for _, id := range ids {
		if b, ok := a.blobs[blobKey{doctype, id, false}]; ok && !b.deleted {
			r := b.row
			out[id] = &r
		}
	}
	return out, nil
}

// DeleteBlobRow implements meta.BlobRows.
func (s *Store) DeleteBlobRow(ctx context.Context, user, doctype, id string, segment bool) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[user]
	if !ok {
		return false, fmt.Errorf("memory.DeleteBlobRow: %w", meta.ErrNotFound)
	}
	b, ok := a.blobs[blobKey{doctype, id, segment}]
	if !ok || b.deleted {
		return false, fmt.Errorf("memory.DeleteBlobRow: %w", meta.ErrNotFound)
	}
	b.deleted = true
	a.used.Bytes -= b.row.Size
	return s.release(b.row.Digest), nil
}

// ListBlobRows implements meta.BlobRows. A limit of 0 or less means no
// limit.
func (s *Store) ListBlobRows(ctx context.Context, user, doctype string, segment bool, after string, limit int) ([]*meta.BlobRow, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[user]
	if !ok {
		return nil, nil
	}
	var out []*meta.BlobRow
	for k, b := range a.blobs {
		if k.doctype == doctype && k.segment == segment && k.id > after && !b.deleted {
			r := b.row
			out = append(out, &r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// DigestInUse implements meta.BlobRows: live blob and segment rows and
// installed apps count.
func (s *Store) DigestInUse(ctx context.Context, d [32]byte) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.digests[d] > 0, nil
}
