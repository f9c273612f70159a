package api

import (
	"errors"
	"fmt"
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
// Version 1 takes a drop in one PUT. When the resumable upload sessions
// (§8.7.3) land, drops move onto them at /v1/links/{id}/uploads/{drop-id}:
// the checks below run when the session is opened (with its size), and
// PutDrop when it completes.

func (s *Server) putDrop(w http.ResponseWriter, r *http.Request) error {
	id, err := linkIDVar(r)
	if err != nil {
		return err
	}
	if err := s.proofWait(r, id); err != nil {
		return err
	}
	dropID, err := subIDVar(r, "drop")
	if err != nil {
		return err
	}
	if err := uploadHead(r, typeSealed, "the sealed drop", s.cfg.MaxBlobSize,
		fmt.Sprintf("the body is larger than this server's limit of %d bytes", s.cfg.MaxBlobSize)); err != nil {
		return err
	}
	if r.ContentLength == 0 {
		return errEmpty
	}
	proof, err := proofHeader(r)
	if err != nil {
		return err
	}
	want, err := parseDigestHeader(r.Header.Get("Hearth-Digest"))
	if err != nil {
		return err
	}
	l, err := s.publicLink(r, id)
	if err != nil {
		return err
	}
	if l.Drop == nil {
		return Errorf(wire.CodeNotFound, "no such drop link")
	}
	if err := s.checkProof(r, l, proof); err != nil {
		return err
	}
	d := l.Drop
	if n := r.ContentLength; n > d.MaxFileSize || d.Bytes+n > d.MaxTotal {
		return Errorf(wire.CodeTooLarge, "this file does not fit in what the link still takes")
	}
	if _, err := s.cfg.Meta.BlobRow(r.Context(), l.User, meta.DropsDoctype, dropID, false); err == nil {
		return Errorf(wire.CodeExists, "this drop id was used before")
	}
	release, err := s.holdUpload(r, l.User, r.ContentLength, r.ContentLength+meta.EntryBytes)
	if err != nil {
		return err
	}
	defer release()
	body := &idleReader{r.Body, http.NewResponseController(w), s.cfg.StreamIdle}
	dg, err := s.cfg.Blobs.Put(r.Context(), body, r.ContentLength, want)
	if err != nil {
		return err
	}
	row := &meta.BlobRow{Doctype: meta.DropsDoctype, ID: dropID, Size: r.ContentLength, Digest: dg, Created: s.cfg.Now().UTC().Truncate(time.Second)}
	if err := s.commitDrop(r, id, row); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, blobJSON{ID: dropID, Size: row.Size, Digest: dg[:]})
}

// commitDrop records a drop whose body was stored durably, as
// commitBlobRow does a blob's: refused, its body goes unless a row names it.
func (s *Server) commitDrop(r *http.Request, linkID string, row *meta.BlobRow) error {
	ctx := r.Context()
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
	mu := s.blobLocks.of(row.Digest)
	mu.Lock()
	defer mu.Unlock()
	inUse, err := s.cfg.Meta.DeleteDrop(r.Context(), tokenOf(r).User, mustVar(r, "id"), row.ID)
	if err != nil {
		return err
	}
	if !inUse {
		if err := s.cfg.Blobs.Remove(r.Context(), row.Digest); err != nil {
			s.cfg.Log.Error("removing a body failed; start-up clean-up will retry", "err", err)
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// mustVar returns a path value a route checked already.
func mustVar(r *http.Request, name string) string { return mux.Vars(r)[name] }
