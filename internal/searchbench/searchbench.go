// Package searchbench makes the corpus and the query set of the search
// benchmarks (client/search, bench/plainbleve; BENCHMARKS.md): notes of
// about 1 KB of English-like text, the same for the same seed, and a fixed
// set of queries of the kinds a person types into a search box.
//
// The text follows the statistics of natural language rather than any
// language: a vocabulary of 150,000 words whose frequencies follow Zipf's
// law (exponent about 1), the 33 most frequent being English stop words
// (which the index leaves out, as real text's "the", "of", "and" are), the
// others made-up words of 3 to 11 letters. So most words are rare, as in a
// person's notes (names, places, topics), and a few are in a large share
// of the notes.
package searchbench

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
)

// Vocabulary is the number of distinct words.
const Vocabulary = 150_000

// stop are the 33 most frequent words, in order: the stop words of
// mappings hearth-text-1 and hearth-text-2 (spec/protocol.md §7.3).
var stop = []string{"the", "of", "and", "to", "a", "in", "is", "that", "it", "was", "for", "on", "as",
	"with", "be", "by", "at", "this", "are", "but", "not", "or", "they", "their", "an", "there", "if",
	"will", "no", "such", "into", "then", "these"}

// Note is one generated document.
type Note struct {
	ID      string
	Content []byte
}

// Corpus is a generated vocabulary and what is made from it.
type Corpus struct {
	words []string // by rank: words[0] is the most frequent
	seed  uint64
}

// New returns the corpus of seed.
func New(seed uint64) *Corpus {
	r := rand.New(rand.NewPCG(seed, 0x5ea4c4))
	c := &Corpus{seed: seed, words: make([]string, 0, Vocabulary)}
	seen := map[string]bool{}
	for _, w := range stop {
		c.words = append(c.words, w)
		seen[w] = true
	}
	// Letters roughly as often as in English.
	const letters = "eeeeeeeeeeeetttttttttaaaaaaaaooooooooiiiiiiinnnnnnnsssssshhhhhhrrrrrrddddllllcccuuummmwwffggyyppbbvkjxqz"
	for len(c.words) < Vocabulary {
		l := 3 + r.IntN(9)
		var b strings.Builder
		for range l {
			b.WriteByte(letters[r.IntN(len(letters))])
		}
		w := b.String()
		if !seen[w] {
			seen[w] = true
			c.words = append(c.words, w)
		}
	}
	return c
}

// Word returns the word of rank r (0 is the most frequent).
func (c *Corpus) Word(r int) string { return c.words[min(r, len(c.words)-1)] }

// Notes returns n notes: {"title", "body", "updated"}, a title of 2 to 6
// words and a body of 130 to 160, about 1 KB in all.
func (c *Corpus) Notes(n int) []Note {
	r := rand.New(rand.NewPCG(c.seed, 1))
	z := rand.NewZipf(r, 1.01, 1, uint64(len(c.words)-1))
	words := func(k int, noStop bool) string {
		var b strings.Builder
		for i := 0; i < k; {
			rank := int(z.Uint64())
			if noStop && rank < len(stop) {
				continue
			}
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(c.words[rank])
			i++
		}
		return b.String()
	}
	out := make([]Note, n)
	for i := range out {
		title := words(2+r.IntN(5), true)
		body := words(130+r.IntN(31), false)
		content, _ := json.Marshal(map[string]any{
			"title":   strings.ToUpper(title[:1]) + title[1:],
			"body":    body,
			"updated": 1_700_000_000_000 + int64(i)*60_000,
		})
		out[i] = Note{ID: fmt.Sprintf("n%07d", i), Content: content}
	}
	return out
}

// Query is one query of the set.
type Query struct {
	Kind   string
	Text   string
	SortBy []string
}

// Queries returns the query set, made from the vocabulary and, for
// phrases, from notes (those Notes returned). Most queries are of a word a
// person remembers from one note: a word drawn uniformly from the
// vocabulary (past the 300 most frequent), alone, with another, as a
// prefix of four letters (as typed), misspelt (fuzzy), in the title, with
// a broad word excluded, or sorted by date. "broad" queries are of words
// in many notes (ranks 34 to 300: from a third of the notes to a few per
// cent), and "prefix2" of two letters: those match thousands of notes, and
// are reported apart.
func (c *Corpus) Queries(notes []Note) []Query {
	r := rand.New(rand.NewPCG(c.seed, 2))
	distinct := func() string { return c.words[300+r.IntN(len(c.words)-300)] }
	var qs []Query
	add := func(kind, text string, sortBy ...string) {
		qs = append(qs, Query{Kind: kind, Text: text, SortBy: sortBy})
	}
	for range 16 {
		add("word", distinct())
	}
	for range 6 {
		add("two", distinct()+" "+distinct())
	}
	for len(qs) < 16+6+6 {
		if w := distinct(); len(w) >= 5 {
			add("prefix", w[:4]+"*")
		}
	}
	for n := 0; n < 4; {
		if w := distinct(); len(w) >= 5 {
			add("fuzzy", w[:2]+w[3:]+"~1") // a letter left out
			n++
		}
	}
	// Title words: the second word of some notes' titles.
	for i := range 4 {
		var v struct{ Title string }
		json.Unmarshal(notes[(i*7919+13)%len(notes)].Content, &v)
		f := strings.Fields(strings.ToLower(v.Title))
		add("field", "title:"+f[len(f)-1])
	}
	// Phrases: two words following each other in some notes' bodies.
	for i := range 4 {
		var v struct{ Body string }
		json.Unmarshal(notes[(i*104729+101)%len(notes)].Content, &v)
		f := strings.Fields(v.Body)
		for j := 40; j+1 < len(f); j++ {
			if !isStop(f[j]) && !isStop(f[j+1]) {
				add("phrase", `"`+f[j]+" "+f[j+1]+`"`)
				break
			}
		}
	}
	for i := range 4 {
		add("plusminus", "+"+distinct()+" -"+c.words[40+10*i])
	}
	for range 4 {
		add("sorted", distinct(), "-updated")
	}
	for _, rank := range []int{33, 50, 100, 300} {
		add("broad", c.words[rank])
	}
	for _, rank := range []int{60, 200} {
		add("prefix2", c.words[rank][:2]+"*")
	}
	return qs
}

func isStop(w string) bool {
	for _, s := range stop {
		if s == w {
			return true
		}
	}
	return false
}

// Typical reports whether a query kind is of the set a median is taken
// over: all but the broad ones, which BENCHMARKS.md reports apart.
func Typical(kind string) bool { return kind != "broad" && kind != "prefix2" }
