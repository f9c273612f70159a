package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hearthcloud/hearth/server/api"
	"github.com/hearthcloud/hearth/server/auth"
	blobmem "github.com/hearthcloud/hearth/server/blob/memory"
	"github.com/hearthcloud/hearth/server/meta"
	metamem "github.com/hearthcloud/hearth/server/meta/memory"
)

func digestHeader(b []byte) string {
	d := sha256.Sum256(b)
	return "sha-256=" + base64.StdEncoding.EncodeToString(d[:])
}

func TestBlobs(t *testing.T) {
	e := newEnv(t)
	_, tok := e.signup("alice")
	body := bytes.Repeat([]byte("age ciphertext "), 10000)
	path := "/v1/blobs/io.hearth.files/sx26hrxtfeijjcjry3kajh7m6a"
	e.want(e.do("PUT", path, tok, body), 404, "unknown_doctype")
	e.want(e.do("PUT", "/v1/doctypes/io.hearth.files", tok, nil), 201, "")
	e.want(e.do("PUT", path, tok, body, "Hearth-Digest", digestHeader([]byte("other"))), 422, "digest_mismatch")
	e.want(e.do("GET", path, tok, nil), 404, "not_found")
	r := e.do("PUT", path, tok, body, "Hearth-Digest", digestHeader(body))
	e.want(r, 201, "")
	if r.json(t)["size"] != float64(len(body)) {
		t.Fatalf("upload answer: %s", r.body)
	}
	// Repeats: same bytes are idempotent, other bytes are refused.
	e.want(e.do("PUT", path, tok, body, "Hearth-Digest", digestHeader(body)), 200, "")
	e.want(e.do("PUT", path, tok, body), 200, "")
	e.want(e.do("PUT", path, tok, []byte("other"), "Hearth-Digest", digestHeader([]byte("other"))), 409, "exists")
	e.want(e.do("PUT", path, tok, []byte("other")), 409, "exists")

	r = e.do("GET", path, tok, nil)
	etag := r.header.Get("ETag")
	if r.status != 200 || !bytes.Equal(r.body, body) || r.header.Get("Accept-Ranges") != "bytes" || etag == "" {
		t.Fatalf("download: %d %v", r.status, r.header)
	}
	r = e.do("GET", path, tok, nil, "Range", "bytes=100-", "If-Range", etag)
	if r.status != 206 || !bytes.Equal(r.body, body[100:]) || r.header.Get("Content-Range") != "bytes 100-"+strconv.Itoa(len(body)-1)+"/"+strconv.Itoa(len(body)) {
		t.Fatalf("range: %d %v", r.status, r.header)
	}
	r = e.do("GET", path, tok, nil, "Range", "bytes=100-", "If-Range", `"stale"`)
	if r.status != 200 || len(r.body) != len(body) {
		t.Fatalf("If-Range with another tag must give the whole blob: %d", r.status)
	}
	r = e.do("GET", path, tok, nil, "Range", "bytes="+strconv.Itoa(len(body))+"-")
	e.want(r, 416, "range_not_satisfiable")
	if r.header.Get("Content-Range") != "bytes */"+strconv.Itoa(len(body)) {
		t.Fatalf("416 Content-Range: %v", r.header)
	}
	r = e.do("HEAD", path, tok, nil)
	if r.status != 200 || len(r.body) != 0 || r.header.Get("Content-Length") != strconv.Itoa(len(body)) {
		t.Fatalf("HEAD: %d %v", r.status, r.header)
	}
	lst := e.do("GET", "/v1/blobs/io.hearth.files", tok, nil).json(t)
	if bl := lst["blobs"].([]any); len(bl) != 1 || bl[0].(map[string]any)["id"] != "sx26hrxtfeijjcjry3kajh7m6a" {
		t.Fatalf("list: %v", lst)
	}
	e.want(e.do("DELETE", path, tok, nil), 204, "")
	e.want(e.do("GET", path, tok, nil), 404, "not_found")
	e.want(e.do("DELETE", path, tok, nil), 404, "not_found")
	// Ids are never reused.
	e.want(e.do("PUT", path, tok, body), 409, "exists")

	// Segments are a separate namespace with the same behaviour.
	seg := "/v1/index/io.hearth.files/segments/sx26hrxtfeijjcjry3kajh7m6a"
	e.want(e.do("PUT", seg, tok, body), 201, "")
	e.want(e.do("GET", "/v1/index/io.hearth.files/segments", tok, nil), 200, "")
	e.want(e.do("GET", "/v1/blobs/io.hearth.files/nothere", tok, nil), 404, "not_found")
}

