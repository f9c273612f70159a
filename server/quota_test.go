package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hearthcloud/hearth/server"
	"github.com/hearthcloud/hearth/server/auth"
	"github.com/hearthcloud/hearth/server/meta"
)

// live is a server on a data folder in a temporary directory (SQLite and
// blob files on disk), serving on a loopback port.
type live struct {
	t   *testing.T
	dir string
	srv *server.Server
	url string
}

func startLive(t *testing.T, dir string, cfg server.Config) *live {
	t.Helper()
	cfg.Dir = dir
	cfg.Hash = auth.HashParams{Memory: 64, Time: 1, Threads: 1}
	s, err := server.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	l := &live{t: t, dir: dir, srv: s, url: ts.URL}
	t.Cleanup(func() { ts.Close(); s.Close() })
	return l
}

type answer struct {
	status int
	body   []byte
}

func (a answer) member(t *testing.T, path ...string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(a.body, &v); err != nil {
		t.Fatalf("answer %d is not JSON: %q", a.status, a.body)
	}
	for _, p := range path {
		m, _ := v.(map[string]any)
		v = m[p]
	}
	return v
}

// is fails the test unless the answer has status (and, for an error,
// code; with quota, "quota":true).
func (a answer) is(t *testing.T, status int, code string, quota bool) {
	t.Helper()
	var m struct {
		Error struct {
			Code  string `json:"code"`
			Quota bool   `json:"quota"`
		} `json:"error"`
	}
	json.Unmarshal(a.body, &m)
	if a.status != status || m.Error.Code != code || m.Error.Quota != quota {
		t.Fatalf("got %d %s quota=%v (%s), want %d %s quota=%v", a.status, m.Error.Code, m.Error.Quota, a.body, status, code, quota)
	}
}

