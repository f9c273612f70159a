//go:build hearthtest && !js

// The native half of the WebAssembly round trip: the server runs here (a
// wasm program cannot listen), the first device builds, seals and uploads
// the index, then this package's test binary, built for GOOS=js
// GOARCH=wasm, runs under Node as the second device
// (TestWasmSecondDevice, wasm_second_test.go).

package search_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hearthcloud/hearth/client/search"
)

// wasmSnippetQuery is the term whose snippets the second device checks.
const wasmSnippetQuery = "coast"

// TestWasmRoundTrip: an index built, sealed and uploaded by a native
// device is downloaded and loaded by a second device running under
// WebAssembly in Node, which gives the same hits and scores, exactly, for
// the query set, and the same snippets.
func TestWasmRoundTrip(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	if dl, ok := t.Deadline(); ok {
		ctx, cancel = context.WithDeadline(context.Background(), dl.Add(-10*time.Second))
	}
	defer cancel()
	dev := startWasmDevice(ctx, t)
	tmp := t.TempDir()

	// The first device: notes, the index built in three segments, saved.
	e := newEnv(t)
	const user, password = "wren", "correct horse"
	a := e.signup(user)
	writeNotes(t, a, sample())
	var stages []string
	sa, err := search.Open(ctx, a, notes, &search.Options{BatchDocs: 50, Progress: func(stage string, done, total int) {
		stages = append(stages, stage)
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer sa.Close()
	if sa.Rebuilt() != nil || !slices.Contains(stages, "index") {
		t.Fatalf("first device: rebuilt %v, stages %v", sa.Rebuilt(), stages)
	}
	if err := sa.Save(ctx); err != nil {
		t.Fatal(err)
	}
	m := storedManifest(t, a, notes)
	if len(m.Segments) != 3 || m.Docs != 120 {
		t.Fatalf("manifest: %d segments, %d documents", len(m.Segments), m.Docs)
	}

	want := wasmExpect{Doctype: notes, Docs: m.Docs, Segments: len(m.Segments)}
	for i, ans := range run(t, sa) {
		if len(ans.ids) == 0 {
			t.Fatalf("%q finds nothing natively", queries[i].Text)
		}
		want.Cases = append(want.Cases, wasmCase{Text: queries[i].Text, SortBy: queries[i].SortBy, IDs: ans.ids, Scores: ans.scores, Total: ans.total})
	}
	r, err := sa.Search(ctx, search.Query{Text: wasmSnippetQuery})
	if err != nil || len(r.Found) == 0 {
		t.Fatalf("%s: %+v %v", wasmSnippetQuery, r, err)
	}
	for _, f := range r.Found {
		if f.Snippet == nil {
			t.Fatalf("%s: %s natively has no snippet", wasmSnippetQuery, f.ID)
		}
		want.Snippets = append(want.Snippets, wasmSnippet{Query: wasmSnippetQuery, ID: f.ID, Snippet: f.Snippet})
	}
	js, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	expect := filepath.Join(tmp, "expect.json")
	if err := os.WriteFile(expect, js, 0o600); err != nil {
		t.Fatal(err)
	}

	// The second device, under Node.
	e.mu.Lock()
	before := len(e.reqs)
	e.mu.Unlock()
	dev.run("TestWasmSecondDevice",
		wasmEnvServer+"="+e.url, wasmEnvUser+"="+user, wasmEnvPassword+"="+password, wasmEnvExpect+"="+expect)

	// The server saw the second device log in and download the manifest and
	// every segment, and store nothing.
	e.mu.Lock()
	reqs := slices.Clone(e.reqs[before:])
	e.mu.Unlock()
	var login, manifest, segs int
	for _, l := range reqs {
		switch {
		case strings.HasPrefix(l, "POST ") && strings.Contains(l, "login"):
			login++
		case l == "GET /v1/index/"+notes+"/manifest":
			manifest++
		case strings.HasPrefix(l, "GET /v1/index/"+notes+"/segments/"):
			segs++
		case strings.HasPrefix(l, "PUT ") || strings.HasPrefix(l, "DELETE "):
			t.Errorf("the second device changed something: %s", l)
		}
	}
	if login == 0 || manifest != 1 || segs != len(m.Segments) {
		t.Errorf("the server saw %d login, %d manifest and %d segment requests from the wasm device: %v", login, manifest, segs, reqs)
	}
}
