package search

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// The tests run natively and under WebAssembly (make test-wasm).

func corpus(t *testing.T) *Index {
	t.Helper()
	x, err := New("io.hearth.notes")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	docs := map[string]string{
		"a": `{"title":"Holiday plans","body":"Train to Lisbon, then the coast.","updated":3}`,
		"b": `{"title":"Shopping","body":"Bread, olives, a planner for next year.","updated":5}`,
		"c": `{"title":"Reading list","body":"The Plague; A Planet of Apes","updated":1}`,
		"d": `"just a string about plans"`,
		"e": `not JSON at all, a lisbon note`,
	}
	for id, c := range docs {
		if err := x.Put(id, []byte(c)); err != nil {
			t.Fatal(err)
		}
	}
	return x
}

func ids(hits []Hit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.ID
	}
	return out
}

func sorted(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }

func TestSearch(t *testing.T) {
	x := corpus(t)
	if n, err := x.Count(); err != nil || n != 5 {
		t.Fatal(n, err)
	}
	for _, c := range []struct {
		q    string
		sort []string
		want []string
		set  bool // order does not matter
	}{
		{q: "lisbon", want: []string{"a", "e"}, set: true},
		{q: `"holiday plans"`, want: []string{"a"}},
		{q: "plan*", want: []string{"a", "b", "c", "d"}, set: true},
		{q: "lisbn~1", want: []string{"a", "e"}, set: true},
		{q: "title:plans", want: []string{"a"}},
		{q: "plan* -title:shopping", want: []string{"a", "c", "d"}, set: true},
		{q: "updated:>2", want: []string{"a", "b"}, set: true},
		{q: "plan*", sort: []string{"-updated"}, want: []string{"b", "a", "c", "d"}},
		{q: "nothingmatches", want: []string{}},
	} {
		hits, total, err := find(x, Query{Text: c.q, SortBy: c.sort})
		if err != nil {
			t.Fatalf("%s: %v", c.q, err)
		}
		got := ids(hits)
		if c.set {
			got, c.want = sorted(got), sorted(c.want)
		}
		if !slices.Equal(got, c.want) || total != uint64(len(c.want)) {
			t.Errorf("%s (sort %v): %v (%d in all), want %v", c.q, c.sort, got, total, c.want)
		}
	}
}

func TestPutMany(t *testing.T) {
	x, err := New("io.hearth.notes")
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if err := x.PutMany([]Doc{{ID: "a", Content: []byte(`{"t":"one lisbon"}`)}, {ID: "b", Content: []byte(`{"t":"two"}`)}}); err != nil {
		t.Fatal(err)
	}
	if err := x.PutMany([]Doc{{ID: "", Content: []byte(`{}`)}}); err == nil {
		t.Fatal("a document without an id was indexed")
	}
	hits, total, err := find(x, Query{Text: "lisbon"})
	if err != nil || total != 1 || hits[0].ID != "a" {
		t.Fatalf("%v %d %v", hits, total, err)
	}
}

func TestPutReplacesAndDelete(t *testing.T) {
	x := corpus(t)
	if err := x.Put("a", []byte(`{"title":"Renamed","body":"nothing about the city"}`)); err != nil {
		t.Fatal(err)
	}
	hits, _, err := find(x, Query{Text: "lisbon"})
	if err != nil || !slices.Equal(ids(hits), []string{"e"}) {
		t.Fatalf("after replacing a: %v %v", ids(hits), err)
	}
	if err := x.Delete("e"); err != nil {
		t.Fatal(err)
	}
	if err := x.Delete("never-indexed"); err != nil {
		t.Fatal(err)
	}
	hits, _, err = find(x, Query{Text: "lisbon"})
	if err != nil || len(hits) != 0 {
		t.Fatalf("after deleting e: %v %v", ids(hits), err)
	}
	if n, _ := x.Count(); n != 4 {
		t.Fatalf("count %d", n)
	}
}

func TestBadInput(t *testing.T) {
	x := corpus(t)
	if _, _, err := find(x, Query{Text: `title:"unclosed`}); !errors.Is(err, ErrBadQuery) {
		t.Fatalf("a malformed query: %v", err)
	}
	if err := x.Put("", []byte(`{}`)); err == nil {
		t.Fatal("a document without an id was indexed")
	}
	hits, _, err := find(x, Query{Text: "plan*", Limit: 2})
	if err != nil || len(hits) != 2 {
		t.Fatalf("limit: %v %v", hits, err)
	}
}

func BenchmarkIndexAndQuery(b *testing.B) {
	x, err := New("io.hearth.notes")
	if err != nil {
		b.Fatal(err)
	}
	defer x.Close()
	docs := make([]Doc, 2000)
	for i := range docs {
		docs[i] = Doc{ID: fmt.Sprintf("n%05d", i), Content: []byte(fmt.Sprintf(`{"title":"Note %d","body":"Some words of note number %d about trains, plans and the coast","updated":%d}`, i, i, i))}
	}
	if err := x.PutMany(docs); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if _, _, err := find(x, Query{Text: "plans coast", Limit: 10}); err != nil {
			b.Fatal(err)
		}
	}
}

