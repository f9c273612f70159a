//go:build hearthtest

package wasm

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// feedRead waits until a's feed loop read the feed to its end once.
func feedRead(t testing.TB, a *API) {
	t.Helper()
	a.mu.Lock()
	l := a.loop
	a.mu.Unlock()
	if l == nil {
		t.Fatal("no feed loop")
	}
	select {
	case <-l.ready:
	case <-time.After(20 * time.Second):
		t.Fatal("the feed was not read")
	}
	if l.err != nil {
		t.Fatal(l.err)
	}
}

// gate counts the requests a server gets, holding each until released.
type gate struct {
	mu       sync.Mutex
	seen     []string // "GET /v1/changes", …
	answered int
	open     chan struct{}
	once     sync.Once
}

func (g *gate) release() { g.once.Do(func() { close(g.open) }) }

func (g *gate) counts() ([]string, int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.seen), g.answered
}

// watch counts the requests to s from now on; held, they wait for
// g.release (at the latest when the test ends).
func watch(t testing.TB, s *server, held bool) *gate {
	g := &gate{open: make(chan struct{})}
	if !held {
		g.release()
	}
	t.Cleanup(g.release)
	s.mu.Lock()
	s.tamper = func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		g.mu.Lock()
		g.seen = append(g.seen, r.Method+" "+r.URL.Path)
		g.mu.Unlock()
		select {
		case <-g.open:
		case <-r.Context().Done():
			return true
		}
		next.ServeHTTP(w, r)
		g.mu.Lock()
		g.answered++
		g.mu.Unlock()
		return true
	}
	s.mu.Unlock()
	return g
}

// docsOfList maps id -> "rev value".
func docsOfList(list []Doc) map[string]string {
	m := map[string]string{}
	for _, d := range list {
		m[d.ID] = fmt.Sprintf("%d %s", d.Rev, d.Value)
	}
	return m
}

// serverList lists doctype as a fresh login (no saved state) sees it.
func serverList(t *testing.T, s *server, user, doctype string) map[string]string {
	t.Helper()
	x, _ := newAPI(t, s)
	if _, err := x.Login(ctx, user, "correct horse", ""); err != nil {
		t.Fatal(err)
	}
	list, err := x.List(ctx, doctype)
	if err != nil {
		t.Fatal(err)
	}
	x.Close()
	return docsOfList(list)
}

func savedDoctypes(t *testing.T, state []byte) []string {
	t.Helper()
	var sv saved
	if err := json.Unmarshal(state, &sv); err != nil {
		t.Fatalf("saved state: %v", err)
	}
	return sortedKeys(sv.Docs)
}

func equalDocs(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%s:\n got %v\nwant %v", what, got, want)
	}
}

