//go:build hearthtest

package wasm

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// rollBack makes the server show the account as it was at seq cutoff: its
// changes feed ends there (a since past it is 400), as a restore of an old
// backup does. Documents written after cutoff must be new ones. With
// appsOnly, it shows only app tokens the old state.
func rollBack(s *server, cutoff uint64, appsOnly bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tamper = func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if r.Method != "GET" || r.URL.Path != "/v1/changes" || appsOnly && !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer hat_") {
			return false
		}
		since, _ := strconv.ParseUint(r.URL.Query().Get("since"), 10, 64)
		w.Header().Set("Content-Type", "application/json")
		if since > cutoff {
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"error":{"code":"bad_request","message":"since is past the end of the feed"}}`))
			return true
		}
		q := r.URL.Query()
		q.Del("wait")
		r2 := r.Clone(r.Context())
		r2.URL.RawQuery = q.Encode()
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r2)
		var p map[string]any
		if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &p) != nil {
			w.WriteHeader(rec.Code)
			w.Write(rec.Body.Bytes())
			return true
		}
		var kept []any
		for _, c := range p["changes"].([]any) {
			if uint64(c.(map[string]any)["seq"].(float64)) <= cutoff {
				kept = append(kept, c)
			}
		}
		if kept == nil {
			kept = []any{}
		}
		p["changes"] = kept
		if uint64(p["last_seq"].(float64)) >= cutoff {
			p["last_seq"], p["more"] = cutoff, false
		}
		json.NewEncoder(w).Encode(p)
		return true
	}
}

// connectApp runs the connection of Notes through home (spec/web.md §5,
// §5.1) as home.js does, and returns the request Home was sent and its
// offer; the person agrees if asked whether a halted app goes on with what
// the server holds when agree.
func connectApp(t *testing.T, s *server, home, app *API, user string, agree bool) (ConnectRequest, *Offer) {
	t.Helper()
	return connectSlug(t, s, home, app, "notes", user, agree)
}

// connectSlug is connectApp of the bundled app slug.
func connectSlug(t *testing.T, s *server, home, app *API, slug, user string, agree bool) (ConnectRequest, *Offer) {
	t.Helper()
	st, err := app.AppConnectStart(slug, user, s.url)
	if err != nil {
		t.Fatal(err)
	}
	q := fragment(t, st.URL, "connect")
	epoch, _ := strconv.ParseUint(q.Get("epoch"), 10, 64)
	req := ConnectRequest{App: q.Get("app"), User: q.Get("user"), Recipient: q.Get("recipient"), State: q.Get("state"),
		Halted: q.Get("halted") == "1", Epoch: epoch}
	offer, err := home.ConnectOffer(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if offer.Halted != "" || offer.AppHalted && !agree {
		// Back to the app, without a connection.
		if _, err := app.AppConnectFinish(ctx, "", req.State); err != nil {
			t.Fatal(err)
		}
		return req, offer
	}
	back, err := home.ConnectApp(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	bq := fragment(t, back, "connected")
	if _, err := app.AppConnectFinish(ctx, bq.Get("box"), bq.Get("state")); err != nil {
		t.Fatal(err)
	}
	return req, offer
}

const notesDT = "io.hearth.notes"

// TestAppSessionEndedKeepsMemory: a host that ends an app's session (one
// 401) made it wipe everything, so that it connected again through Home as
// a fresh app and took a rolled-back feed for the account's history.
// Protocol §4.7: what a device remembers outlives its session; only a
// decision made in Home (an epoch in the connection's box) makes an app
// forget.
func TestAppSessionEndedKeepsMemory(t *testing.T) {
	s := newServer(t)
	home, _ := newAPI(t, s)
	user, _ := signup(t, home)
	if _, err := home.Create(ctx, notesDT, json.RawMessage(`"before"`)); err != nil { // seq 1
		t.Fatal(err)
	}
	app, appEv := newAPI(t, s)
	connectApp(t, s, home, app, user, false)
	for _, v := range []string{`"two"`, `"three"`, `"four"`} { // seqs 2 to 4 (and the consent record's)
		if _, err := app.Create(ctx, notesDT, json.RawMessage(v)); err != nil {
			t.Fatal(err)
		}
	}
	if l, err := app.List(ctx, notesDT); err != nil || len(l) != 4 {
		t.Fatal(l, err)
	}
	// The host ends the app's session: one 401.
	s.mu.Lock()
	s.tamper = func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"error":{"code":"unauthenticated","message":"the token is unknown, expired or revoked"}}`))
		return true
	}
	s.mu.Unlock()
	from := appEv.n()
	_, err := app.Get(ctx, notesDT, "nosuch")
	wantCode(t, "the app's read, its session ended", err, "session_ended")
	appEv.wait(t, from, func(e Event) bool { return e.Type == "wipe" })

	// The page reloads (the worker gives back the memory it kept), the app
	// connects again, and the host serves the account as it was at seq 2.
	mem := appEv.wait(t, from, func(e Event) bool { return e.Type == "memory" }).State
	app2, _ := newAPI(t, s)
	app2.Remember(mem)
	s.mu.Lock()
	s.tamper = nil
	s.mu.Unlock()
	rollBack(s, 2, false)
	// Home's own position (seq 1 or 2: it has not read since) is no help.
	connectApp(t, s, home, app2, user, false)
	_, err = app2.List(ctx, notesDT)
	if err == nil {
		if _, err = app2.Create(ctx, notesDT, json.RawMessage(`"after the rollback"`)); err == nil {
			t.Fatal("the app, connected again after its session ended, took a rolled-back feed and wrote on it")
		}
	}
	if h := app2.app.State().Halted; h == "" {
		t.Fatalf("the app did not halt on a rolled-back feed (%v)", err)
	}
}

