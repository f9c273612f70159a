package api_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hearthcloud/hearth/internal/wire"
	"github.com/hearthcloud/hearth/server/api"
	"github.com/hearthcloud/hearth/server/auth"
	blobmem "github.com/hearthcloud/hearth/server/blob/memory"
	metamem "github.com/hearthcloud/hearth/server/meta/memory"
	"github.com/hearthcloud/hearth/server/totp"
)

// syncBuffer collects the server's log.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

type env struct {
	t   *testing.T
	url string
	log *syncBuffer
	now *time.Time
	srv *api.Server

	clock sync.Mutex // guards *now for advance and Config.Now
}

// advance moves the server's clock forward by d.
func (e *env) advance(d time.Duration) {
	e.clock.Lock()
	defer e.clock.Unlock()
	*e.now = e.now.Add(d)
}

// newEnv starts the API on a loopback port over in-memory stores.
// Each of opts may change the configuration first.
func newEnv(t *testing.T, opts ...func(*api.Config)) *env {
	t.Helper()
	secret := make([]byte, 32)
	rand.Read(secret)
	now := time.Now()
	e := &env{t: t, log: &syncBuffer{}, now: &now}
	cfg := api.Config{
		Meta: metamem.New(), Blobs: blobmem.New(1 << 30), Secret: secret,
		Hash: auth.HashParams{Memory: 64, Time: 1, Threads: 1},
		Now:  func() time.Time { e.clock.Lock(); defer e.clock.Unlock(); return *e.now },
		Log:  slog.New(slog.NewTextHandler(e.log, nil)),
	}
	for _, o := range opts {
		o(&cfg)
	}
	srv := api.New(cfg)
	e.srv = srv
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	e.url = ts.URL
	return e
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("response %d is not JSON: %q", r.status, r.body)
	}
	return m
}

func (r resp) code() string {
	var m struct {
		Error struct{ Code string } `json:"error"`
	}
	json.Unmarshal(r.body, &m)
	return m.Error.Code
}

// do sends a request; body may be a []byte (octet-stream), a string (sent
// as JSON verbatim) or any other value (marshalled to JSON).
func (e *env) do(method, path, token string, body any, hdr ...string) resp {
	e.t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case []byte:
		rd, ct = bytes.NewReader(b), "application/octet-stream"
	case string:
		rd, ct = strings.NewReader(b), "application/json"
	default:
		j, _ := json.Marshal(b)
		rd, ct = bytes.NewReader(j), "application/json"
	}
	req, _ := http.NewRequest(method, e.url+path, rd)
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{res.StatusCode, res.Header, b}
}

func (e *env) want(r resp, status int, code string) {
	e.t.Helper()
	if r.status != status || r.code() != code {
		e.t.Fatalf("got %d %s (%s), want %d %s", r.status, r.code(), r.body, status, code)
	}
}

func rnd32() []byte { b := make([]byte, 32); rand.Read(b); return b }

var defaultKDF = map[string]any{"alg": "argon2id", "m": 65536, "t": 3, "p": 1}

// signup makes an account and returns its login secret and session token.
func (e *env) signup(user string) (secret []byte, token string) {
	e.t.Helper()
	secret = rnd32()
	r := e.do("POST", "/v1/accounts", "", map[string]any{
		"user": user, "kdf": defaultKDF, "seed": rnd32(), "login_secret": secret, "recovery_auth": rnd32(),
		"keyring": []byte("sealed keyring 1"), "recovery_keyring": []byte("sealed recovery 1"), "device": "laptop",
	})
	e.want(r, 201, "")
	return secret, r.json(e.t)["session"].(map[string]any)["token"].(string)
}

func (e *env) login(user string, secret []byte, extra map[string]any) resp {
	body := map[string]any{"user": user, "login_secret": secret, "device": "phone"}
	for k, v := range extra {
		body[k] = v
	}
	return e.do("POST", "/v1/login", "", body)
}

