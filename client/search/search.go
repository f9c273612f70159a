// Package search is full-text search over the documents of one doctype,
// built in the client (spec/protocol.md §7): a bleve index kept in memory
// (scorch, whose on-disk root file is never used: go.mod replaces
// go.etcd.io/bbolt with internal/bbolt-standin), natively and under
// GOOS=js GOARCH=wasm alike. One index per doctype, so that an app searches
// only what it may read.
//
// Documents become fields as mapping hearth-text-2 says (§7.3, Mapping):
// every string member of a JSON object is text under its name (nested
// objects give dotted names), numbers are numeric fields that can be
// filtered by range and sorted on; content that is not a JSON object is the
// text field "text". Words are folded (lower case, no accents: "Zoë" and
// "ZOE" are the term "zoe"). Terms are indexed without positions and no
// value is stored, which keeps the sealed index smaller than the text it
// indexes.
//
// Queries use bleve's query-string syntax: words, "phrases", prefixes
// (plan*), fuzzy words (plna~1), field filters (title:plans,
// updated:>1700000000000), +required and -excluded; but every clause is
// required, as if marked +, except where OR joins alternatives (syntax.go).
// A word that names no field is looked for in every text field, folded as
// the documents' words are. Without positions, a phrase
// matches as all of its words; Result.Phrases lists the phrases a hit must
// contain, which the caller checks in the opened document (Store.Search
// does, with MatchesPhrases).
//
// An index is exported as its segments and loaded back from them
// (segments.go); Store (store.go) keeps them up to date from the changes
// feed and stores them sealed under a manifest (manifest.go) with Save
// (save.go).
package search

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/document"
	"github.com/blevesearch/bleve/v2/index/scorch"
	index "github.com/blevesearch/bleve_index_api"
)

// Index is the search index of one doctype's documents. Its methods may be
// called from several goroutines.
type Index struct {
	doctype string
	idx     bleve.Index

	mu      sync.Mutex
	numeric map[string]bool // fields known to hold text: false (textFields)
}

// New returns an empty index for doctype.
func New(doctype string) (*Index, error) {
	m := bleve.NewIndexMapping()
	m.DefaultAnalyzer = Mapping
	m.DefaultMapping.Dynamic = false
	m.StoreDynamic, m.IndexDynamic, m.DocValuesDynamic = false, false, false
	idx, err := bleve.NewUsing("", m, scorch.Name, scorch.Name, scorchConfig())
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	return &Index{doctype: doctype, idx: idx}, nil
}

// Doctype returns the doctype the index covers.
func (x *Index) Doctype() string { return x.doctype }

// Put indexes content as the current revision of document id, replacing
// what was indexed for it before.
func (x *Index) Put(id string, content []byte) error {
	return x.PutMany([]Doc{{ID: id, Content: content}})
}

// Doc is a document to index: its id and content, or Deleted to take it
// out of the index.
type Doc struct {
	ID      string
	Content []byte
	Deleted bool
}

// PutMany indexes docs in one batch, as Put does each (a Doc marked
// Deleted is deleted). Prefer it for more than a few documents: each batch
// adds a segment to the index, and queries slow down with their number.
func (x *Index) PutMany(docs []Doc) error {
	b := x.idx.NewBatch()
	for _, d := range docs {
		if d.ID == "" {
			return errors.New("search: a document needs an id")
		}
		content := Indexed(x.doctype, d.Content)
		if d.Deleted || content == nil {
			b.Delete(d.ID)
			continue
		}
		if err := b.IndexAdvanced(makeDocument(d.ID, content)); err != nil {
			return fmt.Errorf("search: %w", err)
		}
	}
	if b.Size() == 0 {
		return nil
	}
	return x.idx.Batch(b)
}

// Limits on what one document gives the index.
const (
	maxDepth  = 8
	maxFields = 1000
	maxName   = 200
)

var an analysis.Analyzer = analyzer{} // a variable for the tests (export_test.go)