// TestBlobBadUploads: lengths and media types are checked before the body.
func TestBlobBadUploads(t *testing.T) {
	e := newEnv(t)
	_, tok := e.signup("alice")
	e.want(e.do("PUT", "/v1/doctypes/io.hearth.files", tok, nil), 201, "")
	path := "/v1/blobs/io.hearth.files/abc"
	e.want(e.do("PUT", path, tok, "{}"), 415, "unsupported_media_type")
	e.want(e.do("PUT", path, tok, []byte{}), 400, "bad_request")
	e.want(e.do("PUT", path, tok, []byte("x"), "Hearth-Digest", "md5=abc"), 400, "bad_request")
	e.want(e.do("PUT", "/v1/blobs/io.hearth.files/_bulk_put", tok, []byte("x")), 400, "invalid_name")

	// Chunked (no Content-Length) is 411.
	req, _ := http.NewRequest("PUT", e.url+path, strings.NewReader("abc"))
	req.ContentLength = -1
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 411 {
		t.Fatalf("chunked upload: %d", res.StatusCode)
	}
	// Over the limit: refused from the header (the env's store takes 1 GiB).
	req, _ = http.NewRequest("PUT", e.url+path, strings.NewReader("abc"))
	req.ContentLength = 5 << 30
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err = http.DefaultClient.Do(req)
	if err == nil {
		res.Body.Close()
		if res.StatusCode != 413 {
			t.Fatalf("oversize upload: %d", res.StatusCode)
		}
	}
	e.want(e.do("GET", "/v1/blobs/io.hearth.files", tok, nil), 200, "")
	if got := e.do("GET", "/v1/blobs/io.hearth.files", tok, nil).json(t)["blobs"].([]any); len(got) != 0 {
		t.Fatalf("a refused upload left a blob: %v", got)
	}
}

