// Package client is the Hearth client library (spec/protocol.md): sessions,
// the keyring, documents, the changes feed and blobs over the HTTP API of §8.
// It does all the cryptography with the crypto/ packages and trusts the
// server with nothing but availability: every document, keyring and blob it
// receives is opened with the names and revision it asked for, and it
// remembers the highest keyring revision, the highest revision of every
// document and the verified position of the changes feed (State), refusing
// any step backwards with ErrIntegrity; after one, the device halts
// (ErrHalted, succession.go) until the user accepts what the server holds.
//
// A user's Client also makes app and device tokens and grants them doctype
// keys (CreateToken, Grant, with a grantee record each: grantees.go);
// installs, updates and uninstalls apps (apps.go); revokes a token by
// rotating the keys it held (revoke.go) and seals the documents again with
// the new keys (reseal.go). An App (ConnectApp) works with such a token and
// only the keys its grant gives, for a browser app on its own origin
// (spec/web.md §5) or a third-party app. Where a Client's doctype keys come
// from, the keyring or a grant, is its keySource (keysource.go). Both store
// and fetch the sealed segments and manifests of search indexes (index.go,
// manifest.go) for client/search.
//
// It never imports server/ and builds for GOOS=js GOARCH=wasm.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hearthcloud/hearth/crypto/kdf"
	"github.com/hearthcloud/hearth/internal/wire"
)

// State is everything a device keeps between runs. It holds the master key
// and the session token: store it only where the user's other secrets live
// (the CLI writes it as JSON with mode 0600).
type State struct {
	Server     string `json:"server"`      // base URL, without a trailing slash
	User       string `json:"user"`        // account name
	SessionID  string `json:"session_id"`  // id of this device's session
	Token      string `json:"token"`       // session token (hst_…)
	MasterKey  []byte `json:"master_key"`  // 32 bytes; opens the keyring
	KeyringRev uint64 `json:"keyring_rev"` // highest keyring revision opened
	// KeyringDigest is the digest of keyring revision KeyringRev (§4.2):
	// any keyring opened later must be it or descend from it.
	KeyringDigest []byte `json:"keyring_digest,omitempty"`
	// KDF and Seed are the account's key-derivation parameters and seed as
	// this device last derived keys with them: Login refuses others, which
	// only the host could have changed unless the password was changed on
	// another device (Options.KDFChanged).
	KDF  *kdf.Params `json:"kdf,omitempty"`
	Seed []byte      `json:"seed,omitempty"`
	// Gens maps a doctype to the newest key generation this device has
	// seen, in a keyring or an item it opened. It never seals with an older
	// one (§4.1), and refuses a keyring that lacks it.
	Gens map[string]uint32 `json:"gens,omitempty"`
	// CaughtUp is set once the device has read the changes feed to its end
	// (CatchUp); it writes only then.
	CaughtUp bool `json:"caught_up,omitempty"`
	// Halted says why the device stopped writing to the account: it was
	// shown a rolled-back or forked history (ErrHalted). Only the user
	// clears it (AcceptServerState).
	Halted string `json:"halted,omitempty"`

	FeedSeq   uint64 `json:"feed_seq"`             // last verified seq of the changes feed
	FeedChain []byte `json:"feed_chain,omitempty"` // chain at FeedSeq (32 bytes; absent at 0)

	// Docs maps "doctype/id" to the highest revision seen of that document.
	Docs DocStates `json:"docs,omitempty"`

	// Grants maps a token id to the highest grant revision this device
	// issued for it (Grant).
	Grants map[string]uint64 `json:"grants,omitempty"`

	// Manifests maps a doctype to what this device saw of its search-index
	// manifest (§7.2), as Docs does for documents.
	Manifests map[string]DocState `json:"manifests,omitempty"`

	// Resealed maps a doctype to the key generation this device last
	// re-sealed all its documents with (Reseal): PendingReseal leaves it
	// out while that is still the newest, even if blobs keep an older one.
	Resealed map[string]uint32 `json:"resealed,omitempty"`
	// ResealSeen maps a doctype to when this device saw a re-seal of it
	// complete, before its old generations may be dropped (Reseal).
	ResealSeen map[string]ResealMark `json:"reseal_seen,omitempty"`
}

// DocState is what a device remembers of one document.
type DocState struct {
	Rev    uint64 `json:"rev"`              // highest revision seen
	Digest []byte `json:"digest,omitempty"` // SHA-256 of that revision's sealed bytes, when known
	// Gen is the highest key generation seen sealing a revision of the
	// document (0: unknown). Generations never go down along a document's
	// history (§5.5), so a revision at or above Rev sealed with an older
	// generation (a retired key) is refused.
	Gen uint32 `json:"gen,omitempty"`
	// FeedRev is the highest revision the verified changes feed has shown;
	// below Rev when this device read or wrote a revision it has not yet
	// synced. A Sync that reaches the end of the feed must show Rev.
	FeedRev uint64 `json:"feed_rev,omitempty"`
}

