package api

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hearthcloud/hearth/internal/wire"
	"github.com/hearthcloud/hearth/server/blob"
	"github.com/hearthcloud/hearth/server/meta"
)

// Blobs (§8.7) and index segments (§8.8) share these handlers; segment
// selects which.

// digestLocks serialise, per digest, the removal of a body with the commit
// of a row naming it, so that a delete never removes a body another upload
// has just relied on (the body is shared between rows with equal bytes).
type digestLocks [64]sync.Mutex

func (l *digestLocks) of(d blob.Digest) *sync.Mutex {
	h := fnv.New32a()
	h.Write(d[:])
	return &l[h.Sum32()%uint32(len(l))]
}

// blobJSON is a blob or segment as uploads and listings answer it.
type blobJSON struct {
	ID      string     `json:"id"`
	Size    int64      `json:"size"`
	Digest  []byte     `json:"digest"`
	Created *time.Time `json:"created,omitempty"`
}

// parseDigestHeader reads Hearth-Digest: sha-256=<base64>.
func parseDigestHeader(v string) (*blob.Digest, error) {
	if v == "" {
		return nil, nil
	}
	b64, ok := strings.CutPrefix(v, "sha-256=")
	b, err := base64.StdEncoding.Strict().DecodeString(b64)
	if !ok || err != nil || len(b) != 32 {
		return nil, Errorf(wire.CodeBadRequest, "Hearth-Digest: give sha-256=<base64 of 32 bytes>")
	}
	var d blob.Digest
	copy(d[:], b)
	return &d, nil
}

// listed answers unknown_doctype for a listing of n items (documents,
// blobs, segments) in a doctype that is not registered: only an empty
// listing asks.
func (s *Server) listed(r *http.Request, user, doctype string, n int) error {
	if n > 0 {
		return nil
	}
	return s.registered(r, user, doctype)
}

// registered answers unknown_doctype unless doctype is registered.
func (s *Server) registered(r *http.Request, user, doctype string) error {
	list, err := s.cfg.Meta.Doctypes(r.Context(), user)
	if err != nil {
		return err
	}
	for _, d := range list {
		if d.Name == doctype {
			return nil
		}
	}
	return meta.ErrUnknownDoctype
}

// sealedBody checks the headers of a PUT of a whole blob (§8.7.1): its
// length, type and Hearth-Digest (nil if absent).
func (s *Server) sealedBody(r *http.Request) (*blob.Digest, error) {
	if err := uploadHead(r, typeSealed, "the sealed bytes", s.cfg.MaxBlobSize,
		fmt.Sprintf("the body is larger than this server's limit of %d bytes", s.cfg.MaxBlobSize)); err != nil {
		return nil, err
	}
	if r.ContentLength == 0 {
		return nil, errEmpty
	}
	return parseDigestHeader(r.Header.Get("Hearth-Digest"))
}

func (s *Server) putBlob(segment bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		d, id, err := itemVars(r)
		if err != nil {
			return err
		}
		want, err := s.sealedBody(r)
		if err != nil {
			return err
		}
		user := tokenOf(r).User
		if err := s.registered(r, user, d); err != nil {
			return err
		}
		if old, err := s.cfg.Meta.BlobRow(r.Context(), user, d, id, segment); err == nil && want != nil {
			if old.Digest != *want {
				return Errorf(wire.CodeExists, "this id holds other bytes")
			}
			return writeJSON(w, http.StatusOK, blobJSON{ID: id, Size: old.Size, Digest: old.Digest[:]})
		} else if err != nil && !errors.Is(err, meta.ErrNotFound) {
			return err
		}
		dg, release, err := s.storeBody(w, r, user, want)
		if err != nil {
			return err
		}
		defer release()
		row := &meta.BlobRow{Doctype: d, ID: id, Segment: segment, Size: r.ContentLength, Digest: dg, Created: s.cfg.Now().UTC().Truncate(time.Second)}
		status, err := s.commitBlobRow(r, user, row)
		if err != nil {
			return err
		}
		return writeJSON(w, status, blobJSON{ID: id, Size: row.Size, Digest: dg[:]})
	}
}

