package sqlite_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/hearthcloud/hearth/server/meta"
	"github.com/hearthcloud/hearth/server/meta/sqlite"
)

const benchDoctype = "io.hearth.notes"

// benchStore opens a store with account alice and one doctype.
func benchStore(b *testing.B) *sqlite.Store {
	b.Helper()
	s := open(b)
	ctx := context.Background()
	a := &meta.Account{User: "alice", KDF: meta.KDF{Alg: "argon2id", Memory: 1, Time: 1, Threads: 1}, LoginHash: "h"}
	if err := s.CreateAccount(ctx, a, nil, nil); err != nil {
		b.Fatal(err)
	}
	if _, err := s.PutDoctype(ctx, "alice", benchDoctype); err != nil {
		b.Fatal(err)
	}
	return s
}

// benchBody is a small sealed document.
var benchBody = func() []byte {
	b := make([]byte, 300)
	rand.Read(b)
	return b
}()

func putN(b *testing.B, s *sqlite.Store, ids *atomic.Int64, n int) {
	writes := make([]meta.DocWrite, n)
	for i := range writes {
		writes[i] = meta.DocWrite{Doctype: benchDoctype, ID: fmt.Sprintf("doc%09d", ids.Add(1)), Sealed: benchBody}
	}
	res, err := s.PutDocs(context.Background(), "alice", writes)
	if err != nil {
		b.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil {
			b.Fatal(r.Err)
		}
	}
}

// BenchmarkPutDocs measures durable document writes: one document per
// call from one goroutine (one sync each) and from many (group commit),
// and 100 documents per call.
func BenchmarkPutDocs(b *testing.B) {
	b.Run("single/serial", func(b *testing.B) {
		s := benchStore(b)
		var ids atomic.Int64
		for b.Loop() {
			putN(b, s, &ids, 1)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "docs/s")
	})
	for _, par := range []int{4, 32} {
		b.Run(fmt.Sprintf("single/parallel-%dxGOMAXPROCS", par), func(b *testing.B) {
			s := benchStore(b)
			var ids atomic.Int64
			b.SetParallelism(par)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					putN(b, s, &ids, 1)
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "docs/s")
		})
	}
	b.Run("batch100", func(b *testing.B) {
		s := benchStore(b)
		var ids atomic.Int64
		for b.Loop() {
			putN(b, s, &ids, 100)
		}
		b.ReportMetric(float64(100*b.N)/b.Elapsed().Seconds(), "docs/s")
	})
}

// BenchmarkChanges reads a feed of 10,000 entries with their bodies.
func BenchmarkChanges(b *testing.B) {
	const n = 10000
	s := benchStore(b)
	var ids atomic.Int64
	for range n / 1000 {
		putN(b, s, &ids, 1000)
	}
	ctx := context.Background()
	for b.Loop() {
		cs, err := meta.ReadChanges(ctx, s, "alice", 0, 0, nil, true)
		if err != nil {
			b.Fatal(err)
		}
		if len(cs) != n || cs[n-1].Sealed == nil {
			b.Fatalf("Changes = %d entries", len(cs))
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "entries/s")
}
