package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/hearthcloud/hearth/internal/wire"
	"github.com/hearthcloud/hearth/server/auth"
	"github.com/hearthcloud/hearth/server/meta"
)

// Share and drop links (spec/protocol.md §8.12): the owner's endpoints
// (access files), the public information, the open that checks the access
// proof and gives a link token, blobs through that token, and drops. The
// server never sees a link's key, password or proof, only SHA-256 of the
// proof (the verifier); no path value or header reaches the log.

// Limits of §8.12.
const (
	maxLinkJSON       = 24 << 20
	maxLinkManifest   = 16 << 20
	maxLinkBlobs      = 100000
	defaultLinkTTL    = 7 * 24 * time.Hour
	maxLinkTTL        = 365 * 24 * time.Hour
	maxLinkOpens      = 1000000
	linkTokenTTL      = 6 * time.Hour
	defaultDropFiles  = 100
	maxDropFiles      = 10000
	defaultDropTotal  = 10 << 30
	maxRecipientChars = 100
)

var goneMessage = map[string]string{
	meta.GoneRevoked:   "the link was revoked",
	meta.GoneExpired:   "the link has expired",
	meta.GoneExhausted: "the link was used as many times as it allows",
}

type linkKDF struct {
	Alg string `json:"alg"`
	M   uint32 `json:"m"`
	T   uint32 `json:"t"`
	P   uint8  `json:"p"`
}

type linkPassword struct {
	Salt []byte  `json:"salt"`
	KDF  linkKDF `json:"kdf"`
}

type dropJSON struct {
	Recipient   string `json:"recipient"`
	Tag         []byte `json:"tag,omitempty"`
	MaxFiles    int64  `json:"max_files,omitempty"`
	MaxFileSize int64  `json:"max_file_size,omitempty"`
	MaxTotal    int64  `json:"max_total,omitempty"`
	Files       *int64 `json:"files,omitempty"`
	Bytes       *int64 `json:"bytes,omitempty"`
	Pending     *int64 `json:"pending,omitempty"`
}

