//go:build hearthtest && js

// The WebAssembly half of BenchmarkWasmReseal (reseal_bench_test.go,
// native): the device that revoked the app, resumed from its state, seals
// every note again with the new key generation, timed. Without the state
// file in its environment it skips.

package resealbench_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/hearthcloud/hearth/client"
)

// TestWasmResealDevice runs client.Reseal (again while it answers
// ErrResealPending, at most three more times, as an app writing meanwhile
// can make it) and prints one WASMRESEAL line: the wall clock at the start
// and the end (Unix milliseconds, for the native side to tell which app
// operations ran during it), the time, the passes, and the documents
// examined.
func TestWasmResealDevice(t *testing.T) {
	defer client.SetResealSettleForTesting(0)()
	path := os.Getenv(envState)
	if path == "" {
		t.Skip(envState + " not set: this test is run by BenchmarkWasmReseal (native)")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var st client.State
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	c, err := client.Resume(&st, &client.Options{Device: "wasm-reseal"})
	if err != nil {
		t.Fatal(err)
	}
	doctype := os.Getenv(envDoctype)
	ctx := context.Background()
	// The keyring is fetched and opened outside the timing, as a device
	// that has been running has it already.
	if p, err := c.PendingReseal(ctx); err != nil || len(p) != 1 || p[0] != doctype {
		t.Fatalf("pending re-seal: %v, %v", p, err)
	}
	runtime.GC()

	var done, total, calls int
	progress := func(d, tt int) { done, total, calls = d, tt, calls+1 }
	start := time.Now()
	attempts := 0
	for {
		attempts++
		err = c.Reseal(ctx, doctype, progress)
		if !errors.Is(err, client.ErrResealPending) || attempts > 3 {
			break
		}
	}
	end := time.Now()
	if err != nil {
		t.Fatal(err)
	}
	if p, err := c.PendingReseal(ctx); err != nil || len(p) != 0 {
		t.Fatalf("still pending after the re-seal: %v, %v", p, err)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("WASMRESEAL start_unix_ms=%d end_unix_ms=%d reseal_ms=%.1f attempts=%d examined=%d total=%d progress_calls=%d heap_MiB=%.1f\n",
		start.UnixMilli(), end.UnixMilli(), float64(end.Sub(start).Microseconds())/1e3, attempts, done, total, calls,
		float64(ms.HeapInuse)/(1<<20))
}
