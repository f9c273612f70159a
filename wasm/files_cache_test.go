//go:build hearthtest

package wasm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hearthcloud/hearth/client"
)

// docReads records the requests for documents (listings and reads) the
// server gets, but the changes feed's.
type docReads struct {
	mu   sync.Mutex
	seen []string
}

func (d *docReads) watch(s *server) {
	s.mu.Lock()
	s.tamper = func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if strings.HasPrefix(r.URL.Path, "/v1/docs/") && r.Method != http.MethodPut && r.Method != http.MethodDelete {
			d.mu.Lock()
			d.seen = append(d.seen, r.Method+" "+r.URL.Path)
			d.mu.Unlock()
		}
		return false
	}
	s.mu.Unlock()
}

func (d *docReads) take() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := d.seen
	d.seen = nil
	return out
}

// treeNames is the names of a filesTree's items, sorted, "name@parentName".
func treeNames(t *testing.T, a *API) []string {
	t.Helper()
	r, err := a.FilesTree(ctx)
	if err != nil {
		t.Fatal(err)
	}
	name := map[string]string{"": ""}
	for _, it := range r.Items {
		name[it.ID] = it.Name
	}
	var out []string
	for _, it := range r.Items {
		out = append(out, it.Name+"@"+name[it.Parent])
	}
	slices.Sort(out)
	return out
}

func TestFilesFromFeed(t *testing.T) {
	s := newServer(t)
	home, _ := newAPI(t, s)
	user, _ := signup(t, home)
	folder, err := home.FilesMkdir(ctx, "", "Many")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := range 40 {
		doc := fmt.Sprintf(`{"kind":"file","name":"f%02d.txt","parent":%q,"blob":"b%02d","digest":"%s","size":99,"length":%d}`,
			i, folder.ID, i, strings.Repeat("A", 43)+"=", i)
		if _, err := home.Create(ctx, client.FilesDoctype, json.RawMessage(doc)); err != nil {
			t.Fatal(err)
		}
		want = append(want, fmt.Sprintf("f%02d.txt@Many", i))
	}
	want = append(want, "Many@")
	slices.Sort(want)

	// The first visit: the feed brings every document, and the listing
	// reads none of them again.
	app, appEv := newAPI(t, s)
	connectSlug(t, s, home, app, "files", user, false)
	var reads docReads
	reads.watch(s)
	if got := treeNames(t, app); !slices.Equal(got, want) {
		t.Fatalf("first listing:\n got %v\nwant %v", got, want)
	}
	if r := reads.take(); len(r) != 0 {
		t.Fatalf("the first listing read documents the feed brought: %v", r)
	}
	// What the app writes counts at once, before the feed brings it back:
	// a folder made, and a folder made in it.
	sub, err := app.FilesMkdir(ctx, "", "Sub")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.FilesMkdir(ctx, sub.ID, "Inner"); err != nil {
		t.Fatalf("a folder in a folder just made: %v", err)
	}
	want = append(want, "Sub@", "Inner@Sub")
	slices.Sort(want)
	if got := treeNames(t, app); !slices.Equal(got, want) {
		t.Fatalf("after writes:\n got %v\nwant %v", got, want)
	}
	// Another device's deletion reaches the listing through the feed.
	r0, _ := app.FilesTree(ctx)
	var gone string
	for _, it := range r0.Items {
		if it.Name == "f07.txt" {
			gone = it.ID
		}
	}
	if err := home.Delete(ctx, client.FilesDoctype, gone); err != nil {
		t.Fatal(err)
	}
	want = slices.DeleteFunc(want, func(s string) bool { return s == "f07.txt@Many" })
	waitTree(t, app, want)

	// A reload: the state and the pages the app gave; the listing reads no
	// document.
	state, pages := appEv.lastState(), appEv.pages()
	if len(pages) == 0 {
		t.Fatal("no page of the documents cache was given")
	}
	app.Close()
	again, _ := newAPI(t, s)
	if r, err := again.Resume(state, pages...); err != nil || !r.Restored {
		t.Fatal(r, err)
	}
	reads.take()
	if got := treeNames(t, again); !slices.Equal(got, want) {
		t.Fatalf("after a reload:\n got %v\nwant %v", got, want)
	}
	if r := reads.take(); len(r) != 0 {
		t.Fatalf("a reload's listing read documents again: %v", r)
	}
}

