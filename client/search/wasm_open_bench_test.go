//go:build hearthtest && !js

// BenchmarkWasmOpen: opening the index on a new device under WebAssembly
// (download from a local server, decrypt, decompress, load), for the
// issue's "under 3 s in wasm" at 100,000 notes. The server and the first
// device run here; this package's test binary, built for GOOS=js
// GOARCH=wasm, runs under Node as the new device
// (TestWasmOpenSecondDevice, wasm_open_second_test.go) and prints its
// timings, reported here as metrics. It is heavy (minutes: the notes are
// written and indexed natively first), so it runs only when asked:
//
//	HEARTH_BENCH_DOCS=100000 go test -tags hearthtest ./client/search/ \
//	    -run '^$' -bench BenchmarkWasmOpen -benchtime 1x -timeout 30m -v
//
// (HEARTH_BENCH_DOCS, 100,000 by default, or HEARTH_BENCH_WASM_OPEN=1.)

package search_test

import (
	"context"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/client/search"
	"github.com/hearthcloud/hearth/internal/searchbench"
	"github.com/hearthcloud/hearth/internal/wasmdevice"
	"github.com/hearthcloud/hearth/server"
	"github.com/hearthcloud/hearth/server/auth"
)

func BenchmarkWasmOpen(b *testing.B) {
	docsEnv := os.Getenv("HEARTH_BENCH_DOCS")
	if docsEnv == "" && os.Getenv("HEARTH_BENCH_WASM_OPEN") == "" {
		b.Skip("heavy: set HEARTH_BENCH_DOCS (or HEARTH_BENCH_WASM_OPEN=1 for 100,000 notes) to run it")
	}
	n := 100_000
	if docsEnv != "" {
		v, err := strconv.Atoi(docsEnv)
		if err != nil || v <= 0 {
			b.Fatalf("HEARTH_BENCH_DOCS=%q: not a positive count", docsEnv)
		}
		n = v
	}
	b.StopTimer()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	// The wasm test binary builds while the notes are written and indexed.
	dev := startWasmDevice(ctx, b)

	// The server: as newEnv does, without the request log.
	dir := b.TempDir()
	srv, err := server.Open(context.Background(), server.Config{Dir: dir, Hash: auth.HashParams{Memory: 64, Time: 1, Threads: 1}})
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(srv.API)
	defer func() { ts.Close(); srv.Close() }()

	// The first device: the notes, written a chunk at a time, indexed and
	// saved.
	const user, password = "wren", "correct horse"
	c, _, err := client.Signup(ctx, ts.URL, user, password, opts)
	if err != nil {
		b.Fatal(err)
	}
	corpus := searchbench.New(1)
	t0 := time.Now()
	all := corpus.Notes(n)
	var raw int64
	const chunk = 5_000
	for i := 0; i < n; i += chunk {
		items := make([]client.Item, 0, chunk)
		for _, nt := range all[i:min(i+chunk, n)] {
			items = append(items, client.Item{ID: nt.ID, Content: nt.Content})
			raw += int64(len(nt.Content))
		}
		res, err := c.PutMany(ctx, notes, items)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range res {
			if r.Err != nil {
				b.Fatal(r.Err)
			}
		}
	}
	all = nil
	b.Logf("%d notes (%.1f MiB) written in %v", n, float64(raw)/(1<<20), time.Since(t0).Round(time.Millisecond))
	t0 = time.Now()
	s, err := search.Open(ctx, c, notes, nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Save(ctx); err != nil {
		b.Fatal(err)
	}
	s.Close()
	content, _, err := c.GetManifest(ctx, notes)
	if err != nil {
		b.Fatal(err)
	}
	m, err := search.ParseManifest(content)
	if err != nil {
		b.Fatal(err)
	}
	var sealed int64
	for _, ms := range m.Segments {
		sealed += ms.Size
	}
	if m.Docs != uint64(n) {
		b.Fatalf("the stored manifest has %d documents, not %d", m.Docs, n)
	}
	b.Logf("indexed and saved natively in %v: %d segments, %.1f MiB sealed, manifest %d bytes",
		time.Since(t0).Round(time.Millisecond), len(m.Segments), float64(sealed)/(1<<20), len(content))

	// The new device, under Node, once per iteration (-benchtime 1x: once).
	metrics := map[string]float64{}
	for range b.N {
		out := dev.run("TestWasmOpenSecondDevice",
			wasmOpenEnvServer+"="+ts.URL, wasmOpenEnvUser+"="+user, wasmOpenEnvPassword+"="+password,
			wasmOpenEnvDocs+"="+strconv.Itoa(n), wasmOpenEnvQuery+"="+corpus.Word(1000))
		got := parseWasmOpen(out)
		if got == nil {
			b.Fatal("no WASMOPEN line in the wasm device's output")
		}
		for k, v := range got {
			metrics[k] += v / float64(b.N)
		}
	}
	for _, k := range []string{"open_ms", "manifest_ms", "download_ms", "load_ms", "catchup_ms", "first_query_ms", "heap_MiB"} {
		if v, ok := metrics[k]; ok {
			b.ReportMetric(v, k)
		}
	}
	b.ReportMetric(float64(sealed)/(1<<20), "sealed_MiB")
	b.ReportMetric(float64(len(m.Segments)), "segments")
	b.ReportMetric(float64(n), "docs")
	b.ReportMetric(0, "ns/op") // the wall time here is mostly setup: see open_ms
}

// parseWasmOpen returns the key=value numbers of the WASMOPEN line in out,
// or nil.
func parseWasmOpen(out string) map[string]float64 {
	return wasmdevice.ParseLine(out, "WASMOPEN")
}
