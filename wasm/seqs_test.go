//go:build hearthtest

package wasm

import (
	"encoding/json"
	"testing"
)

// TestListSeqs: list and subscribe give each document's position in the
// changes feed, in the order of the writes, a write of this API's included
// once the feed brings it back; a resumed API gives the same, from its
// saved state.
func TestListSeqs(t *testing.T) {
	s := newServer(t)
	a, ev := newAPI(t, s)
	user, _ := signup(t, a)
	if err := a.Subscribe(1, []string{notesDT}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, v := range []string{`{"title":"a"}`, `"b, from the command line"`, `{"title":"c"}`} {
		c, err := a.Create(ctx, notesDT, json.RawMessage(v))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	other, _ := newAPI(t, s)
	if _, err := other.Login(ctx, user, "correct horse", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Put(ctx, notesDT, ids[0], json.RawMessage(`{"title":"a, changed"}`)); err != nil {
		t.Fatal(err)
	}
	// The echo of a's own write comes as a change of the same revision,
	// with its seq.
	ev.wait(t, 0, func(e Event) bool {
		return e.Type == "change" && e.Change.ID == ids[2] && e.Change.Rev == 1 && e.Change.Seq > 0
	})
	ev.wait(t, 0, func(e Event) bool { return e.Type == "change" && e.Change.ID == ids[0] && e.Change.Rev == 2 })
	seqs := func(a *API) map[string]uint64 {
		list, err := a.List(ctx, notesDT)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]uint64{}
		for _, d := range list {
			m[d.ID] = d.Seq
		}
		return m
	}
	got := seqs(a)
	if !(got[ids[1]] > 0 && got[ids[1]] < got[ids[2]] && got[ids[2]] < got[ids[0]]) {
		t.Fatalf("seqs %v, want b < c < a (changed last)", got)
	}
	a.persist(a.currentGen())
	state := ev.lastState()
	a.Close()
	b, _ := newAPI(t, s)
	if _, err := b.Resume(state); err != nil {
		t.Fatal(err)
	}
	if again := seqs(b); len(again) != 3 || again[ids[0]] != got[ids[0]] || again[ids[1]] != got[ids[1]] || again[ids[2]] != got[ids[2]] {
		t.Fatalf("after a resume: %v, want %v", again, got)
	}
}
