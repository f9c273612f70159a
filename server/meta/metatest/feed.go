package metatest

import (
	"bytes"
	"testing"

	"github.com/hearthcloud/hearth/server/meta"
)

func testChanges(t *testing.T, s meta.Store) {
	mustCreateAccount(t, s, "alice")
	mustDoctype(t, s, "alice", notes, contacts)
	// seq 1 a@1, 2 b@1, 3 a@2, 4 c@1, 5 b@2 (tombstone), 6 a@3.
	mustPutDocs(t, s, "alice", []meta.DocWrite{write(notes, "a", 0, false), write(contacts, "b", 0, false)}, nil)
	mustPutDocs(t, s, "alice", []meta.DocWrite{write(notes, "a", 1, false), write(notes, "c", 0, false)}, nil)
	mustPutDocs(t, s, "alice", []meta.DocWrite{write(contacts, "b", 1, true), write(notes, "a", 2, false)}, nil)

	// key names an entry: seq, id, rev, and whether its body is current.
	type key struct {
		seq     uint64
		id      string
		rev     uint64
		current bool
	}
	all := []key{{1, "a", 1, false}, {2, "b", 1, false}, {3, "a", 2, false}, {4, "c", 1, true}, {5, "b", 2, true}, {6, "a", 3, true}}
	pick := func(seqs ...int) []key {
		var ks []key
		for _, q := range seqs {
			ks = append(ks, all[q-1])
		}
		return ks
	}
	tests := []struct {
		name     string
		since    uint64
		limit    int
		doctypes []string
		want     []key
	}{
		{"all", 0, 0, nil, all},
		{"since", 3, 0, nil, pick(4, 5, 6)},
		{"limit", 0, 2, nil, pick(1, 2)},
		{"since and limit", 2, 3, nil, pick(3, 4, 5)},
		{"at head", 6, 10, nil, nil},
		{"past head", 9, 10, nil, nil},
		{"doctype", 0, 0, []string{contacts}, pick(2, 5)},
		{"doctype, limit counts matches", 0, 2, []string{notes}, pick(1, 3)},
		{"doctype since", 2, 0, []string{notes}, pick(3, 4, 6)},
		{"two doctypes", 1, 3, []string{contacts, notes}, pick(2, 3, 4)},
		{"unknown doctype", 0, 0, []string{"io.hearth.unknown"}, nil},
	}
	for _, tc := range tests {
		for _, withDocs := range []bool{false, true} {
			cs, err := meta.ReadChanges(ctx, s, "alice", tc.since, tc.limit, tc.doctypes, withDocs)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if len(cs) != len(tc.want) {
				t.Fatalf("%s (withDocs %v): %d entries, want %d", tc.name, withDocs, len(cs), len(tc.want))
			}
			for i, c := range cs {
				w := tc.want[i]
				if c.Seq != w.seq || c.ID != w.id || c.Rev != w.rev {
					t.Fatalf("%s: entry %d = seq %d %s@%d, want seq %d %s@%d", tc.name, i, c.Seq, c.ID, c.Rev, w.seq, w.id, w.rev)
				}
				var wantBody []byte
				if withDocs && w.current {
					wantBody = sealed(w.id, w.rev)
				}
				if !bytes.Equal(c.Sealed, wantBody) || (wantBody == nil) != (c.Sealed == nil) {
					t.Fatalf("%s (withDocs %v): seq %d Sealed = %q, want %q", tc.name, withDocs, c.Seq, c.Sealed, wantBody)
				}
			}
		}
	}
	if cs, err := meta.ReadChanges(ctx, s, "nobody", 0, 0, nil, true); err != nil || len(cs) != 0 {
		t.Fatalf("Changes of unknown user = %v %v, want nothing", cs, err)
	}
}

// testChangesStops: Changes stops at the entry fn refuses (a feed page
// bounded by bytes, §8.6.1), and what fn was given stays its own.
func testChangesStops(t *testing.T, s meta.Store) {
	mustCreateAccount(t, s, "alice")
	mustDoctype(t, s, "alice", notes)
	mustPutDocs(t, s, "alice", []meta.DocWrite{write(notes, "a", 0, false), write(notes, "b", 0, false), write(notes, "c", 0, false)}, nil)
	var got []meta.Change
	err := s.Changes(ctx, "alice", 0, 0, nil, true, func(c meta.Change) bool {
		got = append(got, c)
		return len(got) < 2
	})
	if err != nil || len(got) != 2 || got[0].Seq != 1 || got[1].Seq != 2 {
		t.Fatalf("Changes refused at the second entry gave %d entries, %v", len(got), err)
	}
	// Writing afterwards does not change what was handed out.
	mustPutDocs(t, s, "alice", []meta.DocWrite{write(notes, "a", 1, false)}, nil)
	if !bytes.Equal(got[0].Sealed, sealed("a", 1)) {
		t.Fatalf("a kept Change's body changed to %q", got[0].Sealed)
	}
	n := 0
	if err := s.Changes(ctx, "alice", 0, 0, nil, false, func(meta.Change) bool { n++; return false }); err != nil || n != 1 {
		t.Fatalf("Changes refused at once called fn %d times, %v", n, err)
	}
}

func testHeadAndChainAt(t *testing.T, s meta.Store) {
	mustCreateAccount(t, s, "alice")
	mustDoctype(t, s, "alice", notes)
	for _, user := range []string{"alice", "nobody"} {
		seq, chain, err := s.Head(ctx, user)
		if err != nil || seq != 0 || chain != [32]byte{} {
			t.Fatalf("Head(%s) of empty feed = %d %x %v", user, seq, chain, err)
		}
		c, err := s.ChainAt(ctx, user, 0)
		if err != nil || c != [32]byte{} {
			t.Fatalf("ChainAt(%s, 0) of empty feed = %x %v", user, c, err)
		}
		_, err = s.ChainAt(ctx, user, 1)
		wantErr(t, "ChainAt past empty head", err, meta.ErrNotFound)
	}

	mustPutDocs(t, s, "alice", []meta.DocWrite{write(notes, "a", 0, false), write(notes, "b", 0, false)}, nil)
	mustPutDocs(t, s, "alice", []meta.DocWrite{write(notes, "a", 1, true)}, nil)
	cs, err := meta.ReadChanges(ctx, s, "alice", 0, 0, nil, false)
	if err != nil || len(cs) != 3 {
		t.Fatalf("Changes = %d entries, %v", len(cs), err)
	}
	seq, chain, err := s.Head(ctx, "alice")
	if err != nil || seq != 3 || chain != cs[2].Chain {
		t.Fatalf("Head = %d %x %v, want 3 %x", seq, chain, err, cs[2].Chain)
	}
	for _, c := range cs {
		got, err := s.ChainAt(ctx, "alice", c.Seq)
		if err != nil || got != c.Chain {
			t.Fatalf("ChainAt(%d) = %x %v, want %x", c.Seq, got, err, c.Chain)
		}
	}
	_, err = s.ChainAt(ctx, "alice", 4)
	wantErr(t, "ChainAt past head", err, meta.ErrNotFound)
}
