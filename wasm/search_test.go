//go:build hearthtest && search

// Home's search (search.go, build tag search): go test -tags 'hearthtest
// search' ./wasm/ (make test runs it).

package wasm

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hearthcloud/hearth/crypto/kdf"
	"github.com/hearthcloud/hearth/internal/appmanifest"
)

// memCache is a Cache in memory: one browser's IndexedDB.
type memCache struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (c *memCache) Get(key string) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return bytes.Clone(c.m[key])
}

func (c *memCache) Put(key string, b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[key] = bytes.Clone(b)
}

func (c *memCache) Prune(prefix string, keep []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	kept := map[string]bool{}
	for _, k := range keep {
		kept[prefix+k] = true
	}
	for k := range c.m {
		if strings.HasPrefix(k, prefix) && !kept[k] {
			delete(c.m, k)
		}
	}
}

func (c *memCache) keys(prefix string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for k := range c.m {
		if strings.HasPrefix(k, prefix) {
			n++
		}
	}
	return n
}

// indexesSaved saves a's search indexes now (as the background saves do).
func indexesSaved(t *testing.T, a *API) {
	t.Helper()
	st := a.searchState()
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, s := range st.stores {
		if err := s.Save(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSearchAcrossReloads: Home's search finds notes, grouped by app with
// links and marks; it keeps the sealed segments it downloaded and the
// manifest revisions it saw in the cache (TestWebSearch checks a reload
// downloads no segment again), and after a reload it refuses a manifest
// the host rolls back (rebuilding instead, and saying so).
func TestSearchAcrossReloads(t *testing.T) {
	s := newServer(t)
	a, _ := newAPI(t, s)
	user, _ := signup(t, a)
	for _, body := range []string{"Train to Lisbon", "Bread and olives", "The coast road"} {
		if _, err := a.Create(ctx, "io.hearth.notes", json.RawMessage(`{"title":"Note","body":"`+body+`"}`)); err != nil {
			t.Fatal(err)
		}
	}
	r, err := a.Search(ctx, "lisbon", 5)
	if err != nil || len(r.Groups) != 1 || r.Groups[0].App == nil || r.Groups[0].App.Slug != "notes" || len(r.Groups[0].Hits) != 1 {
		t.Fatalf("%+v %v", r, err)
	}
	if h := r.Groups[0].Hits[0]; !strings.HasSuffix(h.URL, "#open="+h.ID) || h.Snippet == nil || !h.Snippet.Parts[1].Mark {
		t.Fatalf("hit %+v", h)
	}
	if _, err := a.Search(ctx, `title:"open`, 5); err == nil || toError(err).Code != "bad_input" {
		t.Fatalf("a malformed query: %v", err)
	}
	indexesSaved(t, a)
	// The sealed manifest of revision 1, for the rollback below.
	var rev1 []byte
	s.mu.Lock()
	s.tamper = func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if r.Method == "GET" && strings.HasSuffix(r.URL.Path, "/manifest") && rev1 == nil {
			rec := &recorder{header: http.Header{}}
			next.ServeHTTP(rec, r)
			rev1 = rec.body.Bytes()
			for k, v := range rec.header {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.code)
			w.Write(rev1)
			return true
		}
		return false
	}
	s.mu.Unlock()

	// Another browser (its own cache) loads the stored index.
	cache := &memCache{m: map[string][]byte{}}
	open := func() *API {
		b, err := New(Config{Server: s.url, KDF: kdf.TestParams, PollWait: 2 * time.Second, Cache: cache})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(b.Close)
		if _, err := b.Login(ctx, user, "correct horse", ""); err != nil {
			t.Fatal(err)
		}
		return b
	}
	b := open()
	if r, err := b.Search(ctx, "olives", 5); err != nil || len(r.Groups) != 1 || len(r.Rebuilt) != 0 {
		t.Fatalf("%+v %v", r, err)
	}
	if cache.keys("segment/"+user+"/io.hearth.notes/") == 0 || cache.keys("manifests/"+user) != 1 {
		t.Fatalf("the cache holds %v", cache.m)
	}
	// A new revision of the manifest, from the first browser.
	if _, err := a.Create(ctx, "io.hearth.notes", json.RawMessage(`{"title":"Saudade"}`)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // past the once-a-second update
	if r, err := a.Search(ctx, "saudade", 5); err != nil || len(r.Groups) != 1 {
		t.Fatalf("%+v %v", r, err)
	}
	indexesSaved(t, a)
	// The second browser, reloaded, sees revision 2 and keeps it.
	b2 := open()
	if r, err := b2.Search(ctx, "saudade", 5); err != nil || len(r.Groups) != 1 || len(r.Rebuilt) != 0 {
		t.Fatalf("%+v %v", r, err)
	}
	// Reloaded again, the host serves revision 1: refused, and rebuilt.
	s.mu.Lock()
	s.tamper = func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if r.Method == "GET" && strings.HasSuffix(r.URL.Path, "/manifest") {
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Header().Set("ETag", `"1"`)
			w.Header().Set("Hearth-Revision", "1")
			w.Write(rev1)
			return true
		}
		return false
	}
	s.mu.Unlock()
	b3 := open()
	r, err = b3.Search(ctx, "saudade", 5)
	if err != nil || len(r.Rebuilt) != 1 || !strings.Contains(r.Rebuilt[0].Reason, "integrity") || len(r.Groups) != 1 {
		t.Fatalf("a rolled back manifest: %+v %v", r, err)
	}
	t.Log(r.Rebuilt[0].Reason)
}

// recorder is an http.ResponseWriter that keeps the answer.
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = 200
	}
	return r.body.Write(b)
}
func (r *recorder) WriteHeader(c int) { r.code = c }