func docKey(doctype, id string) string { return doctype + "/" + id }

func (s *State) clone() *State {
	n := *s
	n.MasterKey = bytes.Clone(s.MasterKey)
	n.KeyringDigest = bytes.Clone(s.KeyringDigest)
	n.Seed = bytes.Clone(s.Seed)
	if s.KDF != nil {
		k := *s.KDF
		n.KDF = &k
	}
	n.Gens = maps.Clone(s.Gens)
	n.FeedChain = bytes.Clone(s.FeedChain)
	n.Docs = cloneDocs(s.Docs)
	n.Grants = maps.Clone(s.Grants)
	n.Resealed = maps.Clone(s.Resealed)
	n.ResealSeen = maps.Clone(s.ResealSeen)
	n.Manifests = cloneDocs(s.Manifests)
	return &n
}

// cloneDocs copies m, sharing the digests: a DocState's Digest is
// replaced, never changed in place (as DocStates.UnmarshalBinary shares its
// table's memory). maps.Clone copies the table whole, several times faster
// than inserting each of a drive's 10,000 entries again, and a page saves
// the State at every change.
func cloneDocs(m map[string]DocState) map[string]DocState {
	if m == nil {
		return map[string]DocState{}
	}
	return maps.Clone(m)
}

// A Client talks to one account on one server. Its methods may be called
// from several goroutines.
type Client struct {
	tr         Transport
	device     string
	kdf        kdf.Params
	prev       *State // Options.Previous
	prevFor    func(user string) *State
	kdfChanged bool   // Options.KDFChanged
	invite     string // Options.Invite
	// uploadRetry is Options.UploadRetry, defaulted (upload.go).
	uploadRetry time.Duration

	mu sync.Mutex // guards st and what src holds
	st State
	// src is where the doctype keys come from: the account's keyring
	// (keyringSource) or, for an App, its grant (grantSource).
	src keySource

	// raised maps the documents whose remembered revision this device
	// raised (by its own reads and writes) since Sync sent its latest page
	// request to the revision remembered before: the page may predate
	// what the device learned since.
	raised map[string]uint64
	// registered holds the doctypes this Client registered with the
	// server before uploading blobs of them (Upload).
	registered map[string]bool
	// passkeysLocked: why a Recover left the passkeys without an unlock.
	passkeysLocked error
	// fc is the files documents as last listed or written (files.go).
	fc filesCache
	// onWrite is told of each revision written (SetOnWrite, files.go).
	onWrite func(doctype, id string, rev uint64, content []byte)
	// fk is the file keys of the blobs whose headers a share link's
	// manifest read (links_publish.go).
	fk fileKeys
	// limits is what the server said of its limits (limits.go), guarded
	// by mu.
	limits serverLimits

	kmu    sync.Mutex // serializes keyring loads and changes
	syncMu sync.Mutex // one Sync at a time
}

// Doc is an opened document.
type Doc struct {
	Doctype string
	ID      string
	Rev     uint64
	Content []byte // empty for a tombstone
	Deleted bool
}

// Session is one session of the account (§8.2.4).
type Session = wire.SessionInfo

// Timeouts (§8.1.10).
const (
	callTimeout = 60 * time.Second // a JSON or document request, whole
	pollSlack   = 30 * time.Second // added to a long-poll's wait
)

// newClient makes a Client for server whose keys come from grant, an
// App's; nil: from the account's keyring.
func newClient(server string, o *Options, grant *grantSource) (*Client, error) {
	if o == nil {
		o = &Options{}
	}
	base, err := checkServer(server)
	if err != nil {
		return nil, err
	}
	c := &Client{device: o.Device, kdf: o.KDF, prev: o.Previous, prevFor: o.PreviousFor, kdfChanged: o.KDFChanged, invite: o.Invite}
	c.uploadRetry = o.UploadRetry
	if c.uploadRetry <= 0 {
		c.uploadRetry = defaultUploadRetry
	}
	c.tr = o.Transport
	if c.tr == nil {
		c.tr = defaultTransport()
	}
	if c.device == "" {
		c.device = "hearth"
	}
	if c.kdf == (kdf.Params{}) {
		c.kdf = kdf.Default
	}
	c.st.Server = base
	c.st.Docs = map[string]DocState{}
	if grant != nil {
		grant.c, c.src = c, grant
	} else {
		c.src = &keyringSource{c: c}
	}
	return c, nil
}