// do sends body: []byte as application/octet-stream, anything else as JSON.
func (l *live) do(method, path, tok string, body any, hdr ...string) answer {
	l.t.Helper()
	res, err := http.DefaultClient.Do(apiRequest(l.t, method, l.url+path, tok, body, hdr...))
	if err != nil {
		l.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return answer{res.StatusCode, b}
}

func rnd(n int) []byte { b := make([]byte, n); rand.Read(b); return b }

// signupBody is a sign-up request for user, with invite if not "".
func signupBody(user, invite string) map[string]any {
	m := map[string]any{"user": user, "kdf": map[string]any{"alg": "argon2id", "m": 65536, "t": 3, "p": 1},
		"seed": rnd(32), "login_secret": rnd(32), "recovery_auth": rnd(32),
		"keyring": []byte("sealed keyring"), "recovery_keyring": []byte("sealed copy"), "device": "laptop"}
	if invite != "" {
		m["invite"] = invite
	}
	return m
}

// signup makes an account with a registered doctype "io.n" and returns its
// session token.
func (l *live) signup(user string) string {
	l.t.Helper()
	a := l.do("POST", "/v1/accounts", "", signupBody(user, ""))
	a.is(l.t, 201, "", false)
	tok := a.member(l.t, "session", "token").(string)
	l.do("PUT", "/v1/doctypes/io.n", tok, nil).is(l.t, 201, "", false)
	return tok
}

func (l *live) putDoc(tok, id string, size int) answer {
	return l.do("PUT", "/v1/docs/io.n/"+id, tok, rnd(size), "If-None-Match", "*")
}

// usage returns the account endpoint's usage and quota members.
func (l *live) usage(tok string) (bytes, docs float64, quota map[string]any) {
	l.t.Helper()
	a := l.do("GET", "/v1/account", tok, nil)
	a.is(l.t, 200, "", false)
	q, _ := a.member(l.t, "quota").(map[string]any)
	return a.member(l.t, "usage", "bytes").(float64), a.member(l.t, "usage", "docs").(float64), q
}

// TestQuotaDocuments: with a document limit, a write past it is 413
// too_large with "quota":true and stores nothing (no document, no feed
// entry), in single and bulk writes; deleting makes room; the account
// endpoint shows usage and limits.
func TestQuotaDocuments(t *testing.T) {
	l := startLive(t, t.TempDir(), server.Config{Quota: meta.Limits{Docs: 3}})
	tok := l.signup("alice")
	for _, id := range []string{"a", "b", "c"} {
		l.putDoc(tok, id, 300).is(t, 201, "", false)
	}
	refused := l.putDoc(tok, "d", 300)
	refused.is(t, 413, "too_large", true)
	if !strings.Contains(string(refused.body), "as many documents as its limit allows") {
		t.Fatalf("a write past the document limit says %s", refused.body)
	}
	l.do("GET", "/v1/docs/io.n/d", tok, nil).is(t, 404, "not_found", false)
	if last := l.do("GET", "/v1/changes", tok, nil).member(t, "last_seq"); last != float64(3) {
		t.Fatalf("feed at %v after a refused write, want 3", last)
	}
	// Each document's feed entry and the doctype count too (§8.1.10).
	b, d, q := l.usage(tok)
	if b != 900+3*meta.EntryBytes+meta.DoctypeBytes || d != 3 || q["docs"] != float64(3) || q["bytes"] != nil {
		t.Fatalf("account: %v bytes, %v docs, quota %v", b, d, q)
	}

	// Bulk: the item past the limit fails alone; a deletion in the same
	// request makes room for the one after it.
	bulk := l.do("POST", "/v1/docs/io.n/_bulk_put", tok, map[string]any{"docs": []map[string]any{
		{"id": "e", "if_match": 0, "sealed": rnd(10)},
		{"id": "a", "if_match": 1, "sealed": rnd(256), "deleted": true},
		{"id": "f", "if_match": 0, "sealed": rnd(10)},
	}})
	bulk.is(t, 200, "", false)
	res := bulk.member(t, "results").([]any)
	if e := res[0].(map[string]any)["error"].(map[string]any); e["code"] != "too_large" || e["quota"] != true {
		t.Fatalf("bulk item past the quota: %v", res[0])
	}
	if res[1].(map[string]any)["rev"] != float64(2) || res[2].(map[string]any)["rev"] != float64(1) {
		t.Fatalf("bulk: %s", bulk.body)
	}
	if _, d, _ := l.usage(tok); d != 3 {
		t.Fatalf("%v documents, want 3", d)
	}
}

// TestQuotaBlobs: a blob past the byte quota is refused before its body
// is read, and after it when another upload took the room meanwhile; a
// refused upload leaves no file; each account is charged for what it
// uploaded even when another holds the same bytes; deleting frees room.
func TestQuotaBlobs(t *testing.T) {
	l := startLive(t, t.TempDir(), server.Config{Quota: meta.Limits{Bytes: 100000}})
	alice, bob := l.signup("alice"), l.signup("bob")
	body := rnd(60000)
	l.do("PUT", "/v1/blobs/io.n/b1", alice, body).is(t, 201, "", false)
	l.do("PUT", "/v1/blobs/io.n/b1", bob, body).is(t, 201, "", false) // the same bytes
	for _, tok := range []string{alice, bob} {
		if b, _, _ := l.usage(tok); b != 60000+meta.EntryBytes+meta.DoctypeBytes {
			t.Fatalf("usage %v after one 60000-byte blob (its row, a doctype), want %d for each account", b, 60000+meta.EntryBytes+meta.DoctypeBytes)
		}
	}
	l.do("PUT", "/v1/blobs/io.n/b2", alice, rnd(50000)).is(t, 413, "too_large", true)
	l.do("PUT", "/v1/index/io.n/segments/s1", alice, rnd(50000)).is(t, 413, "too_large", true)
	l.do("GET", "/v1/blobs/io.n/b2", alice, nil).is(t, 404, "not_found", false)
	if n := files(t, filepath.Join(l.dir, "blobs")); n != 1 {
		t.Fatalf("%d blob files, want 1 (shared)", n)
	}
	// Deleting frees the room; bob still has his copy.
	l.do("DELETE", "/v1/blobs/io.n/b1", alice, nil).is(t, 204, "", false)
	l.do("PUT", "/v1/blobs/io.n/b2", alice, rnd(50000)).is(t, 201, "", false)
	if got := l.do("GET", "/v1/blobs/io.n/b1", bob, nil); got.status != 200 || !bytes.Equal(got.body, body) {
		t.Fatalf("bob's blob after alice deleted hers: %d", got.status)
	}
}

// TestQuotaConcurrentUploads: many uploads at once from an account with
// room for a few: exactly that many are stored, whatever the timing, and
// the refused ones leave no file.
func TestQuotaConcurrentUploads(t *testing.T) {
	l := startLive(t, t.TempDir(), server.Config{Quota: meta.Limits{Bytes: 5*(20000+meta.EntryBytes) + meta.DoctypeBytes, Docs: 8}})
	tok := l.signup("alice")
	const tries = 16
	var mu sync.Mutex
	stored := 0
	var wg sync.WaitGroup
	for i := range tries {
		wg.Go(func() {
			a := l.do("PUT", fmt.Sprintf("/v1/blobs/io.n/b%d", i), tok, rnd(20000))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case a.status == 201:
				stored++
			case a.status != 413:
				t.Errorf("upload: %d %s", a.status, a.body)
			}
		})
	}
	wg.Wait()
	if stored != 5 {
		t.Fatalf("%d blobs of 20000 bytes stored under a quota of 100000, want 5", stored)
	}
	if n := files(t, filepath.Join(l.dir, "blobs")); n != 5 {
		t.Fatalf("%d blob files, want 5", n)
	}
	// Documents at once, with room for their bytes: exactly 8.
	for i := range tries {
		if a := l.do("DELETE", fmt.Sprintf("/v1/blobs/io.n/b%d", i), tok, nil); a.status == 204 {
			break
		}
	}
	stored = 0
	for i := range tries {
		wg.Go(func() {
			a := l.putDoc(tok, fmt.Sprintf("d%d", i), 10)
			mu.Lock()
			defer mu.Unlock()
			if a.status == 201 {
				stored++
			}
		})
	}
	wg.Wait()
	want := 4*20000 + 5*meta.EntryBytes + meta.DoctypeBytes + 8*(10+meta.EntryBytes) // a deleted row still counts
	if b, d, _ := l.usage(tok); stored != 8 || d != 8 || b != float64(want) {
		t.Fatalf("%d documents stored, usage %v bytes %v docs; want 8, %d, 8", stored, b, d, want)
	}
}

