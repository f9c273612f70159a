//go:build hearthtest

// The client tests need the cheap key derivation of the hearthtest tag
// (make test sets it).

package client_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/crypto/kdf"
	"github.com/hearthcloud/hearth/crypto/seal"
	"github.com/hearthcloud/hearth/internal/wire"
	"github.com/hearthcloud/hearth/server/api"
	"github.com/hearthcloud/hearth/server/auth"
	blobmem "github.com/hearthcloud/hearth/server/blob/memory"
	metamem "github.com/hearthcloud/hearth/server/meta/memory"
)

func TestMain(m *testing.M) {
	restore := kdf.LowerFloorForTesting() // cheap Argon2id, tests only
	// Old key generations dropped by the first clean re-seal (TestResealSettles
	// sets its own).
	restoreSettle := client.SetResealSettleForTesting(0)
	code := m.Run()
	restoreSettle()
	restore()
	os.Exit(code)
}

// hook may answer a request itself (returning true), typically by calling
// next through capture and altering what it answered.
type hook func(w http.ResponseWriter, r *http.Request, next http.Handler) bool

// env is the real API on a loopback port over memory stores, behind a
// handler that tests can make tamper with responses.
type env struct {
	t   *testing.T
	url string
	mu  sync.Mutex
	h   hook
}

func newEnv(t *testing.T) *env {
	t.Helper()
	secret := make([]byte, 32)
	rand.Read(secret)
	srv := api.New(api.Config{
		Meta: metamem.New(), Blobs: blobmem.New(1 << 30), Secret: secret,
		Hash: auth.HashParams{Memory: 64, Time: 1, Threads: 1},
	})
	e := &env{t: t}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		h := e.h
		e.mu.Unlock()
		if h != nil && h(w, r, srv) {
			return
		}
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	e.url = ts.URL
	return e
}

func (e *env) tamper(h hook) {
	e.mu.Lock()
	e.h = h
	e.mu.Unlock()
}

// capture runs next on r and returns what it answered.
func capture(next http.Handler, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, r)
	return rec
}

// replay writes rec's answer with body in place of its own.
func replay(w http.ResponseWriter, rec *httptest.ResponseRecorder, body []byte) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(rec.Code)
	w.Write(body)
}

var opts = &client.Options{KDF: kdf.TestParams, Device: "test"}

var userN int

func (e *env) signup(pw string) (*client.Client, string, string) {
	e.t.Helper()
	userN++
	user := fmt.Sprintf("user%d-%d", userN, time.Now().UnixNano()%1e6)
	c, rk, err := client.Signup(context.Background(), e.url, user, pw, opts)
	if err != nil {
		e.t.Fatal(err)
	}
	return c, user, rk
}

func stateJSON(t *testing.T, c *client.Client) string {
	t.Helper()
	b, err := json.Marshal(c.State())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// wantIntegrity checks err is ErrIntegrity (and seal.ErrIntegrity) and that
// the client's State did not change.
func wantIntegrity(t *testing.T, what string, err error, c *client.Client, before string) {
	t.Helper()
	if !errors.Is(err, client.ErrIntegrity) || !errors.Is(err, seal.ErrIntegrity) {
		t.Fatalf("%s: got %v, want an integrity error", what, err)
	}
	t.Logf("%s: %v", what, err)
	if !strings.HasPrefix(err.Error(), "integrity check failed") {
		t.Errorf("%s: message %q", what, err)
	}
	// A rollback or fork halts the device (State.Halted); nothing else of
	// the State changes. The test goes on with the same device.
	c.ClearHaltForTesting()
	if after := stateJSON(t, c); after != before {
		t.Errorf("%s: the State changed:\n%s\n%s", what, before, after)
	}
}

var ctx = context.Background()

// mustCatchUp reads the account's changes feed to its end, as a device
// does before its first write.
func mustCatchUp(t *testing.T, c *client.Client) {
	t.Helper()
	if err := c.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestNoServerImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, "github.com/hearthcloud/hearth/server") || p == "os/exec" || p == "syscall/js" && false {
			t.Errorf("package client depends on %s", p)
		}
	}
	if testing.Short() {
		return
	}
	cmd := exec.Command("go", "build", "-o", os.DevNull, ".")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("GOOS=js GOARCH=wasm go build: %v\n%s", err, out)
	}
}