// checkServer normalizes the server URL and refuses plain HTTP except on a
// loopback address or name (§8.1.1, loopbackName).
func checkServer(server string) (string, error) {
	u, err := url.Parse(strings.TrimRight(server, "/"))
	if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("client: %q is not a server URL (give https://host[:port])", server)
	}
	switch u.Scheme {
	case "https":
	case "http":
		h := u.Hostname()
		ip := net.ParseIP(h)
		if !loopbackName(strings.ToLower(h)) && (ip == nil || !ip.IsLoopback()) {
			return "", fmt.Errorf("client: refusing plain http:// to %s: use https:// (only loopback addresses may use http)", h)
		}
	default:
		return "", fmt.Errorf("client: %q is not a server URL (give https://host[:port])", server)
	}
	return u.String(), nil
}

// adopt takes over what an earlier session of user on this server
// remembered (Options.Previous).
func (c *Client) adopt(user string) {
	p := c.previous(user)
	if p == nil {
		return
	}
	p = p.clone()
	c.st.KeyringRev, c.st.FeedSeq, c.st.FeedChain, c.st.Docs, c.st.Grants, c.st.Manifests, c.st.Resealed, c.st.ResealSeen = p.KeyringRev, p.FeedSeq, p.FeedChain, p.Docs, p.Grants, p.Manifests, p.Resealed, p.ResealSeen
	c.st.KeyringDigest, c.st.Gens, c.st.Halted = p.KeyringDigest, p.Gens, p.Halted
	// The seed and parameters a login derived its keys with (prelogin)
	// stay: with Options.KDFChanged they are not the earlier session's.
	if c.st.KDF == nil {
		c.st.KDF, c.st.Seed = p.KDF, p.Seed
	}
}

// previous returns Options.Previous when it is a well-formed State of user
// on this server, or nil.
func (c *Client) previous(user string) *State {
	p := c.prev
	if p == nil && c.prevFor != nil {
		p = c.prevFor(user)
	}
	if p == nil || p.User != user {
		return nil
	}
	if base, err := checkServer(p.Server); err != nil || base != c.st.Server {
		return nil
	}
	if (p.FeedSeq == 0) != (len(p.FeedChain) == 0) || len(p.FeedChain) != 0 && len(p.FeedChain) != wire.ChainSize {
		return nil
	}
	return p
}

// Resume continues a session saved with State. It does no network I/O; the
// keyring is fetched and opened when first needed.
func Resume(st *State, o *Options) (*Client, error) {
	if st == nil {
		return nil, errors.New("client: no state to resume")
	}
	c, err := newClient(st.Server, o, nil)
	if err != nil {
		return nil, err
	}
	if err := wire.CheckUser(st.User); err != nil {
		return nil, fmt.Errorf("client: saved state: %w", err)
	}
	if len(st.MasterKey) != 32 || st.Token == "" {
		return nil, errors.New("client: saved state has no session or master key; log in again")
	}
	if (st.FeedSeq == 0) != (len(st.FeedChain) == 0) || len(st.FeedChain) != 0 && len(st.FeedChain) != wire.ChainSize {
		return nil, errors.New("client: saved state has a malformed feed position")
	}
	base := c.st.Server
	c.st = *st.clone()
	c.st.Server = base
	return c, nil
}

// State returns a snapshot of what the device should keep.
func (c *Client) State() *State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st.clone()
}

// KnownRevs returns the revision this device remembers of each document
// of doctype it has seen (State.Docs: deleted ones too), by id, without
// copying the rest of the State.
func (c *Client) KnownRevs(doctype string) map[string]uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]uint64{}
	prefix := doctype + "/"
	for k, ds := range c.st.Docs {
		if id, ok := strings.CutPrefix(k, prefix); ok {
			out[id] = ds.Rev
		}
	}
	return out
}

// User returns the account's user name.
func (c *Client) User() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st.User
}

func (c *Client) token() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st.Token
}

// request is one API call.
type request struct {
	method, path string
	ctype        string
	body         []byte
	held         heldBody // instead of body (upload.go)
	hdr          map[string]string
	noAuth       bool
	timeout      time.Duration // 0: callTimeout
}

// maxResponse bounds what a non-blob response may hold (32 MiB JSON, §8.1.10,
// plus base64 slack).
const maxResponse = 48 << 20

// response is a finished call with a 2xx status.
type response struct {
	status int
	header header
	body   []byte
}

// Retries of an answer 503 unavailable (§8.1.11).
const (
	maxRetries   = 2
	maxRetryWait = 10 * time.Second
)

// errAnswerCut: the answer's body ended before its end.
var errAnswerCut = errors.New("cut short")

