package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/hearthcloud/hearth/internal/wire"
	"github.com/hearthcloud/hearth/server/blob"
	"github.com/hearthcloud/hearth/server/meta"
)

// Upload sessions (§8.7.3): a blob arriving in pieces. The bytes go to the
// blob store's partial bodies (blob.Partials), where they stand to the
// session's row (meta.Uploads), which records the offset and hash state
// after each piece is fsynced; the last piece commits the body as PUT does
// and turns the session into a blob row in one transaction.

const (
	// maxPiece is the largest body of one PATCH.
	maxPiece = 64 << 20
	// uploadTTL is how long a session lives after it was made or last
	// appended to.
	uploadTTL = 24 * time.Hour
)

// uploadJSON is a session as the answers give it.
type uploadJSON struct {
	ID      string    `json:"id"`
	Size    int64     `json:"size"`
	Offset  int64     `json:"offset"`
	Expires time.Time `json:"expires"`
}

func sessionJSON(u *meta.Upload) uploadJSON {
	return uploadJSON{ID: u.ID, Size: u.Size, Offset: u.Offset, Expires: u.Expires.UTC().Truncate(time.Second)}
}

// partialOf is the blob store's view of a session's bytes.
func partialOf(u *meta.Upload) blob.Partial {
	return blob.Partial{Name: u.Partial, Size: u.Size, Offset: u.Offset, Hash: u.Hash}
}

// uploadKey names a session for sessionLocks.
func uploadKey(user, doctype, id string) string { return user + "\x00" + doctype + "\x00" + id }

// liveUpload returns user's open session of doctype and id, with its lock
// held (the caller calls unlock): not_found when there is none or it
// expired (an expired one is discarded on the way), unknown_doctype when
// the doctype is not registered.
func (s *Server) liveUpload(r *http.Request, user, doctype, id string) (u *meta.Upload, unlock func(), err error) {
	ctx := r.Context()
	unlock, err = s.sessions.lock(ctx, uploadKey(user, doctype, id))
	if err != nil {
		return nil, nil, err
	}
	u, err = s.cfg.Meta.Upload(ctx, user, doctype, id)
	if err == nil && !u.Expires.After(s.cfg.Now()) {
		s.discardUpload(ctx, user, u)
		err = meta.ErrNotFound
	}
	if errors.Is(err, meta.ErrNotFound) {
		unlock()
		if doctype != meta.DropsDoctype {
			if err := s.registered(r, user, doctype); err != nil {
				return nil, nil, err
			}
		}
		return nil, nil, Errorf(wire.CodeNotFound, "no upload session is open for this id")
	}
	if err != nil {
		unlock()
		return nil, nil, err
	}
	return u, unlock, nil
}

// discardUpload ends a session and removes its bytes, best effort (what
// is left is swept at the next start).
func (s *Server) discardUpload(ctx context.Context, user string, u *meta.Upload) {
	ctx = context.WithoutCancel(ctx)
	if err := s.cfg.Meta.DeleteUpload(ctx, user, u.Doctype, u.ID); err != nil && !errors.Is(err, meta.ErrNotFound) {
		s.cfg.Log.Error("ending an upload session failed", "err", err)
		return // the row stays: its bytes must too
	}
	if err := s.cfg.Blobs.RemovePartial(ctx, u.Partial); err != nil {
		s.cfg.Log.Error("removing an upload session's bytes failed; start-up clean-up will retry", "err", err)
	}
}

func (s *Server) createUpload(w http.ResponseWriter, r *http.Request) error {
	d, id, err := itemVars(r)
	if err != nil {
		return err
	}
	size, err := s.sessionSize(r)
	if err != nil {
		return err
	}
	user := tokenOf(r).User
	if err := s.registered(r, user, d); err != nil {
		return err
	}
	return s.openUpload(w, r, user, d, id, size, "")
}