func TestServerURL(t *testing.T) {
	// A native client asks the DNS for home.localhost, which could answer
	// another machine: not a loopback name here (a browser's is).
	for _, u := range []string{"http://example.com", "ftp://127.0.0.1", "127.0.0.1:80", "http://10.0.0.1:8080", "http://home.localhost:8080"} {
		if _, _, err := client.Signup(ctx, u, "alice", "a long test passphrase", opts); err == nil || errors.Is(err, client.ErrIntegrity) {
			t.Errorf("%s: got %v", u, err)
		}
	}
}

// TestSignupReservedName: the client refuses to sign up as home (Home's
// host is home.<domain>, protocol §8.1.2) before it sends anything.
func TestSignupReservedName(t *testing.T) {
	e := newEnv(t)
	var sent atomic.Int32
	e.tamper(func(w http.ResponseWriter, r *http.Request, _ http.Handler) bool { sent.Add(1); return false })
	if _, _, err := client.Signup(ctx, e.url, "home", "a long test passphrase", opts); !errors.Is(err, wire.ErrReservedUser) {
		t.Fatalf("sign-up as home: %v", err)
	}
	if n := sent.Load(); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

func TestSignupLoginSessions(t *testing.T) {
	e := newEnv(t)
	c, user, rk := e.signup("correct horse")
	if !strings.HasPrefix(rk, "HEARTH-") {
		t.Errorf("recovery key %q", rk)
	}
	id, rev, err := c.Create(ctx, "io.hearth.notes", []byte(`{"title":"hello"}`))
	if err != nil || rev != 1 {
		t.Fatal(id, rev, err)
	}
	if _, err := client.Login(ctx, e.url, user, "wrong horse", "", opts); !errors.Is(err, client.ErrBadCredentials) {
		t.Fatalf("wrong password: %v", err)
	}
	if _, err := client.Login(ctx, e.url, "nobody", "x", "", opts); !errors.Is(err, client.ErrBadCredentials) {
		t.Fatalf("unknown user: %v", err)
	}
	c2, err := client.Login(ctx, e.url, user, "correct horse", "", &client.Options{KDF: kdf.TestParams, Device: "phone"})
	if err != nil {
		t.Fatal(err)
	}
	d, err := c2.Get(ctx, "io.hearth.notes", id)
	if err != nil || string(d.Content) != `{"title":"hello"}` {
		t.Fatal(d, err)
	}
	if c2.State().KeyringRev != 2 {
		t.Errorf("keyring rev %d, want 2", c2.State().KeyringRev)
	}
	ss, err := c.Sessions(ctx)
	if err != nil || len(ss) != 2 {
		t.Fatal(ss, err)
	}
	var other string
	for _, s := range ss {
		if !s.Current {
			other = s.ID
			if s.Device != "phone" {
				t.Errorf("device %q", s.Device)
			}
		}
	}
	if other != c2.State().SessionID {
		t.Errorf("session ids differ: %s %s", other, c2.State().SessionID)
	}
	if err := c.RevokeSession(ctx, other); err != nil {
		t.Fatal(err)
	}
	if _, err := c2.Get(ctx, "io.hearth.notes", id); !errors.Is(err, client.ErrSessionEnded) {
		t.Fatalf("revoked session: %v", err)
	}
	var ae *client.APIError
	if _, err := c2.Sessions(ctx); !errors.As(err, &ae) || ae.Status != 401 || !strings.HasPrefix(ae.Error(), "server refused: ") {
		t.Fatalf("revoked session: %v", err)
	}
	// Resume works from the saved State, through JSON.
	b, _ := json.Marshal(c.State())
	var st client.State
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	c3, err := client.Resume(&st, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d, err := c3.Get(ctx, "io.hearth.notes", id); err != nil || d.Rev != 1 {
		t.Fatal(d, err)
	}
	if err := c3.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(ctx, "io.hearth.notes", id); !errors.Is(err, client.ErrSessionEnded) {
		t.Fatalf("after logout: %v", err)
	}
}

func TestTOTP(t *testing.T) {
	e := newEnv(t)
	c, user, rk := e.signup("a long test passphrase")
	uri, err := c.TOTPEnroll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	key, err := otp.NewKeyFromURL(uri)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	code := func(t0 time.Time) string {
		s, err := totp.GenerateCode(key.Secret(), t0)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	codes, err := c.TOTPConfirm(ctx, code(now))
	if err != nil || len(codes) != 10 {
		t.Fatal(codes, err)
	}
	if _, err := client.Login(ctx, e.url, user, "a long test passphrase", "", opts); !errors.Is(err, client.ErrTOTPRequired) {
		t.Fatalf("no code: %v", err)
	}
	wrong := "000000"
	for _, d := range []time.Duration{-30, 0, 30} {
		if code(now.Add(d*time.Second)) == wrong {
			wrong = "111111"
		}
	}
	var ae *client.APIError
	if _, err := client.Login(ctx, e.url, user, "a long test passphrase", wrong, opts); !errors.As(err, &ae) || ae.Code != "totp_invalid" {
		t.Fatalf("wrong code: %v", err)
	}
	if _, err := client.Login(ctx, e.url, user, "a long test passphrase", code(now), opts); !errors.As(err, &ae) || ae.Code != "totp_replayed" {
		t.Fatalf("replayed code: %v", err)
	}
	next := code(now.Add(30 * time.Second))
	if _, err := client.Login(ctx, e.url, user, "a long test passphrase", next[:3]+" "+next[3:], opts); err != nil {
		t.Fatalf("next code: %v", err)
	}
	if _, err := client.Login(ctx, e.url, user, "a long test passphrase", next, opts); !errors.As(err, &ae) || ae.Code != "totp_replayed" {
		t.Fatalf("replayed code: %v", err)
	}
	c2, err := client.Login(ctx, e.url, user, "a long test passphrase", strings.ToUpper(codes[0]), opts)
	if err != nil {
		t.Fatalf("recovery code: %v", err)
	}
	if _, err := client.Login(ctx, e.url, user, "a long test passphrase", codes[0], opts); !errors.As(err, &ae) || ae.Code != "totp_invalid" {
		t.Fatalf("reused recovery code: %v", err)
	}
	// Recovery asks for the second factor too.
	if _, _, err := client.Recover(ctx, e.url, user, rk, "a second test passphrase", "", opts); !errors.Is(err, client.ErrTOTPRequired) {
		t.Fatalf("recover without a code: %v", err)
	}
	if _, _, err := client.Recover(ctx, e.url, user, rk, "a second test passphrase", codes[2], opts); err != nil {
		t.Fatalf("recover with a recovery code: %v", err)
	}
	c2, err = client.Login(ctx, e.url, user, "a second test passphrase", codes[3], opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := c2.TOTPDisable(ctx, codes[1]); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Login(ctx, e.url, user, "a second test passphrase", "", opts); err != nil {
		t.Fatalf("after disable: %v", err)
	}
}

func TestDocuments(t *testing.T) {
	e := newEnv(t)
	c, _, _ := e.signup("a long test passphrase")
	const dt = "io.hearth.notes"
	if _, err := c.Get(ctx, dt, "nope"); !errors.Is(err, client.ErrNotFound) {
		t.Fatalf("unregistered doctype: %v", err)
	}
	if ids, err := c.List(ctx, dt); err != nil || len(ids) != 0 {
		t.Fatal(ids, err)
	}
	id, _, err := c.Create(ctx, dt, []byte("one"))
	if err != nil {
		t.Fatal(err)
	}
	if rev, err := c.Put(ctx, dt, id, []byte("two")); err != nil || rev != 2 {
		t.Fatal(rev, err)
	}
	if rev, err := c.Put(ctx, dt, "named-doc", []byte("named")); err != nil || rev != 1 {
		t.Fatal(rev, err)
	}
	if _, err := c.Get(ctx, dt, "nope"); !errors.Is(err, client.ErrNotFound) {
		t.Fatalf("never written: %v", err)
	}
	d, err := c.Get(ctx, dt, id)
	if err != nil || string(d.Content) != "two" || d.Rev != 2 || d.Deleted {
		t.Fatal(d, err)
	}
	ids, err := c.List(ctx, dt)
	if err != nil || len(ids) != 2 {
		t.Fatal(ids, err)
	}
	if err := c.Delete(ctx, dt, id); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(ctx, dt, id); !errors.Is(err, client.ErrNotFound) {
		t.Fatalf("deleted: %v", err)
	}
	if err := c.Delete(ctx, dt, id); !errors.Is(err, client.ErrNotFound) {
		t.Fatalf("deleted twice: %v", err)
	}
	if ids, _ := c.List(ctx, dt); len(ids) != 1 || ids[0] != "named-doc" {
		t.Fatal(ids)
	}
	if rev, err := c.Put(ctx, dt, id, []byte("back")); err != nil || rev != 4 {
		t.Fatal(rev, err)
	}
	if _, err := c.Put(ctx, dt, id, nil); err == nil {
		t.Fatal("empty Put accepted")
	}
	// A second device writes; the first one's Put reads and extends it.
	st := c.State()
	c2, err := client.Resume(st, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c2.Put(ctx, dt, id, []byte("from two")); err != nil {
		t.Fatal(err)
	}
	if rev, err := c.Put(ctx, dt, id, []byte("from one")); err != nil || rev != 6 {
		t.Fatal(rev, err)
	}
	// Bulk: more than one request's worth, with updates and a deletion.
	items := make([]client.Item, 1500)
	for i := range items {
		items[i].Content = []byte(fmt.Sprintf(`{"n":%d}`, i))
	}
	items[0] = client.Item{ID: "named-doc", Content: []byte("bulk update")}
	items[1] = client.Item{ID: id} // delete
	items[2] = client.Item{ID: "never-written"}
	res, err := c.PutMany(ctx, "io.hearth.bulk", items[3:])
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil || r.Rev != 1 {
			t.Fatal(r)
		}
	}
	res, err = c.PutMany(ctx, dt, items[:3])
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Rev != 2 || res[0].Err != nil || res[1].Rev != 7 || res[1].Err != nil || !errors.Is(res[2].Err, client.ErrNotFound) {
		t.Fatalf("%+v", res)
	}
	if ids, _ := c.List(ctx, "io.hearth.bulk"); len(ids) != 1497 {
		t.Fatal(len(ids))
	}
	if d, err := c.Get(ctx, "io.hearth.bulk", res[0].ID); err == nil {
		t.Fatal(d)
	}
}

func TestSecondDeviceSync(t *testing.T) {
	e := newEnv(t)
	c1, user, _ := e.signup("a long test passphrase")
	a, _, _ := c1.Create(ctx, "io.hearth.notes", []byte("note a"))
	b, _, _ := c1.Create(ctx, "io.hearth.contacts", []byte("contact b"))
	c1.Put(ctx, "io.hearth.notes", a, []byte("note a v2"))
	c1.Delete(ctx, "io.hearth.contacts", b)

	c2, err := client.Login(ctx, e.url, user, "a long test passphrase", "", opts)
	if err != nil {
		t.Fatal(err)
	}
	var got []client.Change
	if err := c2.Sync(ctx, 0, func(ch client.Change) error { got = append(got, ch); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 {
		t.Fatalf("%d changes", len(got))
	}
	if got[0].Doc != nil || got[2].Doc == nil || string(got[2].Doc.Content) != "note a v2" || !got[3].Deleted || got[3].Doc == nil || !got[3].Doc.Deleted {
		t.Fatalf("%+v", got)
	}
	if st := c2.State(); st.FeedSeq != 4 || len(st.FeedChain) != 32 || st.Docs["io.hearth.notes/"+a].Rev != 2 {
		t.Fatalf("%+v", st)
	}
	// Long-poll: a write by the first device wakes the second.
	done := make(chan []client.Change)
	go func() {
		var got []client.Change
		err := c2.Sync(ctx, 10*time.Second, func(ch client.Change) error { got = append(got, ch); return nil })
		if err != nil {
			t.Error(err)
		}
		done <- got
	}()
	time.Sleep(200 * time.Millisecond)
	if _, err := c1.Put(ctx, "io.hearth.notes", a, []byte("note a v3")); err != nil {
		t.Fatal(err)
	}
	select {
	case got = <-done:
	case <-time.After(8 * time.Second):
		t.Fatal("long poll did not wake")
	}
	if len(got) != 1 || got[0].Seq != 5 || string(got[0].Doc.Content) != "note a v3" {
		t.Fatalf("%+v", got)
	}
	// An error from fn leaves the position; the page comes again.
	c1.Put(ctx, "io.hearth.notes", a, []byte("note a v4"))
	boom := errors.New("boom")
	if err := c2.Sync(ctx, 0, func(client.Change) error { return boom }); err != boom {
		t.Fatal(err)
	}
	if c2.State().FeedSeq != 5 {
		t.Fatal(c2.State().FeedSeq)
	}
	// Resumed from saved state, the device continues where it was.
	c3, err := client.Resume(c2.State(), nil)
	if err != nil {
		t.Fatal(err)
	}
	got = nil
	if err := c3.Sync(ctx, 0, func(ch client.Change) error { got = append(got, ch); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || string(got[0].Doc.Content) != "note a v4" || c3.State().FeedSeq != 6 {
		t.Fatalf("%+v", got)
	}
	// A page boundary: more than one page (limit 500).
	items := make([]client.Item, 1200)
	for i := range items {
		items[i].Content = []byte("x")
	}
	if _, err := c1.PutMany(ctx, "io.hearth.bulk", items); err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := c3.Sync(ctx, 0, func(client.Change) error { n++; return nil }); err != nil || n != 1200 {
		t.Fatal(n, err)
	}
}

func TestRecover(t *testing.T) {
	e := newEnv(t)
	c, user, rk := e.signup("an old test passphrase")
	id, _, _ := c.Create(ctx, "io.hearth.notes", []byte("kept"))
	if _, _, err := client.Recover(ctx, e.url, user, "HEARTH-AAAAA", "a new test passphrase", "", opts); err == nil {
		t.Fatal("bad recovery key accepted")
	}
	c2, rk2, err := client.Recover(ctx, e.url, user, strings.ToLower(rk), "a new test passphrase", "", opts)
	if err != nil {
		t.Fatal(err)
	}
	if rk2 == rk {
		t.Fatal("recovery key not replaced")
	}
	if d, err := c2.Get(ctx, "io.hearth.notes", id); err != nil || string(d.Content) != "kept" {
		t.Fatal(d, err)
	}
	if _, err := client.Login(ctx, e.url, user, "an old test passphrase", "", opts); !errors.Is(err, client.ErrBadCredentials) {
		t.Fatal(err)
	}
	c3, err := client.Login(ctx, e.url, user, "a new test passphrase", "", opts)
	if err != nil {
		t.Fatal(err)
	}
	if d, err := c3.Get(ctx, "io.hearth.notes", id); err != nil || string(d.Content) != "kept" {
		t.Fatal(d, err)
	}
	if _, _, err := client.Recover(ctx, e.url, user, rk, "yet another passphrase", "", opts); !errors.Is(err, client.ErrBadCredentials) {
		t.Fatalf("old recovery key: %v", err)
	}
	if _, _, err := client.Recover(ctx, e.url, user, rk2, "yet another passphrase", "", opts); err != nil {
		t.Fatalf("new recovery key: %v", err)
	}
}

func b64(s string) []byte {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}
