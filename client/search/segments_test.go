package search

import (
	"errors"
	"fmt"
	"slices"
	"testing"
)

// TestSegmentsRoundTrip: an index exported and loaded back answers a fixed
// query set with the same hits and the same scores, deletions included
// (natively and under WebAssembly).
func TestSegmentsRoundTrip(t *testing.T) {
	x, err := New("io.hearth.notes")
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	words := []string{"lisbon", "porto", "coast", "train", "plans", "bread", "olives", "planet", "apes", "reading"}
	var docs []Doc
	for i := range 300 {
		docs = append(docs, Doc{ID: fmt.Sprintf("n%04d", i), Content: []byte(fmt.Sprintf(
			`{"title":"Note %d %s","body":"about %s and %s, then %s","updated":%d}`,
			i, words[i%10], words[(i*3)%10], words[(i*7)%10], words[(i/10)%10], i))})
	}
	// Three segments: two batches and a single put, then some deletions
	// and a replacement.
	if err := x.PutMany(docs[:150]); err != nil {
		t.Fatal(err)
	}
	if err := x.PutMany(docs[150:299]); err != nil {
		t.Fatal(err)
	}
	if err := x.Put(docs[299].ID, docs[299].Content); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"n0003", "n0151", "n0299"} {
		if err := x.Delete(id); err != nil {
			t.Fatal(err)
		}
	}
	if err := x.Put("n0010", []byte(`{"title":"Replaced entirely","body":"nothing else"}`)); err != nil {
		t.Fatal(err)
	}
	segs, err := x.Segments()
	if err != nil {
		t.Fatal(err)
	}
	if len(segs) < 3 {
		t.Fatalf("%d segments", len(segs))
	}
	y, err := Load("io.hearth.notes", segs)
	if err != nil {
		t.Fatal(err)
	}
	defer y.Close()
	nx, _ := x.Count()
	ny, _ := y.Count()
	if nx != ny || nx != 297 {
		t.Fatalf("counts %d and %d", nx, ny)
	}
	queries := []Query{
		{Text: "lisbon"}, {Text: "porto coast"}, {Text: `"then plans"`}, {Text: "plan*"},
		{Text: "olivs~1"}, {Text: "title:replaced"}, {Text: "updated:>250"},
		{Text: "train -bread"}, {Text: "reading", SortBy: []string{"-updated"}}, {Text: "n0003"},
	}
	matched := 0
	for _, q := range queries {
		q.Limit = 50
		a, ta, err := find(x, q)
		if err != nil {
			t.Fatal(err)
		}
		b, tb, err := find(y, q)
		if err != nil {
			t.Fatal(err)
		}
		if ta != tb || !slices.Equal(a, b) {
			t.Errorf("%+v: original %d %v, loaded %d %v", q, ta, a, tb, b)
		}
		if ta > 0 {
			matched++
		}
	}
	if matched < len(queries)-1 { // "n0003" matches nothing: ids are not text
		t.Fatalf("only %d of %d queries matched anything", matched, len(queries))
	}
	// The loaded index goes on like any other.
	if err := y.Put("new", []byte(`{"title":"lisbon saudade"}`)); err != nil {
		t.Fatal(err)
	}
	if hits, _, _ := find(y, Query{Text: "title:saudade"}); len(hits) != 1 {
		t.Fatalf("after loading, a put: %v", hits)
	}
}

func TestSegmentsRefused(t *testing.T) {
	x := corpus(t)
	segs, err := x.Segments()
	if err != nil || len(segs) == 0 {
		t.Fatal(segs, err)
	}
	good := segs[0].Data
	otherVersion := slices.Clone(good)
	otherVersion[len(otherVersion)-5]++ // the version's low byte
	for name, b := range map[string][]byte{
		"empty":         nil,
		"short":         good[:10],
		"cut":           good[:len(good)/2],
		"other version": otherVersion,
		"garbage":       []byte("this is not a zap segment, not at all, but long enough to have a footer"),
	} {
		if _, err := Load("io.hearth.notes", []Segment{{Data: b}}); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: %v, want ErrFormat", name, err)
		}
	}
}

// FuzzLoadSegment: bytes that are not a segment of this format are refused
// with an error, never a crash (segments arrive sealed, so only a key
// holder's bug could make one; still).
func FuzzLoadSegment(f *testing.F) {
	x, err := New("io.hearth.notes")
	if err != nil {
		f.Fatal(err)
	}
	x.PutMany([]Doc{{ID: "a", Content: []byte(`{"t":"one lisbon"}`)}, {ID: "b", Content: []byte(`{"t":"two"}`)}})
	segs, _ := x.Segments()
	x.Close()
	for _, s := range segs {
		f.Add(s.Data)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		y, err := Load("io.hearth.notes", []Segment{{Data: b}})
		if err != nil {
			return
		}
		find(y, Query{Text: "lisbon"})
		y.Close()
	})
}
