//go:build hearthtest

package wasm

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hearthcloud/hearth/crypto/kdf"
)

// memOutbox is an OutboxStore in memory (the browser's seals each record:
// hearth-worker.js).
type memOutbox struct {
	mu sync.Mutex
	m  map[string][]byte
}

func newMemOutbox() *memOutbox { return &memOutbox{m: map[string][]byte{}} }

func (s *memOutbox) Load() (map[string][]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string][]byte{}
	for k, v := range s.m {
		out[k] = append([]byte(nil), v...)
	}
	return out, nil
}

func (s *memOutbox) Store(key string, b []byte) error {
	s.mu.Lock()
	s.m[key] = append([]byte(nil), b...)
	s.mu.Unlock()
	return nil
}

func (s *memOutbox) Remove(key string) error {
	s.mu.Lock()
	delete(s.m, key)
	s.mu.Unlock()
	return nil
}

func (s *memOutbox) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

var _ OutboxStore = (*memOutbox)(nil)

func newAPIOutbox(t *testing.T, s *server, store OutboxStore) (*API, *events) {
	t.Helper()
	ev := &events{wake: make(chan struct{}, 1)}
	a, err := New(Config{Server: s.url, KDF: kdf.TestParams, PollWait: 2 * time.Second, OnEvent: ev.add, Outbox: store})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return a, ev
}

// unreachable makes the server drop every request unanswered (the
// connection closed), as a server that cannot be reached; false undoes it.
func (s *server) unreachable(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !on {
		s.tamper = nil
		return
	}
	s.tamper = func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		hangUp(w)
		return true
	}
}

func hangUp(w http.ResponseWriter) {
	if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
		conn.Close()
	}
}

// news waits for the "outbox" event of state for doctype/id after event
// index from.
func news(t *testing.T, ev *events, from int, id, state string) *OutboxNews {
	t.Helper()
	return ev.wait(t, from, func(e Event) bool {
		return e.Type == "outbox" && e.Outbox.ID == id && e.Outbox.State == state
	}).Outbox
}

