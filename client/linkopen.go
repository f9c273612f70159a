package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/hearthcloud/hearth/crypto/kdf"
	"github.com/hearthcloud/hearth/crypto/link"
	"github.com/hearthcloud/hearth/crypto/seal"
	"github.com/hearthcloud/hearth/internal/wire"
)

// Links without an account (spec/protocol.md §4.5, §8.12): OpenLink opens
// a share link and downloads what it gives, Drop drops files through a
// drop link. The fragment key and the password never leave this device:
// only the access proof derived from them is sent.

// Errors of links.
var (
	// ErrPasswordNeeded: the link has a password and none was given.
	ErrPasswordNeeded = errors.New("client: this link needs its password")
	// ErrWrongPassword: the server refused the access proof (a wrong
	// password, or a link that is not quite the one given).
	ErrWrongPassword = errors.New("client: wrong password (or a damaged link)")
)

// A GoneError says that a link was revoked, expired or used up.
type GoneError struct{ Reason string }

func (e *GoneError) Error() string {
	switch e.Reason {
	case "revoked":
		return "this link was revoked by its owner"
	case "expired":
		return "this link has expired"
	case "exhausted":
		return "this link is used up: it was opened, or took files, as many times as it allows"
	}
	return "this link no longer works"
}

// VersionStore remembers the highest manifest version opened per link, so
// that a host cannot replay an older folder listing (§4.5). A nil store
// remembers nothing.
type VersionStore interface {
	LinkVersion(id string) uint64
	SetLinkVersion(id string, v uint64) error
}

// MemoryVersions is a VersionStore in memory.
type MemoryVersions struct {
	mu sync.Mutex
	m  map[string]uint64
}

func (m *MemoryVersions) LinkVersion(id string) uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.m[id]
}

func (m *MemoryVersions) SetLinkVersion(id string, v uint64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil {
		m.m = map[string]uint64{}
	}
	m.m[id] = v
	return nil
}

// LinkOptions carry what the link functions use: a transport (nil: the
// default), the store of manifest versions (nil: none), and the floor of
// password parameters (kdf.Params.Check, always applied).
type LinkOptions struct {
	Transport Transport
	Versions  VersionStore
	// UploadRetry is how long Drop retries a large drop's upload without
	// progress before it gives up; 0: 2 minutes.
	UploadRetry time.Duration
}

// linkConn talks to a link's server without an account.
type linkConn struct {
	tr     Transport
	origin string
}

func newLinkConn(u *link.URL, o *LinkOptions) *linkConn {
	lc := &linkConn{origin: u.Origin}
	if o != nil {
		lc.tr = o.Transport
	}
	if lc.tr == nil {
		lc.tr = defaultTransport()
	}
	return lc
}

// do sends one request and returns a 2xx answer's body (JSON answers) or
// an error: *GoneError for 410, *APIError otherwise.
func (lc *linkConn) do(ctx context.Context, method, path string, hdr map[string]string, body io.Reader, n int64) (*httpResponse, error) {
	req := &httpRequest{method: method, url: lc.origin + path, header: hdr, body: body, contentLength: n}
	res, err := lc.tr.roundTrip(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	if res.status >= 200 && res.status <= 299 {
		return res, nil
	}
	defer res.body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.body, 1<<20))
	var m struct {
		Error wire.ErrorBody `json:"error"`
	}
	if res.status == 410 && json.Unmarshal(b, &m) == nil {
		return nil, &GoneError{Reason: m.Error.Reason}
	}
	return nil, apiError(res, b)
}

// call sends r (Client.call's request) through the link with hdr's
// headers added, and reads a 2xx answer whole.
func (lc *linkConn) call(ctx context.Context, r request, hdr map[string]string) (*response, error) {
	to := r.timeout
	if to == 0 {
		to = callTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, to)
	defer cancel()
	h := map[string]string{}
	for k, v := range hdr {
		h[k] = v
	}
	for k, v := range r.hdr {
		h[k] = v
	}
	var body io.Reader
	if r.body != nil {
		body, h["Content-Type"] = bytes.NewReader(r.body), r.ctype
	}
	res, err := lc.do(ctx, r.method, r.path, h, body, int64(len(r.body)))
	if err != nil {
		return nil, err
	}
	defer res.body.Close()
	b, err := io.ReadAll(io.LimitReader(res.body, maxResponse))
	if err != nil {
		return nil, fmt.Errorf("client: reading the answer: %w", err)
	}
	return &response{status: res.status, header: res.header, body: b}, nil
}

