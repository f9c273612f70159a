package search

import (
	"encoding/json"
	"slices"
	"strconv"

	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/hearthcloud/hearth/internal/jsonscan"
)

// Phrase is a phrase a hit must contain: its words in order, in field Field
// (in any text field when Field is empty).
type Phrase struct {
	Field string
	Text  string
}

// rewrite adapts a parsed query to mapping hearth-text-2: a clause that
// names no field is asked of every text field, and a phrase becomes all of
// its words in one field, remembered in phrases when every hit must contain
// it (required: it is a +clause, or the only clause), to be checked in the
// documents. Elsewhere (an optional or excluded phrase) it stays all of
// its words.
func rewrite(q query.Query, fields []string, phrases *[]Phrase, required bool) query.Query {
	switch q := q.(type) {
	case *query.BooleanQuery:
		hasMust := q.Must != nil
		if q.Must != nil {
			q.Must = rewrite(q.Must, fields, phrases, required)
		}
		if q.Should != nil {
			sole := !hasMust && single(q.Should)
			q.Should = rewrite(q.Should, fields, phrases, required && sole)
		}
		if q.MustNot != nil {
			q.MustNot = rewrite(q.MustNot, fields, phrases, false)
		}
		if q.Filter != nil {
			q.Filter = rewrite(q.Filter, fields, phrases, required)
		}
		return q
	case *query.ConjunctionQuery:
		for i, c := range q.Conjuncts {
			q.Conjuncts[i] = rewrite(c, fields, phrases, required)
		}
		return q
	case *query.DisjunctionQuery:
		for i, c := range q.Disjuncts {
			q.Disjuncts[i] = rewrite(c, fields, phrases, required && len(q.Disjuncts) == 1)
		}
		return q
	case *query.MatchPhraseQuery:
		if required {
			*phrases = append(*phrases, Phrase{Field: q.FieldVal, Text: q.MatchPhrase})
		}
		m := query.NewMatchQuery(q.MatchPhrase)
		m.SetField(q.FieldVal)
		m.SetOperator(query.MatchQueryOperatorAnd)
		m.BoostVal = q.BoostVal
		return expand(m, fields)
	case *query.WildcardQuery:
		// Patterns are not analysed: their words are folded as terms are.
		q.Wildcard = foldText(q.Wildcard)
		return expand(q, fields)
	case *query.PrefixQuery:
		q.Prefix = foldText(q.Prefix)
		return expand(q, fields)
	case query.FieldableQuery:
		return expand(q, fields)
	}
	return q
}

func single(q query.Query) bool {
	d, ok := q.(*query.DisjunctionQuery)
	return !ok || len(d.Disjuncts) == 1
}

// expand asks q of every field when it names none.
func expand(q query.FieldableQuery, fields []string) query.Query {
	if q.Field() != "" || len(fields) == 0 {
		return q
	}
	var out []query.Query
	for _, f := range fields {
		c := clone(q)
		if c == nil {
			return q
		}
		c.SetField(f)
		out = append(out, c)
	}
	if len(out) == 1 {
		return out[0]
	}
	return query.NewDisjunctionQuery(out)
}

func clone(q query.FieldableQuery) query.FieldableQuery {
	switch q := q.(type) {
	case *query.MatchQuery:
		c := *q
		return &c
	case *query.WildcardQuery:
		c := *q
		return &c
	case *query.RegexpQuery:
		c := *q
		return &c
	case *query.PrefixQuery:
		c := *q
		return &c
	case *query.FuzzyQuery:
		c := *q
		return &c
	case *query.TermQuery:
		c := *q
		return &c
	case *query.NumericRangeQuery:
		c := *q
		return &c
	case *query.DateRangeQuery:
		c := *q
		return &c
	}
	return nil
}

// value is a member's value: text, a number or a boolean.
type value struct {
	kind byte   // 's', 'n' or 'b'
	text []byte // kind 's' (may alias the content: not to be changed)
	num  float64
	b    bool
}

// members calls fn with every member of content as mapping hearth-text-2
// indexes it (§7.3): name (dotted for nested objects) and value, in the
// order of the document. Content that is not a JSON object is one text
// member "text": the string, if it is a JSON string, or else the content.
// It reads JSON with package jsonscan: decoding into maps with
// encoding/json took most of the time of indexing under WebAssembly.
func members(content []byte, fn func(name string, v value)) {
	type member struct {
		name string
		v    value
	}
	var ms []member
	s := &jsonscan.Scanner{B: content}
	s.WS()
	if s.I < len(content) && content[s.I] == '{' {
		n := 0
		// walk reads a value, keeping it when keep (a member named ""
		// or "_…" is read, as encoding/json would, but not kept).
		var walk func(name string, depth int, keep bool) error
		walk = func(name string, depth int, keep bool) error {
			s.WS()
			if s.I >= len(content) {
				return jsonscan.ErrMalformed
			}
			if n >= maxFields || len(name) > maxName || depth > maxDepth {
				return s.Skip(depth)
			}
			switch content[s.I] {
			case '"':
				t, err := s.Str()
				if err == nil && keep {
					n++
					ms = append(ms, member{name, value{kind: 's', text: t}})
				}
				return err
			case '{':
				return s.Object(nil, func(k string) error {
					keep := keep && k != "" && k[0] != '_'
					if name != "" {
						k = name + "." + k
					}
					return walk(k, depth+1, keep)
				})
			case '[':
				return s.Array(func() error { return walk(name, depth+1, keep) })
			case 't', 'f':
				var b bool
				err := s.Bool(&b)
				if err == nil && keep {
					n++
					ms = append(ms, member{name, value{kind: 'b', b: b}})
				}
				return err
			case 'n':
				if s.Word("null") {
					return nil
				}
				return jsonscan.ErrMalformed
			default:
				lit, err := s.Number()
				if err != nil {
					return err
				}
				f, err := strconv.ParseFloat(string(lit), 64)
				if err != nil {
					return jsonscan.ErrMalformed // out of float64's range, as encoding/json has it
				}
				if keep {
					n++
					ms = append(ms, member{name, value{kind: 'n', num: f}})
				}
				return nil
			}
		}
		if walk("", 0, true) == nil && s.End() == nil {
			for _, m := range ms {
				fn(m.name, m.v)
			}
			return
		}
	}
	var str string
	if json.Unmarshal(content, &str) == nil {
		fn("text", value{kind: 's', text: []byte(str)})
		return
	}
	fn("text", value{kind: 's', text: content})
}

// MatchesPhrases reports whether content, a document's content, holds
// every phrase: its terms one after the other in one text member (of the
// phrase's field, if it names one).
func MatchesPhrases(content []byte, phrases []Phrase) bool {
	if len(phrases) == 0 {
		return true
	}
	type member struct {
		name  string
		terms []string
	}
	var ms []member
	members(content, func(name string, v value) {
		if v.kind == 's' {
			ms = append(ms, member{name, Terms(string(v.text))})
		}
	})
	for _, p := range phrases {
		want := Terms(p.Text)
		found := len(want) == 0
		for _, m := range ms {
			if found {
				break
			}
			if p.Field != "" && m.name != p.Field {
				continue
			}
			for i := 0; i+len(want) <= len(m.terms); i++ {
				if slices.Equal(m.terms[i:i+len(want)], want) {
					found = true
					break
				}
			}
		}
		if !found {
			return false
		}
	}
	return true
}