// TestAppGoesOnAfterHomeAccepts: once the person decided, in Home, to go on
// with what the server holds (AcceptServerState), an app that halted
// connects again through Home and adopts Home's position: it lists and
// writes again, with no sign-out. A connection from a Home that has not
// decided since leaves it halted.
func TestAppGoesOnAfterHomeAccepts(t *testing.T) {
	s := newServer(t)
	home, _ := newAPI(t, s)
	user, _ := signup(t, home)
	if _, err := home.Create(ctx, notesDT, json.RawMessage(`"before"`)); err != nil {
		t.Fatal(err)
	}
	app, appEv := newAPI(t, s)
	connectApp(t, s, home, app, user, false)
	if l, err := app.List(ctx, notesDT); err != nil || len(l) != 1 {
		t.Fatal(l, err)
	}
	cutoff := app.app.State().FeedSeq
	for _, v := range []string{`"two"`, `"three"`} {
		if _, err := app.Create(ctx, notesDT, json.RawMessage(v)); err != nil {
			t.Fatal(err)
		}
	}
	if l, err := app.List(ctx, notesDT); err != nil || len(l) != 3 {
		t.Fatal(l, err)
	}
	for { // Home's feed loop reads it all too
		l, err := home.List(ctx, notesDT)
		if err != nil {
			t.Fatal(err)
		}
		if len(l) == 3 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	from := appEv.n()
	rollBack(s, cutoff, false)
	// The app's feed loop finds it: the app stops saving, says so, and
	// still shows what it verified.
	appEv.wait(t, from, func(e Event) bool { return e.Type == "halted" })
	if l, err := app.List(ctx, notesDT); err != nil || len(l) != 3 {
		t.Fatalf("the halted app lists %v, %v", l, err)
	}
	_, err := app.Create(ctx, notesDT, json.RawMessage(`"y"`))
	wantCode(t, "a halted app writing", err, "halted")

	// Home halts too, once its own feed loop reads the rolled-back feed
	// (it may be waiting in a long-poll): asked, it sends the app back
	// without a connection, and the app stays as it was.
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		acct, err := home.Account(ctx)
		if err == nil && acct.Halted != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Home: %+v %v", acct, err)
		}
	}
	if _, offer := connectApp(t, s, home, app, user, false); offer.Halted == "" {
		t.Fatal("a halted Home offered to connect an app")
	}
	if app.app.State().Halted == "" {
		t.Fatal("a Home that decided nothing cleared the app's halt")
	}
	if l, err := app.List(ctx, notesDT); err != nil || len(l) != 3 {
		t.Fatalf("the halted app lists %v, %v", l, err)
	}
	// The person goes on with what the server holds, in Home.
	if err := home.AcceptServerState(ctx); err != nil {
		t.Fatal(err)
	}
	req, _ := connectApp(t, s, home, app, user, false)
	if !req.Halted || req.Epoch != 0 {
		t.Fatalf("the halted app asked %+v", req)
	}
	if h := app.app.State().Halted; h != "" {
		t.Fatalf("after Home's decision the app is still halted: %s", h)
	}
	l, err := app.List(ctx, notesDT)
	if err != nil || len(l) != 1 {
		t.Fatalf("after Home's decision the app lists %v, %v; want the one note the server holds", l, err)
	}
	// The simulated rollback hides every entry past cutoff, new ones too:
	// the host stops it here, before writes that must show in the feed.
	s.mu.Lock()
	s.tamper = nil
	s.mu.Unlock()
	c, err := app.Create(ctx, notesDT, json.RawMessage(`"after the decision"`))
	if err != nil {
		t.Fatal(err)
	}
	// A later connection (same epoch) keeps what the app remembers.
	connectApp(t, s, home, app, user, false)
	if st := app.app.State(); st.Halted != "" || st.Docs[notesDT+"/"+c.ID].Rev != 1 || app.epoch != 1 {
		t.Fatalf("after another connection the app remembers %+v (halted %q, epoch %d)", st.Docs, st.Halted, app.epoch)
	}
}

