package search

import (
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/char/asciifolding"
	"github.com/blevesearch/bleve/v2/registry"
	"golang.org/x/text/unicode/norm"
)

// Mapping names how documents become index fields and text becomes terms
// (spec/protocol.md §7.3); an index of another mapping is rebuilt.
const Mapping = "hearth-text-2"

// OldMappings are the mappings earlier versions of this client wrote: an
// index of one is rebuilt as a matter of course, not as one that failed
// verification (Store.Rebuilt).
var OldMappings = []string{"hearth-text-1"}

// The analyser of Mapping: words are maximal runs of letters, digits and
// combining marks, except that each Han, Hiragana or Katakana character is
// a word of its own; words are folded (fold: lower case, no accents), and
// the 33 English stop words below are dropped. It is written here, not
// taken from bleve's standard analyser, because the spec fixes it and
// because it is several times faster (indexing speed in WebAssembly is
// mostly analysis): a word of ASCII letters and digits, the most common
// kind, is only lower-cased, in place or in one buffer.
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
		t := term(b[start:end], &buf, len(b))
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

// term returns the term of word w: w itself when it is lower-case ASCII,
// w lower-cased into *buf (made with capacity size when nil) when it is
// other ASCII, else fold(w).
func term(w []byte, buf *[]byte, size int) []byte {
	switch lowerKind(w) {
	case 1: // ASCII with capitals
		if *buf == nil {
			*buf = make([]byte, 0, size)
		}
		n := len(*buf)
		for _, c := range w {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			*buf = append(*buf, c)
		}
		return (*buf)[n:len(*buf):len(*buf)]
	case 2:
		return fold(w)
	}
	return w
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

var toASCII = asciifolding.New()

// fold returns the term of a word that is not all ASCII, as a new slice
// (§7.3): the word in canonical decomposition (NFD), without the
// nonspacing marks (accents) that follow a Latin, Greek or Cyrillic
// letter, then folded to ASCII where Lucene's ASCII folding (bleve's
// char/asciifolding) has a folding (ø → o, ß → ss, æ → ae, ł → l,
// full-width letters), then lower-cased (Unicode simple case mapping) and
// composed again (NFC). So "Zoë", "ZOË", "Zoe\u0308" and "zoe" are all
// "zoe", and "École" is "ecole"; marks that are part of other scripts'
// letters (Devanagari's vowel signs, Hangul) are kept.
func fold(w []byte) []byte {
	if latinOnly(w) {
		// The words of most languages written in Latin letters: the ASCII
		// folding alone gives what decomposing and dropping marks would
		// (TestFoldLatinFastPath checks every such letter).
		return lowerFolded(toASCII.Filter(w))
	}
	return foldDecomposed(w)
}

// foldDecomposed is fold, the long way.
func foldDecomposed(w []byte) []byte {
	d := norm.NFD.Append(nil, w...)
	out := d[:0] // marks are dropped in place, in this copy
	strip := false
	for i := 0; i < len(d); {
		r, n := utf8.DecodeRune(d[i:])
		if unicode.Is(unicode.Mn, r) {
			if !strip {
				out = append(out, d[i:i+n]...)
			}
		} else {
			strip = unicode.In(r, unicode.Latin, unicode.Greek, unicode.Cyrillic)
			out = append(out, d[i:i+n]...)
		}
		i += n
	}
	if !isASCII(out) {
		out = toASCII.Filter(out)
	}
	return lowerFolded(out)
}

// latinOnly reports whether w holds only ASCII and precomposed Latin
// letters (U+0080 to U+024F, U+1E00 to U+1EFF) and no combining mark, but
// for the three letters whose ASCII folding is not that of their
// decomposition (ǯ, Ǯ: ʒ with a caron; ẛ: ſ with a dot, which the folding
// makes f).
func latinOnly(w []byte) bool {
	for i := 0; i < len(w); {
		r, n := utf8.DecodeRune(w[i:])
		if r >= 0x250 && (r < 0x1E00 || r > 0x1EFF) || r == 0x1EE || r == 0x1EF || r == 0x1E9B {
			return false
		}
		i += n
	}
	return true
}

// lowerFolded lower-cases a folded word (w may be changed) and composes
// what is left of other scripts (NFC).
func lowerFolded(w []byte) []byte {
	if isASCII(w) {
		for i, c := range w {
			if 'A' <= c && c <= 'Z' {
				w[i] = c + 'a' - 'A'
			}
		}
		return w
	}
	rs := []rune(string(w))
	for i, r := range rs {
		rs[i] = unicode.ToLower(r)
	}
	return norm.NFC.Bytes([]byte(string(rs)))
}

func isASCII(w []byte) bool {
	for _, c := range w {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// foldWord returns the term of one word as the analyser makes it, stop
// words included.
func foldWord(w []byte) []byte {
	var buf []byte
	return term(w, &buf, len(w))
}

// foldText folds every word of s and leaves the rest as it is: how a
// prefix or a wildcard pattern ("Zoë*", "éco?e") is made to match the
// terms of the index.
func foldText(s string) string {
	b := []byte(s)
	var out []byte
	at := 0
	words(b, func(start, end int) {
		out = append(out, b[at:start]...)
		out = append(out, foldWord(b[start:end])...)
		at = end
	})
	return string(append(out, b[at:]...))
}

// Terms returns the terms the analyser makes of text, in order.
func Terms(text string) []string {
	var out []string
	for _, t := range (analyzer{}).Analyze([]byte(text)) {
		out = append(out, string(t.Term))
	}
	return out
}
