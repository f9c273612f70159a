//go:build hearthtest

package client_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/server"
	"github.com/hearthcloud/hearth/server/auth"
)

// heapPeak samples the heap while it runs and reports its highest value.
type heapPeak struct {
	stop chan struct{}
	done chan uint64
}

func watchHeap() *heapPeak {
	runtime.GC()
	h := &heapPeak{stop: make(chan struct{}), done: make(chan uint64)}
	go func() {
		var peak uint64
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapAlloc)
			select {
			case <-h.stop:
				h.done <- peak
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	return h
}

func (h *heapPeak) end() uint64 { close(h.stop); return <-h.done }

// TestSixtyLargeDocumentsSync: an account of 60 documents of 1 MB each
// (sealed 1,015,885 bytes: 80 MiB of feed as base64, more than two pages'
// worth) lists, reads in bulk and syncs on a second device, natively
// through the client library against the real server on loopback (SQLite
// and blob files in a temporary folder). The feed comes in pages of at most
// 32 MiB (§8.6.1), bulk reads in answers of at most 32 MiB (§8.5.4), and
// the client follows more and too_large to the end. The heap's peak during
// the sync (server and client, one process) is logged, not asserted.
func TestSixtyLargeDocumentsSync(t *testing.T) {
	ctx := context.Background()
	s, err := server.Open(ctx, server.Config{Dir: t.TempDir(), Hash: auth.HashParams{Memory: 64, Time: 1, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	var feedPages, bulkGets atomic.Int32
	var largest atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/v1/changes":
			feedPages.Add(1)
		case strings.HasSuffix(r.URL.Path, "/_bulk_get"):
			bulkGets.Add(1)
		}
		cw := &countingWriter{ResponseWriter: w}
		s.API.ServeHTTP(cw, r)
		for {
			old := largest.Load()
			if cw.n <= old || largest.CompareAndSwap(old, cw.n) {
				break
			}
		}
	}))
	t.Cleanup(func() { ts.Close(); s.Close() })

	const n, size = 60, 1_000_000
	c, _, err := client.Signup(ctx, ts.URL, "big", "correct horse", opts)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][32]byte{}
	items := make([]client.Item, n)
	for i := range items {
		pad := make([]byte, size)
		rand.Read(pad)
		head := fmt.Sprintf(`{"n":%d,"data":"`, i)
		b64 := base64.RawStdEncoding.EncodeToString(pad)[:size-len(head)-2]
		items[i].Content = []byte(head + b64 + `"}`)
		if len(items[i].Content) != size {
			t.Fatalf("document of %d bytes", len(items[i].Content))
		}
	}
	res, err := c.PutMany(ctx, "io.hearth.notes", items)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		want[r.ID] = sha256.Sum256(items[i].Content)
	}
	items = nil

	// A second device syncs the account from the start.
	d, err := client.Login(ctx, ts.URL, "big", "correct horse", "", opts)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	got := map[string]bool{}
	peak := watchHeap()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	err = d.Sync(ctx, 0, func(ch client.Change) error {
		mu.Lock()
		defer mu.Unlock()
		if ch.Doc == nil || sha256.Sum256(ch.Doc.Content) != want[ch.ID] {
			return fmt.Errorf("change %d (%s) is not the document written", ch.Seq, ch.ID)
		}
		got[ch.ID] = true
		return nil
	})
	top := peak.end()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	if len(got) != n {
		t.Fatalf("sync gave %d documents, want %d", len(got), n)
	}
	t.Logf("sync of %d documents of %d bytes: %d feed requests, %.1f s, heap peak %.0f MiB (%.0f MiB before), %.0f MiB allocated",
		n, size, feedPages.Load(), time.Since(start).Seconds(), float64(top)/(1<<20), float64(before.HeapAlloc)/(1<<20), float64(after.TotalAlloc-before.TotalAlloc)/(1<<20))
	if feedPages.Load() < 3 {
		t.Fatalf("%d feed requests for 80 MiB of feed", feedPages.Load())
	}

	// The listing, then every document in bulk.
	ids, err := d.List(ctx, "io.hearth.notes")
	if err != nil || len(ids) != n {
		t.Fatalf("list: %d ids, %v", len(ids), err)
	}
	bulkGets.Store(0)
	peak = watchHeap()
	docs, err := d.GetMany(ctx, "io.hearth.notes", ids)
	top = peak.end()
	if err != nil {
		t.Fatalf("GetMany: %v", err)
	}
	for i, doc := range docs {
		if doc == nil || sha256.Sum256(doc.Content) != want[ids[i]] {
			t.Fatalf("GetMany: document %d is not the one written", i)
		}
	}
	t.Logf("GetMany of %d documents: %d bulk reads, heap peak %.0f MiB", n, bulkGets.Load(), float64(top)/(1<<20))
	docs = nil

	// The first device catches up with the feed too.
	if err := c.Sync(ctx, 0, nil); err != nil {
		t.Fatalf("first device's sync: %v", err)
	}
	if l := largest.Load(); l > 32<<20 {
		t.Fatalf("an answer of %d bytes, over 32 MiB", l)
	}
	t.Logf("largest answer: %.1f MiB", float64(largest.Load())/(1<<20))
}

// countingWriter counts the bytes of a response body.
type countingWriter struct {
	http.ResponseWriter
	n int64
}

func (w *countingWriter) Write(p []byte) (int, error) {
	n, err := w.ResponseWriter.Write(p)
	w.n += int64(n)
	return n, err
}
