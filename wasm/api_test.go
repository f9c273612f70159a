//go:build hearthtest

// The tests need the cheap key derivation of the hearthtest tag (make test
// sets it): go test -tags hearthtest -race ./wasm/

package wasm

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/hearthcloud/hearth/crypto/kdf"
	"github.com/hearthcloud/hearth/server/api"
	"github.com/hearthcloud/hearth/server/auth"
	blobmem "github.com/hearthcloud/hearth/server/blob/memory"
	metamem "github.com/hearthcloud/hearth/server/meta/memory"
)

func TestMain(m *testing.M) {
	restore := kdf.LowerFloorForTesting() // cheap Argon2id, tests only
	code := m.Run()
	restore()
	os.Exit(code)
}

// server is the real API over memory stores; tamper, when set, may answer
// a request itself.
type server struct {
	url    string
	mu     sync.Mutex
	tamper func(w http.ResponseWriter, r *http.Request, next http.Handler) bool
}

func newServer(t *testing.T) *server {
	t.Helper()
	secret := make([]byte, 32)
	rand.Read(secret)
	h := api.New(api.Config{
		Meta: metamem.New(), Blobs: blobmem.New(1 << 30), Secret: secret,
		Hash: auth.HashParams{Memory: 64, Time: 1, Threads: 1},
	})
	s := &server{}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		tp := s.tamper
		s.mu.Unlock()
		if tp != nil && tp(w, r, h) {
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	s.url = ts.URL
	return s
}

// events records what an API tells its host.
type events struct {
	mu   sync.Mutex
	all  []Event
	wake chan struct{}
}

func (e *events) add(ev Event) {
	e.mu.Lock()
	e.all = append(e.all, ev)
	e.mu.Unlock()
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// wait returns the first event after index from matching ok.
func (e *events) wait(t *testing.T, from int, ok func(Event) bool) Event {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		e.mu.Lock()
		for _, ev := range e.all[min(from, len(e.all)):] {
			if ok(ev) {
				e.mu.Unlock()
				return ev
			}
		}
		e.mu.Unlock()
		select {
		case <-e.wake:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatal("timed out waiting for an event")
		}
	}
}

func (e *events) n() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.all)
}

// pages returns the pages of the documents cache the "docs" events gave
// since the last "wipe", the last of each name: what the worker keeps.
func (e *events) pages() [][]byte {
	e.mu.Lock()
	defer e.mu.Unlock()
	last := map[string][]byte{}
	for _, ev := range e.all {
		switch ev.Type {
		case "docs":
			last[ev.Name] = ev.State
		case "wipe":
			clear(last)
		}
	}
	var out [][]byte
	for _, k := range slices.Sorted(maps.Keys(last)) {
		out = append(out, last[k])
	}
	return out
}

// lastState returns the payload of the last "state" event, or nil after a
// "wipe".
func (e *events) lastState() []byte {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i := len(e.all) - 1; i >= 0; i-- {
		switch e.all[i].Type {
		case "state":
			return e.all[i].State
		case "wipe":
			return nil
		}
	}
	return nil
}

func newAPI(t *testing.T, s *server) (*API, *events) {
	t.Helper()
	ev := &events{wake: make(chan struct{}, 1)}
	a, err := New(Config{Server: s.url, KDF: kdf.TestParams, PollWait: 2 * time.Second, OnEvent: ev.add})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return a, ev
}

var ctx = context.Background()

var userN int

func signup(t *testing.T, a *API) (string, string) {
	t.Helper()
	userN++
	user := fmt.Sprintf("web%d-%d", userN, time.Now().UnixNano()%1e6)
	r, err := a.Signup(ctx, user, "correct horse", "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(r.RecoveryKey, "HEARTH-") || r.User != user {
		t.Fatalf("signup: %+v", r)
	}
	return user, r.RecoveryKey
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Code != code {
		t.Fatalf("%s: got %v (%#v), want code %s", what, err, err, code)
	}
}

