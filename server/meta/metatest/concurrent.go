package metatest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/hearthcloud/hearth/internal/wire"
	"github.com/hearthcloud/hearth/server/meta"
)

// testPutDocsConcurrent runs PutDocs from several goroutines and checks
// that the feed has every write once, with contiguous seqs and a chain
// that verifies.
func testPutDocsConcurrent(t *testing.T, s meta.Store) {
	mustCreateAccount(t, s, "alice")
	mustDoctype(t, s, "alice", notes)
	const workers, batches, perBatch = 6, 10, 5
	var wg sync.WaitGroup
	errs := make(chan error, workers*batches)
	for w := range workers {
		wg.Go(func() {
			for b := range batches {
				var writes []meta.DocWrite
				for i := range perBatch {
					writes = append(writes, write(notes, fmt.Sprintf("w%d-b%d-%d", w, b, i), 0, false))
				}
				res, err := s.PutDocs(ctx, "alice", writes)
				if err != nil {
					errs <- err
					return
				}
				for i, r := range res {
					switch {
					case r.Err != nil:
						errs <- r.Err
					case i > 0 && r.Seq != res[i-1].Seq+1:
						errs <- fmt.Errorf("seqs %d, %d within one batch", res[i-1].Seq, r.Seq)
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	cs, err := meta.ReadChanges(ctx, s, "alice", 0, 0, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	const n = workers * batches * perBatch
	if len(cs) != n {
		t.Fatalf("feed has %d entries, want %d", len(cs), n)
	}
	want := make([]wire.ChainEntry, len(cs))
	seen := map[string]bool{}
	for i, c := range cs {
		if seen[c.ID] {
			t.Fatalf("document %s twice in the feed", c.ID)
		}
		seen[c.ID] = true
		want[i] = wire.ChainEntry{Seq: uint64(i + 1), Doctype: notes, ID: c.ID, Rev: 1}
	}
	verifyFeed(t, s, "alice", want)
}
