package search

import (
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// TestFold: accents and case are folded the same way at index and query
// time (mapping hearth-text-2, spec/protocol.md §7.3), in any Unicode
// normalization form; other scripts' marks are kept.
func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"zoe": "zoe", "Zoë": "zoe", "ZOË": "zoe", "Zoe\u0308": "zoe", "École": "ecole", "E\u0301COLE": "ecole",
		"Straße": "strasse", "Øresund": "oresund", "Łódź": "lodz", "İstanbul": "istanbul", "ﬁne": "fine",
		"ＬＩＳＢＯＮ": "lisbon", "Ελλάδα": "ελλαδα", "Ёлка": "елка", "Ærø": "aero", "Señor": "senor",
		"हिंदी": "हिंदी", "東": "東", "が": "が", "한국어": "한국어",
	} {
		if got := string(foldWord([]byte(in))); got != want {
			t.Errorf("%q folds to %q, want %q", in, got, want)
		}
	}
	// The content indexed is never changed in place.
	b := []byte("Zoe\u0308")
	Terms(string(b))
	foldWord(b)
	if string(b) != "Zoe\u0308" {
		t.Fatalf("the word was changed: %q", b)
	}
	if got := foldText("Zoë* É?ole"); got != "zoe* e?ole" {
		t.Fatalf("pattern: %q", got)
	}
}

func folded(t *testing.T) *Index {
	t.Helper()
	x, err := New("io.hearth.contacts")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	for id, c := range map[string]string{
		"zoe":     `{"name":{"full":"Zoë Ångström"},"org":{"name":"École normale"}}`,
		"zoe-nfd": `{"name":{"full":"ZOE\u0308 Dupont"}}`,
		"zurich":  `{"name":{"full":"Max"},"city":"ZÜRICH"}`,
		"plain":   `{"name":{"full":"Zoe Plain"},"city":"Lisbon"}`,
	} {
		if err := x.Put(id, []byte(c)); err != nil {
			t.Fatal(err)
		}
	}
	return x
}

// TestFoldedSearch: "zoe" finds Zoë (written composed or not) and Zoe,
// "ecole" finds École, and the other way round; prefixes, wildcards, fuzzy
// words and field filters fold too.
func TestFoldedSearch(t *testing.T) {
	x := folded(t)
	for q, want := range map[string][]string{
		"zoe":             {"plain", "zoe", "zoe-nfd"},
		"Zoë":             {"plain", "zoe", "zoe-nfd"},
		"ZOE":             {"plain", "zoe", "zoe-nfd"},
		"zoe ångström":    {"zoe"},
		"zoe angstrom":    {"zoe"},
		"ecole":           {"zoe"},
		"ÉCOLE":           {"zoe"},
		"école*":          {"zoe"},
		"Éco*":            {"zoe"},
		"ec?le":           {"zoe"},
		"zurich":          {"zurich"},
		"city:zürich":     {"zurich"},
		"zürih~1":         {"zurich"},
		`"zoe angstrom"`:  {"zoe"},
		`"École Normale"`: {"zoe"},
		"zoé -dupont":     {"plain", "zoe"},
	} {
		r, err := x.Search(Query{Text: q})
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if got := sorted(ids(r.Hits)); !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", q, got, want)
		}
	}
	// The snippet marks the word as written.
	sn := highlighter("zoe").snippet([]byte(`{"name":"Zoë Ångström"}`))
	if sn == nil || len(sn.Marks) != 1 || sn.Text[sn.Marks[0][0]:sn.Marks[0][1]] != "Zoë" {
		t.Fatalf("snippet %+v", sn)
	}
	if sn := highlighter("ÅNG*").snippet([]byte(`{"name":"Zoë Ångström"}`)); sn == nil || len(sn.Marks) != 1 || sn.Text[sn.Marks[0][0]:sn.Marks[0][1]] != "Ångström" {
		t.Fatalf("prefix snippet %+v", sn)
	}
	if !MatchesPhrases([]byte(`{"org":"ÉCOLE Normale"}`), []Phrase{{Text: "ecole normale"}}) {
		t.Fatal("a phrase did not fold")
	}
}

// TestAllWordsRequired: every word of a query is required ("lisbon
// coast" finds what has both); OR makes two alternatives; a stop word
// does not make a query match nothing; + and - keep their meaning.
func TestAllWordsRequired(t *testing.T) {
	x, err := New("io.hearth.notes")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	for id, c := range map[string]string{
		"both":   `{"title":"Lisbon","body":"The coast road."}`,
		"lisbon": `{"title":"Lisbon","body":"Trains."}`,
		"coast":  `{"title":"Coast","body":"Porto, by the sea."}`,
		"none":   `{"title":"Groceries","body":"Bread."}`,
	} {
		if err := x.Put(id, []byte(c)); err != nil {
			t.Fatal(err)
		}
	}
	for q, want := range map[string][]string{
		"lisbon coast":          {"both"},
		"Lisbon   Coast":        {"both"},
		"lisbon coa*":           {"both"},
		"the lisbon coast":      {"both"},
		"+lisbon coast":         {"both"},
		"lisbon -coast":         {"lisbon"},
		"lisbon OR coast":       {"both", "coast", "lisbon"},
		"lisbon OR porto coast": {"both", "coast"},
		"coast lisbon OR porto": {"both", "coast"},
		"lisbon or coast":       {"both"}, // "or" is a word (a stop word)
		"OR lisbon":             {"both", "lisbon"},
		"title:lisbon road":     {"both"},
		`"coast road" lisbon`:   {"both"},
		"lisbon bread":          {},
		"the":                   {},
	} {
		r, err := x.Search(Query{Text: q})
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if got := sorted(ids(r.Hits)); !slices.Equal(got, want) || r.Total != uint64(len(want)) {
			t.Errorf("%s: %v (%d), want %v", q, got, r.Total, want)
		}
	}
}

// TestFoldLatinFastPath: for every precomposed Latin letter (and the other
// characters of those blocks that can be in a word), the fast path of
// fold gives what decomposing gives, so that a word folds the same in
// any normalization form.
func TestFoldLatinFastPath(t *testing.T) {
	n := 0
	for r := rune(0x80); r <= 0x1EFF; r++ {
		if r == 0x250 {
			r = 0x1E00
		}
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r) {
			continue
		}
		for _, w := range []string{string(r), "a" + string(r), strings.ToUpper(string(r)) + "Z"} {
			if !latinOnly([]byte(w)) {
				continue // µ in capitals is Greek
			}
			fast, slow := string(fold([]byte(w))), string(foldDecomposed([]byte(w)))
			if fast != slow {
				t.Errorf("%q (U+%04X): %q, decomposed %q", w, r, fast, slow)
			}
			if nfd := norm.NFD.String(w); string(fold([]byte(nfd))) != fast {
				t.Errorf("%q (U+%04X) decomposed folds to %q, composed to %q", w, r, fold([]byte(nfd)), fast)
			}
		}
		n++
	}
	if n < 600 {
		t.Fatalf("only %d letters checked", n)
	}
}

// FuzzFold: a word folds the same in any normalization form, without a
// panic.
func FuzzFold(f *testing.F) {
	for _, s := range []string{"Zoë", "École", "Straße", "हिंदी", "한국어", "Ελλάδα", "ǅemal"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := string(foldWord([]byte(s)))
		if !utf8.ValidString(s) {
			return
		}
		for _, form := range []norm.Form{norm.NFC, norm.NFD} {
			if other := string(foldWord([]byte(form.String(s)))); other != got {
				t.Fatalf("%q folds to %q, and in another form (%q) to %q", s, got, form.String(s), other)
			}
		}
	})
}