func TestDocumentsAndState(t *testing.T) {
	s := newServer(t)
	a, ev := newAPI(t, s)
	if _, err := a.Create(ctx, "io.hearth.notes", json.RawMessage(`{}`)); err == nil {
		t.Fatal("create while signed out")
	} else {
		wantCode(t, "signed out", err, "session_ended")
	}
	// The reserved user name (Home is at home.<domain>) is refused here.
	_, err := a.Signup(ctx, "home", "correct horse", "")
	wantCode(t, "sign-up as home", err, "bad_input")
	user, _ := signup(t, a)
	if a.User() != user {
		t.Fatalf("user %q", a.User())
	}
	if ev.lastState() == nil {
		t.Fatal("no state event after signup")
	}
	const dt = "io.hearth.notes"
	c1, err := a.Create(ctx, dt, json.RawMessage(`{"title":"one","n":1}`))
	if err != nil || c1.Rev != 1 {
		t.Fatal(c1, err)
	}
	c2, err := a.Create(ctx, dt, json.RawMessage(`"just a string"`))
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.Put(ctx, dt, c1.ID, json.RawMessage(`{"title":"one, edited"}`))
	if err != nil || p.Rev != 2 {
		t.Fatal(p, err)
	}
	d, err := a.Get(ctx, dt, c1.ID)
	if err != nil || d.Rev != 2 || string(d.Value) != `{"title":"one, edited"}` {
		t.Fatal(d, err)
	}
	list, err := a.List(ctx, dt)
	if err != nil || len(list) != 2 {
		t.Fatal(list, err)
	}
	if err := a.Delete(ctx, dt, c2.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Get(ctx, dt, c2.ID); err == nil {
		t.Fatal("get of a deleted document")
	} else {
		wantCode(t, "get deleted", err, "not_found")
	}
	wantCode(t, "delete twice", a.Delete(ctx, dt, c2.ID), "not_found")
	list, err = a.List(ctx, dt)
	if err != nil || len(list) != 1 || list[0].ID != c1.ID || list[0].Rev != 2 {
		t.Fatal(list, err)
	}
	if l, err := a.List(ctx, "io.hearth.other"); err != nil || l == nil || len(l) != 0 {
		t.Fatal(l, err)
	}
	// Bad input never reaches the server.
	_, err = a.Create(ctx, "Not A Doctype", json.RawMessage(`1`))
	wantCode(t, "bad doctype", err, "bad_input")
	_, err = a.Put(ctx, dt, "bad/id", json.RawMessage(`1`))
	wantCode(t, "bad id", err, "bad_input")
	_, err = a.Put(ctx, dt, c1.ID, json.RawMessage(`{nope`))
	wantCode(t, "bad value", err, "bad_input")
	_, err = a.Get(ctx, dt, "neverwritten")
	wantCode(t, "never written", err, "not_found")

	// A reload: a new API resumes from the saved state, and List still
	// holds the documents written before (read and verified with Get),
	// plus what another device wrote meanwhile (from the feed).
	state := ev.lastState()
	other, _ := newAPI(t, s)
	if _, err := other.Login(ctx, user, "correct horse", ""); err != nil {
		t.Fatal(err)
	}
	c3, err := other.Create(ctx, dt, json.RawMessage(`{"title":"from the phone"}`))
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	b, _ := newAPI(t, s)
	r, err := b.Resume(state, ev.pages()...)
	if err != nil || !r.Restored || r.User != user {
		t.Fatal(r, err)
	}
	// The documents listed before come from the documents cache: no
	// document is read again, only the feed.
	var reads []string
	s.mu.Lock()
	s.tamper = func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if strings.HasPrefix(r.URL.Path, "/v1/docs/") {
			reads = append(reads, r.URL.Path)
		}
		return false
	}
	s.mu.Unlock()
	list, err = b.List(ctx, dt)
	s.mu.Lock()
	s.tamper = nil
	s.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	if len(reads) != 0 {
		t.Fatalf("a resumed List read documents again: %v", reads)
	}
	got := map[string]string{}
	for _, d := range list {
		got[d.ID] = string(d.Value)
	}
	if len(got) != 2 || got[c1.ID] != `{"title":"one, edited"}` || got[c3.ID] != `{"title":"from the phone"}` {
		t.Fatalf("after resume: %v", got)
	}
	// A state of another server does not resume.
	x, err := New(Config{Server: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := x.Resume(state); err != nil || r.Restored {
		t.Fatal(r, err)
	}
	if r, err := x.Resume([]byte("garbage")); err != nil || r.Restored {
		t.Fatal(r, err)
	}
}

func TestSubscribe(t *testing.T) {
	s := newServer(t)
	a, aev := newAPI(t, s)
	user, _ := signup(t, a)
	b, bev := newAPI(t, s)
	if _, err := b.Login(ctx, user, "correct horse", ""); err != nil {
		t.Fatal(err)
	}
	const dt = "io.hearth.notes"
	if err := b.Subscribe(7, []string{dt}); err != nil {
		t.Fatal(err)
	}
	if err := a.Subscribe(1, nil); err != nil {
		t.Fatal(err)
	}
	// Own writes are delivered at once.
	from := aev.n()
	c, err := a.Create(ctx, dt, json.RawMessage(`{"t":"hello"}`))
	if err != nil {
		t.Fatal(err)
	}
	e := aev.wait(t, from, func(e Event) bool { return e.Type == "change" })
	if e.Sub != 1 || e.Change.ID != c.ID || string(e.Change.Value) != `{"t":"hello"}` {
		t.Fatalf("own change: %+v %+v", e, e.Change)
	}
	// The other device gets it through the long-polled feed.
	e = bev.wait(t, 0, func(e Event) bool { return e.Type == "change" && e.Change.ID == c.ID })
	if e.Sub != 7 || e.Change.Doctype != dt || e.Change.Rev != 1 || e.Change.Deleted {
		t.Fatalf("feed change: %+v %+v", e, e.Change)
	}
	from = bev.n()
	if err := a.Delete(ctx, dt, c.ID); err != nil {
		t.Fatal(err)
	}
	e = bev.wait(t, from, func(e Event) bool { return e.Type == "change" && e.Change.ID == c.ID })
	if !e.Change.Deleted || e.Change.Rev != 2 || string(e.Change.Value) != "null" {
		t.Fatalf("deletion: %+v", e.Change)
	}
	// Other doctypes are not delivered to subscription 7.
	from = bev.n()
	if _, err := a.Create(ctx, "io.hearth.other", json.RawMessage(`1`)); err != nil {
		t.Fatal(err)
	}
	c2, _ := a.Create(ctx, dt, json.RawMessage(`2`))
	e = bev.wait(t, from, func(e Event) bool { return e.Type == "change" })
	if e.Change.ID != c2.ID {
		t.Fatalf("got a change of another doctype: %+v", e.Change)
	}
	// The feed's state is saved as it moves.
	if bev.lastState() == nil {
		t.Fatal("no state saved")
	}
	b.Unsubscribe(7)
	list, err := b.List(ctx, "io.hearth.other")
	if err != nil || len(list) != 1 || string(list[0].Value) != "1" {
		t.Fatal(list, err)
	}
}

func TestFeedTamperedStopsSubscription(t *testing.T) {
	s := newServer(t)
	a, ev := newAPI(t, s)
	signup(t, a)
	if _, err := a.Create(ctx, "io.hearth.notes", json.RawMessage(`1`)); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	s.tamper = func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if r.URL.Path != "/v1/changes" {
			return false
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		body := bytes.Replace(rec.Body.Bytes(), []byte(`"rev":1`), []byte(`"rev":3`), 1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(rec.Code)
		w.Write(body)
		return true
	}
	s.mu.Unlock()
	if err := a.Subscribe(3, nil); err != nil {
		t.Fatal(err)
	}
	e := ev.wait(t, 0, func(e Event) bool { return e.Type == "error" })
	if e.Sub != 3 || e.Error.Code != "integrity" {
		t.Fatalf("%+v %+v", e, e.Error)
	}
	_, err := a.List(ctx, "io.hearth.notes")
	wantCode(t, "list of a tampered feed", err, "integrity")
}

func TestLoginTOTPSessions(t *testing.T) {
	s := newServer(t)
	a, aev := newAPI(t, s)
	user, _ := signup(t, a)
	acct, err := a.Account(ctx)
	if err != nil || acct.User != user || acct.TOTP {
		t.Fatal(acct, err)
	}
	en, err := a.TOTPEnroll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(en.URI, "otpauth://totp/") || !strings.HasPrefix(en.QR, "data:image/png;base64,") || len(en.QR) < 500 {
		t.Fatalf("enroll: %q %.60q", en.URI, en.QR)
	}
	key, err := otp.NewKeyFromURL(en.URI)
	if err != nil {
		t.Fatal(err)
	}
	code, _ := totp.GenerateCode(key.Secret(), time.Now())
	_, err = a.TOTPConfirm(ctx, "000000")
	if code != "000000" {
		wantCode(t, "wrong confirm code", err, "totp_invalid")
	}
	conf, err := a.TOTPConfirm(ctx, code)
	if err != nil || len(conf.RecoveryCodes) != 10 {
		t.Fatal(conf, err)
	}
	if acct, err := a.Account(ctx); err != nil || !acct.TOTP {
		t.Fatal(acct, err)
	}

	b, _ := newAPI(t, s)
	_, err = b.Login(ctx, user, "wrong", "")
	wantCode(t, "wrong password", err, "bad_credentials")
	_, err = b.Login(ctx, "Not Valid", "x", "")
	wantCode(t, "impossible name", err, "bad_credentials")
	_, err = b.Login(ctx, user, "correct horse", "")
	wantCode(t, "no code", err, "totp_required")
	_, err = b.Login(ctx, user, "correct horse", "123")
	wantCode(t, "wrong code", err, "totp_invalid")
	_, err = b.Login(ctx, user, "correct horse", code)
	wantCode(t, "replayed code", err, "totp_replayed")
	if _, err := b.Login(ctx, user, "correct horse", conf.RecoveryCodes[0]); err != nil {
		t.Fatal(err)
	}
	ss, err := b.Sessions(ctx)
	if err != nil || len(ss) != 2 {
		t.Fatal(ss, err)
	}
	var mine, theirs Session
	for _, s := range ss {
		if s.Current {
			mine = s
		} else {
			theirs = s
		}
	}
	if mine.ID == "" || theirs.ID == "" || mine.Device != "browser" {
		t.Fatal(ss)
	}
	// b revokes a: a's next call ends its session and tells its host to wipe.
	if err := b.RevokeSession(ctx, theirs.ID); err != nil {
		t.Fatal(err)
	}
	_, err = a.Sessions(ctx)
	wantCode(t, "revoked", err, "session_ended")
	if aev.lastState() != nil || a.User() != "" {
		t.Fatal("a revoked session was not wiped")
	}
	_, err = a.Sessions(ctx)
	wantCode(t, "after revocation", err, "session_ended")
	// Turning TOTP off with a recovery code.
	if err := b.TOTPDisable(ctx, conf.RecoveryCodes[1]); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "empty code", b.TOTPDisable(ctx, " "), "bad_input")
	apps, err := b.Apps(ctx)
	// By name: Contacts, Files and Tasks in the store, Notes installed from the start.
	if err != nil || len(apps) != 4 || apps[0].Slug != "contacts" || apps[0].Installed || !apps[0].Removable ||
		apps[1].Slug != "files" || apps[1].Installed || !apps[1].Removable ||
		!strings.Contains(apps[2].URL, "://notes."+user+".127.0.0.1:") || !apps[2].Installed || apps[2].Removable ||
		apps[3].Slug != "tasks" || apps[3].Installed || !apps[3].Removable {
		t.Fatal(apps, err)
	}
	// Logout wipes.
	from := aev.n()
	_ = from
	if _, err := b.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	if b.User() != "" {
		t.Fatal("still signed in")
	}
	_, err = b.Sessions(ctx)
	wantCode(t, "after logout", err, "session_ended")
}

func TestUploadDownload(t *testing.T) {
	s := newServer(t)
	a, _ := newAPI(t, s)
	signup(t, a)
	data := make([]byte, 300<<10+17)
	rand.Read(data)
	var last [2]int64
	up, err := a.Upload(ctx, bytes.NewReader(data), int64(len(data)), "dir/evil\x01name.bin", "application/x-test", time.Unix(1700000000, 0), func(d, t int64) { last = [2]int64{d, t} })
	if err != nil {
		t.Fatal(err)
	}
	if last[0] != int64(len(data)) || last[1] != int64(len(data)) {
		t.Errorf("upload progress %v", last)
	}
	info, got, err := a.Download(ctx, up.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) || info.Name != "dir_evil_name.bin" || info.Type != "application/x-test" || info.Size != int64(len(data)) || info.Modified.Unix() != 1700000000 {
		t.Fatalf("download: %+v, %d bytes", info, len(got))
	}
	// A blob altered at its end: the chunks before it authenticate and reach
	// the client library's writer, but nothing is released.
	s.mu.Lock()
	s.tamper = func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if r.Method != "GET" || !strings.HasPrefix(r.URL.Path, "/v1/blobs/") {
			return false
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		b := rec.Body.Bytes()
		b[len(b)-5] ^= 1
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(b)
		return true
	}
	s.mu.Unlock()
	info, got, err = a.Download(ctx, up.ID, nil)
	wantCode(t, "tampered download", err, "integrity")
	if info != nil || got != nil {
		t.Fatal("a download that failed verification released data")
	}
	_, _, err = a.Download(ctx, "nosuchfile", nil)
	wantCode(t, "missing file", err, "not_found")
	_, err = a.Upload(ctx, strings.NewReader("short"), 10, "x", "", time.Time{}, nil)
	if err == nil {
		t.Fatal("short upload accepted")
	}
	_ = io.EOF
}

func TestCall(t *testing.T) {
	s := newServer(t)
	a, _ := newAPI(t, s)
	call := func(method, args string) (string, *Error) {
		b, e := a.CallJSON(ctx, method, []byte(args))
		return string(b), e
	}
	if r, e := call("user", `[]`); e != nil || r != "null" {
		t.Fatal(r, e)
	}
	r, e := call("signup", `["calluser","a long test passphrase"]`)
	if e != nil || !strings.Contains(r, `"recoveryKey":"HEARTH-`) || !strings.Contains(r, `"user":"calluser"`) {
		t.Fatal(r, e)
	}
	r, e = call("create", `["io.hearth.notes",{"a":[1,2,3]}]`)
	if e != nil {
		t.Fatal(e)
	}
	var c CreateResult
	json.Unmarshal([]byte(r), &c)
	r, e = call("get", `["io.hearth.notes","`+c.ID+`"]`)
	if e != nil || r != `{"id":"`+c.ID+`","rev":1,"value":{"a":[1,2,3]}}` {
		t.Fatal(r, e)
	}
	if r, e = call("list", `["io.hearth.notes"]`); e != nil || !strings.Contains(r, c.ID) {
		t.Fatal(r, e)
	}
	if r, e = call("subscribe", `[4,"io.hearth.notes"]`); e != nil || r != "null" {
		t.Fatal(r, e)
	}
	if _, e = call("get", `["io.hearth.notes"]`); e == nil || e.Code != "bad_input" {
		t.Fatal(e)
	}
	if _, e = call("get", `["io.hearth.notes", 5]`); e == nil || e.Code != "bad_input" {
		t.Fatal(e)
	}
	if _, e = call("nosuch", `[]`); e == nil || e.Code != "bad_input" {
		t.Fatal(e)
	}
	if _, e = call("connectApp", `[{}]`); e == nil || e.Code != "bad_input" {
		t.Fatal(e)
	}
	if r, e = call("sessions", `[]`); e != nil || !strings.Contains(r, `"lastSeen"`) {
		t.Fatal(r, e)
	}
	if r, e = call("logout", `[]`); e != nil || r != `{"wipe":[]}` {
		t.Fatal(r, e)
	}
	if _, e = call("list", `["io.hearth.notes"]`); e == nil || e.Code != "session_ended" {
		t.Fatal(e)
	}
}

// fragment parses the query after "#name?" in u.
func fragment(t *testing.T, u, name string) url.Values {
	t.Helper()
	i := strings.Index(u, "#"+name+"?")
	if i < 0 {
		t.Fatalf("%q has no #%s?", u, name)
	}
	q, err := url.ParseQuery(u[i+len(name)+2:])
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func TestConnectApp(t *testing.T) {
	s := newServer(t)
	home, homeEv := newAPI(t, s)
	user, _ := signup(t, home)
	const dt = "io.hearth.notes"
	old, err := home.Create(ctx, dt, json.RawMessage(`{"t":"before the app"}`))
	if err != nil {
		t.Fatal(err)
	}

	// The app starts, then the page goes to Home: what it needs to finish
	// is in its saved state.
	app1, appEv := newAPI(t, s)
	st, err := app1.AppConnectStart("notes", user, s.url)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(st.URL, s.url+"/#connect?app=notes&user="+user+"&recipient=age1") {
		t.Fatal(st.URL)
	}
	saved := appEv.lastState()
	q := fragment(t, st.URL, "connect")
	req := ConnectRequest{App: q.Get("app"), User: q.Get("user"), Recipient: q.Get("recipient"), State: q.Get("state")}

	// Home checks and answers.
	if _, err := home.ConnectOffer(ctx, ConnectRequest{App: "nosuch", User: user, Recipient: req.Recipient, State: "x"}); err == nil {
		t.Fatal("unknown app offered")
	}
	if _, err := home.ConnectOffer(ctx, ConnectRequest{App: "notes", User: "someone-else", Recipient: req.Recipient, State: "x"}); err == nil {
		t.Fatal("another user's request offered")
	}
	offer, err := home.ConnectOffer(ctx, req)
	if err != nil || offer.Name != "Notes" || len(offer.Scopes) != 2 || offer.Scopes[0].Doctype != dt || offer.Remembered {
		t.Fatal(offer, err)
	}
	back, err := home.ConnectApp(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(back, "http://notes."+user+".127.0.0.1:") {
		t.Fatal(back)
	}
	bq := fragment(t, back, "connected")

	// The app page after the redirect: a new worker resumes the pending
	// connection and finishes it.
	app, appEv2 := newAPI(t, s)
	if r, err := app.Resume(saved); err != nil || r.Restored {
		t.Fatal(r, err)
	}
	if _, err := app.AppConnectFinish(ctx, bq.Get("box"), "wrong"); err == nil {
		t.Fatal("a wrong state accepted")
	}
	if strings.Contains(back, "hat_") {
		t.Fatalf("the token travels in the clear: %s", back)
	}
	if r, err := app.AppConnectFinish(ctx, bq.Get("box"), bq.Get("state")); err != nil || r.User != user {
		t.Fatal(r, err)
	}
	list, err := app.List(ctx, dt)
	if err != nil || len(list) != 1 || list[0].ID != old.ID {
		t.Fatal(list, err)
	}
	c, err := app.Create(ctx, dt, json.RawMessage(`{"t":"from the app"}`))
	if err != nil {
		t.Fatal(err)
	}
	if d, err := home.Get(ctx, dt, c.ID); err != nil || string(d.Value) != `{"t":"from the app"}` {
		t.Fatal(d, err)
	}
	_, err = app.Create(ctx, "io.hearth.other", json.RawMessage(`1`))
	wantCode(t, "ungranted doctype", err, "forbidden")
	_, err = app.Sessions(ctx)
	wantCode(t, "account method in an app", err, "forbidden")

	// A reload of the app resumes its grant.
	app2, _ := newAPI(t, s)
	if r, err := app2.Resume(appEv2.lastState()); err != nil || !r.Restored || !r.App || r.User != user {
		t.Fatal(r, err)
	}
	if list, err := app2.List(ctx, dt); err != nil || len(list) != 2 {
		t.Fatal(list, err)
	}
	// Home remembers the user's agreement, in any browser: the next
	// request of Notes is offered as remembered.
	other, _ := newAPI(t, s)
	if _, err := other.Login(ctx, user, "correct horse", ""); err != nil {
		t.Fatal(err)
	}
	if o, err := other.ConnectOffer(ctx, req); err != nil || !o.Remembered {
		t.Fatalf("agreement not remembered: %+v %v", o, err)
	}
	// Disconnecting an app forgets the agreement.
	if _, err := other.ConnectApp(ctx, req); err != nil {
		t.Fatal(err)
	}
	conns, err := other.Connections(ctx)
	if err != nil || len(conns) != 2 {
		t.Fatal(conns, err)
	}
	for _, cn := range conns {
		if cn.Here {
			if err := other.Disconnect(ctx, cn.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	if o, err := other.ConnectOffer(ctx, req); err != nil || o.Remembered {
		t.Fatalf("agreement kept after disconnecting: %+v %v", o, err)
	}

	// Home resumed elsewhere still knows the token it gave, and logout
	// revokes it: the app's next request ends its session.
	home2, _ := newAPI(t, s)
	if r, err := home2.Resume(homeEv.lastState()); err != nil || !r.Restored {
		t.Fatal(r, err)
	}
	lo, err := home2.Logout(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The page is told to wipe Notes' origin next.
	if len(lo.Wipe) != 1 || !strings.HasPrefix(lo.Wipe[0], "http://notes."+user+".127.0.0.1:") {
		t.Fatalf("logout wipes %v", lo.Wipe)
	}
	_, err = app2.Get(ctx, dt, c.ID)
	wantCode(t, "revoked app", err, "session_ended")
	if app2.User() != "" {
		t.Fatal("the app was not signed out")
	}
}

// TestConnectForeignRecipient: a connect request anyone can craft (a link
// with their own recipient) gets, once the user allows it, nothing the
// crafter's key opens: the grant the server stores is sealed to an identity
// Home made, and the box naming it goes only to the app's own origin.
func TestConnectForeignRecipient(t *testing.T) {
	s := newServer(t)
	home, _ := newAPI(t, s)
	user, _ := signup(t, home)
	attacker, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	crafted := ConnectRequest{App: "notes", User: user, Recipient: attacker.Recipient().String(), State: "crafted"}
	// Home answers only a request it showed the person (ConnectOffer).
	if _, err := home.ConnectApp(ctx, crafted); err == nil {
		t.Fatal("connected without an offer shown")
	}
	if _, err := home.ConnectOffer(ctx, crafted); err != nil {
		t.Fatal(err)
	}
	back, err := home.ConnectApp(ctx, crafted)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := home.ConnectApp(ctx, crafted); err == nil {
		t.Fatal("one offer answered twice")
	}
	if !strings.HasPrefix(back, "http://notes."+user+".") {
		t.Fatalf("Home returns to %s", back)
	}
	// What the host holds: the sealed grant of every token.
	c, _, err := home.account()
	if err != nil {
		t.Fatal(err)
	}
	toks, err := c.Tokens(ctx)
	if err != nil || len(toks) != 1 {
		t.Fatal(toks, err)
	}
	req, _ := http.NewRequest("GET", s.url+"/v1/grants/"+toks[0].ID, nil)
	req.Header.Set("Authorization", "Bearer "+c.State().Token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	sealed, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || len(sealed) == 0 {
		t.Fatalf("grant: %d", res.StatusCode)
	}
	if _, err := age.Decrypt(bytes.NewReader(sealed), attacker); err == nil {
		t.Fatal("the crafter's key opens the grant")
	}

	// Home lists the connection, and disconnecting it revokes the token.
	conns, err := home.Connections(ctx)
	if err != nil || len(conns) != 1 || conns[0].Name != "Notes" || !conns[0].Here ||
		len(conns[0].What) != 2 || conns[0].What[0] != "Read, write and delete your notes" || conns[0].What[1] != "Read your contacts" {
		t.Fatalf("connections: %+v %v", conns, err)
	}
	if err := home.Disconnect(ctx, conns[0].ID); err != nil {
		t.Fatal(err)
	}
	if conns, err := home.Connections(ctx); err != nil || len(conns) != 0 {
		t.Fatalf("after disconnecting: %+v %v", conns, err)
	}
	wantCode(t, "disconnect again", home.Disconnect(ctx, toks[0].ID), "not_found")
}
