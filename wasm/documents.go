package wasm

import (
	"bytes"
	"context"
	"encoding/json"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/internal/wire"
)

// Change is one document change delivered to a subscription.
type Change struct {
	Doctype string          `json:"doctype"`
	ID      string          `json:"id"`
	Rev     uint64          `json:"rev"`
	Seq     uint64          `json:"seq,omitempty"` // the revision's position in the changes feed, when known (seqs.go)
	Deleted bool            `json:"deleted"`
	Value   json.RawMessage `json:"value"` // null when Deleted
}

// Doc is a live document.
type Doc struct {
	ID    string          `json:"id"`
	Rev   uint64          `json:"rev"`
	Seq   uint64          `json:"seq,omitempty"` // as Change.Seq
	Value json.RawMessage `json:"value"`
}

// docsOf returns what session s remembers of documents.
func docsOf(s session) map[string]client.DocState {
	switch s := s.(type) {
	case *client.Client:
		return s.State().Docs
	case *client.App:
		return s.State().Docs
	}
	return nil
}

// valueOf turns document content into a JSON value: the content itself when
// it is JSON, or else the content as a string (documents written by other
// clients need not be JSON).
func valueOf(content []byte) json.RawMessage {
	if json.Valid(content) {
		return bytes.Clone(content)
	}
	b, _ := json.Marshal(string(content))
	return b
}

func checkDoc(doctype, id string, needID bool) error {
	if wire.CheckDoctype(doctype) != nil {
		return badInput("%q is not a doctype (use reverse-DNS labels such as io.hearth.notes)", doctype)
	}
	if needID && (wire.CheckID(id) != nil || id[0] == '_') {
		return badInput("%q is not a document id", id)
	}
	return nil
}

func checkValue(value json.RawMessage) error {
	if len(bytes.TrimSpace(value)) == 0 || !json.Valid(value) {
		return badInput("a document's value must be a JSON value")
	}
	return nil
}

// CreateResult is what Create returns.
type CreateResult struct {
	ID  string `json:"id"`
	Rev uint64 `json:"rev"`
}

// Create writes a new document of doctype holding value.
func (a *API) Create(ctx context.Context, doctype string, value json.RawMessage) (*CreateResult, error) {
	c, gen, err := a.session()
	if err != nil {
		return nil, err
	}
	if err := checkDoc(doctype, "", false); err != nil {
		return nil, err
	}
	if err := checkValue(value); err != nil {
		return nil, err
	}
	id, rev, err := c.Create(ctx, doctype, value)
	if err != nil {
		return nil, a.fail(gen, err)
	}
	a.apply(gen, doctype, id, rev, false, value)
	a.persist(gen)
	return &CreateResult{ID: id, Rev: rev}, nil
}

// PutResult is what Put returns.
type PutResult struct {
	Rev uint64 `json:"rev,omitempty"`
	// Kept: not sent yet; kept in this browser, and sent when the server
	// answers (PutWith's keep, outbox.go).
	Kept bool `json:"kept,omitempty"`
	// Copy: the document changed on the server while the write waited
	// here: it was written as this new document, a conflict copy (Rev
	// its revision).
	Copy string `json:"copy,omitempty"`
}

// putSession is the session a write of value as doctype/id goes through,
// once both are checked.
func (a *API) putSession(doctype, id string, value json.RawMessage) (session, uint64, error) {
	c, gen, err := a.session()
	if err != nil {
		return nil, 0, err
	}
	if err := checkDoc(doctype, id, true); err != nil {
		return nil, 0, err
	}
	if err := checkValue(value); err != nil {
		return nil, 0, err
	}
	return c, gen, nil
}

// Put creates or replaces document doctype/id (the last write wins).
func (a *API) Put(ctx context.Context, doctype, id string, value json.RawMessage) (*PutResult, error) {
	c, gen, err := a.putSession(doctype, id, value)
	if err != nil {
		return nil, err
	}
	rev, err := c.Put(ctx, doctype, id, value)
	if err != nil {
		return nil, a.fail(gen, err)
	}
	a.apply(gen, doctype, id, rev, false, value)
	a.persist(gen)
	return &PutResult{Rev: rev}, nil
}

// Get reads and verifies the current revision of doctype/id.
func (a *API) Get(ctx context.Context, doctype, id string) (*Doc, error) {
	c, gen, err := a.session()
	if err != nil {
		return nil, err
	}
	if err := checkDoc(doctype, id, true); err != nil {
		return nil, err
	}
	d, err := c.Get(ctx, doctype, id)
	if err != nil {
		return nil, a.fail(gen, err)
	}
	v := valueOf(d.Content)
	a.apply(gen, doctype, id, d.Rev, false, v)
	a.persist(gen)
	return &Doc{ID: id, Rev: d.Rev, Value: v}, nil
}

// Delete deletes doctype/id.
func (a *API) Delete(ctx context.Context, doctype, id string) error {
	c, gen, err := a.session()
	if err != nil {
		return err
	}
	if err := checkDoc(doctype, id, true); err != nil {
		return err
	}
	if err := c.Delete(ctx, doctype, id); err != nil {
		return a.fail(gen, err)
	}
	a.apply(gen, doctype, id, docsOf(c)[doctype+"/"+id].Rev, true, nil)
	a.persist(gen)
	return nil
}
