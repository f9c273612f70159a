//go:build hearthtest && !js

// These tests run the real server (SQLite and blob files in a temporary
// data folder) on a loopback port; under WebAssembly there is no listener,
// so they are native only (the wasm round trip is TestWasmRoundTrip).

package search_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"filippo.io/age"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/client/search"
	"github.com/hearthcloud/hearth/crypto/kdf"
	"github.com/hearthcloud/hearth/server"
	"github.com/hearthcloud/hearth/server/auth"
)

func TestMain(m *testing.M) {
	restore := kdf.LowerFloorForTesting() // cheap Argon2id, tests only
	code := m.Run()
	restore()
	os.Exit(code)
}

// env is the real server over a temporary data folder, behind a handler
// that records every request and can be told to alter answers.
type env struct {
	t   *testing.T
	dir string
	url string

	mu     sync.Mutex
	seen   bytes.Buffer // every request: method, URL, headers, body
	reqs   []string     // every request: method and path
	tamper func(w http.ResponseWriter, r *http.Request, next http.Handler) bool
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	s, err := server.Open(context.Background(), server.Config{Dir: dir, Hash: auth.HashParams{Memory: 64, Time: 1, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, dir: dir}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		e.mu.Lock()
		fmt.Fprintf(&e.seen, "%s %s %v\n", r.Method, r.URL, r.Header)
		e.seen.Write(body)
		e.reqs = append(e.reqs, r.Method+" "+r.URL.Path)
		h := e.tamper
		e.mu.Unlock()
		if h != nil && h(w, r, s.API) {
			return
		}
		s.API.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { ts.Close(); s.Close() })
	e.url = ts.URL
	return e
}

func (e *env) setTamper(h func(w http.ResponseWriter, r *http.Request, next http.Handler) bool) {
	e.mu.Lock()
	e.tamper = h
	e.mu.Unlock()
}

var opts = &client.Options{KDF: kdf.TestParams, Device: "test"}

func (e *env) signup(user string) *client.Client {
	e.t.Helper()
	c, _, err := client.Signup(context.Background(), e.url, user, "correct horse", opts)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *env) login(user string) *client.Client {
	e.t.Helper()
	c, err := client.Login(context.Background(), e.url, user, "correct horse", "", opts)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := c.CatchUp(context.Background()); err != nil { // a device reads the history before it writes
		e.t.Fatal(err)
	}
	return c
}

const notes = "io.hearth.notes"

// account signs user up and writes the sample notes.
func (e *env) account(user string) *client.Client {
	e.t.Helper()
	c := e.signup(user)
	writeNotes(e.t, c, sample())
	return c
}

// open opens doctype's index, closed when the test ends.
func open(t *testing.T, b search.Backend, doctype string, opt *search.Options) *search.Store {
	t.Helper()
	s, err := search.Open(context.Background(), b, doctype, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// storedManifest reads and parses doctype's stored index manifest.
func storedManifest(t *testing.T, b search.Backend, doctype string) *search.Manifest {
	t.Helper()
	content, _, err := b.GetManifest(context.Background(), doctype)
	if err != nil {
		t.Fatal(err)
	}
	m, err := search.ParseManifest(content)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func writeNotes(t *testing.T, c *client.Client, docs []search.Doc) map[string]string {
	t.Helper()
	items := make([]client.Item, len(docs))
	for i, d := range docs {
		items[i] = client.Item{ID: d.ID, Content: d.Content}
	}
	res, err := c.PutMany(context.Background(), notes, items)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	return nil
}

var queries = []search.Query{
	{Text: "lisbon"},
	{Text: "title:lisbon"},
	{Text: `"coast road"`},
	{Text: "plan*"},
	{Text: "lisbn~1"},
	{Text: "+lisbon -title:holiday"},
	{Text: "lisbon", SortBy: []string{"-updated"}},
	{Text: "updated:>1700000600000 lisbon"},
}

func sample() []search.Doc {
	var docs []search.Doc
	for i := range 120 {
		title := fmt.Sprintf("Note %d", i)
		body := "nothing much"
		switch {
		case i%3 == 0:
			title = fmt.Sprintf("Holiday in Lisbon %d", i)
			body = "Train to Lisbon, then the coast road south; plans for the trip."
		case i%5 == 0:
			body = "Planning the road to the coast, near Lisbon maybe."
		case i%7 == 0:
			body = "The lisbn typo, and a planner."
		}
		docs = append(docs, search.Doc{ID: fmt.Sprintf("note%04d", i),
			Content: fmt.Appendf(nil, `{"title":%q,"body":%q,"updated":%d}`, title, body, 1_700_000_000_000+int64(i)*60_000)})
	}
	return docs
}

type answer struct {
	ids    []string
	scores []float64
	total  uint64
}

func run(t *testing.T, s *search.Store) []answer {
	t.Helper()
	var out []answer
	for _, q := range queries {
		r, err := s.Search(context.Background(), q)
		if err != nil {
			t.Fatalf("%s: %v", q.Text, err)
		}
		var a answer
		for _, f := range r.Found {
			a.ids = append(a.ids, f.ID)
			a.scores = append(a.scores, f.Score)
		}
		a.total = r.Total
		out = append(out, a)
	}
	return out
}

// runAll runs the query set for every hit, as sorted "score id" lines.
func runAll(t *testing.T, s *search.Store) [][]string {
	t.Helper()
	var out [][]string
	for _, q := range queries {
		q.Limit = 1000
		r, err := s.Search(context.Background(), q)
		if err != nil {
			t.Fatalf("%s: %v", q.Text, err)
		}
		var l []string
		for _, f := range r.Found {
			l = append(l, fmt.Sprintf("%.12f %s", f.Score, f.ID))
		}
		slices.Sort(l)
		out = append(out, l)
	}
	return out
}

func sameSet(t *testing.T, what string, a, b [][]string) {
	t.Helper()
	for i := range a {
		if !slices.Equal(a[i], b[i]) {
			t.Errorf("%s: %q: %v vs %v", what, queries[i].Text, a[i], b[i])
		}
	}
}

func same(t *testing.T, what string, a, b []answer) {
	t.Helper()
	for i := range a {
		if !slices.Equal(a[i].ids, b[i].ids) || !slices.Equal(a[i].scores, b[i].scores) || a[i].total != b[i].total {
			t.Errorf("%s: %q: %v %v (%d) vs %v %v (%d)", what, queries[i].Text, a[i].ids, a[i].scores, a[i].total, b[i].ids, b[i].scores, b[i].total)
		}
	}
}

// TestStoreRoundTrip: an index built and saved on one device is loaded on
// a second one (downloaded, checked, opened) and gives the same hits and
// scores for the query set, without indexing a document again; a note
// written afterwards on the first device is found on the second after an
// Update.
func TestStoreRoundTrip(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a := e.signup("ana")
	writeNotes(t, a, sample())
	var stages []string
	sa, err := search.Open(ctx, a, notes, &search.Options{BatchDocs: 50, Progress: func(stage string, done, total int) {
		stages = append(stages, stage)
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer sa.Close()
	if n, _ := sa.Count(); n != 120 || sa.Rebuilt() != nil {
		t.Fatalf("%d documents; rebuilt: %v", n, sa.Rebuilt())
	}
	if !slices.Contains(stages, "index") {
		t.Errorf("no progress while indexing: %v", stages)
	}
	want := run(t, sa)
	if len(want[0].ids) != 20 || want[0].total != 56 {
		t.Fatalf("lisbon: %d hits of %d", len(want[0].ids), want[0].total)
	}
	if got := want[2]; got.total != 24+24-8 || len(got.ids) != 20 {
		// "coast road": the index finds every note with both words; the
		// phrase check keeps those with the words in order.
		t.Logf("coast road: %d found, %d candidates", len(got.ids), got.total)
	}
	if err := sa.Save(ctx); err != nil {
		t.Fatal(err)
	}

	b := e.login("ana")
	var loaded []string
	sb, err := search.Open(ctx, b, notes, &search.Options{Progress: func(stage string, done, total int) {
		loaded = append(loaded, stage)
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	if sb.Rebuilt() != nil || slices.Contains(loaded, "index") || !slices.Contains(loaded, "download") {
		t.Fatalf("the second device did not load the stored index: %v, %v", sb.Rebuilt(), loaded)
	}
	same(t, "loaded", want, run(t, sb))

	// A note written on the first device is found on the second.
	if _, err := a.Put(ctx, notes, "fresh", []byte(`{"title":"Saudade","body":"a word from Lisbon","updated":1800000000000}`)); err != nil {
		t.Fatal(err)
	}
	if n, err := sb.Update(ctx); err != nil || n != 1 {
		t.Fatal(n, err)
	}
	r, err := sb.Search(ctx, search.Query{Text: "saudade"})
	if err != nil || len(r.Found) != 1 || r.Found[0].ID != "fresh" {
		t.Fatalf("%+v %v", r, err)
	}
	if sn := r.Found[0].Snippet; sn == nil || sn.Field != "title" || sn.Text != "Saudade" || len(sn.Marks) != 1 {
		t.Fatalf("snippet %+v", sn)
	}
}

// TestStoreMarker: what is indexed and searched never reaches the host:
// not in the requests it receives, not in its data folder.
func TestStoreMarker(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a := e.signup("bea")
	const marker = "zanzibarquokka"
	docs := sample()
	docs[7].Content = []byte(`{"title":"` + marker + `","body":"` + marker + ` ` + marker + `x"}`)
	writeNotes(t, a, docs)
	s, err := search.Open(ctx, a, notes, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Save(ctx); err != nil {
		t.Fatal(err)
	}
	r, err := s.Search(ctx, search.Query{Text: marker + "* " + `"` + marker + `"`})
	if err != nil || len(r.Found) != 1 {
		t.Fatalf("%+v %v", r, err)
	}
	b := e.login("bea")
	s2, err := search.Open(ctx, b, notes, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if r, err := s2.Search(ctx, search.Query{Text: marker}); err != nil || len(r.Found) != 1 {
		t.Fatalf("%+v %v", r, err)
	}
	e.mu.Lock()
	seen := e.seen.Bytes()
	e.mu.Unlock()
	if bytes.Contains(bytes.ToLower(seen), []byte(marker)) {
		t.Fatal("the marker reached the server in a request")
	}
	filepath.WalkDir(e.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := os.ReadFile(p)
		if bytes.Contains(bytes.ToLower(b), []byte(marker)) {
			t.Errorf("the marker is in %s", p)
		}
		return nil
	})
}

// TestStoreTampered: a segment the host alters or swaps, or a manifest it
// rolls back, is detected, and the index is rebuilt from the documents
// (giving the same results) instead of loaded.
func TestStoreTampered(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a := e.account("cai")
	s := open(t, a, notes, &search.Options{BatchDocs: 40})
	run(t, s)
	if err := s.Save(ctx); err != nil {
		t.Fatal(err)
	}
	// Segment URLs, as the manifest names them, in order.
	var segs []string
	e.mu.Lock()
	for _, l := range e.reqs {
		if p, ok := strings.CutPrefix(l, "PUT "); ok && strings.HasPrefix(p, "/v1/index/"+notes+"/segments/") {
			segs = append(segs, p)
		}
	}
	e.mu.Unlock()
	if len(segs) != 3 {
		t.Fatalf("%d segments", len(segs))
	}
	segBody := func(next http.Handler, path string) []byte {
		r := httptest.NewRequest("GET", path, nil)
		r.Header.Set("Authorization", "Bearer "+a.State().Token)
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		return rec.Body.Bytes()
	}
	for _, c := range []struct {
		name   string
		tamper func(w http.ResponseWriter, r *http.Request, next http.Handler) bool
	}{
		{"flipped byte", func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
			if r.URL.Path != segs[1] {
				return false
			}
			b := segBody(next, segs[1])
			b[len(b)/2] ^= 1
			w.Write(b)
			return true
		}},
		{"swapped segments", func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
			if r.URL.Path != segs[0] {
				return false
			}
			w.Write(segBody(next, segs[2]))
			return true
		}},
		{"withheld segment", func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
			if r.URL.Path != segs[2] {
				return false
			}
			http.Error(w, `{"error":{"code":"not_found","message":"no"}}`, 404)
			return true
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e.setTamper(c.tamper)
			defer e.setTamper(nil)
			b := e.login("cai")
			// Rebuilt in batches of the same size, the index is the same.
			s2, err := search.Open(ctx, b, notes, &search.Options{BatchDocs: 40})
			if err != nil {
				t.Fatal(err)
			}
			defer s2.Close()
			if err := s2.Rebuilt(); !errors.Is(err, client.ErrIntegrity) {
				t.Fatalf("rebuilt: %v", err)
			}
			t.Logf("rebuilt: %v", s2.Rebuilt())
			// Documents of equal score may come in another order (a batch
			// indexes its documents in no fixed order): all hits, sorted.
			sameSet(t, "rebuilt", runAll(t, s), runAll(t, s2))
		})
	}
}

// TestStoreScopes: an app granted doctype A searches A, and cannot read
// doctype B's index: the client refuses before asking, and the server
// refuses the app's token B's manifest and segments (403) when asked
// directly.
func TestStoreScopes(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.signup("dan")
	writeNotes(t, c, sample())
	if _, err := c.Put(ctx, "io.hearth.contacts", "c1", []byte(`{"name":"Lisbon Lou"}`)); err != nil {
		t.Fatal(err)
	}
	for _, dt := range []string{notes, "io.hearth.contacts"} {
		s, err := search.Open(ctx, c, dt, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Save(ctx); err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	scopes := []client.Scope{{Doctype: "io.hearth.contacts", Verbs: []string{client.VerbRead, client.VerbWrite}}}
	info, tok, err := c.CreateToken(ctx, "contacts", client.KindApp, scopes)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Grant(ctx, info.ID, id.Recipient().String(), scopes); err != nil {
		t.Fatal(err)
	}
	signer, err := c.SigningKey()
	if err != nil {
		t.Fatal(err)
	}
	app, err := client.ConnectApp(ctx, e.url, "dan", tok, id, signer, nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	s, err := search.Open(ctx, app, "io.hearth.contacts", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if r, err := s.Search(ctx, search.Query{Text: "lisbon"}); err != nil || len(r.Found) != 1 || r.Found[0].ID != "c1" || s.Rebuilt() != nil {
		t.Fatalf("%+v %v %v", r, err, s.Rebuilt())
	}
	if _, err := search.Open(ctx, app, notes, nil); !errors.Is(err, client.ErrNotGranted) {
		t.Fatalf("the app opened the notes index: %v", err)
	}
	// The server refuses the app's token too.
	var segs []string
	e.mu.Lock()
	for _, l := range e.reqs {
		if p, ok := strings.CutPrefix(l, "PUT "); ok && strings.HasPrefix(p, "/v1/index/"+notes+"/segments/") {
			segs = append(segs, p)
		}
	}
	e.mu.Unlock()
	for _, p := range []string{"/v1/index/" + notes + "/manifest", segs[0], "/v1/index/" + notes + "/segments"} {
		req, _ := http.NewRequest("GET", e.url+p, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 403 || !strings.Contains(string(body), `"forbidden"`) {
			t.Errorf("GET %s with the app's token: %d %s", p, res.StatusCode, body)
		}
	}
}

// TestStoreCompaction: one-note edits pile up one small segment each;
// Save merges them, the manifest stays small, and the index loaded from it
// answers as the one in memory.
func TestStoreCompaction(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.account("eve")
	s := open(t, c, notes, &search.Options{MaxSegments: 4})
	if err := s.Save(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range 12 {
		id := fmt.Sprintf("note%04d", i*7)
		if _, err := c.Put(ctx, notes, id, fmt.Appendf(nil, `{"title":"Edited %d","body":"now about Porto"}`, i)); err != nil {
			t.Fatal(err)
		}
		if i == 5 {
			if err := c.Delete(ctx, notes, "note0001"); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Update(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Save(ctx); err != nil {
		t.Fatal(err)
	}
	if m := storedManifest(t, c, notes); len(m.Segments) > 4 || m.Docs != 119 {
		t.Fatalf("%d segments, %d documents", len(m.Segments), m.Docs)
	}
	want := runAll(t, s)
	if r, _ := s.Search(ctx, search.Query{Text: "porto"}); len(r.Found) != 12 {
		t.Fatalf("porto: %d", len(r.Found))
	}
	s2, err := search.Open(ctx, e.login("eve"), notes, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if s2.Rebuilt() != nil {
		t.Fatal(s2.Rebuilt())
	}
	sameSet(t, "after compaction", want, runAll(t, s2))
}

// TestStoreConflictAndFormat: a device saving after another device saved
// gets ErrConflict, and opening again gives it the other's index; a
// manifest of another version is not loaded but rebuilt from the
// documents.
func TestStoreConflictAndFormat(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a := e.account("fay")
	b := e.login("fay")
	sa := open(t, a, notes, nil)
	sb := open(t, b, notes, nil)
	if err := sa.Save(ctx); err != nil {
		t.Fatal(err)
	}
	if err := sb.Save(ctx); !errors.Is(err, search.ErrConflict) {
		t.Fatalf("second save: %v", err)
	}
	sb2, err := search.Open(ctx, b, notes, nil)
	if err != nil || sb2.Rebuilt() != nil {
		t.Fatal(err, sb2.Rebuilt())
	}
	sb2.Close()

	content, rev, err := a.GetManifest(ctx, notes)
	if err != nil {
		t.Fatal(err)
	}
	other := strings.Replace(string(content), `"v":1`, `"v":2`, 1)
	if _, err := a.PutManifest(ctx, notes, rev, []byte(other)); err != nil {
		t.Fatal(err)
	}
	s3, err := search.Open(ctx, b, notes, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s3.Close()
	if !errors.Is(s3.Rebuilt(), search.ErrManifest) {
		t.Fatalf("rebuilt: %v", s3.Rebuilt())
	}
	if r, err := s3.Search(ctx, search.Query{Text: "lisbon"}); err != nil || r.Total != 56 {
		t.Fatal(r, err)
	}
	// Saving replaces the manifest it could not use.
	if err := s3.Save(ctx); err != nil {
		t.Fatal(err)
	}
	if content, _, _ := b.GetManifest(ctx, notes); !strings.Contains(string(content), `"v":1`) {
		t.Fatalf("%s", content)
	}
}

// TestStoreSaveWhileUpdating: a Save uploading segments does not hold up
// searches and updates; what they indexed meanwhile is stored by the next
// Save, and a second device then finds everything.
func TestStoreSaveWhileUpdating(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a := e.account("gil")
	s := open(t, a, notes, nil)
	done := make(chan error, 1)
	go func() { done <- s.Save(ctx) }()
	for i := range 5 {
		if _, err := a.Put(ctx, notes, fmt.Sprintf("late%d", i), fmt.Appendf(nil, `{"title":"Late %d","body":"written while saving"}`, i)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Update(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Search(ctx, search.Query{Text: "lisbon"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := s.Save(ctx); err != nil {
		t.Fatal(err)
	}
	s2 := open(t, e.login("gil"), notes, nil)
	if s2.Rebuilt() != nil {
		t.Fatal(s2.Rebuilt())
	}
	if r, err := s2.Search(ctx, search.Query{Text: "saving", Limit: 10}); err != nil || len(r.Found) != 5 {
		t.Fatalf("%+v %v", r, err)
	}
	if n, _ := s2.Count(); n != 125 {
		t.Fatalf("%d documents", n)
	}
}

// TestStoreAccessPattern: a device that indexed the notes shows hits from
// memory and asks the server for none; a device that loaded the stored
// index asks for the hits it lacks, in identifier order, not rank order; a
// host answering that a hit was never written is caught.
func TestStoreAccessPattern(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a := e.account("hal")
	s := open(t, a, notes, nil)
	if err := s.Save(ctx); err != nil {
		t.Fatal(err)
	}
	bulk := func() []string {
		e.mu.Lock()
		defer e.mu.Unlock()
		var out []string
		for _, r := range e.reqs {
			if strings.HasSuffix(r, "/_bulk_get") {
				out = append(out, r)
			}
		}
		return out
	}
	before := len(bulk())
	if r, err := s.Search(ctx, search.Query{Text: "lisbon"}); err != nil || len(r.Found) != 20 {
		t.Fatal(r, err)
	}
	if n := len(bulk()) - before; n != 0 {
		t.Fatalf("the indexing device asked for %d document lists", n)
	}

	b := e.login("hal")
	s2 := open(t, b, notes, &search.Options{CacheBytes: -1})
	var asked []byte
	e.setTamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if strings.HasSuffix(r.URL.Path, "/_bulk_get") {
			asked, _ = io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(asked))
		}
		return false
	})
	r, err := s2.Search(ctx, search.Query{Text: "lisbon"})
	if err != nil || len(r.Found) != 20 {
		t.Fatal(r, err)
	}
	var req struct{ IDs []string }
	if err := json.Unmarshal(asked, &req); err != nil || len(req.IDs) != 20 || !slices.IsSorted(req.IDs) {
		t.Fatalf("asked for %s", asked)
	}
	// The host says a hit was never written.
	e.setTamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if !strings.HasSuffix(r.URL.Path, "/_bulk_get") {
			return false
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		var ans map[string][]map[string]any
		json.Unmarshal(rec.Body.Bytes(), &ans)
		ans["docs"][0] = map[string]any{"id": ans["docs"][0]["id"], "error": map[string]any{"code": "not_found", "message": "no"}}
		out, _ := json.Marshal(ans)
		w.Header().Set("Content-Type", "application/json")
		w.Write(out)
		return true
	})
	defer e.setTamper(nil)
	if _, err := s2.Search(ctx, search.Query{Text: "lisbon"}); !errors.Is(err, client.ErrIntegrity) {
		t.Fatalf("a hidden hit: %v", err)
	}
}

// TestStoreHiddenChange: a host that leaves a note's edit out of the
// doctype's filtered feed is caught (the catch-up is checked against the
// chained, unfiltered feed from the chain the manifest binds), and so is
// one that alters an entry there; the index is neither loaded nor built on
// what it serves.
func TestStoreHiddenChange(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a := e.account("ida")
	if err := open(t, a, notes, nil).Save(ctx); err != nil {
		t.Fatal(err)
	}
	if m := storedManifest(t, a, notes); len(m.Chain) != 32 || m.Seq == 0 {
		t.Fatalf("the manifest binds no chain: seq %d, chain %x", m.Seq, m.Chain)
	}
	if _, err := a.Put(ctx, notes, "note0005", []byte(`{"title":"Edited","body":"moved to Porto"}`)); err != nil {
		t.Fatal(err)
	}
	filtered := func(change func(c map[string]any) bool) func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		return func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
			if r.URL.Path != "/v1/changes" || r.URL.Query().Get("doctype") == "" {
				return false
			}
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			var page map[string]any
			json.Unmarshal(rec.Body.Bytes(), &page)
			var kept []any
			for _, c := range page["changes"].([]any) {
				if change(c.(map[string]any)) {
					kept = append(kept, c)
				}
			}
			page["changes"] = kept
			out, _ := json.Marshal(page)
			w.Header().Set("Content-Type", "application/json")
			w.Write(out)
			return true
		}
	}
	for name, h := range map[string]func(w http.ResponseWriter, r *http.Request, next http.Handler) bool{
		"hidden": filtered(func(c map[string]any) bool { return c["id"] != "note0005" }),
		"altered": filtered(func(c map[string]any) bool {
			if c["id"] == "note0005" {
				c["seq"] = c["seq"].(float64) // the same entry, with its rev claimed lower
				c["rev"] = c["rev"].(float64) - 1
			}
			return true
		}),
	} {
		t.Run(name, func(t *testing.T) {
			e.setTamper(h)
			defer e.setTamper(nil)
			_, err := search.Open(ctx, e.login("ida"), notes, nil)
			if !errors.Is(err, client.ErrIntegrity) {
				t.Fatalf("got %v, want an integrity error", err)
			}
			t.Log(err)
		})
	}
	// Untampered, the second device finds the edit.
	s := open(t, e.login("ida"), notes, nil)
	if r, err := s.Search(ctx, search.Query{Text: "porto"}); err != nil || len(r.Found) != 1 || s.Rebuilt() != nil {
		t.Fatal(r, err, s.Rebuilt())
	}
}

// mapCache is a search.Cache in memory.
type mapCache struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (c *mapCache) Get(k string) []byte { c.mu.Lock(); defer c.mu.Unlock(); return c.m[k] }
func (c *mapCache) Put(k string, b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[k] = bytes.Clone(b)
}
func (c *mapCache) Prune(prefix string, keep []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.m {
		if strings.HasPrefix(k, prefix) && !slices.Contains(keep, strings.TrimPrefix(k, prefix)) {
			delete(c.m, k)
		}
	}
}

// TestStoreCache: segments downloaded are kept in the Cache and opened from
// there the next time (none downloaded again); a damaged copy is
// downloaded again; segments the manifest no longer names leave it.
func TestStoreCache(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a := e.account("jo")
	if err := open(t, a, notes, &search.Options{BatchDocs: 40}).Save(ctx); err != nil {
		t.Fatal(err)
	}
	cache := &mapCache{m: map[string][]byte{}}
	gets := func() int {
		e.mu.Lock()
		defer e.mu.Unlock()
		n := 0
		for _, r := range e.reqs {
			if strings.HasPrefix(r, "GET /v1/index/"+notes+"/segments/") {
				n++
			}
		}
		return n
	}
	b := e.login("jo")
	before := gets()
	open(t, b, notes, &search.Options{Cache: cache})
	if n := gets() - before; n != 3 || len(cache.m) != 3 {
		t.Fatalf("%d downloaded, %d kept", n, len(cache.m))
	}
	for k := range cache.m {
		cache.m[k] = bytes.Repeat([]byte{1}, len(cache.m[k])) // damaged, same length
		break
	}
	before = gets()
	s := open(t, b, notes, &search.Options{Cache: cache, BatchDocs: 40})
	if n := gets() - before; n != 1 {
		t.Fatalf("%d downloaded again, want the damaged one only", n)
	}
	// A compaction replaces the segments: the old ones leave the cache.
	for i := range 10 {
		if _, err := b.Put(ctx, notes, fmt.Sprintf("extra%d", i), []byte(`{"title":"x"}`)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Update(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Save(ctx); err != nil {
		t.Fatal(err)
	}
	for k := range cache.m {
		if !slices.Contains(s.StoredSegments(), strings.TrimPrefix(k, notes+"/")) {
			t.Errorf("%s is kept but no longer named", k)
		}
	}
}
