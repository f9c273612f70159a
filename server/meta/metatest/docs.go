package metatest

import (
	"crypto/sha256"
	"fmt"
	"reflect"
	"testing"

	"github.com/hearthcloud/hearth/internal/wire"
	"github.com/hearthcloud/hearth/server/meta"
)

const (
	notes    = "io.hearth.notes"
	contacts = "io.hearth.contacts"
)

// write returns a DocWrite whose body is sealed(id, ifRev+1).
func write(doctype, id string, ifRev uint64, deleted bool) meta.DocWrite {
	return meta.DocWrite{Doctype: doctype, ID: id, IfRev: ifRev, Sealed: sealed(id, ifRev+1), Deleted: deleted}
}

// outcome is what a test expects of one DocWrite.
type outcome struct {
	rev, seq uint64 // on success
	err      error
	curRev   uint64 // with ErrConflict
}

func mustPutDocs(t *testing.T, s meta.Store, user string, writes []meta.DocWrite, want []outcome) []meta.DocResult {
	t.Helper()
	res, err := s.PutDocs(ctx, user, writes)
	if err != nil {
		t.Fatalf("PutDocs: %v", err)
	}
	if len(res) != len(writes) {
		t.Fatalf("PutDocs returned %d results for %d writes", len(res), len(writes))
	}
	for i, r := range res {
		if want == nil {
			if r.Err != nil {
				t.Fatalf("PutDocs write %d (%s): %v", i, writes[i].ID, r.Err)
			}
			continue
		}
		w := want[i]
		wantErr(t, fmt.Sprintf("PutDocs write %d (%s)", i, writes[i].ID), r.Err, w.err)
		if w.err == nil && (r.Rev != w.rev || r.Seq != w.seq) {
			t.Fatalf("PutDocs write %d (%s) = rev %d seq %d, want rev %d seq %d", i, writes[i].ID, r.Rev, r.Seq, w.rev, w.seq)
		}
		if w.err != nil && r.CurrentRev != w.curRev {
			t.Fatalf("PutDocs write %d (%s) CurrentRev = %d, want %d", i, writes[i].ID, r.CurrentRev, w.curRev)
		}
	}
	return res
}