func files(t *testing.T, dir string) int {
	n := 0
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasPrefix(d.Name(), ".") {
			n++
		}
		return nil
	})
	return n
}

// TestQuotaSetWhileRunning: hearthd quota (Admin) on the data folder of a
// running server changes an account's limits for its next write, without
// a restart; the usage survives a restart.
func TestQuotaSetWhileRunning(t *testing.T) {
	dir := t.TempDir()
	l := startLive(t, dir, server.Config{})
	tok := l.signup("alice")
	l.putDoc(tok, "a", 1000).is(t, 201, "", false)

	adm, err := server.OpenAdmin(dir)
	if err != nil {
		t.Fatal(err)
	}
	const limit = 1500 + 2*meta.EntryBytes + meta.DoctypeBytes // two documents' bytes, their entries, the doctype
	if err := adm.SetQuota(context.Background(), "alice", meta.Limits{Bytes: limit, Docs: meta.DefaultLimit}); err != nil {
		t.Fatal(err)
	}
	if err := adm.SetQuota(context.Background(), "nobody", meta.Limits{Bytes: 1}); err == nil {
		t.Fatal("a quota was set for no account")
	}
	adm.Close()
	l.putDoc(tok, "b", 600).is(t, 413, "too_large", true)
	if _, _, q := l.usage(tok); q["bytes"] != float64(limit) {
		t.Fatalf("quota %v, want %d bytes", q, limit)
	}
	l.putDoc(tok, "b", 500).is(t, 201, "", false)

	// A restart keeps the usage and the account's own limit.
	l.srv.Close()
	l2 := startLive(t, dir, server.Config{Quota: meta.Limits{Docs: 100}})
	b, d, q := l2.usage(tok)
	if b != limit || d != 2 || q["bytes"] != float64(limit) || q["docs"] != float64(100) {
		t.Fatalf("after a restart: %v bytes, %v docs, quota %v", b, d, q)
	}
	l2.putDoc(tok, "c", 1).is(t, 413, "too_large", true)
}