// TestOutboxSentAfterRestart: a put with keep that cannot reach the
// server is kept (a second one of the same document joins it), survives
// the API (a closed tab), and a new API of the same account, resumed from
// the saved state with the same store, sends it once the server answers.
func TestOutboxSentAfterRestart(t *testing.T) {
	s := newServer(t)
	store := newMemOutbox()
	a, ev := newAPIOutbox(t, s, store)
	user, _ := signup(t, a)
	c1, err := a.Create(ctx, notesDT, json.RawMessage(`{"title":"one"}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.List(ctx, notesDT); err != nil {
		t.Fatal(err)
	}
	state := ev.lastState()

	s.unreachable(true)
	// Without keep, a put fails as ever.
	_, err = a.Put(ctx, notesDT, c1.ID, json.RawMessage(`{"title":"lost"}`))
	wantCode(t, "put offline", err, "network")
	r, err := a.PutWith(ctx, notesDT, c1.ID, json.RawMessage(`{"title":"one, offline"}`), PutOptions{Keep: true})
	if err != nil || !r.Kept || r.Rev != 0 {
		t.Fatalf("put with keep, offline: %+v, %v", r, err)
	}
	news(t, ev, 0, c1.ID, "kept")
	r, err = a.PutWith(ctx, notesDT, c1.ID, json.RawMessage(`{"title":"one, offline, twice"}`), PutOptions{Keep: true})
	if err != nil || !r.Kept {
		t.Fatalf("second put with keep: %+v, %v", r, err)
	}
	if store.len() != 1 {
		t.Fatalf("the store holds %d records, want 1", store.len())
	}
	kept, err := a.Outbox(ctx)
	if err != nil || len(kept) != 1 || kept[0].ID != c1.ID || string(kept[0].Value) != `{"title":"one, offline, twice"}` || kept[0].Base != 1 {
		t.Fatalf("outbox: %+v, %v", kept, err)
	}
	a.Close() // the tab closes

	s.unreachable(false)
	b, evb := newAPIOutbox(t, s, store)
	if r, err := b.Resume(state); err != nil || !r.Restored {
		t.Fatal(r, err)
	}
	sent := news(t, evb, 0, c1.ID, "sent")
	if sent.Rev != 2 {
		t.Fatalf("sent as revision %d, want 2", sent.Rev)
	}
	other, _ := newAPI(t, s)
	if _, err := other.Login(ctx, user, "correct horse", ""); err != nil {
		t.Fatal(err)
	}
	d, err := other.Get(ctx, notesDT, c1.ID)
	if err != nil || string(d.Value) != `{"title":"one, offline, twice"}` {
		t.Fatalf("the server holds %s, %v", d.Value, err)
	}
	if store.len() != 0 {
		t.Fatalf("the store still holds %d records", store.len())
	}
	if kept, _ := b.Outbox(ctx); len(kept) != 0 {
		t.Fatalf("outbox after sending: %+v", kept)
	}
}

// TestOutboxConflictCopy: a document changed on the server while a write
// of it was kept keeps the other change, and the kept value becomes a new
// document, naming the one it was written for; one deleted meanwhile is
// written back.
func TestOutboxConflictCopy(t *testing.T) {
	s := newServer(t)
	store := newMemOutbox()
	a, ev := newAPIOutbox(t, s, store)
	user, _ := signup(t, a)
	c1, _ := a.Create(ctx, notesDT, json.RawMessage(`{"title":"shared"}`))
	c2, _ := a.Create(ctx, notesDT, json.RawMessage(`"plain text"`))
	if _, err := a.List(ctx, notesDT); err != nil {
		t.Fatal(err)
	}
	state := ev.lastState()
	s.unreachable(true)
	for id, v := range map[string]string{c1.ID: `{"title":"mine"}`, c2.ID: `"mine too"`} {
		if r, err := a.PutWith(ctx, notesDT, id, json.RawMessage(v), PutOptions{Keep: true}); err != nil || !r.Kept {
			t.Fatal(r, err)
		}
	}
	a.Close()
	s.unreachable(false)

	other, _ := newAPI(t, s)
	if _, err := other.Login(ctx, user, "correct horse", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Put(ctx, notesDT, c1.ID, json.RawMessage(`{"title":"theirs"}`)); err != nil {
		t.Fatal(err)
	}
	if err := other.Delete(ctx, notesDT, c2.ID); err != nil {
		t.Fatal(err)
	}

	b, evb := newAPIOutbox(t, s, store)
	if _, err := b.Resume(state); err != nil {
		t.Fatal(err)
	}
	cp := news(t, evb, 0, c1.ID, "copied")
	back := news(t, evb, 0, c2.ID, "sent")
	if d, err := other.Get(ctx, notesDT, c1.ID); err != nil || string(d.Value) != `{"title":"theirs"}` {
		t.Fatalf("the changed document: %s, %v", d.Value, err)
	}
	d, err := other.Get(ctx, notesDT, cp.Copy)
	if err != nil || string(d.Value) != `{"conflictOf":"`+c1.ID+`","title":"mine"}` || cp.Rev != 1 {
		t.Fatalf("the conflict copy %s: %s, %v (%+v)", cp.Copy, d.Value, err, cp)
	}
	if d, err := other.Get(ctx, notesDT, c2.ID); err != nil || string(d.Value) != `"mine too"` || d.Rev != back.Rev {
		t.Fatalf("the deleted document: %+v, %v (%+v)", d, err, back)
	}
	// The page that kept them sees all of it in its list.
	list, err := b.List(ctx, notesDT)
	if err != nil || len(list) != 3 {
		t.Fatalf("list: %+v, %v", list, err)
	}
	if store.len() != 0 {
		t.Fatalf("the store still holds %d records", store.len())
	}
}

// TestOutboxAnswerLost: a put that reached the server but whose answer was
// lost is kept; sending it finds the value there already and writes
// nothing again. And a kept write of another account, in the same store,
// is left alone.
func TestOutboxAnswerLost(t *testing.T) {
	s := newServer(t)
	store := newMemOutbox()
	foreign := &pendingWrite{Server: s.url, User: "someoneelse", Doctype: notesDT, ID: "theirnote", Value: json.RawMessage(`1`)}
	store.Store("outbox:foreign", encodePending(foreign))
	store.Store("outbox:garbage", []byte("not a record"))
	a, ev := newAPIOutbox(t, s, store)
	signup(t, a)
	c1, _ := a.Create(ctx, notesDT, json.RawMessage(`{"title":"one"}`))
	if _, err := a.List(ctx, notesDT); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	s.tamper = func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if r.Method != "PUT" || !strings.HasPrefix(r.URL.Path, "/v1/docs/") {
			return false
		}
		next.ServeHTTP(httptest.NewRecorder(), r) // written, and the answer lost
		hangUp(w)
		return true
	}
	s.mu.Unlock()
	r, err := a.PutWith(ctx, notesDT, c1.ID, json.RawMessage(`{"title":"one, written"}`), PutOptions{Keep: true})
	if err != nil || !r.Kept {
		t.Fatal(r, err)
	}
	s.mu.Lock()
	s.tamper = nil
	s.mu.Unlock()
	sent := news(t, ev, 0, c1.ID, "sent")
	if sent.Rev != 2 {
		t.Fatalf("sent as revision %d: written twice", sent.Rev)
	}
	if d, err := a.Get(ctx, notesDT, c1.ID); err != nil || d.Rev != 2 || string(d.Value) != `{"title":"one, written"}` {
		t.Fatalf("%+v, %v", d, err)
	}
	if store.len() != 2 {
		t.Fatalf("the store holds %d records, want the 2 not of this account", store.len())
	}
}

// TestOutboxJoined: a put with keep of a document that waits in the
// outbox, once the server answers again, is sent at once with it: put
// resolves to its revision, not to kept.
func TestOutboxJoined(t *testing.T) {
	s := newServer(t)
	a, _ := newAPIOutbox(t, s, newMemOutbox())
	signup(t, a)
	c1, _ := a.Create(ctx, notesDT, json.RawMessage(`{"title":"one"}`))
	if _, err := a.List(ctx, notesDT); err != nil {
		t.Fatal(err)
	}
	s.unreachable(true)
	if r, err := a.PutWith(ctx, notesDT, c1.ID, json.RawMessage(`{"title":"kept"}`), PutOptions{Keep: true}); err != nil || !r.Kept {
		t.Fatal(r, err)
	}
	s.unreachable(false)
	r, err := a.PutWith(ctx, notesDT, c1.ID, json.RawMessage(`{"title":"kept, then more"}`), PutOptions{Keep: true})
	if err != nil || r.Kept || r.Rev < 2 || r.Copy != "" {
		t.Fatalf("put joining the outbox: %+v, %v", r, err)
	}
	if d, err := a.Get(ctx, notesDT, c1.ID); err != nil || string(d.Value) != `{"title":"kept, then more"}` {
		t.Fatalf("%+v, %v", d, err)
	}
	if kept, _ := a.Outbox(ctx); len(kept) != 0 {
		t.Fatalf("outbox: %+v", kept)
	}
}