// call sends r and reads the whole answer. A non-2xx answer is an *APIError.
// An answer 503 unavailable from the server itself, which then did nothing
// (§8.1.11), is sent again after its Retry-After, up to maxRetries times if
// the wait is at most maxRetryWait; other refusals, 429 rate_limited
// included, are returned at once with their RetryAfter.
func (c *Client) call(ctx context.Context, r request) (*response, error) {
	cut := false
	for try := 0; ; try++ {
		res, err := c.call1(ctx, r)
		// An answer to a read cut in the middle (a connection lost, a
		// proxy in between that failed) is asked for once more: reading
		// changes nothing.
		if errors.Is(err, errAnswerCut) && !cut && (r.method == "GET" || r.method == "HEAD") && ctx.Err() == nil {
			cut = true
			try--
			continue
		}
		var ae *APIError
		if try == maxRetries || !errors.As(err, &ae) || ae.Code != wire.CodeUnavailable || ae.RetryAfter <= 0 || ae.RetryAfter > maxRetryWait {
			return res, err
		}
		t := time.NewTimer(ae.RetryAfter)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, err
		case <-t.C:
		}
	}
}

// call1 sends r once.
func (c *Client) call1(ctx context.Context, r request) (*response, error) {
	to := r.timeout
	if to == 0 {
		to = callTimeout
	}
	if err := c.mayWrite(r); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, to)
	defer cancel()
	req := &httpRequest{method: r.method, url: c.st.Server + r.path, header: map[string]string{}}
	if r.body != nil {
		req.body, req.contentLength, req.whole = bytes.NewReader(r.body), int64(len(r.body)), r.body
		req.header["Content-Type"] = r.ctype
	}
	if r.held != nil {
		req.held, req.contentLength = r.held, r.held.Len()
		req.header["Content-Type"] = r.ctype
	}
	if !r.noAuth {
		req.header["Authorization"] = "Bearer " + c.token()
	}
	for k, v := range r.hdr {
		req.header[k] = v
	}
	res, err := c.tr.roundTrip(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	defer res.body.Close()
	// Sized from Content-Length when it is given, so a page of 32 MiB
	// (§8.6.1) is read into one buffer of its size, not grown by doubling.
	var buf bytes.Buffer
	if cl := res.contentLength; cl >= 0 && cl <= maxResponse {
		buf.Grow(int(cl) + bytes.MinRead)
	}
	_, err = buf.ReadFrom(io.LimitReader(res.body, maxResponse+1))
	b := buf.Bytes()
	if err != nil {
		return nil, fmt.Errorf("client: reading the answer: %w: %w", errAnswerCut, err)
	}
	if len(b) > maxResponse {
		return nil, fmt.Errorf("client: the server's answer is too large")
	}
	if res.status < 200 || res.status > 299 {
		return nil, apiError(res, b)
	}
	return &response{status: res.status, header: res.header, body: b}, nil
}

func apiError(res *httpResponse, b []byte) *APIError {
	var m struct {
		Error wire.ErrorBody `json:"error"`
	}
	e := &APIError{Status: res.status}
	if json.Unmarshal(b, &m) == nil && m.Error.Code != "" {
		e = refusal(res.status, &m.Error)
	} else {
		e.Code = wire.Code("http_" + strconv.Itoa(res.status))
		e.Message = statusMessage(res.status)
	}
	if len(e.Message) > 300 {
		e.Message = e.Message[:300]
	}
	if s, err := strconv.Atoi(res.header.Get("Retry-After")); err == nil && s > 0 {
		e.RetryAfter = time.Duration(s) * time.Second
	}
	return e
}

// callJSON sends in (if not nil) as JSON and decodes the answer into out (if
// not nil). Unknown members are ignored (§8.1.1).
func (c *Client) callJSON(ctx context.Context, method, path string, in, out any, hdr map[string]string, noAuth bool) (*response, error) {
	r := request{method: method, path: path, hdr: hdr, noAuth: noAuth}
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		r.body, r.ctype = b, "application/json"
	}
	res, err := c.call(ctx, r)
	if err != nil {
		return nil, err
	}
	if out != nil {
		if err := json.Unmarshal(res.body, out); err != nil {
			return nil, fmt.Errorf("client: the server's answer to %s %s is malformed: %v", method, r.path, err)
		}
	}
	return res, nil
}

// revHeader parses Hearth-Revision (§8.1.7).
func revHeader(h header) (uint64, error) {
	v := h.Get("Hearth-Revision")
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n == 0 || n > 1<<53-1 || strconv.FormatUint(n, 10) != v {
		return 0, integrity("missing or malformed Hearth-Revision %q", v)
	}
	return n, nil
}

func pathEscape(s string) string { return url.PathEscape(s) }

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