// makeDocument turns content into fields as mapping hearth-text-2 says.
func makeDocument(id string, content []byte) *document.Document {
	doc := document.NewDocument(id)
	members(content, func(name string, v value) {
		switch v.kind {
		case 's':
			doc.AddField(document.NewTextFieldCustom(name, nil, v.text, index.IndexField, an))
		case 'n':
			doc.AddField(document.NewNumericFieldWithIndexingOptions(name, nil, v.num, index.IndexField|index.DocValues))
		case 'b':
			doc.AddField(document.NewTextFieldCustom(name, nil, []byte(strconv.FormatBool(v.b)), index.IndexField, an))
		}
	})
	return doc
}

// Delete removes document id from the index (a document not indexed is no
// error).
func (x *Index) Delete(id string) error { return x.idx.Delete(id) }

// Count returns how many documents the index holds.
func (x *Index) Count() (uint64, error) { return x.idx.DocCount() }

// Query is a search.
type Query struct {
	Text string // the query syntax of the package comment
	// Limit is the most hits returned (default 20, at most 1000).
	Limit int
	// SortBy lists numeric or text fields to order hits by, "-" first for
	// descending ("-updated": newest first); none orders by score.
	SortBy []string
}

// Hit is one document that matched, best first.
type Hit struct {
	ID    string
	Score float64
}

// Result is what a search found.
type Result struct {
	Hits  []Hit
	Total uint64 // documents that matched in all
	// Phrases are the phrases every hit must contain, as the index cannot
	// tell (it keeps no positions): check them in the opened document with
	// MatchesPhrases. Total counts the hits before that check.
	Phrases []Phrase
}

// ErrBadQuery wraps a query the syntax does not allow.
var ErrBadQuery = errors.New("search: malformed query")

// Search runs q.
func (x *Index) Search(q Query) (*Result, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 20
	}
	limit = min(limit, 1000)
	parsed, err := parse(q.Text)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadQuery, err)
	}
	fields, err := x.textFields()
	if err != nil {
		return nil, err
	}
	var phrases []Phrase
	parsed = rewrite(parsed, fields, &phrases, true)
	req := bleve.NewSearchRequestOptions(parsed, limit, 0, false)
	if len(q.SortBy) > 0 {
		req.SortBy(q.SortBy)
	}
	res, err := x.idx.Search(req)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	out := &Result{Hits: make([]Hit, len(res.Hits)), Total: res.Total, Phrases: phrases}
	for i, h := range res.Hits {
		out.Hits[i] = Hit{ID: h.ID, Score: h.Score}
	}
	return out, nil
}

// textFields returns the names of the index's fields, sorted: a word that
// names no field is looked for in each.
//
// Fields that hold only numbers are left out: a word never matches a
// number, and a prefix or fuzzy word would walk all of a numeric field's
// terms for nothing. A field holds numbers if its dictionary holds a term
// of full precision, whose first byte is 0x20 (bleve's prefix coding),
// which no text term has; it holds text too if it holds a term from 0x60
// on (bleve's numeric terms start with 0x20 to 0x5f; words hold letters,
// lower-cased, or other scripts' bytes, from 0x61 on). So one document
// with a number where the others have text ({"title": 12345}) does not
// hide the field from every search. Only what holds text is remembered: a
// field of numbers may get text later.
func (x *Index) textFields() ([]string, error) {
	fs, err := x.idx.Fields()
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.numeric == nil {
		x.numeric = map[string]bool{}
	}
	has := func(d index.FieldDict, err error) (bool, error) {
		if err != nil {
			return false, fmt.Errorf("search: %w", err)
		}
		e, err := d.Next()
		d.Close()
		if err != nil {
			return false, fmt.Errorf("search: %w", err)
		}
		return e != nil, nil
	}
	out := fs[:0]
	for _, f := range fs {
		if strings.HasPrefix(f, "_") {
			continue
		}
		num, ok := x.numeric[f]
		if !ok {
			if num, err = has(x.idx.FieldDictPrefix(f, []byte{0x20})); err != nil {
				return nil, err
			}
			if num {
				text, err := has(x.idx.FieldDictRange(f, []byte{0x60}, []byte{0xff}))
				if err != nil {
					return nil, err
				}
				num = !text
			}
			if !num {
				x.numeric[f] = false
			}
		}
		if !num {
			out = append(out, f)
		}
	}
	slices.Sort(out)
	return out, nil
}

// Close releases the index.
func (x *Index) Close() error { return x.idx.Close() }