func TestTokensScopesAndGrants(t *testing.T) {
	e := newEnv(t)
	_, tok := e.signup("alice")
	for _, d := range []string{"io.hearth.notes", "io.hearth.contacts"} {
		e.want(e.do("PUT", "/v1/doctypes/"+d, tok, nil), 201, "")
	}
	e.want(e.do("POST", "/v1/tokens", tok, map[string]any{"name": "notes", "kind": "app", "scopes": []any{}}), 400, "bad_request")
	e.want(e.do("POST", "/v1/tokens", tok, map[string]any{"name": "notes", "kind": "app",
		"scopes": []any{map[string]any{"doctype": "io.hearth.notes", "verbs": []string{"read", "read"}}}}), 400, "bad_request")
	e.want(e.do("POST", "/v1/tokens", tok, map[string]any{"name": "notes", "kind": "root",
		"scopes": []any{map[string]any{"doctype": "io.hearth.notes", "verbs": []string{"read"}}}}), 400, "bad_request")
	r := e.do("POST", "/v1/tokens", tok, map[string]any{"name": "notes", "kind": "app",
		"scopes": []any{map[string]any{"doctype": "io.hearth.notes", "verbs": []string{"read", "write"}}}})
	e.want(r, 201, "")
	app, id := r.json(t)["token"].(string), r.json(t)["id"].(string)
	if !strings.HasPrefix(app, "hat_") {
		t.Fatalf("app token %q", app)
	}
	doc := "/v1/docs/io.hearth.notes/k3vq4zqg2vbf3lqf5xhm2m7n2e"
	e.want(e.do("PUT", doc, app, []byte("sealed"), "If-None-Match", "*"), 201, "")
	e.want(e.do("GET", doc, app, nil), 200, "")
	// Outside the scope: 403 whether or not the item exists.
	e.want(e.do("DELETE", doc, app, []byte("tomb"), "If-Match", `"1"`), 403, "forbidden")
	e.want(e.do("GET", "/v1/docs/io.hearth.contacts/k3vq4zqg2vbf3lqf5xhm2m7n2e", app, nil), 403, "forbidden")
	e.want(e.do("GET", "/v1/docs/io.hearth.unknown/x", app, nil), 403, "forbidden")
	e.want(e.do("GET", "/v1/changes?doctype=io.hearth.contacts", app, nil), 403, "forbidden")
	e.want(e.do("GET", "/v1/blobs/io.hearth.contacts", app, nil), 403, "forbidden")
	for _, p := range []string{"/v1/keyring", "/v1/keyring/recovery", "/v1/sessions", "/v1/tokens", "/v1/grants/" + id} {
		e.want(e.do("GET", p, app, nil), 403, "forbidden")
	}
	for _, p := range []string{"/v1/logout", "/v1/totp/enroll", "/v1/totp/confirm", "/v1/totp/disable", "/v1/account/password"} {
		e.want(e.do("POST", p, app, "{}"), 403, "forbidden")
	}
	e.want(e.do("PUT", "/v1/keyring", app, "{}", "If-Match", `"1"`), 403, "forbidden")
	e.want(e.do("PUT", "/v1/doctypes/io.hearth.contacts", app, nil), 403, "forbidden")
	e.want(e.do("POST", "/v1/docs/io.hearth.contacts/_bulk_get", app, `{"ids":["a"]}`), 403, "forbidden")
	e.want(e.do("POST", "/v1/docs/io.hearth.contacts/_bulk_put", app, `{"docs":[]}`), 403, "forbidden")
	e.want(e.do("GET", "/v1/index/io.hearth.contacts/segments", app, nil), 403, "forbidden")
	e.want(e.do("PUT", "/v1/index/io.hearth.contacts/segments/abc", app, []byte("seg")), 403, "forbidden")
	e.want(e.do("PUT", "/v1/blobs/io.hearth.contacts/abc", app, []byte("blob")), 403, "forbidden")
	// A doctype in scope but not registered: unknown_doctype, after the scope check.
	e.want(e.do("GET", "/v1/docs/io.hearth.notes/abc", tok, nil), 404, "not_found")
	e.want(e.do("GET", "/v1/docs/io.hearth.nothere/abc", tok, nil), 404, "unknown_doctype")
	e.want(e.do("POST", "/v1/docs/io.hearth.nothere/_bulk_get", tok, `{"ids":["a"]}`), 404, "unknown_doctype")
	e.want(e.do("GET", "/v1/docs/io.hearth.nothere", tok, nil), 404, "unknown_doctype")
	dts := e.do("GET", "/v1/doctypes", app, nil).json(t)["doctypes"].([]any)
	if len(dts) != 1 {
		t.Fatalf("an app sees doctypes outside its scope: %v", dts)
	}

	// Grants.
	e.want(e.do("GET", "/v1/grants/self", app, nil), 404, "not_found")
	e.want(e.do("GET", "/v1/grants/self", tok, nil), 403, "forbidden")
	e.want(e.do("PUT", "/v1/grants/"+id, tok, []byte("sealed grant 1")), 428, "precondition_required")
	e.want(e.do("PUT", "/v1/grants/"+id, tok, []byte("sealed grant 1"), "If-None-Match", "*"), 201, "")
	e.want(e.do("PUT", "/v1/grants/"+id, tok, []byte("sealed grant 1"), "If-None-Match", "*"), 412, "conflict")
	e.want(e.do("PUT", "/v1/grants/"+id, tok, []byte("sealed grant 2"), "If-Match", `"1"`), 200, "")
	r = e.do("GET", "/v1/grants/self", app, nil)
	if r.status != 200 || string(r.body) != "sealed grant 2" || r.header.Get("Hearth-Revision") != "2" {
		t.Fatalf("grants/self: %d %q %v", r.status, r.body, r.header)
	}
	e.want(e.do("PUT", "/v1/grants/aaaaaaaaaaaaaaaaaaaaaaaaaa", tok, []byte("g"), "If-None-Match", "*"), 404, "not_found")
	e.want(e.do("GET", "/v1/grants/"+id, app, nil), 403, "forbidden")

	list := e.do("GET", "/v1/tokens", tok, nil).json(t)["tokens"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["token"] != nil {
		t.Fatalf("token list: %v", list)
	}
	// Revocation takes effect at once and removes the grant.
	e.want(e.do("DELETE", "/v1/tokens/"+id, tok, nil), 204, "")
	e.want(e.do("GET", doc, app, nil), 401, "unauthenticated")
	e.want(e.do("GET", "/v1/grants/"+id, tok, nil), 404, "not_found")
	e.want(e.do("DELETE", "/v1/tokens/"+id, tok, nil), 404, "not_found")
}

func TestRecoveryAndPassword(t *testing.T) {
	e := newEnv(t)
	secret := rnd32()
	ra := rnd32()
	r := e.do("POST", "/v1/accounts", "", map[string]any{
		"user": "alice", "kdf": defaultKDF, "seed": rnd32(), "login_secret": secret, "recovery_auth": ra,
		"keyring": []byte("sealed keyring 1"), "recovery_keyring": []byte("sealed recovery 1"), "device": "laptop",
	})
	e.want(r, 201, "")
	tok := r.json(t)["session"].(map[string]any)["token"].(string)

	e.want(e.do("POST", "/v1/recovery/keyring", "", map[string]any{"user": "alice", "recovery_auth": rnd32()}), 401, "bad_credentials")
	e.want(e.do("POST", "/v1/recovery/keyring", "", map[string]any{"user": "nobody", "recovery_auth": ra}), 401, "bad_credentials")
	r = e.do("POST", "/v1/recovery/keyring", "", map[string]any{"user": "alice", "recovery_auth": ra})
	if r.status != 200 || string(r.body) != "sealed recovery 1" || r.header.Get("Hearth-Revision") != "1" {
		t.Fatalf("recovery keyring: %d %q", r.status, r.body)
	}

	newSecret := rnd32()
	newLogin := map[string]any{"kdf": defaultKDF, "seed": rnd32(), "login_secret": newSecret,
		"keyring": []byte("sealed keyring 2"), "recovery_keyring": []byte("sealed recovery 2"), "keyring_if_match": 1}
	e.want(e.do("POST", "/v1/account/password", tok, map[string]any{"login_secret": rnd32(), "new": newLogin}), 401, "bad_credentials")
	r = e.do("POST", "/v1/account/password", tok, map[string]any{"login_secret": secret, "new": newLogin})
	e.want(r, 200, "")
	e.want(e.login("alice", secret, nil), 401, "bad_credentials")
	e.want(e.login("alice", newSecret, nil), 200, "")
	e.want(e.do("POST", "/v1/account/password", tok, map[string]any{"login_secret": newSecret, "new": newLogin}), 412, "conflict")

	// Reset with the recovery key revokes every session.
	reset := map[string]any{"kdf": defaultKDF, "seed": rnd32(), "login_secret": rnd32(),
		"keyring": []byte("sealed keyring 3"), "recovery_keyring": []byte("sealed recovery 3"), "keyring_if_match": 2}
	r = e.do("POST", "/v1/recovery/reset", "", map[string]any{"user": "alice", "recovery_auth": ra, "device": "new phone", "new": reset})
	e.want(r, 200, "")
	if r.json(t)["keyring"].(map[string]any)["rev"] != float64(3) {
		t.Fatalf("reset: %s", r.body)
	}
	e.want(e.do("GET", "/v1/sessions", tok, nil), 401, "unauthenticated")
	e.want(e.login("alice", newSecret, nil), 401, "bad_credentials")
}

func TestCORSAndAllow(t *testing.T) {
	e := newEnv(t)
	r := e.do("OPTIONS", "/v1/docs/io.hearth.notes/x", "", nil, "Origin", "http://notes.alice.localhost", "Access-Control-Request-Method", "PUT")
	if r.status != 204 || r.header.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(r.header.Get("Access-Control-Allow-Headers"), "If-Match") {
		t.Fatalf("preflight: %d %v", r.status, r.header)
	}
	if r.header.Get("Access-Control-Allow-Credentials") != "" {
		t.Fatal("credentials must never be allowed")
	}
	r = e.do("DELETE", "/v1/prelogin", "", nil)
	if r.header.Get("Allow") != "POST" || r.header.Get("Content-Security-Policy") == "" {
		t.Fatalf("405 headers: %v", r.header)
	}
	r = e.do("PATCH", "/v1/docs/io.hearth.notes/x", "", nil)
	if a := r.header.Get("Allow"); r.status != 405 || !strings.Contains(a, "GET") || !strings.Contains(a, "DELETE") {
		t.Fatalf("405 on docs: %d %q", r.status, a)
	}
}

// TestStalledUploadAborted: a blob upload that stops sending is aborted
// after the idle limit and leaves nothing behind; one that trickles slower
// than the small-body timeout but keeps going completes.
func TestStalledUploadAborted(t *testing.T) {
	secret := rnd32()
	srv := api.New(api.Config{Meta: metamem.New(), Blobs: blobmem.New(1 << 30), Secret: secret,
		Hash: auth.HashParams{Memory: 64, Time: 1, Threads: 1}, BodyTimeout: 300 * time.Millisecond, StreamIdle: 300 * time.Millisecond})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	e := &env{t: t, url: ts.URL, log: &syncBuffer{}}
	_, tok := e.signup("alice")
	e.want(e.do("PUT", "/v1/doctypes/io.hearth.files", tok, nil), 201, "")

	upload := func(id string, body io.Reader, n int64) (int, error) {
		req, _ := http.NewRequest("PUT", ts.URL+"/v1/blobs/io.hearth.files/"+id, body)
		req.ContentLength = n
		req.Header.Set("Content-Type", "application/octet-stream")
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err
		}
		res.Body.Close()
		return res.StatusCode, nil
	}
	pr, pw := io.Pipe()
	go func() { pw.Write([]byte("first bytes")); time.Sleep(2 * time.Second); pw.Close() }()
	start := time.Now()
	status, err := upload("stalled", pr, 1000)
	if err == nil && status < 400 || time.Since(start) > 1500*time.Millisecond {
		t.Fatalf("stalled upload: %d %v after %v", status, err, time.Since(start))
	}
	// A trickle: 10 chunks 100 ms apart, 1 s in all, above BodyTimeout.
	pr2, pw2 := io.Pipe()
	go func() {
		for range 10 {
			pw2.Write(bytes.Repeat([]byte("x"), 10))
			time.Sleep(100 * time.Millisecond)
		}
		pw2.Close()
	}()
	if status, err := upload("trickle", pr2, 100); err != nil || status != 201 {
		t.Fatalf("trickled upload: %d %v", status, err)
	}
	list := e.do("GET", "/v1/blobs/io.hearth.files", tok, nil).json(t)["blobs"].([]any)
	if len(list) != 1 {
		t.Fatalf("blobs after the stalled and trickled uploads: %v", list)
	}
}