var _ io.Writer = (*recorder)(nil)

// TestSearchOpensInBundledApp: a search hit opens in the bundled app of
// its doctype, not in an app installed from an archive that also writes
// it (whatever its slug: "archive" comes before "notes"); with no bundled
// app, in one whose agreement includes reading the doctype, not one that
// may only write it.
func TestSearchOpensInBundledApp(t *testing.T) {
	s := newServer(t)
	home, _ := newAPI(t, s)
	signup(t, home)
	install := func(slug, doctype string, verbs string) {
		t.Helper()
		m := `{"hearth":1,"slug":"` + slug + `","name":"App ` + slug + `","version":"1.0.0",
 "permissions":[{"doctype":"` + doctype + `","verbs":[` + verbs + `],"reason":"Its data."}]}`
		files := []appmanifest.File{{Path: "hearth-app.json", Data: []byte(m)}, {Path: "index.html", Data: []byte("<!doctype html>")}}
		if _, err := home.AppOffer(ctx, files); err != nil {
			t.Fatal(err)
		}
		if _, err := home.InstallApp(ctx, slug); err != nil {
			t.Fatal(err)
		}
	}
	install("archive", "io.hearth.notes", `"read","write","delete"`)
	install("alpha", "org.example.clips", `"write"`)
	install("zeta", "org.example.clips", `"read","write"`)
	if _, err := home.Create(ctx, "io.hearth.notes", json.RawMessage(`{"title":"Lisbon"}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := home.Create(ctx, "org.example.clips", json.RawMessage(`{"title":"Lisbon clip"}`)); err != nil {
		t.Fatal(err)
	}
	r, err := home.Search(ctx, "lisbon", 5)
	if err != nil || len(r.Groups) != 2 {
		t.Fatalf("%+v %v", r, err)
	}
	got := map[string]string{}
	for _, g := range r.Groups {
		if g.App == nil {
			t.Fatalf("%s: no app", g.Doctype)
		}
		got[g.Doctype] = g.App.Slug
		if !strings.HasPrefix(g.Hits[0].URL, "http://"+g.App.Slug+".") {
			t.Errorf("%s: a hit opens at %s", g.Doctype, g.Hits[0].URL)
		}
	}
	if got["io.hearth.notes"] != "notes" || got["org.example.clips"] != "zeta" {
		t.Fatalf("hits open in %v, want notes in Notes and clips in zeta", got)
	}
}

// TestSearchTitles: a hit is named by its title, its name, or else the
// first line of its body without Markdown marks; a long one is cut at a
// character.
func TestSearchTitles(t *testing.T) {
	long := strings.Repeat("é", 150)
	for content, want := range map[string]string{
		`{"title":"Trip","body":"# Lisbon"}`:                   "Trip",
		`{"name":"Lou"}`:                                       "Lou",
		`{"name":{"full":"Zoë Ångström"}}`:                     "Zoë Ångström",
		`{"title":"","body":"\n\n## **Lisbon** trip\nmore"}`:   "Lisbon trip",
		`{"body":"` + "```" + `\ncode line\n` + "```" + `"}`:   "code line",
		`{"title":"` + long + `"}`:                             strings.Repeat("é", 100) + "…",
		`{"body":"- [ ] ` + strings.Repeat("word ", 30) + `"}`: strings.TrimSpace(strings.Repeat("word ", 16)) + "…",
		`[1,2]`: "",
	} {
		if got := titleOf([]byte(content)); got != want {
			t.Errorf("%s: %q, want %q", content, got, want)
		}
	}
}
