package search

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/search/query"
)

// Found is one document a Store search found.
type Found struct {
	ID      string
	Score   float64
	Content []byte   // the document as opened
	Snippet *Snippet // where it matched; nil when no text shows a term
}

// Snippet is a short piece of one text member of a document, with the
// words that match the query marked.
type Snippet struct {
	Field string   `json:"field"`
	Text  string   `json:"text"`
	Marks [][2]int `json:"marks"` // byte ranges of Text, in order
	// CutStart and CutEnd say Text starts or ends inside the member's text.
	CutStart bool `json:"cutStart,omitempty"`
	CutEnd   bool `json:"cutEnd,omitempty"`
}

// Results is what Store.Search found.
type Results struct {
	Found []Found
	// Total is how many documents matched in the index; for a query with
	// a phrase, before the phrase was checked in each.
	Total uint64
}

// Search runs q over the index, opens the documents found (phrases are
// checked in them) and computes a snippet of each. Documents come from the
// Store's memory where it has them, else from the server (§1.2). A
// document deleted since the index last caught up is left out; one the
// server says was never written is an integrity error.
func (s *Store) Search(ctx context.Context, q Query) (*Results, error) {
	s.mu.Lock()
	x := s.x
	s.mu.Unlock()
	limit := q.Limit
	if limit <= 0 {
		limit = 20
	}
	limit = min(limit, 1000)
	want := limit
	for {
		q.Limit = want
		r, err := x.Search(q)
		if err != nil {
			return nil, err
		}
		out := &Results{Total: r.Total}
		ids := make([]string, len(r.Hits))
		for i, h := range r.Hits {
			ids[i] = h.ID
		}
		contents, err := s.contents(ctx, ids, false)
		if err != nil {
			return nil, err
		}
		hl := highlighter(q.Text)
		for i, c := range contents {
			seen := Indexed(s.doctype, c)
			if c == nil || seen == nil || !MatchesPhrases(seen, r.Phrases) {
				continue // deleted since the index caught up, or not the phrase
			}
			out.Found = append(out.Found, Found{ID: ids[i], Score: r.Hits[i].Score, Content: c, Snippet: hl.snippet(seen)})
			if len(out.Found) == limit {
				break
			}
		}
		// With phrases, some hits are not hits: ask for more, up to a
		// thousand candidates.
		if len(out.Found) == limit || uint64(len(r.Hits)) >= r.Total || want >= 1000 {
			return out, nil
		}
		want = min(want*4, 1000)
	}
}

// highlight matches the words of a query.
type highlight struct {
	exact    map[string]bool
	prefixes []string
	fuzzy    []fuzzyTerm
}

type fuzzyTerm struct {
	term string
	dist int
}

// highlighter collects the words a snippet marks: every word, prefix and
// fuzzy word of q that is not excluded.
func highlighter(text string) *highlight {
	h := &highlight{exact: map[string]bool{}}
	q, err := parse(text)
	if err != nil {
		return h
	}
	var walk func(q query.Query)
	walk = func(q query.Query) {
		switch q := q.(type) {
		case *query.BooleanQuery:
			for _, c := range []query.Query{q.Must, q.Should, q.Filter} {
				if c != nil {
					walk(c)
				}
			}
		case *query.ConjunctionQuery:
			for _, c := range q.Conjuncts {
				walk(c)
			}
		case *query.DisjunctionQuery:
			for _, c := range q.Disjuncts {
				walk(c)
			}
		case *query.MatchQuery:
			for _, t := range Terms(q.Match) {
				if q.Fuzziness > 0 {
					h.fuzzy = append(h.fuzzy, fuzzyTerm{t, q.Fuzziness})
				} else {
					h.exact[t] = true
				}
			}
		case *query.MatchPhraseQuery:
			for _, t := range Terms(q.MatchPhrase) {
				h.exact[t] = true
			}
		case *query.WildcardQuery:
			if p, ok := strings.CutSuffix(q.Wildcard, "*"); ok && !strings.ContainsAny(p, "*?") {
				b := []byte(p)
				words(b, func(start, end int) {
					h.prefixes = append(h.prefixes, string(foldWord(b[start:end])))
				})
			}
		case *query.PrefixQuery:
			h.prefixes = append(h.prefixes, foldText(q.Prefix))
		}
	}
	walk(q)
	return h
}

func (h *highlight) match(term string) bool {
	if h.exact[term] {
		return true
	}
	for _, p := range h.prefixes {
		if strings.HasPrefix(term, p) {
			return true
		}
	}
	for _, f := range h.fuzzy {
		if levenshtein(term, f.term, f.dist) <= f.dist {
			return true
		}
	}
	return false
}

// snippetLen is about how many bytes of text a snippet shows.
const snippetLen = 180

// snippet picks the text member with the most matching words and the
// stretch of it around the first match, in the member's text without its
// Markdown marks (PlainText).
func (h *highlight) snippet(content []byte) *Snippet {
	var best *Snippet
	bestN := 0
	members(content, func(name string, v value) {
		if v.kind != 's' {
			return
		}
		text := PlainText(string(v.text))
		marks := h.marks(text)
		if len(marks) > bestN {
			best, bestN = cut(name, text, marks), len(marks)
		}
	})
	return best
}

// marks returns the byte ranges of the words of text that match.
func (h *highlight) marks(text string) [][2]int {
	var out [][2]int
	b := []byte(text)
	words(b, func(start, end int) {
		if h.match(string(foldWord(b[start:end]))) {
			out = append(out, [2]int{start, end})
		}
	})
	return out
}

// cut returns the stretch of text around the first mark, about snippetLen
// bytes, cut at spaces where it can be.
func cut(field, text string, marks [][2]int) *Snippet {
	if len(text) <= snippetLen {
		return &Snippet{Field: field, Text: text, Marks: marks}
	}
	start := max(0, marks[0][0]-snippetLen/3)
	if start > 0 {
		if i := strings.IndexByte(text[start:marks[0][0]], ' '); i >= 0 {
			start += i + 1
		}
		for start < len(text) && !utf8.RuneStart(text[start]) {
			start++
		}
	}
	end := min(len(text), start+snippetLen)
	if end < len(text) {
		if i := strings.LastIndexByte(text[marks[0][1]:end], ' '); i >= 0 {
			end = marks[0][1] + i
		}
		for end > start && end < len(text) && !utf8.RuneStart(text[end]) {
			end--
		}
	}
	sn := &Snippet{Field: field, Text: text[start:end], CutStart: start > 0, CutEnd: end < len(text)}
	for _, m := range marks {
		if m[0] >= start && m[1] <= end {
			sn.Marks = append(sn.Marks, [2]int{m[0] - start, m[1] - start})
		}
	}
	return sn
}

// levenshtein returns the edit distance of a and b, or max+1 once it is
// known to exceed max.
func levenshtein(a, b string, max int) int {
	ra, rb := []rune(a), []rune(b)
	if d := len(ra) - len(rb); d > max || -d > max {
		return max + 1
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		low := cur[0]
		for j := 1; j <= len(rb); j++ {
			c := 1
			if ra[i-1] == rb[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
			low = min(low, cur[j])
		}
		if low > max {
			return max + 1
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
