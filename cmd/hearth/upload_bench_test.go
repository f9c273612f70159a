//go:build hearthtest

package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/hearthcloud/hearth/client"
)

// BenchmarkUploadSessionVsPut uploads 256 MiB to a real hearthd on
// loopback (SQLite and blob files on this disk), through an upload session
// in 8 MiB pieces (each fsynced and recorded) and as one PUT, in turns in
// the same run, and reports both speeds and their ratio
// (session-time/put-time: above 1, sessions cost more) for BENCHMARKS.md.
//
//	go test -tags hearthtest -run XXX -bench UploadSessionVsPut -benchtime 3x ./cmd/hearth/
func BenchmarkUploadSessionVsPut(b *testing.B) {
	_, c := benchAccount(b)
	ctx := context.Background()
	data := make([]byte, 256<<20)
	rand.Read(data)
	upload := func(session bool) time.Duration {
		if !session {
			defer client.SetSessionThresholdForTesting(1 << 40)()
		}
		start := time.Now()
		id, err := c.Upload(ctx, bytes.NewReader(data), int64(len(data)), "bench.bin", "", time.Time{}, nil)
		if err != nil {
			b.Fatal(err)
		}
		el := time.Since(start)
		if err := c.DeleteFile(ctx, id); err != nil {
			b.Fatal(err)
		}
		return el
	}
	upload(true) // keys, doctype and caches set up
	var sess, put time.Duration
	b.ResetTimer()
	for i := range b.N {
		if i%2 == 0 {
			sess += upload(true)
			put += upload(false)
		} else {
			put += upload(false)
			sess += upload(true)
		}
	}
	mib := float64(len(data)>>20) * float64(b.N)
	b.ReportMetric(mib/sess.Seconds(), "session-MiB/s")
	b.ReportMetric(mib/put.Seconds(), "put-MiB/s")
	b.ReportMetric(sess.Seconds()/put.Seconds(), "session/put")
}