func TestSignupPreloginLogin(t *testing.T) {
	e := newEnv(t)
	secret, tok := e.signup("alice")
	e.want(e.do("POST", "/v1/accounts", "", map[string]any{
		"user": "alice", "kdf": defaultKDF, "seed": rnd32(), "login_secret": rnd32(), "recovery_auth": rnd32(),
		"keyring": []byte("k"), "recovery_keyring": []byte("r"), "device": "x"}), 409, "user_exists")

	// Prelogin: the stored seed for alice, a stable fake one for nobody, same shape.
	a := e.do("POST", "/v1/prelogin", "", `{"user":"alice"}`).json(t)
	n1 := e.do("POST", "/v1/prelogin", "", `{"user":"nobody"}`).json(t)
	n2 := e.do("POST", "/v1/prelogin", "", `{"user":"nobody"}`).json(t)
	if fmt.Sprint(n1) != fmt.Sprint(n2) || fmt.Sprint(a["kdf"]) != fmt.Sprint(n1["kdf"]) || n1["seed"] == a["seed"] {
		t.Fatalf("prelogin: %v / %v / %v", a, n1, n2)
	}

	e.want(e.login("alice", secret, nil), 200, "")
	e.want(e.login("alice", rnd32(), nil), 401, "bad_credentials")
	e.want(e.login("nobody", secret, nil), 401, "bad_credentials")

	// The session works, then logout kills it.
	e.want(e.do("GET", "/v1/sessions", tok, nil), 200, "")
	e.want(e.do("POST", "/v1/logout", tok, nil), 204, "")
	e.want(e.do("GET", "/v1/sessions", tok, nil), 401, "unauthenticated")
}

func TestBadInput(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		body   string
		status int
		code   string
	}{
		{`{"user":"alice"`, 400, "malformed_json"},
		{`{"user":"alice","admin":true}`, 400, "malformed_json"},
		{`{"user":1}`, 400, "malformed_json"},
		{`{"user":"alice"}{}`, 400, "malformed_json"},
		{``, 400, "malformed_json"},
		{`{"user":"Alice"}`, 400, "invalid_name"},
		{`{"user":"a/b"}`, 400, "invalid_name"},
	} {
		e.want(e.do("POST", "/v1/prelogin", "", c.body), c.status, c.code)
	}
	e.want(e.do("POST", "/v1/prelogin", "", []byte(`{"user":"alice"}`)), 415, "unsupported_media_type")
	weak := map[string]any{"alg": "argon2id", "m": 1024, "t": 1, "p": 1}
	e.want(e.do("POST", "/v1/accounts", "", map[string]any{"user": "bob", "kdf": weak, "seed": rnd32(), "login_secret": rnd32(),
		"recovery_auth": rnd32(), "keyring": []byte("k"), "recovery_keyring": []byte("r"), "device": "x"}), 400, "bad_request")
	e.want(e.do("GET", "/v1/nowhere", "", nil), 404, "not_found")
	e.want(e.do("DELETE", "/v1/prelogin", "", nil), 405, "method_not_allowed")
	e.want(e.do("GET", "/v1/sessions", "hst_bogus", nil), 401, "unauthenticated")
	// A body longer than the limit is refused before it is read.
	e.want(e.do("POST", "/v1/prelogin", "", `{"user":"`+strings.Repeat("a", 2<<20)+`"}`), 413, "too_large")
}

func TestLoginRateLimit(t *testing.T) {
	e := newEnv(t)
	secret, _ := e.signup("alice")
	for i := 0; i < 5; i++ {
		e.want(e.login("alice", rnd32(), nil), 401, "bad_credentials")
	}
	e.want(e.login("alice", rnd32(), nil), 401, "bad_credentials")
	r := e.login("alice", secret, nil) // even the right secret waits now
	e.want(r, 429, "rate_limited")
	if r.header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
	*e.now = e.now.Add(2 * time.Second)
	e.want(e.login("alice", secret, nil), 200, "")
}