func find(x *Index, q Query) ([]Hit, uint64, error) {
	r, err := x.Search(q)
	if err != nil {
		return nil, 0, err
	}
	return r.Hits, r.Total, nil
}

func TestTerms(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"The Coast-Road, to LISBON!", []string{"coast", "road", "lisbon"}},
		{"Ärger über Öl", []string{"arger", "uber", "ol"}},
		{"naïve café 2024", []string{"naive", "cafe", "2024"}},
		{"東京タワー", []string{"東", "京", "タ", "ワ", "ー"}},
		{"", nil},
	} {
		if got := Terms(c.in); !slices.Equal(got, c.want) {
			t.Errorf("%q: %q, want %q", c.in, got, c.want)
		}
	}
}

func TestPhrases(t *testing.T) {
	x := corpus(t)
	r, err := x.Search(Query{Text: `"coast train"`})
	if err != nil || len(r.Phrases) != 1 || len(r.Hits) != 1 {
		t.Fatalf("%+v %v", r, err)
	}
	doc := []byte(`{"title":"Holiday plans","body":"Train to Lisbon, then the coast."}`)
	if MatchesPhrases(doc, r.Phrases) {
		t.Fatal("words out of order matched the phrase")
	}
	if !MatchesPhrases(doc, []Phrase{{Text: "to lisbon then"}}) || !MatchesPhrases(doc, []Phrase{{Field: "title", Text: "holiday plans"}}) {
		t.Fatal("a phrase in the document did not match")
	}
	if MatchesPhrases(doc, []Phrase{{Field: "body", Text: "holiday plans"}}) {
		t.Fatal("a phrase matched in another field")
	}
	// Optional (one of two) or excluded phrases are not checked in the
	// documents.
	for _, q := range []string{`"coast train" OR lisbon`, `lisbon -"coast train"`} {
		if r, err := x.Search(Query{Text: q}); err != nil || len(r.Phrases) != 0 {
			t.Fatalf("%s: %+v %v", q, r, err)
		}
	}
}

func TestSnippet(t *testing.T) {
	long := strings.Repeat("filler words here ", 30) + "the Lisbon coast " + strings.Repeat("more filler ", 30)
	doc := fmt.Appendf(nil, `{"title":"Trip","body":%q}`, long)
	sn := highlighter("lisbo* coast").snippet(doc)
	if sn == nil || sn.Field != "body" || !sn.CutStart || !sn.CutEnd || len(sn.Marks) != 2 || len(sn.Text) > snippetLen {
		t.Fatalf("%+v", sn)
	}
	if got := sn.Text[sn.Marks[0][0]:sn.Marks[0][1]]; got != "Lisbon" {
		t.Fatalf("mark %q", got)
	}
	if sn := highlighter("lisbn~1").snippet([]byte(`{"t":"to Lisbon"}`)); sn == nil || len(sn.Marks) != 1 {
		t.Fatalf("fuzzy: %+v", sn)
	}
	if sn := highlighter("-lisbon porto").snippet([]byte(`{"t":"to Lisbon"}`)); sn != nil {
		t.Fatalf("an excluded word was marked: %+v", sn)
	}
}

// TestNumberInTextField: one document with a number where the others have
// text ({"title": 12345}, which another app may write) does not hide that
// field's words from every search; a field of numbers only is still left
// out of word searches, and text that arrives in it later is found.
func TestNumberInTextField(t *testing.T) {
	x, err := New("io.hearth.notes")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	for id, c := range map[string]string{
		"bread":  `{"title":"Buy bread","updated":1}`,
		"number": `{"title":12345,"updated":2}`,
		"olives": `{"title":"Olives","updated":3}`,
	} {
		if err := x.Put(id, []byte(c)); err != nil {
			t.Fatal(err)
		}
	}
	for q, want := range map[string][]string{"bread": {"bread"}, "brea*": {"bread"}, "olivs~1": {"olives"}, "title:bread": {"bread"}, "updated:>1": {"number", "olives"}} {
		hits, _, err := find(x, Query{Text: q})
		if got := sorted(ids(hits)); err != nil || !slices.Equal(got, want) {
			t.Errorf("%s: %v %v, want %v", q, got, err, want)
		}
	}
	if fs, err := x.textFields(); err != nil || slices.Contains(fs, "updated") || !slices.Contains(fs, "title") {
		t.Errorf("text fields %v %v", fs, err)
	}
	// A field of numbers that gets text later.
	if err := x.Put("late", []byte(`{"updated":"tomorrow"}`)); err != nil {
		t.Fatal(err)
	}
	if hits, _, err := find(x, Query{Text: "tomorrow"}); err != nil || !slices.Equal(ids(hits), []string{"late"}) {
		t.Errorf("text in a field of numbers: %v %v", ids(hits), err)
	}
}