// TestRecoveryFetchesDoNotCountAsFailures: successful recovery requests
// leave the login limiter alone.
func TestRecoveryFetchesDoNotCountAsFailures(t *testing.T) {
	e := newEnv(t)
	secret, ra := rnd32(), rnd32()
	e.want(e.do("POST", "/v1/accounts", "", map[string]any{
		"user": "alice", "kdf": defaultKDF, "seed": rnd32(), "login_secret": secret, "recovery_auth": ra,
		"keyring": []byte("k1"), "recovery_keyring": []byte("r1"), "device": "laptop",
	}), 201, "")
	for range 12 {
		e.want(e.do("POST", "/v1/recovery/keyring", "", map[string]any{"user": "alice", "recovery_auth": ra}), 200, "")
	}
	e.want(e.login("alice", secret, nil), 200, "")
}

// TestPasswordChangeEndsOtherSessions: the calling session stays, the others
// end at once, and a long-poll of an ended session is answered 401.
func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	e := newEnv(t)
	secret, tok := e.signup("alice")
	other := e.login("alice", secret, nil).json(t)["session"].(map[string]any)["token"].(string)
	polled := make(chan resp, 1)
	go func() { polled <- e.do("GET", "/v1/changes?wait=20", other, nil) }()
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	newLogin := map[string]any{"kdf": defaultKDF, "seed": rnd32(), "login_secret": rnd32(),
		"keyring": []byte("k2"), "recovery_keyring": []byte("r2"), "keyring_if_match": 1}
	e.want(e.do("POST", "/v1/account/password", tok, map[string]any{"login_secret": secret, "new": newLogin}), 200, "")
	select {
	case r := <-polled:
		e.want(r, 401, "unauthenticated")
		if time.Since(start) > 5*time.Second {
			t.Fatalf("the long-poll ended only after %v", time.Since(start))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the long-poll of an ended session was not woken")
	}
	e.want(e.do("GET", "/v1/sessions", other, nil), 401, "unauthenticated")
	e.want(e.do("GET", "/v1/sessions", tok, nil), 200, "")
}