// sessionSize reads the body of a request that opens a session: its size.
func (s *Server) sessionSize(r *http.Request) (int64, error) {
	var req struct {
		Size *int64 `json:"size"`
	}
	if err := readJSON(r, maxJSON, &req); err != nil {
		return 0, err
	}
	if req.Size == nil || *req.Size < 1 || *req.Size > 1<<53-1 {
		return 0, Errorf(wire.CodeBadRequest, "give size, the sealed size of the whole blob, at least 1")
	}
	if *req.Size > s.cfg.MaxBlobSize {
		return 0, &Error{Code: wire.CodeTooLarge, Message: fmt.Sprintf("the blob is larger than this server's limit of %d bytes", s.cfg.MaxBlobSize), Limit: &s.cfg.MaxBlobSize}
	}
	return *req.Size, nil
}

// openUpload opens user's session of doctype and id for a blob of size
// bytes, or answers the one open of that size.
func (s *Server) openUpload(w http.ResponseWriter, r *http.Request, user, d, id string, size int64, link string) error {
	ctx := r.Context()
	unlock, err := s.sessions.lock(ctx, uploadKey(user, d, id))
	if err != nil {
		return err
	}
	defer unlock()
	now := s.cfg.Now()
	if u, err := s.cfg.Meta.Upload(ctx, user, d, id); err == nil {
		switch {
		case !u.Expires.After(now):
			s.discardUpload(ctx, user, u) // and make a new one
		case u.Size == size:
			return writeJSON(w, http.StatusOK, sessionJSON(u)) // a repeated create
		default:
			return Errorf(wire.CodeExists, "an upload session of this id is open with another size")
		}
	} else if !errors.Is(err, meta.ErrNotFound) {
		return err
	}
	// Refused before anything is made: the blob row's bytes and entry,
	// beside the uploads under way and the other sessions (quota.go).
	release, err := s.holdUpload(r, user, 0, size+meta.EntryBytes)
	if err != nil {
		return err
	}
	release()
	p, err := s.cfg.Blobs.BeginPartial(ctx, size)
	if err != nil {
		return err
	}
	u := &meta.Upload{Doctype: d, ID: id, Size: size, Hash: p.Hash, Partial: p.Name, Created: now, Expires: now.Add(uploadTTL), Link: link}
	if err := s.cfg.Meta.CreateUpload(ctx, user, u); err != nil {
		s.cfg.Blobs.RemovePartial(context.WithoutCancel(ctx), p.Name)
		switch {
		case errors.Is(err, meta.ErrExists):
			return Errorf(wire.CodeExists, "this id was used by a blob before; blob ids are never reused")
		case errors.Is(err, meta.ErrTooMany) && d == meta.DropsDoctype:
			return Errorf(wire.CodeTooLarge, "the owner's drop links have %d uploads under way: try again later", meta.MaxDropUploads)
		case errors.Is(err, meta.ErrTooMany):
			return Errorf(wire.CodeTooLarge, "the account has %d upload sessions open: finish or cancel one first", meta.MaxUploads)
		}
		return err
	}
	return writeJSON(w, http.StatusCreated, sessionJSON(u))
}

func (s *Server) getUpload(w http.ResponseWriter, r *http.Request) error {
	d, id, err := itemVars(r)
	if err != nil {
		return err
	}
	return s.uploadState(w, r, tokenOf(r).User, d, id)
}

func (s *Server) uploadState(w http.ResponseWriter, r *http.Request, user, d, id string) error {
	u, unlock, err := s.liveUpload(r, user, d, id)
	if err != nil {
		return err
	}
	unlock()
	return writeJSON(w, http.StatusOK, sessionJSON(u))
}

func (s *Server) deleteUpload(w http.ResponseWriter, r *http.Request) error {
	d, id, err := itemVars(r)
	if err != nil {
		return err
	}
	return s.cancelUpload(w, r, tokenOf(r).User, d, id)
}