// storeBody holds room in user's quota for the request's body (its bytes
// and, for good, meta.EntryBytes for the new row that will name it) and
// stores the body durably, checked against want when not nil. The caller
// calls release once the row is committed, or not.
func (s *Server) storeBody(w http.ResponseWriter, r *http.Request, user string, want *blob.Digest) (dg blob.Digest, release func(), err error) {
	release, err = s.holdUpload(r, user, r.ContentLength, r.ContentLength+meta.EntryBytes)
	if err != nil {
		return dg, nil, err
	}
	body := &idleReader{r.Body, http.NewResponseController(w), s.cfg.StreamIdle}
	if dg, err = s.cfg.Blobs.Put(r.Context(), body, r.ContentLength, want); err != nil {
		release()
		return dg, nil, err
	}
	return dg, release, nil
}

// commitBlobRow records row after its body was stored durably. If the id is
// taken by other bytes (or was used before), the new body is removed again
// unless some row names it.
func (s *Server) commitBlobRow(r *http.Request, user string, row *meta.BlobRow) (int, error) {
	return s.commitRow(r.Context(), user, row, func(ctx context.Context) error { return s.cfg.Meta.PutBlobRow(ctx, user, row) })
}

// commitRow is commitBlobRow with put recording the row (PutBlobRow, or
// CompleteUpload for an upload session, uploads.go).
func (s *Server) commitRow(ctx context.Context, user string, row *meta.BlobRow, put func(context.Context) error) (int, error) {
	mu := s.blobLocks.of(row.Digest)
	mu.Lock()
	defer mu.Unlock()
	// A concurrent delete of another row with these bytes may have removed
	// the body between Put and here; then nothing is committed.
	if rc, _, err := s.cfg.Blobs.Get(ctx, row.Digest); err != nil {
		if errors.Is(err, blob.ErrNotFound) {
			return 0, &Error{Code: wire.CodeUnavailable, Message: "the upload raced with a deletion; send it again", Retry: 1}
		}
		return 0, err
	} else {
		rc.Close()
	}
	old, _ := s.cfg.Meta.BlobRow(ctx, user, row.Doctype, row.ID, row.Segment)
	err := put(ctx)
	switch {
	case err == nil && old != nil:
		return http.StatusOK, nil // an idempotent repeat
	case err == nil:
		return http.StatusCreated, nil
	case errors.Is(err, meta.ErrExists), errors.Is(err, meta.ErrQuota):
		if inUse, e2 := s.cfg.Meta.DigestInUse(ctx, row.Digest); e2 == nil && !inUse {
			s.cfg.Blobs.Remove(ctx, row.Digest)
		}
		if errors.Is(err, meta.ErrQuota) {
			return 0, err // nothing stored: the body went with the row
		}
		return 0, Errorf(wire.CodeExists, "this id holds other bytes or was used before; blob ids are never reused")
	}
	return 0, err
}

// liveBlobRow returns the row of a stored blob or segment: not_found, or
// unknown_doctype when the doctype is not registered.
func (s *Server) liveBlobRow(r *http.Request, user, doctype, id string, segment bool) (*meta.BlobRow, error) {
	row, err := s.cfg.Meta.BlobRow(r.Context(), user, doctype, id, segment)
	if errors.Is(err, meta.ErrNotFound) {
		if err := s.registered(r, user, doctype); err != nil {
			return nil, err
		}
		return nil, Errorf(wire.CodeNotFound, "no such blob")
	}
	return row, err
}

func (s *Server) getBlob(segment bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		d, id, err := itemVars(r)
		if err != nil {
			return err
		}
		user := tokenOf(r).User
		row, err := s.liveBlobRow(r, user, d, id, segment)
		if err != nil {
			return err
		}
		return s.serveBlob(w, r, row)
	}
}

// serveBlob sends a stored blob, segment or drop as §8.7.2 says: HEAD,
// Range and If-Range, the digest as ETag.
func (s *Server) serveBlob(w http.ResponseWriter, r *http.Request, row *meta.BlobRow) error {
	rc, size, err := s.openAttachment(w, r, row.Digest, typeSealed)
	if err != nil {
		return err
	}
	defer rc.Close()
	h := w.Header()
	// ServeContent handles HEAD, Range, If-Range and 416; its error
	// bodies are plain text, so single ranges it cannot satisfy are
	// answered here first, in the protocol's form.
	if rg := r.Header.Get("Range"); rg != "" && unsatisfiable(rg, size) && ifRangeHolds(r, row.Digest) {
		h.Set("Content-Range", "bytes */"+strconv.FormatInt(size, 10))
		return Errorf(wire.CodeRangeNotSatisfiable, "the range lies outside the blob")
	}
	// A file goes as it is, so that the kernel can send it (sendfile);
	// other stores' readers learn their size without a costly Seek.
	var content io.ReadSeeker = &sizedReader{rc, size}
	if f, ok := rc.(*os.File); ok {
		content = f
	}
	http.ServeContent(&idleWriter{w, http.NewResponseController(w), s.cfg.StreamIdle}, r, "", time.Time{}, content)
	return nil
}

