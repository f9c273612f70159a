package search

import (
	"unicode"

	"github.com/blevesearch/bleve/v2/analysis"
)

// IndexAsOldMapping makes the documents indexed from now until undo is
// called analysed as mapping hearth-text-1 did: words lower-cased, accents
// kept ("Zoë" is the term "zoë"). The manifest a Store saves meanwhile
// still names the current mapping: a test that wants an index of the old
// mapping writes its manifest so. Tests of this package do not run in
// parallel.
func IndexAsOldMapping() (undo func()) {
	an = oldAnalyzer{}
	return func() { an = analyzer{} }
}

type oldAnalyzer struct{}

func (oldAnalyzer) Analyze(b []byte) analysis.TokenStream {
	var out analysis.TokenStream
	words(b, func(start, end int) {
		rs := []rune(string(b[start:end]))
		for i, r := range rs {
			rs[i] = unicode.ToLower(r)
		}
		if t := string(rs); !stopWords[t] {
			out = append(out, &analysis.Token{Start: start, End: end, Term: []byte(t), Position: len(out) + 1, Type: analysis.AlphaNumeric})
		}
	})
	return out
}
