package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/hearthcloud/hearth/internal/wire"
	"github.com/hearthcloud/hearth/server/blob"
	"github.com/hearthcloud/hearth/server/meta"
)

// Drops (§8.12.5): a stranger holding a drop link uploads a file sealed to
// the owner's recipient; the server keeps it as a blob of the owner's
// io.hearth.drops, counted against the link's limits and the owner's
// quota. The owner lists, reads and deletes them.
//
// A drop arrives in one PUT (small ones), or through an upload session
// of the owner's io.hearth.drops at /v1/links/{id}/uploads/{drop-id}
// (§8.7.3's semantics, each request with Hearth-Link-Proof), so that a
// stranger's large drop resumes: the link's limits are checked when the
// session is opened, with the size it declares, and again (PutDrop,
// atomically) when it completes.

// dropRequest checks a dropper's request (§8.12.5, in its order): not
// held back by wrong proofs, the ids, then (between, the caller's own
// checks of its headers) Hearth-Link-Proof, link {id} a drop link that is
// not gone, the proof right. It returns the link and the drop id {drop}.
func (s *Server) dropRequest(r *http.Request, headers func() error) (*meta.Link, string, error) {
	id, err := linkIDVar(r)
	if err != nil {
		return nil, "", err
	}
	if err := s.proofWait(r, id); err != nil {
		return nil, "", err
	}
	dropID, err := subIDVar(r, "drop")
	if err != nil {
		return nil, "", err
	}
	if headers != nil {
		if err := headers(); err != nil {
			return nil, "", err
		}
	}
	proof, err := proofHeader(r)
	if err != nil {
		return nil, "", err
	}
	l, err := s.publicLink(r, id)
	if err != nil {
		return nil, "", err
	}
	if l.Drop == nil {
		return nil, "", Errorf(wire.CodeNotFound, "no such drop link")
	}
	if err := s.checkProof(r, l, proof); err != nil {
		return nil, "", err
	}
	return l, dropID, nil
}

// dropFits refuses a drop of n sealed bytes that the link's limits no
// longer take, or a drop id used before.
func (s *Server) dropFits(r *http.Request, l *meta.Link, dropID string, n int64) error {
	d := l.Drop
	if n > d.MaxFileSize || d.Bytes+n > d.MaxTotal || d.Files >= d.MaxFiles {
		return Errorf(wire.CodeTooLarge, "this file does not fit in what the link still takes")
	}
	if _, err := s.cfg.Meta.BlobRow(r.Context(), l.User, meta.DropsDoctype, dropID, false); err == nil {
		return Errorf(wire.CodeExists, "this drop id was used before")
	}
	return nil
}

func (s *Server) putDrop(w http.ResponseWriter, r *http.Request) error {
	var want *blob.Digest
	l, dropID, err := s.dropRequest(r, func() (err error) {
		want, err = s.sealedBody(r)
		return err
	})
	if err != nil {
		return err
	}
	if err := s.dropFits(r, l, dropID, r.ContentLength); err != nil {
		return err
	}
	dg, release, err := s.storeBody(w, r, l.User, want)
	if err != nil {
		return err
	}
	defer release()
	row := &meta.BlobRow{Doctype: meta.DropsDoctype, ID: dropID, Size: r.ContentLength, Digest: dg, Created: s.cfg.Now().UTC().Truncate(time.Second)}
	if err := s.commitDrop(r.Context(), l.ID, row); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, blobJSON{ID: dropID, Size: row.Size, Digest: dg[:]})
}

func (s *Server) createDropUpload(w http.ResponseWriter, r *http.Request) error {
	l, dropID, err := s.dropRequest(r, nil)
	if err != nil {
		return err
	}
	size, err := s.sessionSize(r)
	if err != nil {
		return err
	}
	if err := s.dropFits(r, l, dropID, size); err != nil {
		return err
	}
	return s.openUpload(w, r, l.User, meta.DropsDoctype, dropID, size, l.ID)
}

func (s *Server) getDropUpload(w http.ResponseWriter, r *http.Request) error {
	l, dropID, err := s.dropRequest(r, nil)
	if err != nil {
		return err
	}
	return s.uploadState(w, r, l.User, meta.DropsDoctype, dropID)
}