// TestSessionsExpireWhenUnused: use extends a session; 30 days without use
// ends it.
func TestSessionsExpireWhenUnused(t *testing.T) {
	e := newEnv(t)
	_, tok := e.signup("alice")
	advance := func(d time.Duration) { *e.now = e.now.Add(d) }
	for range 3 {
		advance(20 * 24 * time.Hour)
		e.want(e.do("GET", "/v1/sessions", tok, nil), 200, "")
	}
	advance(31 * 24 * time.Hour)
	e.want(e.do("GET", "/v1/sessions", tok, nil), 401, "unauthenticated")
}

// TestErrorsEchoNothing: error messages never repeat request values
// (§8.1.8): a marker sent as a member name, a parameter name, a doctype,
// an id or a user name comes back in no answer and no log line.
func TestErrorsEchoNothing(t *testing.T) {
	e := newEnv(t)
	_, tok := e.signup("alice")
	const m = "echomarker"
	r := e.do("POST", "/v1/tokens", tok, map[string]any{"name": "app", "kind": "app",
		"scopes": []any{map[string]any{"doctype": "io.hearth.notes", "verbs": []string{"read", "write"}}}})
	app := r.json(t)["token"].(string)
	e.want(e.do("PUT", "/v1/doctypes/io.hearth.notes", tok, nil), 201, "")
	for _, c := range []struct {
		method, path, token string
		body                any
	}{
		{"POST", "/v1/prelogin", "", `{"user":"alice","` + m + `":1}`},
		{"POST", "/v1/prelogin", "", `{"user":"` + m + `-X"}`},
		{"GET", "/v1/docs/io.hearth.notes?" + m + "=1", tok, nil},
		{"GET", "/v1/docs/io." + m + "/abc", app, nil},
		{"GET", "/v1/docs/io.hearth.notes/" + m + "%21", tok, nil},
		{"GET", "/v1/docs/io.hearth.notes/" + m, tok, nil},
		{"GET", "/v1/docs/io." + m + "/x", tok, nil},
		{"POST", "/v1/docs/io.hearth.notes/_bulk_get", tok, `{"ids":["` + m + `","` + m + `"]}`},
		{"POST", "/v1/docs/io.hearth.notes/_bulk_put", tok, `{"docs":[{"id":"` + m + `","if_match":0,"sealed":"AA=="},{"id":"` + m + `","if_match":0,"sealed":"AA=="}]}`},
		{"POST", "/v1/docs/io.hearth.notes/_bulk_put", app, `{"docs":[{"id":"` + m + `","if_match":1,"sealed":"AA==","deleted":true}]}`},
		{"GET", "/v1/blobs/io." + m, app, nil},
		{"DELETE", "/v1/sessions/" + m, tok, nil},
		{"DELETE", "/v1/tokens/" + m, tok, nil},
		{"GET", "/v1/" + m, tok, nil},
	} {
		r := e.do(c.method, c.path, c.token, c.body)
		if r.status < 400 && r.status != 200 {
			t.Errorf("%s %s: %d", c.method, c.path, r.status)
		}
		// Bulk results name their ids by design; messages never do.
		var msgs []string
		var walk func(v any)
		walk = func(v any) {
			switch v := v.(type) {
			case map[string]any:
				for k, x := range v {
					if s, ok := x.(string); ok && k == "message" {
						msgs = append(msgs, s)
					}
					walk(x)
				}
			case []any:
				for _, x := range v {
					walk(x)
				}
			}
		}
		var body any
		json.Unmarshal(r.body, &body)
		walk(body)
		if len(msgs) == 0 {
			t.Errorf("%s %s: no error message in %s", c.method, c.path, r.body)
		}
		for _, msg := range msgs {
			if strings.Contains(strings.ToLower(msg), m) {
				t.Errorf("%s %s: the message echoes the request: %s", c.method, c.path, msg)
			}
		}
	}
	if strings.Contains(strings.ToLower(e.log.String()), m) {
		t.Errorf("the log holds a request value:\n%s", e.log)
	}
}

