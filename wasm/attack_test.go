//go:build hearthtest

package wasm

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
)

// TestHomeRemembersAfterSessionEnds: spec §1.4 and §4.7 count Home in the
// same browser as a known device, which keeps the account's seed and KDF
// parameters, its keyring digest and feed position across sign-ins. But
// the host decides when a session ends: one 401 answer, and Home drops
// its state (and the page wipes what it stored), so the next sign-in is a
// fresh device's. Here the host ends the session, then serves another
// seed at prelogin: Home must refuse it as an integrity failure, before
// it sends a login secret derived from it, as the CLI does; it derives and
// sends, and reports a wrong password.
func TestHomeRemembersAfterSessionEnds(t *testing.T) {
	s := newServer(t)
	a, ev := newAPI(t, s)
	user, _ := signup(t, a)
	if _, err := a.Create(ctx, "io.hearth.notes", json.RawMessage(`"a note"`)); err != nil {
		t.Fatal(err)
	}
	from := ev.n()
	var logins atomic.Int64
	s.mu.Lock()
	s.tamper = func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		switch r.URL.Path {
		case "/v1/changes", "/v1/docs/io.hearth.notes":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"error":{"code":"unauthenticated","message":"the token is unknown, expired or revoked"}}`))
			return true
		case "/v1/prelogin":
			serveOtherSeed(w, r, next)
			return true
		case "/v1/login":
			logins.Add(1)
		}
		return false
	}
	s.mu.Unlock()
	_, err := a.List(ctx, "io.hearth.notes")
	wantCode(t, "list, the host ending the session", err, "session_ended")
	ev.wait(t, from, func(e Event) bool { return e.Type == "wipe" })

	_, err = a.Login(ctx, user, "correct horse", "")
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeKDFChanged || logins.Load() != 0 {
		t.Fatalf("signing in again, served another seed: %v, %d login requests; want kdf_changed (an integrity failure, told apart) and none", err, logins.Load())
	}
}

// TestHaltFoundByReadSurvivesReload: a rollback Home finds in a read of its
// own (Get here; a bulk read, a keyring read on a write the same) halts it,
// and spec protocol.md §4.7 says the halt is remembered "so that a restart
// does not forget it". Only the feed loop saved the state after a failure,
// and the host decides when the loop's next pass ends (it can hold or cut
// every long-poll): a reload then resumed the state from before the halt,
// and Home wrote again as if nothing had happened.
func TestHaltFoundByReadSurvivesReload(t *testing.T) {
	s := newServer(t)
	a, ev := newAPI(t, s)
	signup(t, a)
	const dt = "io.hearth.notes"
	c, err := a.Create(ctx, dt, json.RawMessage(`"first"`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Put(ctx, dt, c.ID, json.RawMessage(`"second"`)); err != nil {
		t.Fatal(err)
	}
	// The host hides the note this browser saw at revision 2.
	s.mu.Lock()
	s.tamper = func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if r.Method != "GET" || r.URL.Path != "/v1/docs/"+dt+"/"+c.ID {
			return false
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"error":{"code":"not_found","message":"no such document"}}`))
		return true
	}
	s.mu.Unlock()
	_, err = a.Get(ctx, dt, c.ID)
	wantCode(t, "get of a hidden note", err, "integrity")
	if h := a.acct.Halted(); h == "" {
		t.Fatal("the rollback did not halt the client")
	}

	// The page reloads; the host is honest again.
	state := ev.lastState()
	a.Close()
	s.mu.Lock()
	s.tamper = nil
	s.mu.Unlock()
	b, _ := newAPI(t, s)
	if r, err := b.Resume(state); err != nil || !r.Restored {
		t.Fatal(r, err)
	}
	acct, err := b.Account(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if acct.Halted == "" {
		t.Error("after a reload, Home forgot the halt a read found")
	}
	if _, err := b.Create(ctx, dt, json.RawMessage(`"written after the rollback"`)); err == nil {
		t.Error("after a reload, the halted browser wrote a note")
	}
}

// TestHomeRemembersEachAccount: protocol §4.7 has a device keep its
// memory "per account and server", and the CLI does (one state file per
// account). Home keeps one memory: that of the last account signed out
// in this browser. Two people sharing a browser (alice, then bob) make
// alice's next sign-in a fresh device's, and the host may then change her
// seed (or roll her account back) unseen. Here the host serves alice
// another seed after bob signed in and out: Home must refuse it before it
// sends a login secret.
func TestHomeRemembersEachAccount(t *testing.T) {
	s := newServer(t)
	a, _ := newAPI(t, s)
	alice, _ := signup(t, a)
	if _, err := a.Create(ctx, "io.hearth.notes", json.RawMessage(`"alice's note"`)); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	signup(t, a) // bob, in the same browser
	if _, err := a.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	var logins atomic.Int64
	s.mu.Lock()
	s.tamper = func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		switch r.URL.Path {
		case "/v1/prelogin":
			serveOtherSeed(w, r, next)
			return true
		case "/v1/login":
			logins.Add(1)
		}
		return false
	}
	s.mu.Unlock()
	_, err := a.Login(ctx, alice, "correct horse", "")
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeKDFChanged || logins.Load() != 0 {
		t.Fatalf("alice signing in again after bob, served another seed: %v, %d login requests; want kdf_changed (an integrity failure, told apart) and none", err, logins.Load())
	}
}

// serveOtherSeed answers a prelogin as the server would, with another seed:
// a host that changed the account's seed.
func serveOtherSeed(w http.ResponseWriter, r *http.Request, next http.Handler) {
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, r)
	var p map[string]any
	json.Unmarshal(rec.Body.Bytes(), &p)
	p["seed"] = bytes.Repeat([]byte{7}, 32)
	b, _ := json.Marshal(p)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(rec.Code)
	w.Write(b)
}