// A reload lists the documents kept in the saved state at once, without a
// request; the feed then brings what changed.
func TestResumeListsWithoutNetwork(t *testing.T) {
	s := newServer(t)
	a, ev := newAPI(t, s)
	user, _ := signup(t, a)
	const dt = "io.hearth.notes"
	c1, _ := a.Create(ctx, dt, json.RawMessage(`{"t":"one"}`))
	c2, _ := a.Create(ctx, dt, json.RawMessage(`"two"`))
	c3, _ := a.Create(ctx, dt, json.RawMessage(`null`))
	if err := a.Delete(ctx, dt, c2.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Create(ctx, "io.hearth.other", json.RawMessage(`1`)); err != nil {
		t.Fatal(err)
	}
	want, err := a.List(ctx, dt)
	if err != nil || len(want) != 2 {
		t.Fatal(want, err)
	}
	state := ev.lastState()
	// Only the doctype listed (all its documents in memory) is kept.
	if got := savedDoctypes(t, state); !slices.Equal(got, []string{dt}) {
		t.Fatalf("doctypes kept: %v", got)
	}
	if !strings.Contains(string(state), `"`+c2.ID+`":{"rev":2,"deleted":true}`) ||
		!strings.Contains(string(state), `"`+c3.ID+`":{"rev":1,"value":null}`) {
		t.Fatalf("saved documents: %s", state[strings.Index(string(state), `"docs"`):])
	}
	a.Close()

	g := watch(t, s, true) // the server answers nothing until released
	b, bev := newAPI(t, s)
	if r, err := b.Resume(state); err != nil || !r.Restored || r.User != user {
		t.Fatal(r, err)
	}
	list, err := b.List(ctx, dt)
	if err != nil {
		t.Fatal(err)
	}
	equalDocs(t, "listed at once", docsOfList(list), docsOfList(want))
	seen, answered := g.counts()
	if answered != 0 {
		t.Fatalf("%d requests answered before List returned", answered)
	}
	for _, r := range seen {
		if r != "GET /v1/changes" { // the feed loop, started in the background
			t.Fatalf("List made request %s", r)
		}
	}
	// Documents not kept wait for the network as before.
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	_, err = b.List(short, "io.hearth.other")
	cancel()
	if err == nil {
		t.Fatal("a doctype not kept listed without the network")
	}
	// Once the server answers, the feed is read and nothing changed.
	g.release()
	feedRead(t, b)
	list, err = b.List(ctx, dt)
	if err != nil {
		t.Fatal(err)
	}
	equalDocs(t, "after the feed", docsOfList(list), docsOfList(want))
	if l, err := b.List(ctx, "io.hearth.other"); err != nil || len(l) != 1 {
		t.Fatal(l, err)
	}
	// Writes after the resume are kept too.
	if _, err := b.Put(ctx, dt, c1.ID, json.RawMessage(`{"t":"one, again"}`)); err != nil {
		t.Fatal(err)
	}
	b.Close()
	g = watch(t, s, true)
	x, _ := newAPI(t, s)
	x.Resume(bev.lastState())
	list, err = x.List(ctx, dt)
	if err != nil || len(list) != 2 {
		t.Fatal(list, err)
	}
	if d := docsOfList(list)[c1.ID]; d != `2 {"t":"one, again"}` {
		t.Fatalf("resumed after a write: %s", d)
	}
	if l, err := x.List(ctx, "io.hearth.other"); err != nil || len(l) != 1 {
		t.Fatal("io.hearth.other was listed too, so it is kept:", l, err)
	}
	if _, answered := g.counts(); answered != 0 {
		t.Fatalf("%d requests answered", answered)
	}
}

// A page away while another device changed and deleted documents lists
// the old ones at once, and what the server holds after the first read of
// the feed; a subscription made after that List gets the changes.
func TestResumeAfterRemoteChanges(t *testing.T) {
	s := newServer(t)
	a, aev := newAPI(t, s)
	user, _ := signup(t, a)
	const dt = "io.hearth.notes"
	var ids []string
	for i := range 5 {
		c, err := a.Create(ctx, dt, json.RawMessage(fmt.Sprintf(`{"n":%d}`, i)))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	before, err := a.List(ctx, dt)
	if err != nil {
		t.Fatal(err)
	}
	old := aev.lastState()
	a.Close()

	o, _ := newAPI(t, s)
	if _, err := o.Login(ctx, user, "correct horse", ""); err != nil {
		t.Fatal(err)
	}
	o.Put(ctx, dt, ids[0], json.RawMessage(`{"n":0,"edited":true}`))                  // changed
	o.Delete(ctx, dt, ids[1])                                                         // deleted
	o.Put(ctx, dt, ids[2], json.RawMessage(`{"n":2,"edited":true}`))                  // changed, then deleted
	o.Delete(ctx, dt, ids[2])                                                         //
	o.Delete(ctx, dt, ids[3])                                                         // deleted, then written again
	o.Put(ctx, dt, ids[3], json.RawMessage(`{"n":3,"again":true}`))                   //
	c5, _ := o.Create(ctx, dt, json.RawMessage(`{"n":5}`))                            // new
	if _, err := o.Create(ctx, "io.hearth.other", json.RawMessage(`1`)); err != nil { // elsewhere
		t.Fatal(err)
	}
	want := serverList(t, s, user, dt)
	if len(want) != 4 {
		t.Fatal(want)
	}

	g := watch(t, s, true)
	b, bev := newAPI(t, s)
	if r, err := b.Resume(old); err != nil || !r.Restored {
		t.Fatal(r, err)
	}
	list, err := b.List(ctx, dt)
	if err != nil {
		t.Fatal(err)
	}
	equalDocs(t, "at once", docsOfList(list), docsOfList(before))
	// Pages subscribe after List: before the feed was read (2), or after
	// (1); either way they get what changed since what List answered.
	if err := b.Subscribe(2, nil); err != nil {
		t.Fatal(err)
	}
	g.release()
	feedRead(t, b)
	list, err = b.List(ctx, dt)
	if err != nil {
		t.Fatal(err)
	}
	equalDocs(t, "after the first read of the feed", docsOfList(list), want)
	from := bev.n()
	if err := b.Subscribe(1, []string{dt}); err != nil {
		t.Fatal(err)
	}
	// The changes as a page applies them (by rev; a change may repeat).
	for sub := range 2 {
		sub++
		bev.wait(t, 0, func(e Event) bool { return e.Type == "change" && e.Sub == sub && e.Change.ID == c5.ID })
		page := map[string]Doc{}
		for _, d := range before {
			page[d.ID] = d
		}
		bev.mu.Lock()
		for _, e := range bev.all {
			if e.Type != "change" || e.Sub != sub || e.Change.Doctype != dt {
				continue
			}
			if e.Change.Deleted {
				delete(page, e.Change.ID)
			} else if d, ok := page[e.Change.ID]; !ok || d.Rev < e.Change.Rev {
				page[e.Change.ID] = Doc{ID: e.Change.ID, Rev: e.Change.Rev, Value: e.Change.Value}
			}
		}
		bev.mu.Unlock()
		var docs []Doc
		for _, d := range page {
			docs = append(docs, d)
		}
		equalDocs(t, fmt.Sprint("the documents of subscription ", sub), docsOfList(docs), want)
	}
	// A later subscription gets what changed since the saved state again.
	if err := b.Subscribe(3, []string{"io.hearth.other"}); err != nil {
		t.Fatal(err)
	}
	b.Subscribe(4, []string{dt})
	bev.wait(t, from, func(e Event) bool { return e.Type == "change" && e.Sub == 4 && e.Change.ID == c5.ID })

	// What b saved now is what the server holds.
	b.Close()
	g = watch(t, s, true)
	x, _ := newAPI(t, s)
	x.Resume(bev.lastState())
	list, err = x.List(ctx, dt)
	if err != nil {
		t.Fatal(err)
	}
	equalDocs(t, "resumed again", docsOfList(list), want)
	if _, answered := g.counts(); answered != 0 {
		t.Fatalf("%d requests answered", answered)
	}
}

// The documents kept are bounded; a doctype beyond the bound is read with
// GetMany after a reload, as before.
func TestCacheBound(t *testing.T) {
	defer func(m int) { maxCache = m }(maxCache)
	maxCache = 4 << 10
	s := newServer(t)
	a, ev := newAPI(t, s)
	signup(t, a)
	const small, big = "io.hearth.small", "io.hearth.big"
	if _, err := a.Create(ctx, small, json.RawMessage(`{"t":"small"}`)); err != nil {
		t.Fatal(err)
	}
	for range 10 {
		if _, err := a.Create(ctx, big, json.RawMessage(`"`+strings.Repeat("x", 500)+`"`)); err != nil {
			t.Fatal(err)
		}
	}
	for _, dt := range []string{small, big} {
		if _, err := a.List(ctx, dt); err != nil {
			t.Fatal(err)
		}
	}
	state := ev.lastState()
	if got := savedDoctypes(t, state); !slices.Equal(got, []string{small}) {
		t.Fatalf("doctypes kept: %v", got)
	}
	if len(state) > 8<<10 {
		t.Fatalf("saved state of %d bytes", len(state))
	}
	a.Close()
	g := watch(t, s, true)
	b, _ := newAPI(t, s)
	b.Resume(state)
	if l, err := b.List(ctx, small); err != nil || len(l) != 1 {
		t.Fatal(l, err)
	}
	if _, answered := g.counts(); answered != 0 {
		t.Fatalf("%d requests answered", answered)
	}
	g.release()
	if l, err := b.List(ctx, big); err != nil || len(l) != 10 {
		t.Fatal(l, err)
	}
	seen, _ := g.counts()
	if !slices.Contains(seen, "POST /v1/docs/"+big+"/_bulk_get") {
		t.Fatalf("requests: %v", seen)
	}
}

// A saved state without documents (from before they were kept), or whose
// documents disagree with its State, resumes and reads them as before.
func TestResumeWithoutKeptDocuments(t *testing.T) {
	s := newServer(t)
	a, ev := newAPI(t, s)
	signup(t, a)
	const dt = "io.hearth.notes"
	for i := range 3 {
		if _, err := a.Create(ctx, dt, json.RawMessage(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	want, err := a.List(ctx, dt)
	if err != nil {
		t.Fatal(err)
	}
	state := ev.lastState()
	a.Close()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(state, &m); err != nil || m["docs"] == nil {
		t.Fatal(err)
	}
	var docs map[string]map[string]json.RawMessage
	json.Unmarshal(m["docs"], &docs)
	delete(docs[dt], want[1].ID)
	var forms [][]byte
	delete(m, "docs")
	b, _ := json.Marshal(m) // as saved before the documents were kept
	forms = append(forms, b)
	m["docs"], _ = json.Marshal(docs) // a document the feed showed is missing
	b, _ = json.Marshal(m)
	forms = append(forms, b)
	for i, st := range forms {
		g := watch(t, s, false)
		x, _ := newAPI(t, s)
		if r, err := x.Resume(st); err != nil || !r.Restored {
			t.Fatal(i, r, err)
		}
		list, err := x.List(ctx, dt)
		if err != nil {
			t.Fatal(i, err)
		}
		equalDocs(t, fmt.Sprint("form ", i), docsOfList(list), docsOfList(want))
		if seen, _ := g.counts(); !slices.Contains(seen, "POST /v1/docs/"+dt+"/_bulk_get") {
			t.Fatalf("form %d: requests %v", i, seen)
		}
		x.Close()
	}
}

// BenchmarkPersist measures the saved state of a session with 1,000 notes
// of about 150 bytes listed: after one note changed (its doctype encoded
// again, the rest as it was), with every doctype encoded again, and
// without documents (the State alone, as before they were kept).
func BenchmarkPersist(b *testing.B) {
	s := newServer(b)
	a, _ := newAPI(b, s)
	signup(b, a)
	const dt = "io.hearth.notes"
	note := func(i int) json.RawMessage {
		v := fmt.Sprintf(`{"title":"Note %04d","body":"%s","updated":"2025-01-02T03:04:05Z"}`, i, strings.Repeat("lorem ipsum ", 8))
		return json.RawMessage(v)
	}
	var first string
	for i := range 1000 {
		c, err := a.Create(ctx, dt, note(i))
		if err != nil {
			b.Fatal(err)
		}
		if i == 0 {
			first = c.ID
		}
	}
	if l, err := a.List(ctx, dt); err != nil || len(l) != 1000 {
		b.Fatal(len(l), err)
	}
	a.Close()
	var last []byte
	a.cfg.OnEvent = func(ev Event) {
		if ev.Type == "state" {
			last = ev.State
		}
	}
	// sizes gives the size of the last state and of the documents in it.
	sizes := func() (size, docs int) {
		if i := strings.LastIndex(string(last), `,"docs":{"`+dt+`":{`); i >= 0 {
			docs = len(last) - i
		}
		return len(last), docs
	}
	gen := a.currentGen()
	rev := uint64(1 << 20)
	run := func(b *testing.B, prep func()) {
		b.ReportAllocs()
		for b.Loop() {
			prep()
			a.persist(gen)
		}
		size, docs := sizes()
		b.ReportMetric(float64(size), "state-bytes")
		b.ReportMetric(float64(docs), "docs-bytes")
	}
	b.Run("one-note-changed", func(b *testing.B) {
		run(b, func() {
			rev++
			a.apply(gen, dt, first, rev, false, note(int(rev%1000)))
		})
	})
	b.Run("encode-notes-only", func(b *testing.B) {
		b.ReportAllocs()
		a.mu.Lock()
		defer a.mu.Unlock()
		n := 0
		for b.Loop() {
			n = len(encodeDocs(a.live[dt]))
		}
		b.ReportMetric(float64(n), "docs-bytes")
	})
	b.Run("all-encoded", func(b *testing.B) {
		run(b, func() {
			a.mu.Lock()
			clear(a.enc)
			a.lastSaved = nil
			a.mu.Unlock()
		})
	})
	b.Run("state-only", func(b *testing.B) {
		a.mu.Lock()
		loaded := a.loaded
		a.loaded = map[string]bool{}
		a.mu.Unlock()
		run(b, func() {
			a.mu.Lock()
			a.lastSaved = nil
			a.mu.Unlock()
		})
		a.mu.Lock()
		a.loaded = loaded
		a.mu.Unlock()
	})
}