// openAttachment opens the stored body of digest d, to send as an
// attachment of media type ct tagged by its digest; the caller closes it.
func (s *Server) openAttachment(w http.ResponseWriter, r *http.Request, d blob.Digest, ct string) (io.ReadSeekCloser, int64, error) {
	rc, size, err := s.cfg.Blobs.Get(r.Context(), d)
	if err != nil {
		return nil, 0, err // a missing body is an internal fault: a row promised it
	}
	setAttachment(w.Header(), ct, digestETag(d))
	return rc, size, nil
}

// ifRangeHolds reports whether a Range header applies (no If-Range, or one
// naming the current ETag).
func ifRangeHolds(r *http.Request, d [32]byte) bool {
	ir := r.Header.Get("If-Range")
	return ir == "" || ir == digestETag(d)
}

// unsatisfiable reports whether a single "bytes=a-b" range starts at or
// past size. Other forms are left to http.ServeContent.
func unsatisfiable(rg string, size int64) bool {
	spec, ok := strings.CutPrefix(rg, "bytes=")
	if !ok || strings.Contains(spec, ",") {
		return false
	}
	first, _, ok := strings.Cut(spec, "-")
	if !ok || first == "" {
		return false
	}
	n, err := strconv.ParseInt(first, 10, 64)
	return err == nil && n >= size
}

// sizedReader lets http.ServeContent learn the size without a Seek to the
// end on stores where that costs.
type sizedReader struct {
	io.ReadSeekCloser
	size int64
}

func (s *sizedReader) Seek(off int64, whence int) (int64, error) {
	if whence == io.SeekEnd && off == 0 {
		if _, err := s.ReadSeekCloser.Seek(0, io.SeekEnd); err != nil {
			return 0, err
		}
		return s.size, nil
	}
	return s.ReadSeekCloser.Seek(off, whence)
}

func (s *Server) deleteBlob(segment bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		d, id, err := itemVars(r)
		if err != nil {
			return err
		}
		if err := readEmptyBody(r); err != nil {
			return err
		}
		user := tokenOf(r).User
		row, err := s.liveBlobRow(r, user, d, id, segment)
		if err != nil {
			return err
		}
		return s.deleteBody(w, r, row.Digest, func() (bool, error) {
			return s.cfg.Meta.DeleteBlobRow(r.Context(), user, d, id, segment)
		})
	}
}

// deleteBody deletes, under the lock of body digest, a row that names it
// (del, which reports whether another row still names the body), then the
// body itself unless it is still named, and answers 204. A body that fails
// to go is left for the start-up clean-up.
func (s *Server) deleteBody(w http.ResponseWriter, r *http.Request, digest blob.Digest, del func() (inUse bool, err error)) error {
	mu := s.blobLocks.of(digest)
	mu.Lock()
	defer mu.Unlock()
	inUse, err := del()
	if err != nil {
		return err
	}
	if !inUse {
		if err := s.cfg.Blobs.Remove(r.Context(), digest); err != nil {
			s.cfg.Log.Error("removing a body failed; start-up clean-up will retry", "err", err)
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listBlobs(segment bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		after, limit, err := pageParams(r)
		if err != nil {
			return err
		}
		d, err := doctypeVar(r)
		if err != nil {
			return err
		}
		user := tokenOf(r).User
		rows, err := s.cfg.Meta.ListBlobRows(r.Context(), user, d, segment, after, limit)
		if err != nil {
			return err
		}
		if err := s.listed(r, user, d, len(rows)); err != nil {
			return err
		}
		out := []blobJSON{}
		for _, x := range rows {
			c := x.Created.UTC()
			out = append(out, blobJSON{ID: x.ID, Size: x.Size, Digest: x.Digest[:], Created: &c})
		}
		key := "blobs"
		if segment {
			key = "segments"
		}
		next := nextAfter(out, limit, func(x blobJSON) string { return x.ID })
		return writeJSON(w, http.StatusOK, map[string]any{key: out, "next": next})
	}
}
