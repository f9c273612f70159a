// Package search is full-text search over the documents of one doctype,
// built in the client (issue 5; spec/protocol.md §7): a bleve index kept in
// memory (scorch, whose on-disk root file is never used: go.mod replaces
// go.etcd.io/bbolt with internal/bbolt-standin), natively and under
// GOOS=js GOARCH=wasm alike. One index per doctype, so that an app searches
// only what it may read.
//
// Documents are JSON objects as the apps write them: every string member is
// text (the standard analyzer: Unicode words, lower case, English stop
// words), numbers are numeric fields; content that is not a JSON object is
// indexed as the text field "text". Queries use bleve's query-string syntax:
// words, "phrases", prefixes (plan*), fuzzy words (plna~1), field filters
// (title:plans, updated:>1700000000000), +required and -excluded.
//
// An index is exported as its segments and loaded back from them
// (segments.go); sealing them as index blobs under a manifest (§7) is the
// caller's.
package search

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/search/query"
)

// Index is the search index of one doctype's documents. Its methods may be
// called from several goroutines.
type Index struct {
	doctype string
	idx     bleve.Index
}

// New returns an empty index for doctype.
func New(doctype string) (*Index, error) {
	m := bleve.NewIndexMapping()
	m.DefaultAnalyzer = "standard"
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
	if id == "" {
		return errors.New("search: a document needs an id")
	}
	return x.idx.Index(id, fields(content))
}

// Doc is a document to index: its id and content.
type Doc struct {
	ID      string
	Content []byte
}

// PutMany indexes docs in one batch, as Put does each. Prefer it for more
// than a few documents: each Put adds a segment to the in-memory index, and
// queries slow down with their number.
func (x *Index) PutMany(docs []Doc) error {
	b := x.idx.NewBatch()
	for _, d := range docs {
		if d.ID == "" {
			return errors.New("search: a document needs an id")
		}
		if err := b.Index(d.ID, fields(d.Content)); err != nil {
			return fmt.Errorf("search: %w", err)
		}
	}
	return x.idx.Batch(b)
}

// fields turns document content into what bleve indexes: the members of a
// JSON object, or else the content as one text field.
func fields(content []byte) map[string]any {
	var obj map[string]any
	if json.Unmarshal(content, &obj) == nil && obj != nil {
		return obj
	}
	var s string
	if json.Unmarshal(content, &s) != nil {
		s = string(content)
	}
	return map[string]any{"text": s}
}

// Delete removes document id from the index (a document not indexed is no
// error).
func (x *Index) Delete(id string) error { return x.idx.Delete(id) }

// Count returns how many documents the index holds.
func (x *Index) Count() (uint64, error) { return x.idx.DocCount() }

// Query is a search.
type Query struct {
	Text string // bleve query-string syntax (see the package comment)
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

// ErrBadQuery wraps a query the syntax does not allow.
var ErrBadQuery = errors.New("search: malformed query")

// Search runs q and returns the hits and how many documents matched in all.
func (x *Index) Search(q Query) ([]Hit, uint64, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 20
	}
	limit = min(limit, 1000)
	qq := query.NewQueryStringQuery(q.Text)
	if _, err := qq.Parse(); err != nil {
		return nil, 0, fmt.Errorf("%w: %v", ErrBadQuery, err)
	}
	req := bleve.NewSearchRequestOptions(qq, limit, 0, false)
	if len(q.SortBy) > 0 {
		req.SortBy(q.SortBy)
	}
	res, err := x.idx.Search(req)
	if err != nil {
		return nil, 0, fmt.Errorf("search: %w", err)
	}
	hits := make([]Hit, len(res.Hits))
	for i, h := range res.Hits {
		hits[i] = Hit{ID: h.ID, Score: h.Score}
	}
	return hits, res.Total, nil
}

// Close releases the index.
func (x *Index) Close() error { return x.idx.Close() }
