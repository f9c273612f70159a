//go:build hearthtest && js

// The WebAssembly half of the round trip: TestWasmRoundTrip
// (wasm_roundtrip_test.go, native) runs the server and the first device,
// then this test, under Node, as the second device. Without the server's
// address in its environment (plain `make test-wasm`) it skips.

package search_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/client/search"
	"github.com/hearthcloud/hearth/crypto/kdf"
)

// TestWasmSecondDevice logs in as a second device, loads the index the
// native first device stored (no document indexed again) and checks that
// it answers the query set with exactly the native ids, scores and totals,
// and the same snippets.
func TestWasmSecondDevice(t *testing.T) {
	url := os.Getenv(wasmEnvServer)
	if url == "" {
		t.Skip(wasmEnvServer + " not set: this test is run by TestWasmRoundTrip (native)")
	}
	defer kdf.LowerFloorForTesting()() // the account uses kdf.TestParams
	b, err := os.ReadFile(os.Getenv(wasmEnvExpect))
	if err != nil {
		t.Fatal(err)
	}
	var want wasmExpect
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	if len(want.Cases) == 0 || len(want.Snippets) == 0 {
		t.Fatalf("nothing to check in %s", b)
	}
	ctx := context.Background()
	c, err := client.Login(ctx, url, os.Getenv(wasmEnvUser), os.Getenv(wasmEnvPassword), "",
		&client.Options{KDF: kdf.TestParams, Device: "wasm"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CatchUp(ctx); err != nil { // a device reads the history before it writes
		t.Fatal(err)
	}
	var stages []string
	s, err := search.Open(ctx, c, want.Doctype, &search.Options{Progress: func(stage string, done, total int) {
		stages = append(stages, stage)
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Rebuilt() != nil || slices.Contains(stages, "index") || !slices.Contains(stages, "download") {
		t.Fatalf("the stored index was not loaded: rebuilt %v, stages %v", s.Rebuilt(), stages)
	}
	if n, err := s.Count(); err != nil || n != want.Docs {
		t.Fatalf("%d documents (%v), the native index has %d", n, err, want.Docs)
	}

	hits := 0
	for _, wc := range want.Cases {
		r, err := s.Search(ctx, search.Query{Text: wc.Text, SortBy: wc.SortBy})
		if err != nil {
			t.Errorf("%q: %v", wc.Text, err)
			continue
		}
		var ids []string
		var scores []float64
		for _, f := range r.Found {
			ids = append(ids, f.ID)
			scores = append(scores, f.Score)
		}
		hits += len(ids)
		if !slices.Equal(ids, wc.IDs) || !slices.Equal(scores, wc.Scores) || r.Total != wc.Total {
			t.Errorf("%q %v: not the native answer (total native %d, wasm %d):\n%s", wc.Text, wc.SortBy, wc.Total, r.Total, diffHits(wc.IDs, wc.Scores, ids, scores))
		}
	}

	// Snippets: the same as natively, marking the term.
	q := want.Snippets[0].Query
	r, err := s.Search(ctx, search.Query{Text: q})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Found) != len(want.Snippets) {
		t.Errorf("%q: %d hits, natively %d", q, len(r.Found), len(want.Snippets))
	}
	for i, f := range r.Found[:min(len(r.Found), len(want.Snippets))] {
		w := want.Snippets[i]
		sn := f.Snippet
		if f.ID != w.ID || sn == nil || sn.Field != w.Snippet.Field || sn.Text != w.Snippet.Text ||
			!slices.Equal(sn.Marks, w.Snippet.Marks) || sn.CutStart != w.Snippet.CutStart || sn.CutEnd != w.Snippet.CutEnd {
			t.Errorf("%q hit %d: wasm %s %+v, native %s %+v", q, i, f.ID, sn, w.ID, w.Snippet)
			continue
		}
		if len(sn.Marks) == 0 {
			t.Errorf("%q: %s: no word marked in %q", q, f.ID, sn.Text)
		}
		for _, m := range sn.Marks {
			if m[0] < 0 || m[0] > m[1] || m[1] > len(sn.Text) || !strings.EqualFold(sn.Text[m[0]:m[1]], q) {
				t.Errorf("%q: %s: mark %v in %q", q, f.ID, m, sn.Text)
			}
		}
	}
	if !t.Failed() {
		msg := fmt.Sprintf("%s/%s second device: loaded %d documents from %d segments without indexing; %d queries, %d hits with the native ids and scores; %d snippets the same",
			runtime.GOOS, runtime.GOARCH, want.Docs, want.Segments, len(want.Cases), hits, len(r.Found))
		t.Log(msg)
		fmt.Println("wasm round trip:", msg)
	}
}

// diffHits lists two answers side by side, marking the rows that differ;
// scores in full precision.
func diffHits(wantIDs []string, wantScores []float64, ids []string, scores []float64) string {
	var sb strings.Builder
	row := func(ids []string, scores []float64, i int) string {
		if i >= len(ids) {
			return "-"
		}
		return ids[i] + " " + strconv.FormatFloat(scores[i], 'g', -1, 64)
	}
	for i := range max(len(wantIDs), len(ids)) {
		n, w := row(wantIDs, wantScores, i), row(ids, scores, i)
		mark := " "
		if n != w {
			mark = "!"
		}
		fmt.Fprintf(&sb, "%s %2d native %-32s wasm %s\n", mark, i, n, w)
	}
	return sb.String()
}