func (s *Server) cancelUpload(w http.ResponseWriter, r *http.Request, user, d, id string) error {
	if err := readEmptyBody(r); err != nil {
		return err
	}
	u, unlock, err := s.liveUpload(r, user, d, id)
	if err != nil {
		return err
	}
	defer unlock()
	s.discardUpload(r.Context(), user, u)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// parseUploadOffset reads Hearth-Upload-Offset: decimal digits without
// leading zeros, at most 2^53-1 (§8.7.3).
func parseUploadOffset(v string) (int64, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || n > 1<<53-1 || strconv.FormatInt(n, 10) != v {
		return 0, Errorf(wire.CodeBadRequest, "Hearth-Upload-Offset: give the offset of the body's first byte in the blob, in decimal")
	}
	return n, nil
}

func (s *Server) patchUpload(w http.ResponseWriter, r *http.Request) error {
	d, id, err := itemVars(r)
	if err != nil {
		return err
	}
	user := tokenOf(r).User
	return s.appendUpload(w, r, user, d, id, func(ctx context.Context, row *meta.BlobRow) (int, error) {
		return s.commitRow(ctx, user, row, func(ctx context.Context) error { return s.cfg.Meta.CompleteUpload(ctx, user, row) })
	})
}

// A commitFunc records the row of a session's blob, its body committed,
// and ends the session, answering 201 or 200 (a repeat); refused, it
// leaves no body that no row names.
type commitFunc func(ctx context.Context, row *meta.BlobRow) (status int, err error)

// appendUpload is a PATCH of user's session of doctype d and id (§8.7.3);
// commit records the blob once all of it is there.
func (s *Server) appendUpload(w http.ResponseWriter, r *http.Request, user, d, id string, commit commitFunc) error {
	if err := uploadHead(r, typeSealed, "the sealed bytes", maxPiece,
		fmt.Sprintf("one PATCH carries at most %d bytes", maxPiece)); err != nil {
		return err
	}
	k, err := parseUploadOffset(r.Header.Get("Hearth-Upload-Offset"))
	if err != nil {
		return err
	}
	want, err := parseDigestHeader(r.Header.Get("Hearth-Digest"))
	if err != nil {
		return err
	}
	u, unlock, err := s.liveUpload(r, user, d, id)
	if err != nil {
		return err
	}
	defer unlock()
	n := r.ContentLength
	switch {
	case k != u.Offset:
		at := u.Offset
		return &Error{Code: wire.CodeOffsetMismatch, Message: "the upload session stands at another offset: resume from it", Offset: &at}
	case n > u.Size-k:
		return Errorf(wire.CodeBadRequest, "the body goes past the size the upload session was made with")
	case k+n == u.Size && want == nil:
		return Errorf(wire.CodeBadRequest, "the PATCH that completes an upload session must carry Hearth-Digest")
	}
	if n > 0 {
		if err := s.appendPiece(w, r, user, u, n); err != nil {
			return err
		}
		if u.Offset != k+n { // cut short: the prefix is kept
			w.Header().Set("Hearth-Upload-Offset", strconv.FormatInt(u.Offset, 10))
			w.WriteHeader(http.StatusNoContent)
			return nil
		}
	}
	if u.Offset < u.Size {
		w.Header().Set("Hearth-Upload-Offset", strconv.FormatInt(u.Offset, 10))
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	return s.completeUpload(w, r, user, u, want, commit)
}

// appendPiece appends n bytes of the request's body to u's bytes and
// records where u then stands (in u too). A body cut short is no error:
// what arrived is kept and u.Offset says how much. A client gone away is
// (once its prefix is recorded), and so are failures of the stores.
func (s *Server) appendPiece(w http.ResponseWriter, r *http.Request, user string, u *meta.Upload, n int64) error {
	ctx := r.Context()
	body := &idleReader{r.Body, http.NewResponseController(w), s.cfg.StreamIdle}
	q, aerr := s.cfg.Blobs.AppendPartial(ctx, partialOf(u), body, n)
	if errors.Is(aerr, blob.ErrNotFound) { // its bytes were lost
		s.discardUpload(ctx, user, u)
		return Errorf(wire.CodeNotFound, "the upload session's bytes were lost; upload the blob again")
	}
	if q.Offset > u.Offset {
		// Recorded even when the client went away: the bytes are durable.
		rctx := context.WithoutCancel(ctx)
		expires := s.cfg.Now().Add(uploadTTL)
		if err := s.cfg.Meta.AdvanceUpload(rctx, user, u.Doctype, u.ID, u.Offset, q.Offset, q.Hash, expires); err != nil {
			return err
		}
		u.Offset, u.Hash, u.Expires = q.Offset, q.Hash, expires
	}
	switch {
	case aerr == nil, errors.Is(aerr, blob.ErrTruncated) && ctx.Err() == nil:
		return nil
	case ctx.Err() != nil:
		return ctx.Err() // logged as a client gone away
	}
	return aerr
}

// completeUpload commits u's bytes, all there, as PUT commits a body
// (§8.7.1 step 6), and turns the session into the blob's row.
func (s *Server) completeUpload(w http.ResponseWriter, r *http.Request, user string, u *meta.Upload, want *blob.Digest, commit commitFunc) error {
	ctx := context.WithoutCancel(r.Context()) // a commit begun is finished
	// Room first, so that a full account keeps its session and can make
	// room (the row's own transaction checks again).
	q, err := s.cfg.Meta.Quota(ctx, user)
	if err != nil {
		return err
	}
	if q.Limit.Bytes > 0 && q.Used.Bytes+u.Size+meta.EntryBytes > q.Limit.Bytes {
		return meta.ErrQuota
	}
	dg, err := s.cfg.Blobs.CommitPartial(ctx, partialOf(u), want)
	switch {
	case errors.Is(err, blob.ErrDigestMismatch):
		s.discardUpload(ctx, user, u)
		return Errorf(wire.CodeDigestMismatch, "the bytes do not match Hearth-Digest; the upload session was discarded")
	case errors.Is(err, blob.ErrNotFound):
		// Committed before a crash, the row not yet written: the body
		// itself went at start-up, unless a row names it.
		if row, rerr := s.cfg.Meta.BlobRow(ctx, user, u.Doctype, u.ID, false); rerr == nil && row.Digest == *want {
			s.discardUpload(ctx, user, u)
			return writeJSON(w, http.StatusOK, blobJSON{ID: u.ID, Size: row.Size, Digest: row.Digest[:]})
		}
		s.discardUpload(ctx, user, u)
		return Errorf(wire.CodeNotFound, "the upload session's bytes were lost; upload the blob again")
	case err != nil:
		return err
	}
	row := &meta.BlobRow{Doctype: u.Doctype, ID: u.ID, Size: u.Size, Digest: dg, Created: s.cfg.Now().UTC().Truncate(time.Second)}
	status, err := commit(ctx, row)
	if err != nil {
		// The body is gone with the refused row (commitRow); so goes the
		// session.
		s.discardUpload(ctx, user, u)
		return err
	}
	return writeJSON(w, status, blobJSON{ID: u.ID, Size: row.Size, Digest: dg[:]})
}

// SweepUploads discards the sessions that expired, with their bytes, and
// returns how many (§8.7.3). A session in use at that moment is left for
// the next sweep.
func (s *Server) SweepUploads(ctx context.Context) (int, error) {
	swept := 0
	for {
		now := s.cfg.Now()
		list, err := s.cfg.Meta.ExpiredUploads(ctx, now, 100)
		if err != nil {
			return swept, err
		}
		done := 0
		for _, e := range list {
			unlock, ok := s.sessions.tryLock(uploadKey(e.User, e.Doctype, e.ID))
			if !ok {
				continue
			}
			u, err := s.cfg.Meta.Upload(ctx, e.User, e.Doctype, e.ID)
			if err == nil && !u.Expires.After(now) {
				s.discardUpload(ctx, e.User, u)
				swept++
				done++
			}
			unlock()
		}
		if len(list) < 100 || done == 0 {
			return swept, nil
		}
	}
}

// RunSweeper sweeps expired upload sessions every interval until ctx ends.
func (s *Server) RunSweeper(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if n, err := s.SweepUploads(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Log.Error("sweeping expired upload sessions failed", "err", err)
		} else if n > 0 {
			s.cfg.Log.Info("swept expired upload sessions", "count", n)
		}
	}
}