func wantDoc(t *testing.T, s meta.Store, user string, want *meta.Doc) {
	t.Helper()
	got, err := s.Doc(ctx, user, want.Doctype, want.ID)
	if err != nil {
		t.Fatalf("Doc(%s): %v", want.ID, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Doc(%s) = %+v, want %+v", want.ID, got, want)
	}
}

func testPutDocs(t *testing.T, s meta.Store) {
	mustCreateAccount(t, s, "alice")
	mustDoctype(t, s, "alice", notes, contacts)

	// Each write succeeds or fails on its own; only successes take seqs.
	mustPutDocs(t, s, "alice", []meta.DocWrite{
		write(notes, "a", 0, false),
		write(contacts, "b", 0, false),
		write("io.hearth.unknown", "c", 0, false),
		write(notes, "a", 0, false), // exists
		write(notes, "a", 1, false), // in the same batch, after the create
		write(contacts, "b", 5, false),
		write(notes, "nope", 3, false), // no such document
		write(notes, "a", 1, false),    // stale now
	}, []outcome{
		{rev: 1, seq: 1},
		{rev: 1, seq: 2},
		{err: meta.ErrUnknownDoctype},
		{err: meta.ErrConflict, curRev: 1},
		{rev: 2, seq: 3},
		{err: meta.ErrConflict, curRev: 1},
		{err: meta.ErrConflict, curRev: 0},
		{err: meta.ErrConflict, curRev: 2},
	})
	wantDoc(t, s, "alice", &meta.Doc{Doctype: notes, ID: "a", Rev: 2, Seq: 3, Sealed: sealed("a", 2)})
	wantDoc(t, s, "alice", &meta.Doc{Doctype: contacts, ID: "b", Rev: 1, Seq: 2, Sealed: sealed("b", 1)})
	for _, k := range [][2]string{{notes, "nope"}, {"io.hearth.unknown", "c"}, {contacts, "a"}} {
		_, err := s.Doc(ctx, "alice", k[0], k[1])
		wantErr(t, "Doc "+k[1], err, meta.ErrNotFound)
	}

	// Tombstones: a create over one is a conflict, an update revives it,
	// and deleting a tombstone again makes a new revision.
	mustPutDocs(t, s, "alice", []meta.DocWrite{
		write(notes, "a", 2, true),
		write(notes, "a", 0, false),
		write(contacts, "b", 1, true),
		write(contacts, "b", 2, true),
	}, []outcome{
		{rev: 3, seq: 4},
		{err: meta.ErrConflict, curRev: 3},
		{rev: 2, seq: 5},
		{rev: 3, seq: 6},
	})
	wantDoc(t, s, "alice", &meta.Doc{Doctype: notes, ID: "a", Rev: 3, Seq: 4, Deleted: true, Sealed: sealed("a", 3)})
	wantDoc(t, s, "alice", &meta.Doc{Doctype: contacts, ID: "b", Rev: 3, Seq: 6, Deleted: true, Sealed: sealed("b", 3)})

	mustPutDocs(t, s, "alice", []meta.DocWrite{write(notes, "a", 3, false)}, []outcome{{rev: 4, seq: 7}})
	wantDoc(t, s, "alice", &meta.Doc{Doctype: notes, ID: "a", Rev: 4, Seq: 7, Sealed: sealed("a", 4)})

	// An empty batch and a batch where everything fails store nothing.
	mustPutDocs(t, s, "alice", nil, nil)
	mustPutDocs(t, s, "alice", []meta.DocWrite{write(notes, "a", 1, false)}, []outcome{{err: meta.ErrConflict, curRev: 4}})
	if seq, _, _ := s.Head(ctx, "alice"); seq != 7 {
		t.Fatalf("Head = %d, want 7", seq)
	}

	// PutDocs for an account that does not exist fails each write.
	mustPutDocs(t, s, "nobody", []meta.DocWrite{write(notes, "a", 0, false)}, []outcome{{err: meta.ErrUnknownDoctype}})

	verifyFeed(t, s, "alice", []wire.ChainEntry{
		{Seq: 1, Doctype: notes, ID: "a", Rev: 1},
		{Seq: 2, Doctype: contacts, ID: "b", Rev: 1},
		{Seq: 3, Doctype: notes, ID: "a", Rev: 2},
		{Seq: 4, Doctype: notes, ID: "a", Rev: 3, Deleted: true},
		{Seq: 5, Doctype: contacts, ID: "b", Rev: 2, Deleted: true},
		{Seq: 6, Doctype: contacts, ID: "b", Rev: 3, Deleted: true},
		{Seq: 7, Doctype: notes, ID: "a", Rev: 4},
	})
}

// verifyFeed checks user's whole feed against want, whose digests are
// filled in from sealed(id, rev), and recomputes the chain.
func verifyFeed(t *testing.T, s meta.Store, user string, want []wire.ChainEntry) {
	t.Helper()
	cs, err := meta.ReadChanges(ctx, s, user, 0, 0, nil, false)
	if err != nil {
		t.Fatalf("Changes: %v", err)
	}
	if len(cs) != len(want) {
		t.Fatalf("feed has %d entries, want %d", len(cs), len(want))
	}
	var chain [32]byte
	for i, c := range cs {
		w := want[i]
		w.Digest = sha256.Sum256(sealed(w.ID, w.Rev))
		got := wire.ChainEntry{Seq: c.Seq, Doctype: c.Doctype, ID: c.ID, Rev: c.Rev, Digest: c.Digest, Deleted: c.Deleted}
		if got != w {
			t.Fatalf("entry %d = %+v, want %+v", i, got, w)
		}
		chain = wire.NextChain(chain, w)
		if c.Chain != chain {
			t.Fatalf("entry %d chain = %x, want %x", c.Seq, c.Chain, chain)
		}
	}
	seq, head, err := s.Head(ctx, user)
	if err != nil || seq != uint64(len(want)) || head != chain {
		t.Fatalf("Head = %d %x %v, want %d %x", seq, head, err, len(want), chain)
	}
}

// testPutDocsCopies checks that the store does not keep the caller's
// slices.
func testPutDocsCopies(t *testing.T, s meta.Store) {
	mustCreateAccount(t, s, "alice")
	mustDoctype(t, s, "alice", notes)
	w := write(notes, "a", 0, false)
	mustPutDocs(t, s, "alice", []meta.DocWrite{w}, nil)
	w.Sealed[0] ^= 0xff
	d, _ := s.Doc(ctx, "alice", notes, "a")
	d.Sealed[1] ^= 0xff
	wantDoc(t, s, "alice", &meta.Doc{Doctype: notes, ID: "a", Rev: 1, Seq: 1, Sealed: sealed("a", 1)})
}

func testSeqsAcrossBatches(t *testing.T, s meta.Store) {
	mustCreateAccount(t, s, "alice")
	mustDoctype(t, s, "alice", notes, contacts)
	var want []wire.ChainEntry
	revs := map[string]uint64{}
	for batch := range 5 {
		var writes []meta.DocWrite
		var outs []outcome
		for i := range batch + 1 {
			id := fmt.Sprintf("d%d", (batch*3+i)%4)
			dt := notes
			if i%2 == 1 {
				dt = contacts
			}
			key := dt + "/" + id
			writes = append(writes, write(dt, id, revs[key], false))
			revs[key]++
			want = append(want, wire.ChainEntry{Seq: uint64(len(want) + 1), Doctype: dt, ID: id, Rev: revs[key]})
			outs = append(outs, outcome{rev: revs[key], seq: uint64(len(want))})
			if i == 0 {
				// A failing write in each batch takes no seq.
				writes = append(writes, write("io.hearth.unknown", "x", 0, false))
				outs = append(outs, outcome{err: meta.ErrUnknownDoctype})
			}
		}
		mustPutDocs(t, s, "alice", writes, outs)
	}
	verifyFeed(t, s, "alice", want)
}
