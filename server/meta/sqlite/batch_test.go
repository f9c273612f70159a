package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/hearthcloud/hearth/internal/wire"
	"github.com/hearthcloud/hearth/server/meta"
)

const notes = "io.hearth.notes"

func openInternal(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	a := &meta.Account{User: "alice", KDF: meta.KDF{Alg: "argon2id", Memory: 1, Time: 1, Threads: 1}, LoginHash: "h"}
	if err := s.CreateAccount(ctx, a, nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutDoctype(ctx, "alice", notes); err != nil {
		t.Fatal(err)
	}
	return s
}

func req(ctx context.Context, ids ...string) *putReq {
	r := &putReq{ctx: ctx, user: "alice", done: make(chan struct{})}
	for _, id := range ids {
		r.writes = append(r.writes, meta.DocWrite{Doctype: notes, ID: id, Sealed: []byte(id)})
		r.digests = append(r.digests, [32]byte{})
	}
	return r
}

// checkChain recomputes alice's chain and checks that the feed holds ids
// in order.
func checkChain(t *testing.T, s *Store, ids ...string) {
	t.Helper()
	cs, err := meta.ReadChanges(ctx, s, "alice", 0, 0, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != len(ids) {
		t.Fatalf("feed has %d entries, want %d", len(cs), len(ids))
	}
	var chain [32]byte
	for i, c := range cs {
		if c.Seq != uint64(i+1) || c.ID != ids[i] {
			t.Fatalf("entry %d = seq %d %s, want seq %d %s", i, c.Seq, c.ID, i+1, ids[i])
		}
		chain = wire.NextChain(chain, wire.ChainEntry{Seq: c.Seq, Doctype: c.Doctype, ID: c.ID, Rev: c.Rev, Digest: c.Digest, Deleted: c.Deleted})
		if c.Chain != chain {
			t.Fatalf("entry %d chain mismatch", c.Seq)
		}
	}
}

// TestBatchRetry checks that a statement failure in one call of a batch
// fails that call alone: the others are retried and stored.
func TestBatchRetry(t *testing.T) {
	s := openInternal(t)
	boom := errors.New("boom")
	s.failWrite = func(w meta.DocWrite) error {
		if w.ID == "bad" {
			return boom
		}
		return nil
	}
	a, b, c := req(ctx, "a1", "a2"), req(ctx, "b1", "bad"), req(ctx, "c1")
	s.commit([]*putReq{a, b, c})
	for _, r := range []*putReq{a, b, c} {
		<-r.done
	}
	if !errors.Is(b.err, boom) || b.res != nil {
		t.Fatalf("failing call: %v %+v, want boom", b.err, b.res)
	}
	for _, r := range []*putReq{a, c} {
		if r.err != nil {
			t.Fatalf("neighbour of the failing call: %v", r.err)
		}
	}
	if a.res[0].Seq != 1 || a.res[1].Seq != 2 || c.res[0].Seq != 3 {
		t.Fatalf("seqs %d %d %d, want 1 2 3", a.res[0].Seq, a.res[1].Seq, c.res[0].Seq)
	}
	if _, err := s.Doc(ctx, "alice", notes, "b1"); !errors.Is(err, meta.ErrNotFound) {
		t.Fatalf("Doc of the failed call: %v, want ErrNotFound", err)
	}
	checkChain(t, s, "a1", "a2", "c1")

	// Through PutDocs: the error comes back and nothing is stored.
	_, err := s.PutDocs(ctx, "alice", []meta.DocWrite{{Doctype: notes, ID: "x"}, {Doctype: notes, ID: "bad"}})
	if !errors.Is(err, boom) {
		t.Fatalf("PutDocs = %v, want boom", err)
	}
	checkChain(t, s, "a1", "a2", "c1")
}

// TestBatchCanceled checks that a call whose context ends before its
// batch starts stores nothing and does not disturb the others.
func TestBatchCanceled(t *testing.T) {
	s := openInternal(t)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	a, b := req(cctx, "a"), req(ctx, "b")
	s.commit([]*putReq{a, b})
	if !errors.Is(a.err, context.Canceled) || b.err != nil || b.res[0].Seq != 1 {
		t.Fatalf("canceled call: %v; other: %v %+v", a.err, b.err, b.res)
	}
	checkChain(t, s, "b")
	if _, err := s.PutDocs(cctx, "alice", []meta.DocWrite{{Doctype: notes, ID: "c"}}); !errors.Is(err, context.Canceled) {
		t.Fatalf("PutDocs with a canceled context = %v", err)
	}
}

// TestBatchSequential checks that one batch of many calls gives each call
// the results it would have had alone, in queue order: conflicts between
// calls of one batch included.
func TestBatchSequential(t *testing.T) {
	s := openInternal(t)
	var reqs []*putReq
	for i := range 5 {
		reqs = append(reqs, req(ctx, "same", fmt.Sprintf("d%d", i)))
	}
	s.commit(reqs)
	for i, r := range reqs {
		if r.err != nil {
			t.Fatal(r.err)
		}
		if i == 0 && (r.res[0].Err != nil || r.res[0].Seq != 1) {
			t.Fatalf("first create of same: %+v", r.res[0])
		}
		if i > 0 && (!errors.Is(r.res[0].Err, meta.ErrConflict) || r.res[0].CurrentRev != 1) {
			t.Fatalf("call %d create of same: %+v, want conflict at 1", i, r.res[0])
		}
		if r.res[1].Err != nil || r.res[1].Seq != uint64(i+2) {
			t.Fatalf("call %d: %+v, want seq %d", i, r.res[1], i+2)
		}
	}
	checkChain(t, s, "same", "d0", "d1", "d2", "d3", "d4")
}