func (lc *linkConn) json(ctx context.Context, method, path string, hdr map[string]string, out any) error {
	res, err := lc.do(ctx, method, path, hdr, nil, 0)
	if err != nil {
		return err
	}
	defer res.body.Close()
	b, err := io.ReadAll(io.LimitReader(res.body, maxResponse))
	if err != nil {
		return fmt.Errorf("client: %w", err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("client: the server's answer is malformed: %v", err)
	}
	return nil
}

// linkInfo is a link's public information (§8.12.2).
type linkInfo struct {
	Kind     string `json:"kind"`
	Password *struct {
		Salt []byte     `json:"salt"`
		KDF  kdf.Params `json:"kdf"`
	} `json:"password"`
	Drop *struct {
		Recipient string `json:"recipient"`
		Tag       []byte `json:"tag"`
	} `json:"drop"`
}

// A Shared is an opened share link: its authenticated manifest, and the
// token to download what it names.
type Shared struct {
	Manifest *link.Manifest
	Version  uint64
	lc       *linkConn
	id       string
	token    string
}

// LinkHasPassword reports whether a share link needs a password, from its
// public information (to ask for one only then).
func LinkHasPassword(ctx context.Context, rawURL string, o *LinkOptions) (bool, error) {
	u, err := link.ParseURL(rawURL)
	if err != nil {
		return false, err
	}
	var info linkInfo
	if err := newLinkConn(u, o).json(ctx, "GET", "/v1/links/"+u.ID, nil, &info); err != nil {
		return false, err
	}
	return info.Password != nil, nil
}

// OpenLink opens a share link: it derives the access proof from the URL's
// key (and password, for a link that has one), opens the link (which the
// server counts), and opens the sealed manifest, refusing one older than
// the highest version o.Versions remembers.
func OpenLink(ctx context.Context, rawURL, password string, o *LinkOptions) (*Shared, error) {
	u, err := link.ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	if u.Kind != link.Share {
		return nil, fmt.Errorf("client: this is a drop link: it takes files, it gives none")
	}
	lc := newLinkConn(u, o)
	var info linkInfo
	if err := lc.json(ctx, "GET", "/v1/links/"+u.ID, nil, &info); err != nil {
		return nil, err
	}
	var pw []byte
	if p := info.Password; p != nil {
		if password == "" {
			return nil, ErrPasswordNeeded
		}
		if pw, err = link.PasswordKey(password, p.Salt, p.KDF); err != nil {
			return nil, err
		}
	}
	keys, err := link.Derive(u.ID, u.Key, pw)
	if err != nil {
		return nil, err
	}
	var opened struct {
		Token    string `json:"token"`
		Version  uint64 `json:"version"`
		Manifest []byte `json:"manifest"`
	}
	err = lc.json(ctx, "POST", "/v1/links/"+u.ID+"/open", map[string]string{"Hearth-Link-Proof": base64.StdEncoding.EncodeToString(keys.Proof())}, &opened)
	if isCode(err, wire.CodeForbidden) {
		return nil, ErrWrongPassword
	}
	if err != nil {
		return nil, err
	}
	m, err := link.OpenManifest(keys, opened.Version, opened.Manifest)
	if err != nil {
		return nil, integrity("the link's manifest does not open (altered, or not this link's)")
	}
	if o != nil && o.Versions != nil {
		if seen := o.Versions.LinkVersion(u.ID); opened.Version < seen {
			return nil, integrity("the server gave version %d of the link's manifest after this device opened version %d (a replay)", opened.Version, seen)
		}
		if err := o.Versions.SetLinkVersion(u.ID, opened.Version); err != nil {
			return nil, err
		}
	}
	return &Shared{Manifest: m, Version: opened.Version, lc: lc, id: u.ID, token: opened.Token}, nil
}

// Download streams the content of file entry e of the manifest to w,
// checking the blob's size and digest and opening it with its file key;
// the metadata's size must equal e.Length. As for Client.Download,
// plaintext reaches w one authenticated chunk at a time, before the whole
// is verified: on error, discard everything written to w.
func (s *Shared) Download(ctx context.Context, e link.Entry, w io.Writer) error {
	if e.Folder {
		return fmt.Errorf("client: %s is a folder", e.Path)
	}
	res, err := s.lc.do(ctx, "GET", "/v1/links/"+s.id+"/blobs/"+pathEscape(e.Blob), map[string]string{"Authorization": "Bearer " + s.token}, nil, 0)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return integrity("the server has no blob for %s", e.Path)
		}
		return err
	}
	defer res.body.Close()
	if res.contentLength >= 0 && res.contentLength != e.Size {
		return integrity("the server's blob for %s has the wrong size", e.Path)
	}
	cr := &countingReader{r: io.LimitReader(res.body, e.Size+1), h: sha256.New()}
	br, err := seal.OpenBlobWithFileKey(cr, e.Key)
	if err != nil {
		if cr.err != nil {
			return fmt.Errorf("client: download: %w", cr.err)
		}
		return integrity("the blob for %s does not open with its key (altered or swapped)", e.Path)
	}
	if br.Meta().Size != e.Length {
		return integrity("the blob for %s is not the length the link says", e.Path)
	}
	if _, err := io.Copy(w, br); err != nil {
		if cr.err != nil {
			return fmt.Errorf("client: download: %w", cr.err)
		}
		if errors.Is(err, seal.ErrIntegrity) {
			return integrity("the blob for %s failed to authenticate", e.Path)
		}
		return err
	}
	io.Copy(io.Discard, cr) // nothing should be left
	if cr.n != e.Size || !bytes.Equal(cr.h.Sum(nil), e.Digest) {
		return integrity("the blob for %s is not the one the link names (its digest differs)", e.Path)
	}
	return nil
}

