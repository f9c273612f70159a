package memory

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sort"

	"github.com/hearthcloud/hearth/internal/wire"
	"github.com/hearthcloud/hearth/server/meta"
)

// PutDoctype implements meta.Doctypes. A user without an account is
// ErrNotFound.
func (s *Store) PutDoctype(ctx context.Context, user, doctype string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.account("memory.PutDoctype", user)
	if err != nil {
		return false, err
	}
	if a.doctypes[doctype] {
		return false, nil
	}
	if len(a.doctypes) >= meta.MaxDoctypes {
		return false, fmt.Errorf("memory.PutDoctype: %w", meta.ErrTooMany)
	}
	if err := s.grow("memory.PutDoctype", a, meta.DoctypeBytes, 0); err != nil {
		return false, err
	}
	a.doctypes[doctype] = true
	return true, nil
}

// Doctypes implements meta.Doctypes.
func (s *Store) Doctypes(ctx context.Context, user string) ([]meta.DoctypeInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[user]
	if !ok {
		return nil, nil
	}
	byName := make(map[string]*meta.DoctypeInfo, len(a.doctypes))
	out := make([]meta.DoctypeInfo, 0, len(a.doctypes))
	for name := range a.doctypes {
		out = append(out, meta.DoctypeInfo{Name: name})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	for i := range out {
		byName[out[i].Name] = &out[i]
	}
	for k, d := range a.docs {
		info := byName[k.doctype]
		if !d.Deleted {
			info.Docs++
		}
		info.Bytes += int64(len(d.Sealed))
	}
	for k, b := range a.blobs {
		if info := byName[k.doctype]; info != nil && !b.deleted {
			info.Bytes += b.row.Size
		}
	}
	return out, nil
}

// PutDocs implements meta.Documents.
func (s *Store) PutDocs(ctx context.Context, user string, writes []meta.DocWrite) ([]meta.DocResult, error) {
	const op = "memory.PutDocs"
	s.mu.Lock()
	defer s.mu.Unlock()
	res := make([]meta.DocResult, len(writes))
	a, ok := s.accounts[user]
	if !ok {
		for i := range res {
			res[i].Err = fmt.Errorf("%s: %w", op, meta.ErrUnknownDoctype)
		}
		return res, nil
	}
	for i, w := range writes {
		if !a.doctypes[w.Doctype] {
			res[i].Err = fmt.Errorf("%s: %w", op, meta.ErrUnknownDoctype)
			continue
		}
		k := docKey{w.Doctype, w.ID}
		cur := a.docs[k]
		var curRev uint64
		if cur != nil {
			curRev = cur.Rev
		}
		if (w.IfRev == 0 && cur != nil) || w.IfRev != curRev {
			res[i] = meta.DocResult{
				Err:        fmt.Errorf("%s: document at %d: %w", op, curRev, meta.ErrConflict),
				CurrentRev: curRev,
			}
			continue
		}
		// The write adds its feed entry (§8.1.10); deleting a live
		// document always passes, so a full account can make room.
		d := meta.Usage{Bytes: int64(len(w.Sealed)) + meta.EntryBytes}
		if !w.Deleted {
			d.Docs++
		}
		if cur != nil {
			d.Bytes -= int64(len(cur.Sealed))
			if !cur.Deleted {
				d.Docs--
			}
		}
		if w.Deleted && cur != nil && !cur.Deleted {
			a.used.Bytes += d.Bytes
			a.used.Docs += d.Docs
		} else if err := s.grow(op, a, d.Bytes, d.Docs); err != nil {
			res[i].Err = err
			continue
		}
		var prev [32]byte
		if n := len(a.feed); n > 0 {
			prev = a.feed[n-1].Chain
		}
		c := meta.Change{
			Seq:     uint64(len(a.feed)) + 1,
			Doctype: w.Doctype,
			ID:      w.ID,
			Rev:     w.IfRev + 1,
			Deleted: w.Deleted,
			Digest:  sha256.Sum256(w.Sealed),
		}
		c.Chain = wire.NextChain(prev, wire.ChainEntry{
			Seq: c.Seq, Doctype: c.Doctype, ID: c.ID, Rev: c.Rev, Digest: c.Digest, Deleted: c.Deleted,
		})
		a.feed = append(a.feed, c)
		a.docs[k] = &meta.Doc{
			Doctype: w.Doctype, ID: w.ID, Rev: c.Rev, Seq: c.Seq,
			Deleted: w.Deleted, Sealed: clone(w.Sealed),
		}
		res[i] = meta.DocResult{Rev: c.Rev, Seq: c.Seq}
	}
	return res, nil
}

// Doc implements meta.Documents.
func (s *Store) Doc(ctx context.Context, user, doctype, id string) (*meta.Doc, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.accounts[user]; ok {
		if d, ok := a.docs[docKey{doctype, id}]; ok {
			c := *d
			c.Sealed = clone(d.Sealed)
			return &c, nil
		}
	}
	return nil, fmt.Errorf("memory.Doc: %w", meta.ErrNotFound)
}

// ListDocs implements meta.Documents. A limit of 0 or less means no limit.
func (s *Store) ListDocs(ctx context.Context, user, doctype, after string, limit int, deleted bool) ([]meta.DocInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[user]
	if !ok {
		return nil, nil
	}
	var out []meta.DocInfo
	for k, d := range a.docs {
		if k.doctype != doctype || k.id <= after || (d.Deleted && !deleted) {
			continue
		}
		out = append(out, meta.DocInfo{ID: d.ID, Rev: d.Rev, Size: int64(len(d.Sealed)), Deleted: d.Deleted})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}
