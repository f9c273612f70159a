package search

import (
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/registry"
)

// Mapping names how documents become index fields and text becomes terms
// (spec/protocol.md §7.3); an index of another mapping is rebuilt.
const Mapping = "hearth-text-1"

// The analyser of Mapping: words are maximal runs of letters, digits and
// combining marks, except that each Han, Hiragana or Katakana character is
// a word of its own; words are lower-cased, and the 33 English stop words
// below are dropped. It is written here, not taken from bleve's standard
// analyser, because the spec fixes it and because it is several times
// faster (indexing speed in WebAssembly is mostly analysis).
var stopWords = map[string]bool{}

func init() {
	for _, w := range []string{"a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into",
		"is", "it", "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there", "these",
		"they", "this", "to", "was", "will", "with"} {
		stopWords[w] = true
	}
	registry.RegisterAnalyzer(Mapping, func(map[string]interface{}, *registry.Cache) (analysis.Analyzer, error) {
		return analyzer{}, nil
	})
}

type analyzer struct{}

func (analyzer) Analyze(b []byte) analysis.TokenStream {
	// One allocation for the tokens and one for the lower-cased ASCII
	// words; terms already in lower case are slices of b.
	toks := make([]analysis.Token, 0, len(b)/6+1)
	var buf []byte
	words(b, func(start, end int) {
		w := b[start:end]
		t := w
		switch lowerKind(w) {
		case 1: // ASCII with capitals
			if buf == nil {
				buf = make([]byte, 0, len(b))
			}
			n := len(buf)
			for _, c := range w {
				if 'A' <= c && c <= 'Z' {
					c += 'a' - 'A'
				}
				buf = append(buf, c)
			}
			t = buf[n:len(buf):len(buf)]
		case 2:
			t = lower(w)
		}
		if stopWords[string(t)] {
			return
		}
		toks = append(toks, analysis.Token{Start: start, End: end, Term: t, Position: len(toks) + 1, Type: analysis.AlphaNumeric})
	})
	out := make(analysis.TokenStream, len(toks))
	for i := range toks {
		out[i] = &toks[i]
	}
	return out
}

// lowerKind returns 0 for a word in lower-case ASCII, 1 for other ASCII,
// 2 for a word with other characters.
func lowerKind(w []byte) int {
	k := 0
	for _, c := range w {
		if c >= utf8.RuneSelf {
			return 2
		}
		if 'A' <= c && c <= 'Z' {
			k = 1
		}
	}
	return k
}

// words calls fn with the byte range of every word of b, in order.
func words(b []byte, fn func(start, end int)) {
	start := -1
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
				if start < 0 {
					start = i
				}
			} else if start >= 0 {
				fn(start, i)
				start = -1
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		switch {
		case unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana):
			if start >= 0 {
				fn(start, i)
				start = -1
			}
			fn(i, i+n)
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r):
			if start < 0 {
				start = i
			}
		default:
			if start >= 0 {
				fn(start, i)
				start = -1
			}
		}
		i += n
	}
	if start >= 0 {
		fn(start, len(b))
	}
}

// lower returns w in lower case, as a new slice.
func lower(w []byte) []byte {
	if !isASCII(w) {
		return []byte(string(toLowerRunes(w)))
	}
	out := make([]byte, len(w))
	for i, c := range w {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}

func isASCII(w []byte) bool {
	for _, c := range w {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func toLowerRunes(w []byte) []rune {
	rs := []rune(string(w))
	for i, r := range rs {
		rs[i] = unicode.ToLower(r)
	}
	return rs
}

// Terms returns the terms the analyser makes of text, in order.
func Terms(text string) []string {
	var out []string
	for _, t := range (analyzer{}).Analyze([]byte(text)) {
		out = append(out, string(t.Term))
	}
	return out
}