// TestSignupInvite: with sign-up by invitation, GET /v1/server says so; a
// missing, wrong, used or expired code is 403 forbidden saying an
// invitation is needed, and creates nothing; a code works once, in any
// case and without its hyphens, even when many sign-ups send it at once.
func TestSignupInvite(t *testing.T) {
	dir := t.TempDir()
	l := startLive(t, dir, server.Config{SignupInv: true})
	if m := l.do("GET", "/v1/server", "", nil).member(t, "signup"); m != "invite" {
		t.Fatalf("signup mode %v, want invite", m)
	}
	adm, err := server.OpenAdmin(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	ctx := context.Background()
	refused := func(body map[string]any) {
		t.Helper()
		a := l.do("POST", "/v1/accounts", "", body)
		a.is(t, 403, "forbidden", false)
		if msg, _ := a.member(t, "error", "message").(string); !strings.Contains(msg, "invitation") {
			t.Fatalf("message %q does not say an invitation is needed", msg)
		}
		if _, err := adm.Quota(ctx, body["user"].(string)); err == nil {
			t.Fatal("a refused sign-up created the account")
		}
	}
	refused(signupBody("alice", ""))
	refused(signupBody("alice", "abcd-efgh-ijkl-mnop-qrst"))
	refused(signupBody("alice", "not a code"))
	expired, _, err := adm.Invite(ctx, time.Now().Add(-8*24*time.Hour), 7*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	refused(signupBody("alice", expired))

	code, exp, err := adm.Invite(ctx, time.Now(), 7*24*time.Hour)
	if err != nil || time.Until(exp) < 6*24*time.Hour {
		t.Fatal(err, exp)
	}
	l.do("POST", "/v1/accounts", "", signupBody("alice", strings.ToUpper(strings.ReplaceAll(code, "-", "")))).is(t, 201, "", false)
	refused(signupBody("bob", code))

	// A taken name leaves the invitation usable.
	code, _, _ = adm.Invite(ctx, time.Now(), time.Hour)
	l.do("POST", "/v1/accounts", "", signupBody("alice", code)).is(t, 409, "user_exists", false)
	// Many at once with one code: exactly one account.
	var wg sync.WaitGroup
	var mu sync.Mutex
	created := 0
	for i := range 8 {
		wg.Go(func() {
			a := l.do("POST", "/v1/accounts", "", signupBody(fmt.Sprintf("user%d", i), code))
			mu.Lock()
			defer mu.Unlock()
			switch a.status {
			case 201:
				created++
			case 403:
			default:
				t.Errorf("sign-up: %d %s", a.status, a.body)
			}
		})
	}
	wg.Wait()
	if created != 1 {
		t.Fatalf("%d accounts made with one invitation, want 1", created)
	}
	// Only the hash is stored.
	db, _ := os.ReadFile(filepath.Join(dir, "meta.db"))
	wal, _ := os.ReadFile(filepath.Join(dir, "meta.db-wal"))
	for _, c := range []string{code, strings.ReplaceAll(code, "-", "")} {
		if bytes.Contains(db, []byte(c)) || bytes.Contains(wal, []byte(c)) {
			t.Fatal("an invitation code is stored in the clear")
		}
	}
}

// TestSignupModes: open and closed sign-up as before, told by GET
// /v1/server; an invitation sent to an open server is ignored.
func TestSignupModes(t *testing.T) {
	open := startLive(t, t.TempDir(), server.Config{})
	if m := open.do("GET", "/v1/server", "", nil).member(t, "signup"); m != "open" {
		t.Fatalf("signup mode %v, want open", m)
	}
	open.do("POST", "/v1/accounts", "", signupBody("alice", "abcd-efgh-ijkl-mnop-qrst")).is(t, 201, "", false)
	closed := startLive(t, t.TempDir(), server.Config{SignupOff: true, SignupInv: true})
	if m := closed.do("GET", "/v1/server", "", nil).member(t, "signup"); m != "closed" {
		t.Fatalf("signup mode %v, want closed", m)
	}
	closed.do("POST", "/v1/accounts", "", signupBody("alice", "")).is(t, 403, "forbidden", false)
	closed.do("GET", "/v1/server?x=1", "", nil).is(t, 400, "bad_request", false)
}

// held starts an upload of n bytes whose body waits: it returns a func
// that sends the body and returns the answer.
func (l *live) held(path, tok string, body []byte) (finish func() answer) {
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("PUT", l.url+path, pr)
	req.ContentLength = int64(len(body))
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Authorization", "Bearer "+tok)
	done := make(chan answer, 1)
	go func() {
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- answer{status: -1, body: []byte(err.Error())}
			return
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		done <- answer{res.StatusCode, b}
	}()
	pw.Write(body[:1]) // the server has the request
	return func() answer {
		go func() { pw.Write(body[1:]); pw.Close() }()
		select {
		case a := <-done:
			return a
		case <-time.After(20 * time.Second):
			l.t.Fatal("no answer")
			return answer{}
		}
	}
}

// TestQuotaRefusedBeforeBody: an upload that does not fit is answered
// before its body is read, and uploads under way count: a second upload
// that would fit alone but not beside the first is refused at once.
func TestQuotaRefusedBeforeBody(t *testing.T) {
	l := startLive(t, t.TempDir(), server.Config{Quota: meta.Limits{Bytes: 100000}})
	tok := l.signup("alice")
	// A body that never comes: the answer must not wait for it.
	pr, pw := io.Pipe()
	defer pw.Close()
	req, _ := http.NewRequest("PUT", l.url+"/v1/blobs/io.n/big", pr)
	req.ContentLength = 100001
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Expect", "100-continue")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	answer{res.StatusCode, b}.is(t, 413, "too_large", true)

	first := l.held("/v1/blobs/io.n/b1", tok, rnd(60000))
	time.Sleep(500 * time.Millisecond) // the first is past its check
	l.do("PUT", "/v1/blobs/io.n/b2", tok, rnd(60000)).is(t, 413, "too_large", true)
	first().is(t, 201, "", false)
	l.do("PUT", "/v1/blobs/io.n/b3", tok, rnd(40000-meta.DoctypeBytes-2*meta.EntryBytes)).is(t, 201, "", false)
}

// TestQuotaCheckedAtCommit: an upload that fitted when it started but not
// when its row is written (the limit was lowered meanwhile) is refused,
// and its body is removed.
func TestQuotaCheckedAtCommit(t *testing.T) {
	dir := t.TempDir()
	l := startLive(t, dir, server.Config{})
	tok := l.signup("alice")
	finish := l.held("/v1/blobs/io.n/b1", tok, rnd(60000))
	time.Sleep(500 * time.Millisecond)
	adm, err := server.OpenAdmin(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := adm.SetQuota(context.Background(), "alice", meta.Limits{Bytes: 50000, Docs: meta.DefaultLimit}); err != nil {
		t.Fatal(err)
	}
	adm.Close()
	finish().is(t, 413, "too_large", true)
	l.do("GET", "/v1/blobs/io.n/b1", tok, nil).is(t, 404, "not_found", false)
	if n := files(t, filepath.Join(dir, "blobs")); n != 0 {
		t.Fatalf("%d blob files after a refused upload, want 0", n)
	}
}