// TestSignupRateLimited: sign-ups from one address are limited whether or
// not they succeed.
func TestSignupRateLimited(t *testing.T) {
	e := newEnv(t)
	limited := 0
	for i := range 40 {
		r := e.do("POST", "/v1/accounts", "", map[string]any{
			"user": fmt.Sprintf("user%d", i), "kdf": defaultKDF, "seed": rnd32(), "login_secret": rnd32(), "recovery_auth": rnd32(),
			"keyring": []byte("k"), "recovery_keyring": []byte("r"), "device": "x"})
		if r.status == 429 {
			limited++
			if r.header.Get("Retry-After") == "" {
				t.Fatal("429 without Retry-After")
			}
		}
	}
	if limited == 0 || limited > 10 {
		t.Fatalf("%d of 40 sign-ups limited", limited)
	}
}

// panickyMeta panics in Doctypes.
type panickyMeta struct{ *metamem.Store }

func (panickyMeta) Doctypes(context.Context, string) ([]meta.DoctypeInfo, error) {
	panic("storage exploded")
}

// TestPanicAnsweredAndLogged: a panicking handler answers 500 internal in
// the protocol's form and logs the panic without request data.
func TestPanicAnsweredAndLogged(t *testing.T) {
	log := &syncBuffer{}
	srv := api.New(api.Config{Meta: panickyMeta{metamem.New()}, Blobs: blobmem.New(1 << 20), Secret: rnd32(),
		Hash: auth.HashParams{Memory: 64, Time: 1, Threads: 1}, Log: slog.New(slog.NewTextHandler(log, nil))})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	e := &env{t: t, url: ts.URL, log: log}
	_, tok := e.signup("alice")
	e.want(e.do("GET", "/v1/doctypes", tok, nil), 500, "internal")
	if !strings.Contains(log.String(), "storage exploded") || strings.Contains(log.String(), tok) || strings.Contains(log.String(), "alice") {
		t.Fatalf("log:\n%s", log)
	}
}

// TestCloseEndsLongPolls: Close answers waiting long-polls at once, so a
// graceful shutdown does not wait for them.
func TestCloseEndsLongPolls(t *testing.T) {
	srv := api.New(api.Config{Meta: metamem.New(), Blobs: blobmem.New(1 << 20), Secret: rnd32(),
		Hash: auth.HashParams{Memory: 64, Time: 1, Threads: 1}})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	e := &env{t: t, url: ts.URL, log: &syncBuffer{}}
	_, tok := e.signup("alice")
	got := make(chan resp, 1)
	go func() { got <- e.do("GET", "/v1/changes?wait=30", tok, nil) }()
	time.Sleep(200 * time.Millisecond)
	srv.Close()
	select {
	case r := <-got:
		e.want(r, 200, "")
	case <-time.After(5 * time.Second):
		t.Fatal("the long-poll outlived Close")
	}
}

func TestAccountInfo(t *testing.T) {
	e := newEnv(t)
	_, tok := e.signup("alice")
	r := e.do("GET", "/v1/account", tok, nil)
	e.want(r, 200, "")
	if m := r.json(t); m["user"] != "alice" || m["totp"] != false {
		t.Fatalf("account: %s", r.body)
	}
}
