//go:build hearthtest && js

// The WebAssembly half of BenchmarkWasmOpen (wasm_open_bench_test.go,
// native): a new device logs in, then opens the index the native device
// stored (download, decrypt, decompress, load), timed. Without the
// server's address in its environment it skips.

package search_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"syscall/js"
	"testing"
	"time"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/client/jspromise"
	"github.com/hearthcloud/hearth/client/search"
	"github.com/hearthcloud/hearth/crypto/kdf"
)

// TestWasmOpenSecondDevice times search.Open on a new device under
// WebAssembly: from the call to its return (manifest, download and
// decryption of every segment, decompression and loading, catching up
// with the changes feed), the login (Argon2id) outside. It prints one
// WASMOPEN line the native benchmark parses.
func TestWasmOpenSecondDevice(t *testing.T) {
	url := os.Getenv(wasmOpenEnvServer)
	if url == "" {
		t.Skip(wasmOpenEnvServer + " not set: this test is run by BenchmarkWasmOpen (native)")
	}
	defer kdf.LowerFloorForTesting()() // the account uses kdf.TestParams
	docs, err := strconv.ParseUint(os.Getenv(wasmOpenEnvDocs), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c, err := client.Login(ctx, url, os.Getenv(wasmOpenEnvUser), os.Getenv(wasmOpenEnvPassword), "",
		&client.Options{KDF: kdf.TestParams, Device: "wasm-open"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CatchUp(ctx); err != nil { // a device reads the history before it writes
		t.Fatal(err)
	}
	runtime.GC()

	// The time of each Progress call: download i is announced before
	// GetSegment (fetch, length and digest check, decryption), load i
	// before decompression and loading.
	type mark struct {
		stage string
		i     int
		at    time.Time
	}
	var marks []mark
	start := time.Now()
	s, err := search.Open(ctx, c, "io.hearth.notes", &search.Options{Progress: func(stage string, done, total int) {
		marks = append(marks, mark{stage, done, time.Now()})
	}})
	end := time.Now()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	var stages []string
	for _, m := range marks {
		stages = append(stages, m.stage)
	}
	if s.Rebuilt() != nil || slices.Contains(stages, "index") || !slices.Contains(stages, "download") {
		t.Fatalf("the stored index was not loaded: rebuilt %v, stages %v", s.Rebuilt(), slices.Compact(stages))
	}
	// Split: manifest (start to the first download), download+decrypt
	// (download i to load i), decompress+load (load i to the next download,
	// or to the last load mark), catch-up (the last mark to the return).
	var download, load time.Duration
	segs := 0
	for k, m := range marks {
		if k+1 >= len(marks) {
			break
		}
		d := marks[k+1].at.Sub(m.at)
		switch m.stage {
		case "download":
			download += d
			segs++
		case "load":
			load += d
		}
	}
	manifest := marks[0].at.Sub(start)
	catchUp := end.Sub(marks[len(marks)-1].at)
	open := end.Sub(start)

	n, err := s.Count()
	if err != nil || n != docs {
		t.Fatalf("%d documents (%v), the native index has %d", n, err, docs)
	}

	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)

	q := os.Getenv(wasmOpenEnvQuery)
	t0 := time.Now()
	r, err := s.Search(ctx, search.Query{Text: q})
	firstQuery := time.Since(t0)
	if err != nil {
		t.Fatal(err)
	}
	if r.Total == 0 {
		t.Fatalf("%q finds nothing", q)
	}
	t0 = time.Now()
	if _, err := s.Search(ctx, search.Query{Text: q}); err != nil {
		t.Fatal(err)
	}
	secondQuery := time.Since(t0)

	msf := func(d time.Duration) string {
		return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64)
	}
	line := fmt.Sprintf("WASMOPEN docs=%d segments=%d open_ms=%s manifest_ms=%s download_ms=%s load_ms=%s catchup_ms=%s first_query_ms=%s second_query_ms=%s hits=%d heap_MiB=%.1f sys_MiB=%.1f",
		n, segs, msf(open), msf(manifest), msf(download), msf(load), msf(catchUp), msf(firstQuery), msf(secondQuery), r.Total,
		float64(ms.HeapInuse)/(1<<20), float64(ms.Sys)/(1<<20))
	fmt.Println(line)
	t.Logf("%s/%s: %s", runtime.GOOS, runtime.GOARCH, line)

	// Outside the measure, where the download time goes: each segment
	// again with GetSegment (fetch streamed into Go, length and SHA-256
	// checked, decrypted), fetched whole by JavaScript and copied into Go
	// once (the transport alone), and SHA-256 over what was fetched.
	content, _, err := c.GetManifest(ctx, "io.hearth.notes")
	if err != nil {
		t.Fatal(err)
	}
	man, err := search.ParseManifest(content)
	if err != nil {
		t.Fatal(err)
	}
	var get, fetch, sum time.Duration
	var bytes int64
	for _, ms := range man.Segments {
		t0 := time.Now()
		if _, err := c.GetSegment(ctx, "io.hearth.notes", search.SegmentFormat, client.SegmentRef{ID: ms.ID, Size: ms.Size, Digest: ms.Digest}); err != nil {
			t.Fatal(err)
		}
		get += time.Since(t0)

		t0 = time.Now()
		h := js.Global().Get("Headers").New()
		h.Call("append", "Authorization", "Bearer "+c.State().Token)
		opt := js.Global().Get("Object").New()
		opt.Set("headers", h)
		res, rejected := jspromise.Await(js.Global().Call("fetch", c.State().Server+"/v1/index/io.hearth.notes/segments/"+ms.ID, opt))
		if rejected || res.Get("status").Int() != 200 {
			t.Fatalf("fetch %s: %v", ms.ID, jspromise.Message(res))
		}
		ab, rejected := jspromise.Await(res.Call("arrayBuffer"))
		if rejected {
			t.Fatalf("fetch %s: %v", ms.ID, jspromise.Message(ab))
		}
		u8 := js.Global().Get("Uint8Array").New(ab)
		buf := make([]byte, u8.Get("length").Int())
		js.CopyBytesToGo(buf, u8)
		fetch += time.Since(t0)
		bytes += int64(len(buf))

		t0 = time.Now()
		sha256.Sum256(buf)
		sum += time.Since(t0)
	}
	diag := fmt.Sprintf("WASMOPENDIAG again_getsegment_ms=%s js_fetch_whole_ms=%s sha256_ms=%s bytes=%d",
		msf(get), msf(fetch), msf(sum), bytes)
	fmt.Println(diag)
}