// waitTree waits for a's listing to be want.
func waitTree(t *testing.T, a *API, want []string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := treeNames(t, a)
		if slices.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("listing:\n got %v\nwant %v", got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestFilesCacheStalePages: a page of the documents cache is taken only
// where it holds the revision the state says this browser verified; the
// rest is read again, and pages of another account, or malformed, are
// left out.
func TestFilesCacheStalePages(t *testing.T) {
	s := newServer(t)
	home, _ := newAPI(t, s)
	user, _ := signup(t, home)
	for i := range 20 {
		if _, err := home.FilesMkdir(ctx, "", fmt.Sprintf("d%02d", i)); err != nil {
			t.Fatal(err)
		}
	}
	app, appEv := newAPI(t, s)
	connectSlug(t, s, home, app, "files", user, false)
	before := treeNames(t, app)
	oldPages := appEv.pages()
	// A rename by the app itself: in memory at once, so in the next pages.
	r, _ := app.FilesTree(ctx)
	var d03 string
	for _, it := range r.Items {
		if it.Name == "d03" {
			d03 = it.ID
		}
	}
	if err := app.FilesRename(ctx, d03, "renamed"); err != nil {
		t.Fatal(err)
	}
	want := treeNames(t, app)
	if slices.Equal(want, before) {
		t.Fatal("the rename is not listed")
	}
	state := appEv.lastState()
	app.Close()

	var reads docReads
	reads.watch(s)
	resume := func(pages ...[]byte) *API {
		t.Helper()
		a, _ := newAPI(t, s)
		if r, err := a.Resume(state, pages...); err != nil || !r.Restored {
			t.Fatal(r, err)
		}
		reads.take()
		if got := treeNames(t, a); !slices.Equal(got, want) {
			t.Fatalf("listing:\n got %v\nwant %v", got, want)
		}
		return a
	}
	// The pages given before the rename: its document is read again (or
	// comes with the feed, had the state been saved before the feed
	// brought the rename back), the others are not.
	resume(oldPages...)
	if r := reads.take(); len(r) > 1 || len(r) == 1 && !strings.Contains(r[0], "_bulk_get") {
		t.Fatalf("with pages older than the state: %v, want at most one bulk read", r)
	}
	// Pages of another account, and garbage: all read again.
	var foreign [][]byte
	for _, p := range oldPages {
		pg, err := decodePage(p)
		if err != nil {
			t.Fatal(err)
		}
		if again := encodePage(pg); !bytes.Equal(again, p) {
			t.Fatal("a page decoded and encoded again differs")
		}
		pg.user = "someone-else"
		foreign = append(foreign, encodePage(pg), []byte("hearth-docs-1\ngarbage"))
	}
	resume(foreign...)
	if r := reads.take(); len(r) != 1 || !strings.Contains(r[0], "_bulk_get") {
		t.Fatalf("with foreign pages: %v, want one bulk read of them all", r)
	}
}

func FuzzDecodePage(f *testing.F) {
	f.Add(encodePage(page{server: "http://h", user: "u", doctype: client.FilesDoctype, n: 3,
		docs: []cachedDoc{{ID: "a", Rev: 2, Value: []byte(`{"kind":"folder","name":"x"}`)}, {ID: "b", Rev: 3}}}))
	f.Add([]byte(pageMagic))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := decodePage(b)
		if err != nil {
			return
		}
		if p.n < 0 || p.n >= pageBuckets {
			t.Fatalf("page number %d", p.n)
		}
		again, err := decodePage(encodePage(p))
		if err != nil || !reflect.DeepEqual(again, p) {
			t.Fatalf("decoded, encoded and decoded again: %+v (%v), was %+v", again, err, p)
		}
	})
}

// TestTakePages: a page's document is taken at the revision the state
// remembers only; a doctype is loaded when the pages hold every document
// the state remembers; pages of another server or user are left out.
func TestTakePages(t *testing.T) {
	const dt = client.FilesDoctype
	pg := func(server, user string, docs ...cachedDoc) [][]byte {
		byN := map[int][]cachedDoc{}
		for _, d := range docs {
			byN[pageOf(d.ID)] = append(byN[pageOf(d.ID)], d)
		}
		var out [][]byte
		for n, ds := range byN {
			out = append(out, encodePage(page{server: server, user: user, doctype: dt, n: n, docs: ds}))
		}
		return out
	}
	v := []byte(`{"kind":"folder","name":"x"}`)
	known := map[string]uint64{"a": 2, "b": 3, "c": 1}
	for _, c := range []struct {
		name   string
		pages  [][]byte
		took   map[string]uint64 // id → rev taken (0: a deletion)
		loaded bool
	}{
		{"all current", pg("http://h", "u", cachedDoc{ID: "a", Rev: 2, Value: v}, cachedDoc{ID: "b", Rev: 3}, cachedDoc{ID: "c", Rev: 1, Value: v}), map[string]uint64{"a": 2, "b": 3, "c": 1}, true},
		{"one older, one newer", pg("http://h", "u", cachedDoc{ID: "a", Rev: 1, Value: v}, cachedDoc{ID: "b", Rev: 3}, cachedDoc{ID: "c", Rev: 2, Value: v}), map[string]uint64{"b": 3}, false},
		{"one missing, one unknown", pg("http://h", "u", cachedDoc{ID: "a", Rev: 2, Value: v}, cachedDoc{ID: "z", Rev: 1, Value: v}), map[string]uint64{"a": 2}, false},
		{"another user", pg("http://h", "v", cachedDoc{ID: "a", Rev: 2, Value: v}), map[string]uint64{}, false},
		{"another server", pg("http://x", "u", cachedDoc{ID: "a", Rev: 2, Value: v}), map[string]uint64{}, false},
		{"garbage", [][]byte{[]byte("hearth-docs-1\n\x05"), nil}, map[string]uint64{}, false},
	} {
		a := &API{server: "http://h", live: map[string]map[string]*entry{}, loaded: map[string]bool{}}
		a.takePagesLocked(c.pages, "u", func(string) map[string]uint64 { return known })
		got := map[string]uint64{}
		for id, e := range a.live[dt] {
			got[id] = e.rev
			if e.deleted != (e.value == nil) || id == "b" && !e.deleted {
				t.Errorf("%s: %s deleted %v, value %q", c.name, id, e.deleted, e.value)
			}
		}
		if !maps.Equal(got, c.took) || a.loaded[dt] != c.loaded {
			t.Errorf("%s: took %v (loaded %v), want %v (%v)", c.name, got, a.loaded[dt], c.took, c.loaded)
		}
	}
}

// TestPageOf: pageOf is FNV-1a, as the spec says (web.md §4).
func TestPageOf(t *testing.T) {
	for _, id := range []string{"", "a", "settings", "a7kq3mfx2wnbgyqrsl5vtd6c4e"} {
		h := fnv.New32a()
		h.Write([]byte(id))
		if got, want := pageOf(id), int(h.Sum32()%pageBuckets); got != want {
			t.Errorf("pageOf(%q) = %d, want %d", id, got, want)
		}
	}
}