// linkJSON is a link as the owner's endpoints answer it.
type linkJSON struct {
	ID       string     `json:"id"`
	Kind     string     `json:"kind"`
	Created  time.Time  `json:"created"`
	Expires  time.Time  `json:"expires"`
	MaxOpens int64      `json:"max_opens,omitempty"`
	Opens    int64      `json:"opens"`
	LastOpen *time.Time `json:"last_open,omitempty"`
	Failures int64      `json:"failures"`
	Password bool       `json:"password"`
	Version  uint64     `json:"version,omitempty"`
	Size     int        `json:"size,omitempty"`
	Revoked  *time.Time `json:"revoked,omitempty"`
	Drop     *dropJSON  `json:"drop,omitempty"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC().Truncate(time.Second)
	return &u
}

func toLinkJSON(l *meta.Link) linkJSON {
	j := linkJSON{ID: l.ID, Kind: l.Kind, Created: l.Created.UTC().Truncate(time.Second), Expires: l.Expires.UTC().Truncate(time.Second),
		MaxOpens: l.MaxOpens, Opens: l.Opens, LastOpen: timePtr(l.LastOpen), Failures: l.Failures, Password: l.KDF != nil,
		Version: l.Version, Size: len(l.Manifest), Revoked: timePtr(l.Revoked)}
	if d := l.Drop; d != nil {
		j.Drop = &dropJSON{Recipient: d.Recipient, MaxFiles: d.MaxFiles, MaxFileSize: d.MaxFileSize, MaxTotal: d.MaxTotal,
			Files: &d.Files, Bytes: &d.Bytes, Pending: &d.Pending}
	}
	return j
}

// linkIDVar returns the checked {id} of a link route.
func linkIDVar(r *http.Request) (string, error) {
	id := mux.Vars(r)["id"]
	if err := wire.CheckLinkID(id); err != nil {
		return "", Errorf(wire.CodeInvalidName, "%s", err.Error())
	}
	return id, nil
}

// subIDVar returns the checked {name} (a blob or drop id) of a link route.
func subIDVar(r *http.Request, name string) (string, error) {
	id := mux.Vars(r)[name]
	if err := wire.CheckID(id); err != nil || id[0] == '_' {
		return "", Errorf(wire.CodeInvalidName, "%s", wire.ErrInvalidID.Error())
	}
	return id, nil
}

// checkBlobs refuses a blob set that is too large, repeats an id or names
// what is not a live blob of user's in io.hearth.files. An empty set is
// an empty folder's.
func (s *Server) checkBlobs(r *http.Request, user string, blobs []string) error {
	if len(blobs) > maxLinkBlobs {
		return Errorf(wire.CodeBadRequest, "blobs: give at most 100000 blob ids")
	}
	seen := make(map[string]bool, len(blobs))
	for _, b := range blobs {
		if err := wire.CheckID(b); err != nil {
			return Errorf(wire.CodeInvalidName, "%s", wire.ErrInvalidID.Error())
		}
		if seen[b] {
			return Errorf(wire.CodeBadRequest, "blobs: an id is listed twice")
		}
		seen[b] = true
	}
	rows, err := s.cfg.Meta.BlobRowsOf(r.Context(), user, meta.FilesDoctype, blobs)
	if err != nil {
		return err
	}
	if len(rows) != len(blobs) {
		return Errorf(wire.CodeNotFound, "a listed blob does not exist")
	}
	return nil
}

func (s *Server) checkExpiry(t time.Time) error {
	now := s.cfg.Now()
	if !t.After(now) || t.After(now.Add(maxLinkTTL)) {
		return Errorf(wire.CodeBadRequest, "expires: a time in the future, at most 365 days ahead")
	}
	return nil
}

func (s *Server) createLink(w http.ResponseWriter, r *http.Request) error {
	if err := permit(r, ""); err != nil {
		return err
	}
	var req struct {
		ID       string        `json:"id"`
		Kind     string        `json:"kind"`
		Expires  *time.Time    `json:"expires"`
		MaxOpens int64         `json:"max_opens"`
		Verifier []byte        `json:"verifier"`
		Password *linkPassword `json:"password"`
		Manifest []byte        `json:"manifest"`
		Version  uint64        `json:"version"`
		Blobs    []string      `json:"blobs"`
		Drop     *dropJSON     `json:"drop"`
	}
	if err := readJSON(r, maxLinkJSON, &req); err != nil {
		return err
	}
	if err := wire.CheckLinkID(req.ID); err != nil {
		return Errorf(wire.CodeInvalidName, "%s", err.Error())
	}
	now := s.cfg.Now()
	l := &meta.Link{ID: req.ID, User: tokenOf(r).User, Kind: req.Kind, Created: now.UTC().Truncate(time.Second), Expires: now.Add(defaultLinkTTL)}
	if req.Expires != nil {
		if err := s.checkExpiry(*req.Expires); err != nil {
			return err
		}
		l.Expires = *req.Expires
	}
	if len(req.Verifier) != 32 {
		return Errorf(wire.CodeBadRequest, "verifier: 32 bytes (SHA-256 of the access proof)")
	}
	l.Verifier = [32]byte(req.Verifier)
	switch req.Kind {
	case meta.LinkShare:
		if req.Drop != nil {
			return Errorf(wire.CodeBadRequest, "a share link takes no drop")
		}
		if req.MaxOpens < 0 || req.MaxOpens > maxLinkOpens {
			return Errorf(wire.CodeBadRequest, "max_opens: 0 to 1000000")
		}
		l.MaxOpens = req.MaxOpens
		if p := req.Password; p != nil {
			if len(p.Salt) != 16 || p.KDF.Alg != "argon2id" || p.KDF.M == 0 || p.KDF.M > 1<<18 || p.KDF.T == 0 || p.KDF.T > 16 || p.KDF.P == 0 || p.KDF.P > 8 {
				return Errorf(wire.CodeBadRequest, "password: a 16-byte salt and argon2id parameters within the ceiling")
			}
			l.Salt, l.KDF = p.Salt, &meta.KDF{Alg: p.KDF.Alg, Memory: p.KDF.M, Time: p.KDF.T, Threads: p.KDF.P}
		}
		if len(req.Manifest) == 0 || len(req.Manifest) > maxLinkManifest || req.Version == 0 || req.Version > 1<<53-1 {
			return Errorf(wire.CodeBadRequest, "a share link needs a manifest (at most 16 MiB) and a version")
		}
		if err := s.checkBlobs(r, l.User, req.Blobs); err != nil {
			return err
		}
		l.Manifest, l.Version, l.Blobs = req.Manifest, req.Version, req.Blobs
	case meta.LinkDrop:
		d := req.Drop
		if d == nil || req.Manifest != nil || req.Version != 0 || req.Blobs != nil || req.MaxOpens != 0 || req.Password != nil ||
			d.Files != nil || d.Bytes != nil || d.Pending != nil {
			return Errorf(wire.CodeBadRequest, "a drop link takes drop, and no manifest, version, blobs, max_opens or password")
		}
		if !validRecipient(d.Recipient) || len(d.Tag) != 32 {
			return Errorf(wire.CodeBadRequest, "drop: an age1 recipient and a 32-byte tag")
		}
		info := &meta.DropInfo{Recipient: d.Recipient, Tag: d.Tag, MaxFiles: d.MaxFiles, MaxFileSize: d.MaxFileSize, MaxTotal: d.MaxTotal}
		if info.MaxFiles == 0 {
			info.MaxFiles = defaultDropFiles
		}
		if info.MaxFileSize == 0 {
			info.MaxFileSize = s.cfg.MaxBlobSize
		}
		if info.MaxTotal == 0 {
			info.MaxTotal = defaultDropTotal
		}
		if info.MaxFiles < 1 || info.MaxFiles > maxDropFiles || info.MaxFileSize < 1 || info.MaxFileSize > s.cfg.MaxBlobSize || info.MaxTotal < 1 || info.MaxTotal > 1<<53-1 {
			return Errorf(wire.CodeBadRequest, "drop: limits out of range")
		}
		l.Drop = info
	default:
		return Errorf(wire.CodeBadRequest, "kind: share or drop")
	}
	if err := s.cfg.Meta.CreateLink(r.Context(), l); err != nil {
		if errors.Is(err, meta.ErrExists) {
			return Errorf(wire.CodeExists, "this link id was used before; draw another")
		}
		if errors.Is(err, meta.ErrTooMany) {
			return Errorf(wire.CodeTooLarge, "the account holds as many links as it may")
		}
		return err
	}
	if l.Drop != nil {
		var zero int64
		l.Drop.Files, l.Drop.Bytes, l.Drop.Pending = zero, zero, zero
	}
	return writeJSON(w, http.StatusCreated, toLinkJSON(l))
}

// validRecipient checks the shape of an age X25519 recipient.
func validRecipient(s string) bool {
	if len(s) > maxRecipientChars || !strings.HasPrefix(s, "age1") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func (s *Server) listLinks(w http.ResponseWriter, r *http.Request) error {
	if err := permit(r, ""); err != nil {
		return err
	}
	links, err := s.cfg.Meta.Links(r.Context(), tokenOf(r).User)
	if err != nil {
		return err
	}
	out := make([]linkJSON, 0, len(links))
	for _, l := range links {
		out = append(out, toLinkJSON(l))
	}
	return writeJSON(w, http.StatusOK, map[string]any{"links": out})
}

func (s *Server) updateLink(w http.ResponseWriter, r *http.Request) error {
	id, err := linkIDVar(r)
	if err != nil {
		return err
	}
	if err := permit(r, ""); err != nil {
		return err
	}
	var req struct {
		Expires  *time.Time `json:"expires"`
		MaxOpens *int64     `json:"max_opens"`
		Manifest []byte     `json:"manifest"`
		Version  uint64     `json:"version"`
		Blobs    []string   `json:"blobs"`
	}
	if err := readJSON(r, maxLinkJSON, &req); err != nil {
		return err
	}
	user := tokenOf(r).User
	if req.Manifest != nil || req.MaxOpens != nil || req.Version != 0 || req.Blobs != nil {
		// Share links only, as at creation (a link's kind never changes).
		if cur, err := s.cfg.Meta.Link(r.Context(), id); err == nil && cur.User == user && cur.Kind != meta.LinkShare {
			return Errorf(wire.CodeBadRequest, "a drop link takes no manifest, version, blobs or max_opens")
		}
	}
	u := &meta.LinkUpdate{Expires: req.Expires, MaxOpens: req.MaxOpens}
	if req.Expires != nil {
		if err := s.checkExpiry(*req.Expires); err != nil {
			return err
		}
	}
	if req.MaxOpens != nil && (*req.MaxOpens < 0 || *req.MaxOpens > maxLinkOpens) {
		return Errorf(wire.CodeBadRequest, "max_opens: 0 to 1000000")
	}
	if (req.Manifest != nil) != (req.Version != 0) || (req.Manifest != nil) != (req.Blobs != nil) {
		return Errorf(wire.CodeBadRequest, "manifest, version and blobs go together")
	}
	if req.Manifest != nil {
		if len(req.Manifest) == 0 || len(req.Manifest) > maxLinkManifest || req.Version > 1<<53-1 {
			return Errorf(wire.CodeBadRequest, "manifest: 1 byte to 16 MiB")
		}
		if err := s.checkBlobs(r, user, req.Blobs); err != nil {
			return err
		}
		u.Manifest, u.Version, u.Blobs = req.Manifest, req.Version, req.Blobs
	}
	l, err := s.cfg.Meta.UpdateLink(r.Context(), user, id, u)
	if errors.Is(err, meta.ErrConflict) {
		cur, err2 := s.cfg.Meta.Link(r.Context(), id)
		if err2 != nil {
			return err2
		}
		return &Error{Code: wire.CodeConflict, Message: "version: give the current version plus 1", Rev: &cur.Version}
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toLinkJSON(l))
}

func (s *Server) revokeLink(w http.ResponseWriter, r *http.Request) error {
	id, err := linkIDVar(r)
	if err != nil {
		return err
	}
	if err := permit(r, ""); err != nil {
		return err
	}
	if err := readEmptyBody(r); err != nil {
		return err
	}
	if err := s.cfg.Meta.RevokeLink(r.Context(), tokenOf(r).User, id, s.cfg.Now()); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// publicLink returns link id for a public request: not_found, or gone.
func (s *Server) publicLink(r *http.Request, id string) (*meta.Link, error) {
	l, err := s.cfg.Meta.Link(r.Context(), id)
	if errors.Is(err, meta.ErrNotFound) {
		return nil, Errorf(wire.CodeNotFound, "no such link")
	}
	if err != nil {
		return nil, err
	}
	if why := l.Gone(s.cfg.Now()); why != "" {
		return nil, &Error{Code: wire.CodeGone, Message: goneMessage[why], Reason: why}
	}
	return l, nil
}

func (s *Server) linkInfo(w http.ResponseWriter, r *http.Request) error {
	if wait := s.linkInfos.Take("addr:"+s.clientAddr(r), s.cfg.Now()); wait > 0 {
		return &Error{Code: wire.CodeRateLimited, Message: "too many link requests from this address; wait and try again", Retry: retrySeconds(wait)}
	}
	id, err := linkIDVar(r)
	if err != nil {
		return err
	}
	l, err := s.publicLink(r, id)
	if err != nil {
		return err
	}
	out := map[string]any{"id": l.ID, "kind": l.Kind, "expires": l.Expires.UTC().Truncate(time.Second)}
	if l.KDF != nil {
		out["password"] = linkPassword{Salt: l.Salt, KDF: linkKDF{l.KDF.Alg, l.KDF.Memory, l.KDF.Time, l.KDF.Threads}}
	}
	if d := l.Drop; d != nil {
		out["drop"] = dropJSON{Recipient: d.Recipient, Tag: d.Tag, MaxFiles: d.MaxFiles, MaxFileSize: d.MaxFileSize, MaxTotal: d.MaxTotal, Files: &d.Files, Bytes: &d.Bytes}
	}
	return writeJSON(w, http.StatusOK, out)
}

// proofWait answers rate_limited while link id or the client's address is
// held back by wrong proofs (§8.12.3 step 1).
func (s *Server) proofWait(r *http.Request, id string) error {
	now := s.cfg.Now()
	wait := max(s.proofByLink.Wait(id, now), s.proofByAddr.Wait(s.clientAddr(r), now))
	if wait > 0 {
		return &Error{Code: wire.CodeRateLimited, Message: "too many wrong link proofs; wait and try again", Retry: retrySeconds(wait)}
	}
	return nil
}

// proofHeader reads Hearth-Link-Proof (§8.12).
func proofHeader(r *http.Request) ([]byte, error) {
	p, err := base64.StdEncoding.Strict().DecodeString(r.Header.Get("Hearth-Link-Proof"))
	if err != nil || len(p) != 32 {
		return nil, Errorf(wire.CodeBadRequest, "Hearth-Link-Proof: the base64 of the link's 32-byte access proof")
	}
	return p, nil
}

// checkProof counts the attempt as a wrong proof before it compares
// SHA-256(proof) with the verifier in constant time, and takes the count
// back on a match (§8.12.3 step 5).
func (s *Server) checkProof(r *http.Request, l *meta.Link, proof []byte) error {
	now, addr := s.cfg.Now(), s.clientAddr(r)
	if wait := s.proofByLink.Reserve(l.ID, now); wait > 0 {
		return &Error{Code: wire.CodeRateLimited, Message: "too many wrong link proofs; wait and try again", Retry: retrySeconds(wait)}
	}
	if wait := s.proofByAddr.Reserve(addr, now); wait > 0 {
		s.proofByLink.Release(l.ID)
		return &Error{Code: wire.CodeRateLimited, Message: "too many wrong link proofs; wait and try again", Retry: retrySeconds(wait)}
	}
	h := sha256.Sum256(proof)
	if subtle.ConstantTimeCompare(h[:], l.Verifier[:]) != 1 {
		if err := s.cfg.Meta.LinkFailure(r.Context(), l.ID); err != nil {
			s.cfg.Log.Error("counting a wrong link proof failed", "err", err)
		}
		return Errorf(wire.CodeForbidden, "wrong link or password")
	}
	s.proofByLink.Release(l.ID)
	s.proofByAddr.Release(addr)
	return nil
}

func (s *Server) openLink(w http.ResponseWriter, r *http.Request) error {
	id, err := linkIDVar(r)
	if err != nil {
		return err
	}
	if err := s.proofWait(r, id); err != nil {
		return err
	}
	proof, err := proofHeader(r)
	if err != nil {
		return err
	}
	if err := readEmptyBody(r); err != nil {
		return err
	}
	l, err := s.publicLink(r, id)
	if err != nil {
		return err
	}
	if l.Kind != meta.LinkShare {
		return Errorf(wire.CodeNotFound, "no such share link")
	}
	if err := s.checkProof(r, l, proof); err != nil {
		return err
	}
	now := s.cfg.Now()
	tok, hash := auth.NewToken(auth.LinkPrefix)
	expires := now.Add(linkTokenTTL)
	if l.Expires.Before(expires) {
		expires = l.Expires
	}
	l, err = s.cfg.Meta.OpenLink(r.Context(), id, now, &meta.LinkToken{Hash: hash, Link: id, Expires: expires})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"token": tok, "expires": expires.UTC().Truncate(time.Second),
		"version": l.Version, "manifest": l.Manifest})
}

func (s *Server) linkBlob(w http.ResponseWriter, r *http.Request) error {
	tok, ok := auth.ParseLinkBearer(r.Header.Get("Authorization"))
	if !ok {
		return Errorf(wire.CodeUnauthenticated, "send Authorization: Bearer with the link token an open gave")
	}
	id, err := linkIDVar(r)
	if err != nil {
		return err
	}
	blobID, err := subIDVar(r, "blob")
	if err != nil {
		return err
	}
	now := s.cfg.Now()
	t, err := s.cfg.Meta.LinkTokenByHash(r.Context(), auth.TokenHash(tok))
	if errors.Is(err, meta.ErrNotFound) || err == nil && (t.Link != id || !now.Before(t.Expires)) {
		return Errorf(wire.CodeUnauthenticated, "the link token is unknown, expired, revoked or of another link; open the link again")
	} else if err != nil {
		return err
	}
	l, err := s.cfg.Meta.Link(r.Context(), id)
	if err != nil {
		return err
	}
	if why := l.Gone(now); why == meta.GoneRevoked || why == meta.GoneExpired { // exhausted ends no token (§8.12.3)
		return &Error{Code: wire.CodeGone, Message: goneMessage[why], Reason: why}
	}
	if _, found := slices.BinarySearch(l.Blobs, blobID); !found {
		return Errorf(wire.CodeNotFound, "the link does not reach this blob")
	}
	row, err := s.cfg.Meta.BlobRow(r.Context(), l.User, meta.FilesDoctype, blobID, false)
	if errors.Is(err, meta.ErrNotFound) {
		return Errorf(wire.CodeNotFound, "the blob was deleted")
	} else if err != nil {
		return err
	}
	return s.serveBlob(w, r, row)
}