func (s *Server) patchDropUpload(w http.ResponseWriter, r *http.Request) error {
	l, dropID, err := s.dropRequest(r, nil)
	if err != nil {
		return err
	}
	return s.appendUpload(w, r, l.User, meta.DropsDoctype, dropID, func(ctx context.Context, row *meta.BlobRow) (int, error) {
		if err := s.commitDrop(ctx, l.ID, row); err != nil {
			return 0, err
		}
		// The drop is recorded; a session left by a crash here is found
		// complete by the next PATCH (completeUpload) or swept.
		if err := s.cfg.Meta.DeleteUpload(ctx, l.User, meta.DropsDoctype, dropID); err != nil && !errors.Is(err, meta.ErrNotFound) {
			s.cfg.Log.Error("ending a drop's upload session failed", "err", err)
		}
		return http.StatusCreated, nil
	})
}

func (s *Server) deleteDropUpload(w http.ResponseWriter, r *http.Request) error {
	l, dropID, err := s.dropRequest(r, nil)
	if err != nil {
		return err
	}
	return s.cancelUpload(w, r, l.User, meta.DropsDoctype, dropID)
}

// commitDrop records a drop whose body was stored durably, as
// commitBlobRow does a blob's: refused, its body goes unless a row names it.
func (s *Server) commitDrop(ctx context.Context, linkID string, row *meta.BlobRow) error {
	mu := s.blobLocks.of(row.Digest)
	mu.Lock()
	defer mu.Unlock()
	if rc, _, err := s.cfg.Blobs.Get(ctx, row.Digest); err != nil {
		if errors.Is(err, blob.ErrNotFound) {
			return &Error{Code: wire.CodeUnavailable, Message: "the upload raced with a deletion; send it again", Retry: 1}
		}
		return err
	} else {
		rc.Close()
	}
	err := s.cfg.Meta.PutDrop(ctx, linkID, row, s.cfg.Now())
	if err != nil {
		if inUse, e2 := s.cfg.Meta.DigestInUse(ctx, row.Digest); e2 == nil && !inUse {
			s.cfg.Blobs.Remove(ctx, row.Digest)
		}
		if errors.Is(err, meta.ErrExists) {
			return Errorf(wire.CodeExists, "this drop id was used before")
		}
	}
	return err
}

// ownDrops returns the drops of the owner's link {id}: not_found if the
// link is not the account's.
func (s *Server) ownDrops(r *http.Request) ([]*meta.BlobRow, error) {
	id, err := linkIDVar(r)
	if err != nil {
		return nil, err
	}
	if err := permit(r, ""); err != nil {
		return nil, err
	}
	drops, err := s.cfg.Meta.Drops(r.Context(), tokenOf(r).User, id)
	if errors.Is(err, meta.ErrNotFound) {
		return nil, Errorf(wire.CodeNotFound, "no such link")
	}
	return drops, err
}

func (s *Server) listDrops(w http.ResponseWriter, r *http.Request) error {
	drops, err := s.ownDrops(r)
	if err != nil {
		return err
	}
	out := []blobJSON{}
	for _, d := range drops {
		c := d.Created.UTC()
		out = append(out, blobJSON{ID: d.ID, Size: d.Size, Digest: d.Digest[:], Created: &c})
	}
	return writeJSON(w, http.StatusOK, map[string]any{"drops": out})
}

// ownDrop returns the drop {drop} of the owner's link {id}.
func (s *Server) ownDrop(r *http.Request) (*meta.BlobRow, error) {
	drops, err := s.ownDrops(r)
	if err != nil {
		return nil, err
	}
	dropID, err := subIDVar(r, "drop")
	if err != nil {
		return nil, err
	}
	for _, d := range drops {
		if d.ID == dropID {
			return d, nil
		}
	}
	return nil, Errorf(wire.CodeNotFound, "no such drop")
}

func (s *Server) getDrop(w http.ResponseWriter, r *http.Request) error {
	row, err := s.ownDrop(r)
	if err != nil {
		return err
	}
	return s.serveBlob(w, r, row)
}

func (s *Server) deleteDrop(w http.ResponseWriter, r *http.Request) error {
	row, err := s.ownDrop(r)
	if err != nil {
		return err
	}
	if err := readEmptyBody(r); err != nil {
		return err
	}
	return s.deleteBody(w, r, row.Digest, func() (bool, error) {
		return s.cfg.Meta.DeleteDrop(r.Context(), tokenOf(r).User, mustVar(r, "id"), row.ID)
	})
}

// mustVar returns a path value a route checked already.
func mustVar(r *http.Request, name string) string { return mux.Vars(r)[name] }