// A DropFile is a file to drop: Size bytes read from Content.
type DropFile struct {
	Name    string
	Type    string
	ModTime time.Time
	Size    int64
	Content io.Reader
}

// Drop drops files through a drop link: each is sealed to the link owner's
// recipient, whose tag it checks first (the host cannot swap in a key of
// its own), with a tag only a holder of the link can make, and uploaded.
// It returns the number of files dropped before any error.
func Drop(ctx context.Context, rawURL string, files []DropFile, o *LinkOptions) (int, error) {
	u, err := link.ParseURL(rawURL)
	if err != nil {
		return 0, err
	}
	if u.Kind != link.Drop {
		return 0, fmt.Errorf("client: this is a share link, not a drop link")
	}
	lc := newLinkConn(u, o)
	var info linkInfo
	if err := lc.json(ctx, "GET", "/v1/links/"+u.ID, nil, &info); err != nil {
		return 0, err
	}
	if info.Drop == nil {
		return 0, integrity("the server's information for a drop link names no recipient")
	}
	keys, err := link.Derive(u.ID, u.Key, nil)
	if err != nil {
		return 0, err
	}
	r, err := keys.CheckRecipient(info.Drop.Recipient, info.Drop.Tag)
	if err != nil {
		return 0, integrity("the link's recipient key is not the owner's (the server swapped it?)")
	}
	proof := base64.StdEncoding.EncodeToString(keys.Proof())
	for i, f := range files {
		meta := seal.Meta{Name: f.Name, Type: f.Type, Size: f.Size}
		if !f.ModTime.IsZero() {
			meta.Modified = f.ModTime.Unix()
		}
		size, err := link.DropSize(r, meta)
		if err != nil {
			return i, err
		}
		dropID := wire.NewID()
		pr, pw := io.Pipe()
		go func() {
			w, err := link.NewDropWriter(pw, keys, dropID, r, meta)
			if err == nil {
				_, err = io.Copy(w, io.LimitReader(f.Content, f.Size))
			}
			if err == nil {
				err = w.Close()
			}
			pw.CloseWithError(err)
		}()
		err = lc.dropBlob(ctx, u.ID, dropID, proof, pr, size, o)
		pr.CloseWithError(errors.New("client: upload ended"))
		if err != nil {
			return i, err
		}
	}
	return len(files), nil
}

// dropBlob uploads one sealed drop of size bytes: in one PUT, or, above
// the size at which the owner's uploads do, through an upload session of
// the link (§8.12.5), which resumes after a cut connection.
func (lc *linkConn) dropBlob(ctx context.Context, linkID, dropID, proof string, sealed io.Reader, size int64, o *LinkOptions) error {
	hdr := map[string]string{"Hearth-Link-Proof": proof}
	if size <= sessionThreshold {
		hdr["Content-Type"] = "application/octet-stream"
		res, err := lc.do(ctx, "PUT", "/v1/links/"+linkID+"/drops/"+dropID, hdr, sealed, size)
		if err != nil {
			return err
		}
		res.body.Close()
		return nil
	}
	window := defaultUploadRetry
	if o != nil && o.UploadRetry > 0 {
		window = o.UploadRetry
	}
	up := &upload{call: func(ctx context.Context, r request) (*response, error) { return lc.call(ctx, r, hdr) }, window: window,
		doctype: "io.hearth.drops", path: "/v1/links/" + linkID + "/uploads/" + dropID, id: dropID, size: size}
	_, err := up.upload(ctx, sealed)
	return err
}
