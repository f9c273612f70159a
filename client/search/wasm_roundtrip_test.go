//go:build hearthtest && !js

// The native half of the WebAssembly round trip: the server runs here (a
// wasm program cannot listen), the first device builds, seals and uploads
// the index, then this package's test binary, built for GOOS=js
// GOARCH=wasm, runs under Node as the second device
// (TestWasmSecondDevice, wasm_second_test.go).

package search_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
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
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed (make test installs it): cannot run the wasm second device")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is not on PATH (go test puts GOROOT/bin there): %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	if dl, ok := t.Deadline(); ok {
		ctx, cancel = context.WithDeadline(context.Background(), dl.Add(-10*time.Second))
	}
	defer cancel()

	// Building the wasm test binary is the slow part: start it first.
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "search.wasm")
	type built struct {
		out []byte
		err error
		d   time.Duration
	}
	buildDone := make(chan built, 1)
	go func() {
		start := time.Now()
		// The working directory of a test is its package's folder.
		cmd := exec.CommandContext(ctx, gobin, "test", "-c", "-tags", "hearthtest", "-o", bin, ".")
		cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
		out, err := cmd.CombinedOutput()
		buildDone <- built{out, err, time.Since(start)}
	}()
	goroot, err := exec.CommandContext(ctx, gobin, "env", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env GOROOT: %v", err)
	}
	var execJS string
	for _, d := range []string{"lib/wasm", "misc/wasm"} { // misc/wasm before Go 1.24
		p := filepath.Join(strings.TrimSpace(string(goroot)), d, "wasm_exec_node.js")
		if _, err := os.Stat(p); err == nil {
			execJS = p
			break
		}
	}
	if execJS == "" {
		t.Fatalf("no wasm_exec_node.js under %s", goroot)
	}

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

	b := <-buildDone
	if b.err != nil {
		t.Fatalf("building the wasm test binary (GOOS=js GOARCH=wasm go test -c -tags hearthtest ./client/search/): %v\n%s", b.err, b.out)
	}
	t.Logf("wasm test binary built in %v", b.d.Round(time.Millisecond))

	// The second device, under Node. A small environment: the variables
	// above and what Node needs, well under wasm_exec.js's limit.
	e.mu.Lock()
	before := len(e.reqs)
	e.mu.Unlock()
	start := time.Now()
	cmd := exec.CommandContext(ctx, node, "--stack-size=8192", execJS, bin,
		"-test.run=^TestWasmSecondDevice$", "-test.v", "-test.count=1")
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.Getenv("HOME"),
		"TMPDIR=" + tmp,
		wasmEnvServer + "=" + e.url,
		wasmEnvUser + "=" + user,
		wasmEnvPassword + "=" + password,
		wasmEnvExpect + "=" + expect,
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	for _, l := range strings.Split(strings.TrimRight(out.String(), "\n"), "\n") {
		t.Log("wasm: " + l)
	}
	if err != nil {
		t.Fatalf("the wasm second device failed (%v): see its output above", err)
	}
	if !strings.Contains(out.String(), "--- PASS: TestWasmSecondDevice") {
		t.Fatal("TestWasmSecondDevice did not pass under wasm (skipped, or not run): see its output above")
	}
	t.Logf("wasm second device ran in %v", time.Since(start).Round(time.Millisecond))

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
