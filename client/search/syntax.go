package search

import (
	"github.com/blevesearch/bleve/v2/search/query"
)

// parse reads a query (spec/web.md §3.7): bleve's query-string syntax,
// except that every word, phrase or other clause is required, not only
// those marked +; clauses joined by OR (in capitals) are alternatives, of
// which one is required ("lisbon OR porto coast": coast, and lisbon or
// porto). A clause that holds only stop words ("the") is left out, so it
// does not make a query match nothing.
func parse(text string) (query.Query, error) {
	q, err := query.NewQueryStringQuery(text).Parse()
	if err != nil {
		return nil, err
	}
	b, ok := q.(*query.BooleanQuery)
	if !ok {
		return q, nil
	}
	var must []query.Query
	if c, ok := b.Must.(*query.ConjunctionQuery); ok {
		for _, q := range c.Conjuncts {
			if !empty(q) {
				must = append(must, q)
			}
		}
	}
	var groups [][]query.Query
	if d, ok := b.Should.(*query.DisjunctionQuery); ok {
		or := false
		for _, q := range d.Disjuncts {
			switch {
			case isOr(q):
				or = len(groups) > 0
			case empty(q):
			case or:
				groups[len(groups)-1] = append(groups[len(groups)-1], q)
				or = false
			default:
				groups = append(groups, []query.Query{q})
			}
		}
	}
	for _, g := range groups {
		if len(g) == 1 {
			must = append(must, g[0])
		} else {
			must = append(must, query.NewDisjunctionQuery(g))
		}
	}
	out := query.NewBooleanQueryForQueryString(must, nil, nil)
	out.MustNot = b.MustNot
	return out, nil
}

// isOr reports whether q is the word OR between two clauses.
func isOr(q query.Query) bool {
	m, ok := q.(*query.MatchQuery)
	return ok && m.Match == "OR" && m.FieldVal == "" && m.Fuzziness == 0 && m.BoostVal == nil
}

// empty reports whether q is a word or phrase without a term (stop words
// only).
func empty(q query.Query) bool {
	switch q := q.(type) {
	case *query.MatchQuery:
		return len(Terms(q.Match)) == 0
	case *query.MatchPhraseQuery:
		return len(Terms(q.MatchPhrase)) == 0
	}
	return false
}
