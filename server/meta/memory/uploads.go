package memory

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/hearthcloud/hearth/server/meta"
)

// uploadsMap returns a's sessions by doctype and id, making the map.
func (a *account) uploadsMap() map[docKey]*meta.Upload {
	if a.uploads == nil {
		a.uploads = map[docKey]*meta.Upload{}
	}
	return a.uploads
}

// openUploads counts a's sessions not expired at now, and their sizes.
func openUploads(a *account, now time.Time) (n int, size int64) {
	for _, u := range a.uploads {
		if u.Expires.After(now) {
			n++
			size += u.Size
		}
	}
	return n, size
}

func copyUpload(u *meta.Upload) *meta.Upload {
	c := *u
	c.Hash = bytes.Clone(u.Hash)
	return &c
}

// CreateUpload implements meta.Uploads.
func (s *Store) CreateUpload(ctx context.Context, user string, u *meta.Upload) error {
	const op = "memory.CreateUpload"
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.account(op, user)
	if err != nil {
		return err
	}
	k := docKey{u.Doctype, u.ID}
	if _, ok := a.uploads[k]; ok {
		return fmt.Errorf("%s: session exists: %w", op, meta.ErrExists)
	}
	if _, ok := a.blobs[blobKey{u.Doctype, u.ID, false}]; ok {
		return fmt.Errorf("%s: id used: %w", op, meta.ErrExists)
	}
	_, size := openUploads(a, u.Created)
	n := 0
	for k, o := range a.uploads {
		if o.Expires.After(u.Created) && (k.doctype == meta.DropsDoctype) == (u.Doctype == meta.DropsDoctype) {
			n++
		}
	}
	if n >= meta.UploadLimit(u.Doctype) {
		return fmt.Errorf("%s: %w", op, meta.ErrTooMany)
	}
	if u.Link != "" {
		r, ok := s.links[u.Link]
		if !ok || r.l.User != user || r.l.Drop == nil {
			return fmt.Errorf("%s: no such drop link: %w", op, meta.ErrNotFound)
		}
		var ln, lsize int64
		for _, o := range a.uploads {
			if o.Link == u.Link && o.Expires.After(u.Created) {
				ln++
				lsize += o.Size
			}
		}
		if d := r.l.Drop; d.Bytes+lsize+u.Size > d.MaxTotal || d.Files+ln+1 > d.MaxFiles {
			return fmt.Errorf("%s: %w", op, meta.ErrLinkLimit)
		}
	}
	if err := s.quota(a).Check(size+u.Size+meta.EntryBytes, 0); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	a.uploadsMap()[k] = copyUpload(u)
	return nil
}

// Upload implements meta.Uploads.
func (s *Store) Upload(ctx context.Context, user, doctype, id string) (*meta.Upload, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.accounts[user]; ok {
		if u, ok := a.uploads[docKey{doctype, id}]; ok {
			return copyUpload(u), nil
		}
	}
	return nil, fmt.Errorf("memory.Upload: %w", meta.ErrNotFound)
}

// AdvanceUpload implements meta.Uploads.
func (s *Store) AdvanceUpload(ctx context.Context, user, doctype, id string, from, offset int64, hash []byte, expires time.Time) error {
	const op = "memory.AdvanceUpload"
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[user]
	if !ok {
		return fmt.Errorf("%s: %w", op, meta.ErrNotFound)
	}
	u, ok := a.uploads[docKey{doctype, id}]
	if !ok {
		return fmt.Errorf("%s: %w", op, meta.ErrNotFound)
	}
	if u.Offset != from {
		return fmt.Errorf("%s: at %d, not %d: %w", op, u.Offset, from, meta.ErrConflict)
	}
	u.Offset, u.Hash, u.Expires = offset, bytes.Clone(hash), expires
	return nil
}

// DeleteUpload implements meta.Uploads.
func (s *Store) DeleteUpload(ctx context.Context, user, doctype, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.accounts[user]; ok {
		if _, ok := a.uploads[docKey{doctype, id}]; ok {
			delete(a.uploads, docKey{doctype, id})
			return nil
		}
	}
	return fmt.Errorf("memory.DeleteUpload: %w", meta.ErrNotFound)
}

// CompleteUpload implements meta.Uploads.
func (s *Store) CompleteUpload(ctx context.Context, user string, r *meta.BlobRow) error {
	const op = "memory.CompleteUpload"
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[user]
	if !ok || a.uploads[docKey{r.Doctype, r.ID}] == nil || r.Segment {
		return fmt.Errorf("%s: %w", op, meta.ErrNotFound)
	}
	if err := s.putBlobRow(op, a, r); err != nil {
		return err
	}
	delete(a.uploads, docKey{r.Doctype, r.ID})
	return nil
}

// ExpiredUploads implements meta.Uploads.
func (s *Store) ExpiredUploads(ctx context.Context, now time.Time, limit int) ([]meta.ExpiredUpload, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	type exp struct {
		e  meta.ExpiredUpload
		at time.Time
	}
	var all []exp
	for user, a := range s.accounts {
		for _, u := range a.uploads {
			if !u.Expires.After(now) {
				all = append(all, exp{meta.ExpiredUpload{User: user, Doctype: u.Doctype, ID: u.ID, Partial: u.Partial}, u.Expires})
			}
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].at.Before(all[j].at) })
	var out []meta.ExpiredUpload
	for _, x := range all {
		if limit > 0 && len(out) == limit {
			break
		}
		out = append(out, x.e)
	}
	return out, nil
}

// UploadPartials implements meta.Uploads.
func (s *Store) UploadPartials(ctx context.Context) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, a := range s.accounts {
		for _, u := range a.uploads {
			out = append(out, u.Partial)
		}
	}
	return out, nil
}

// UploadUsage implements meta.Uploads.
func (s *Store) UploadUsage(ctx context.Context, user string, now time.Time) (int, int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[user]
	if !ok {
		return 0, 0, nil
	}
	n, size := openUploads(a, now)
	return n, size, nil
}
