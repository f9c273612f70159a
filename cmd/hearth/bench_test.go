package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hearthcloud/hearth/client"
)

// benchAccount starts hearthd on a fresh folder and signs up.
func benchAccount(b *testing.B) (*daemon, *client.Client) {
	d := startDaemon(b, b.TempDir(), "")
	c, _, err := client.Signup(context.Background(), d.url, "bench", "bench test passphrase", nil)
	if err != nil {
		b.Fatal(err)
	}
	return d, c
}

// BenchmarkDocWrites: small documents (about 100 bytes of JSON, 333 bytes
// sealed) written over HTTP one per request by concurrent writers, each
// durable (the server acknowledges after its group commit's fsync). The
// client's sealing runs on the same machine. Reports docs/s.
func BenchmarkDocWrites(b *testing.B) {
	for _, writers := range []int{1, 16, 64, 256} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			d, c := benchAccount(b)
			ctx := context.Background()
			if _, _, err := c.Create(ctx, "io.hearth.notes", []byte(`{}`)); err != nil { // key and doctype set up
				b.Fatal(err)
			}
			const perRun = 20000
			b.ResetTimer()
			for range b.N {
				var next atomic.Int64
				var wg sync.WaitGroup
				errs := make(chan error, writers)
				start, cpu0 := time.Now(), d.cpuTime(b)
				for range writers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for next.Add(1) <= perRun {
							body := fmt.Sprintf(`{"title":"note","body":"a short note of about a hundred bytes, written by a benchmark %d"}`, next.Load())
							if _, _, err := c.Create(ctx, "io.hearth.notes", []byte(body)); err != nil {
								errs <- err
								return
							}
						}
					}()
				}
				wg.Wait()
				select {
				case err := <-errs:
					b.Fatal(err)
				default:
				}
				b.ReportMetric(perRun/time.Since(start).Seconds(), "docs/s")
				// The clients share the 2 cores with the server here; the
				// server's own CPU per document says what it alone can do.
				perDoc := (d.cpuTime(b) - cpu0).Seconds() / perRun
				b.ReportMetric(perDoc*1e6, "server-cpu-µs/doc")
				b.ReportMetric(float64(runtime.NumCPU())/perDoc, "server-capacity-docs/s")
			}
		})
	}
}

// BenchmarkFeedPull: a new device pulls the changes feed of 10,000
// documents with their bodies and verifies everything (chain, digests,
// every seal). Login (Argon2id) is outside the timing. Reports seconds.
func BenchmarkFeedPull(b *testing.B) {
	d, c := benchAccount(b)
	ctx := context.Background()
	const n = 10000
	for i := 0; i < n; i += 1000 {
		items := make([]client.Item, 1000)
		for j := range items {
			items[j] = client.Item{Content: []byte(fmt.Sprintf(`{"title":"note %d","body":"a short note of about a hundred bytes, written by a benchmark"}`, i+j))}
		}
		if _, err := c.PutMany(ctx, "io.hearth.notes", items); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		dev, err := client.Login(ctx, d.url, "bench", "bench test passphrase", "", nil)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		got := 0
		if err := dev.Sync(ctx, 0, func(ch client.Change) error {
			if ch.Doc != nil {
				got++
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		if got < n {
			b.Fatalf("pulled %d documents, want %d", got, n)
		}
		b.ReportMetric(time.Since(start).Seconds(), "s/10k-docs")
	}
}

// cpuTime is the CPU time (user and system) hearthd has used so far.
func (d *daemon) cpuTime(b *testing.B) time.Duration {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", d.cmd.Process.Pid))
	if err != nil {
		b.Skip("no /proc: ", err)
	}
	// Fields after the command name (which ends with ')'): utime and stime
	// are the 12th and 13th, in clock ticks (100 a second on Linux).
	f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}