// TestAppHaltedHomeAsks: the host restores an old backup that Home, which
// had not read the account since, finds nothing wrong with. Asked by the
// halted app, Home asks the person; "not now" leaves the app halted, going
// on makes it adopt Home's position, and it writes again.
func TestAppHaltedHomeAsks(t *testing.T) {
	s := newServer(t)
	home, _ := newAPI(t, s)
	user, _ := signup(t, home)
	app, appEv := newAPI(t, s)
	connectApp(t, s, home, app, user, false)
	if _, err := app.Create(ctx, notesDT, json.RawMessage(`"one"`)); err != nil {
		t.Fatal(err)
	}
	if _, err := app.List(ctx, notesDT); err != nil {
		t.Fatal(err)
	}
	cutoff := app.app.State().FeedSeq
	if _, err := app.Create(ctx, notesDT, json.RawMessage(`"two"`)); err != nil {
		t.Fatal(err)
	}
	from := appEv.n()
	rollBack(s, cutoff, false)
	appEv.wait(t, from, func(e Event) bool { return e.Type == "halted" })
	if _, offer := connectApp(t, s, home, app, user, false); !offer.AppHalted || offer.Halted != "" {
		t.Fatalf("Home's offer to a halted app: %+v", offer)
	}
	if app.app.State().Halted == "" {
		t.Fatal("not now cleared the halt")
	}
	if _, offer := connectApp(t, s, home, app, user, true); !offer.AppHalted {
		t.Fatalf("Home's offer to a halted app: %+v", offer)
	}
	if h := app.app.State().Halted; h != "" {
		t.Fatalf("the person went on, and the app is still halted: %s", h)
	}
	if _, err := app.List(ctx, notesDT); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Create(ctx, notesDT, json.RawMessage(`"three"`)); err != nil {
		t.Fatal(err)
	}
}

// TestFreshAppRefusesFeedBehindHome: an app with no memory of the account
// (its storage wiped at a sign-out) connects through Home, which verified
// the feed to seq n: the app refuses a feed that ends before n, as Home
// would, rather than take the rolled-back account for the whole of it.
func TestFreshAppRefusesFeedBehindHome(t *testing.T) {
	s := newServer(t)
	home, _ := newAPI(t, s)
	user, _ := signup(t, home)
	for _, v := range []string{`"one"`, `"two"`, `"three"`} {
		if _, err := home.Create(ctx, notesDT, json.RawMessage(v)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := home.List(ctx, notesDT); err != nil {
		t.Fatal(err)
	}
	rollBack(s, 1, true)
	app, _ := newAPI(t, s)
	connectApp(t, s, home, app, user, false)
	_, err := app.List(ctx, notesDT)
	if app.app.State().Halted == "" {
		t.Fatalf("a fresh app took a feed that ends before Home's position (%v)", err)
	}
}