func totpSecret(t *testing.T, uri string) []byte {
	u, err := url.Parse(uri)
	if err != nil {
		t.Fatal(err)
	}
	s, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(u.Query().Get("secret"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTOTP(t *testing.T) {
	e := newEnv(t)
	secret, tok := e.signup("alice")
	uri := e.do("POST", "/v1/totp/enroll", tok, nil).json(t)["uri"].(string)
	key := totpSecret(t, uri)
	e.want(e.do("POST", "/v1/totp/confirm", tok, map[string]string{"code": "000000"}), 401, "totp_invalid")
	r := e.do("POST", "/v1/totp/confirm", tok, map[string]string{"code": totp.Code(key, *e.now)})
	e.want(r, 200, "")
	codes := r.json(t)["recovery_codes"].([]any)
	if len(codes) != 10 {
		t.Fatalf("%d recovery codes", len(codes))
	}
	e.want(e.do("POST", "/v1/totp/enroll", tok, nil), 409, "exists")

	e.want(e.login("alice", secret, nil), 401, "totp_required")
	e.want(e.login("alice", rnd32(), map[string]any{"totp": "123456"}), 401, "bad_credentials")
	*e.now = e.now.Add(30 * time.Second)
	code := totp.Code(key, *e.now)
	e.want(e.login("alice", secret, map[string]any{"totp": code}), 200, "")
	e.want(e.login("alice", secret, map[string]any{"totp": code}), 401, "totp_replayed")
	e.want(e.login("alice", secret, map[string]any{"totp": "999999"}), 401, "totp_invalid")
	rc := codes[0].(string)
	e.want(e.login("alice", secret, map[string]any{"recovery_code": strings.ToUpper(rc)}), 200, "")
	e.want(e.login("alice", secret, map[string]any{"recovery_code": rc}), 401, "totp_invalid")

	*e.now = e.now.Add(30 * time.Second)
	e.want(e.do("POST", "/v1/totp/disable", tok, map[string]string{"code": totp.Code(key, *e.now)}), 204, "")
	e.want(e.login("alice", secret, nil), 200, "")
}

func TestKeyring(t *testing.T) {
	e := newEnv(t)
	_, tok := e.signup("alice")
	r := e.do("GET", "/v1/keyring", tok, nil)
	if r.status != 200 || string(r.body) != "sealed keyring 1" || r.header.Get("ETag") != `"1"` {
		t.Fatalf("keyring: %d %q %v", r.status, r.body, r.header)
	}
	upd := map[string]any{"keyring": []byte("sealed keyring 2"), "recovery_keyring": []byte("sealed recovery 2")}
	e.want(e.do("PUT", "/v1/keyring", tok, upd), 428, "precondition_required")
	e.want(e.do("PUT", "/v1/keyring", tok, upd, "If-Match", `"1"`), 200, "")
	r = e.do("PUT", "/v1/keyring", tok, upd, "If-Match", `"1"`)
	e.want(r, 412, "conflict")
	if r.json(t)["error"].(map[string]any)["rev"] != float64(2) {
		t.Fatalf("conflict without the current revision: %s", r.body)
	}
	r = e.do("GET", "/v1/keyring/recovery", tok, nil)
	if string(r.body) != "sealed recovery 2" || r.header.Get("Hearth-Revision") != "2" {
		t.Fatalf("recovery copy: %q %v", r.body, r.header)
	}
}

func TestDocumentsAndFeed(t *testing.T) {
	e := newEnv(t)
	_, tok := e.signup("alice")
	const notes = "/v1/docs/io.hearth.notes/"
	e.want(e.do("PUT", notes+"n1", tok, []byte("v1"), "If-None-Match", "*"), 404, "unknown_doctype")
	e.want(e.do("PUT", "/v1/doctypes/io.hearth.notes", tok, nil), 201, "")
	e.want(e.do("PUT", "/v1/doctypes/io.hearth.notes", tok, nil), 200, "")

	e.want(e.do("PUT", notes+"n1", tok, []byte("sealed v1")), 428, "precondition_required")
	e.want(e.do("PUT", notes+"n1", tok, []byte("sealed v1"), "If-None-Match", "*"), 201, "")
	e.want(e.do("PUT", notes+"n1", tok, []byte("again"), "If-None-Match", "*"), 412, "conflict")
	e.want(e.do("PUT", notes+"n1", tok, []byte("sealed v2"), "If-Match", `"1"`), 200, "")
	e.want(e.do("PUT", notes+"n1", tok, []byte("stale"), "If-Match", `"1"`), 412, "conflict")
	e.want(e.do("PUT", notes+"_x", tok, []byte("x"), "If-None-Match", "*"), 400, "invalid_name")
	e.want(e.do("PUT", notes+"n2", tok, []byte{}, "If-None-Match", "*"), 400, "bad_request")
	r := e.do("GET", notes+"n1", tok, nil)
	if string(r.body) != "sealed v2" || r.header.Get("Hearth-Revision") != "2" || r.header.Get("Hearth-Seq") != "2" {
		t.Fatalf("get: %q %v", r.body, r.header)
	}
	e.want(e.do("GET", notes+"missing", tok, nil), 404, "not_found")
	e.want(e.do("DELETE", notes+"n1", tok, []byte("sealed tombstone"), "If-Match", `"2"`), 200, "")
	r = e.do("GET", notes+"n1", tok, nil)
	if r.header.Get("Hearth-Deleted") != "true" || string(r.body) != "sealed tombstone" {
		t.Fatalf("tombstone: %v %q", r.header, r.body)
	}

	// Bulk: one created, one conflict, one bad id, in one request.
	r = e.do("POST", notes+"_bulk_put", tok, map[string]any{"docs": []map[string]any{
		{"id": "b1", "if_match": 0, "sealed": []byte("b1 v1")},
		{"id": "n1", "if_match": 1, "sealed": []byte("stale")},
		{"id": "bad/id", "if_match": 0, "sealed": []byte("x")},
	}})
	e.want(r, 200, "")
	var bulk struct {
		Results []struct {
			ID    string
			Rev   uint64
			Seq   uint64
			Error *struct{ Code string }
		}
	}
	json.Unmarshal(r.body, &bulk)
	if bulk.Results[0].Rev != 1 || bulk.Results[0].Seq != 4 || bulk.Results[1].Error.Code != "conflict" || bulk.Results[2].Error.Code != "invalid_name" {
		t.Fatalf("bulk: %s", r.body)
	}

	// The feed: contiguous seqs, and a chain the client can recompute.
	var feed struct {
		Since      uint64
		SinceChain []byte `json:"since_chain"`
		Changes    []struct {
			Seq     uint64
			Doctype string
			ID      string
			Rev     uint64
			Deleted bool
			Digest  []byte
			Chain   []byte
			Sealed  []byte
		}
		LastSeq uint64 `json:"last_seq"`
		More    bool
	}
	r = e.do("GET", "/v1/changes?include_docs=true", tok, nil)
	e.want(r, 200, "")
	if err := json.Unmarshal(r.body, &feed); err != nil {
		t.Fatal(err)
	}
	if len(feed.Changes) != 4 || feed.LastSeq != 4 || feed.More {
		t.Fatalf("feed: %s", r.body)
	}
	var chain [32]byte
	for i, c := range feed.Changes {
		var d [32]byte
		copy(d[:], c.Digest)
		chain = wire.NextChain(chain, wire.ChainEntry{Seq: c.Seq, Doctype: c.Doctype, ID: c.ID, Rev: c.Rev, Digest: d, Deleted: c.Deleted})
		if c.Seq != uint64(i+1) || !bytes.Equal(chain[:], c.Chain) {
			t.Fatalf("entry %d: seq %d, chain mismatch", i, c.Seq)
		}
	}
	if feed.Changes[0].Sealed != nil || string(feed.Changes[3].Sealed) != "b1 v1" {
		t.Fatal("include_docs must give only current revisions")
	}
	r = e.do("GET", "/v1/changes?since=2", tok, nil)
	json.Unmarshal(r.body, &feed)
	if feed.Since != 2 || len(feed.Changes) != 2 || !bytes.Equal(feed.SinceChain, feedChainAt(t, e, tok, 2)) {
		t.Fatalf("since=2: %s", r.body)
	}
	e.want(e.do("GET", "/v1/changes?since=99", tok, nil), 400, "bad_request")
	e.want(e.do("GET", "/v1/changes?bogus=1", tok, nil), 400, "bad_request")

	// Long-poll: a waiting request returns as soon as a write commits.
	done := make(chan resp, 1)
	go func() { done <- e.do("GET", "/v1/changes?since=4&wait=30", tok, nil) }()
	time.Sleep(200 * time.Millisecond)
	e.want(e.do("PUT", notes+"n3", tok, []byte("n3"), "If-None-Match", "*"), 201, "")
	select {
	case r := <-done:
		json.Unmarshal(r.body, &feed)
		if len(feed.Changes) != 1 || feed.Changes[0].ID != "n3" {
			t.Fatalf("long-poll: %s", r.body)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("long-poll did not wake")
	}

	// Listing.
	r = e.do("GET", notes[:len(notes)-1]+"?limit=1", tok, nil)
	if !strings.Contains(string(r.body), `"id":"b1"`) || !strings.Contains(string(r.body), `"next":"b1"`) {
		t.Fatalf("list: %s", r.body)
	}
}

func feedChainAt(t *testing.T, e *env, tok string, seq int) []byte {
	var f struct {
		Changes []struct{ Chain []byte }
	}
	json.Unmarshal(e.do("GET", "/v1/changes", tok, nil).body, &f)
	return f.Changes[seq-1].Chain
}

// The server's log carries routes and statuses, never bodies, tokens or
// user names from bodies.
func TestLogsHoldNoContent(t *testing.T) {
	e := newEnv(t)
	_, tok := e.signup("marker-user")
	e.want(e.do("PUT", "/v1/doctypes/io.hearth.notes", tok, nil), 201, "")
	e.want(e.do("PUT", "/v1/docs/io.hearth.notes/d1", tok, []byte("MARKER-7f3a"), "If-None-Match", "*"), 201, "")
	e.do("POST", "/v1/prelogin", "", `{"user":"MARKER-7f3a"}`)
	log := e.log.String()
	if !strings.Contains(log, "/v1/docs/{doctype}/{id}") {
		t.Fatalf("log lacks routes: %s", log)
	}
	for _, secret := range []string{"MARKER-7f3a", tok, tok[4:], "marker-user"} {
		if strings.Contains(log, secret) {
			t.Fatalf("log contains %q", secret)
		}
	}
}
