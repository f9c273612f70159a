package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"

	"github.com/hearthcloud/hearth/crypto/seal"
	"github.com/hearthcloud/hearth/internal/wire"
)

// maxAttempts bounds the retries of a write that keeps meeting conflicts.
const maxAttempts = 8

func checkDocID(id string) error {
	if err := wire.CheckID(id); err != nil {
		return err
	}
	if id[0] == '_' {
		return fmt.Errorf("client: ids starting with '_' are reserved")
	}
	return nil
}

// known returns what this device remembers of a document.
func (c *Client) known(doctype, id string) DocState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st.Docs[docKey(doctype, id)]
}

// record remembers ds for a document unless a higher revision is known.
func (c *Client) record(doctype, id string, ds DocState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := docKey(doctype, id)
	if _, seen := c.raised[k]; c.raised != nil && !seen && ds.Rev > c.st.Docs[k].Rev {
		c.raised[k] = c.st.Docs[k].Rev
	}
	recordIn(c.st.Docs, k, ds)
	c.src.sawGenLocked(doctype, ds.Gen)
}

func recordIn(m map[string]DocState, k string, ds DocState) {
	cur := m[k]
	if ds.Rev > cur.Rev || ds.Rev == cur.Rev && (cur.Digest == nil || ds.Digest != nil) {
		cur.Rev, cur.Digest = ds.Rev, ds.Digest
	}
	// Generations never go down along a document's history (§5.5): what
	// is remembered is the highest seen, never lowered by a revision whose
	// generation is unknown (a feed entry without a body records 0).
	cur.Gen = max(cur.Gen, ds.Gen)
	cur.FeedRev = max(cur.FeedRev, ds.FeedRev)
	m[k] = cur
}

// openDoc checks sealed bytes that the server serves as revision rev of
// doctype/id, with deletion flag deleted, against known, the highest
// revision remembered (§5.5, §8.5.5). feedDigest, when not nil, is the
// digest the verified feed gives for that revision. It returns the opened
// revision and what to remember of it; it records nothing.
func (c *Client) openDoc(ctx context.Context, doctype, id string, rev uint64, sealed []byte, deleted bool, known DocState, feedDigest *seal.Digest) (*seal.Document, DocState, error) {
	where := doctype + "/" + id
	d, ds, err := c.openRecord(ctx, doctype, where, rev, sealed, known, feedDigest, func(ks *seal.KeySet) (*seal.Document, error) {
		return seal.OpenDocument(ks, seal.Ref{Doctype: doctype, ID: id, Rev: rev}, sealed)
	})
	if err != nil {
		return nil, DocState{}, err
	}
	if d.Deleted() != deleted {
		return nil, DocState{}, integrity("%s: the server's deletion flag contradicts the sealed revision %d", where, rev)
	}
	return d, ds, nil
}

// openRecord makes the checks of §5.5 on sealed bytes served as revision
// rev of a record of doctype (a document, or the index manifest), named
// where in errors, against known; open opens them with the doctype's keys.
func (c *Client) openRecord(ctx context.Context, doctype, where string, rev uint64, sealed []byte, known DocState, feedDigest *seal.Digest, open func(*seal.KeySet) (*seal.Document, error)) (_ *seal.Document, _ DocState, err error) {
	defer func() { err = c.halt(err) }()
	if rev < known.Rev {
		return nil, DocState{}, rolledBack("%s: the server served revision %d after this device saw revision %d (rolled back)", where, rev, known.Rev)
	}
	dg := seal.DigestOf(sealed)
	if feedDigest != nil && dg != *feedDigest {
		return nil, DocState{}, integrity("%s revision %d does not match the digest in the changes feed", where, rev)
	}
	if rev == known.Rev && known.Digest != nil && !bytes.Equal(dg[:], known.Digest) {
		return nil, DocState{}, rolledBack("%s: the server served a revision %d that differs from the one this device saw (forked history)", where, rev)
	}
	gen, err := seal.DocumentGen(sealed)
	if err != nil {
		return nil, DocState{}, &integrityError{detail: where + ": not a sealed record", err: err}
	}
	ks, err := c.keys(ctx, doctype, gen, false)
	if err != nil {
		return nil, DocState{}, err
	}
	if ks == nil {
		return nil, DocState{}, c.src.lacking(doctype, where, gen)
	}
	d, err := open(ks)
	if err != nil {
		return nil, DocState{}, &integrityError{detail: fmt.Sprintf("%s revision %d does not open: altered, swapped, moved or replayed", where, rev), err: err}
	}
	if known.Digest != nil && rev == known.Rev+1 && !bytes.Equal(d.Prev[:], known.Digest) {
		return nil, DocState{}, rolledBack("%s revision %d does not follow the revision %d this device saw (forked history)", where, rev, known.Rev)
	}
	// Key generations never go down along a record's history, whether the
	// revision follows the one remembered or skips ahead of it.
	if d.Gen < known.Gen {
		return nil, DocState{}, integrity("%s revision %d is sealed with key generation %d, older than the generation %d this device saw for it (sealed with a retired key)", where, rev, d.Gen, known.Gen)
	}
	return d, DocState{Rev: rev, Digest: dg[:], Gen: gen}, nil
}

// fetch reads, verifies and records the current revision of a document.
// A document never written gives ErrNotFound.
func (c *Client) fetch(ctx context.Context, doctype, id string) (*seal.Document, DocState, error) {
	known := c.known(doctype, id)
	res, rev, err := c.getRecord(ctx, "/v1/docs/"+pathEscape(doctype)+"/"+pathEscape(id), doctype+"/"+id, known)
	if err != nil {
		return nil, DocState{}, err
	}
	d, ds, err := c.openDoc(ctx, doctype, id, rev, res.body, res.header.Get("Hearth-Deleted") == "true", known, nil)
	if err != nil {
		return nil, DocState{}, err
	}
	c.record(doctype, id, ds)
	return d, ds, nil
}

// getRecord reads the sealed revision of a record at path (named where in
// errors) and its revision header. Not found is ErrNotFound, or an
// integrity error if this device saw a revision (known).
func (c *Client) getRecord(ctx context.Context, path, where string, known DocState) (_ *response, _ uint64, err error) {
	defer func() { err = c.halt(err) }()
	res, err := c.call(ctx, request{method: "GET", path: path})
	if errors.Is(err, ErrNotFound) && known.Rev > 0 {
		return nil, 0, rolledBack("%s: the server says it does not exist, but this device saw revision %d (rolled back)", where, known.Rev)
	}
	if err != nil {
		return nil, 0, err
	}
	rev, err := revHeader(res.header)
	if err != nil {
		return nil, 0, err
	}
	return res, rev, nil
}

// Get returns the current revision of a document. A document never written,
// or deleted, gives ErrNotFound.
func (c *Client) Get(ctx context.Context, doctype, id string) (*Doc, error) {
	if err := wire.CheckDoctype(doctype); err != nil {
		return nil, err
	}
	if err := checkDocID(id); err != nil {
		return nil, err
	}
	d, _, err := c.fetch(ctx, doctype, id)
	if err != nil {
		return nil, err
	}
	if d.Deleted() {
		return nil, fmt.Errorf("%w: %s/%s was deleted", ErrNotFound, doctype, id)
	}
	return &Doc{Doctype: doctype, ID: id, Rev: d.Rev, Content: d.Content}, nil
}

// sealingKey returns the key to seal the next revision of doctype/id with:
// the current one of ks, or, when ks is older than generation gen that
// sealed a revision already (another device rotated the key since ks was
// loaded), the current one of the reloaded keyring.
func (c *Client) sealingKey(ctx context.Context, ks *seal.KeySet, doctype, id string, gen uint32) (_ *seal.Key, err error) {
	defer func() { err = c.halt(err) }()
	if k := ks.Current(); k.Gen() >= gen {
		return k, nil
	}
	ks, err = c.keys(ctx, doctype, gen, false)
	if err != nil {
		return nil, err
	}
	if ks == nil || ks.Current().Gen() < gen {
		return nil, rolledBack("%s/%s was sealed with a key generation the keyring lacks", doctype, id)
	}
	return ks.Current(), nil
}

// write seals content as revision cur.Rev+1 and sends it with the matching
// precondition. It records and returns the new revision.
func (c *Client) write(ctx context.Context, ks *seal.KeySet, doctype, id string, cur DocState, content []byte, del bool) (uint64, error) {
	k, err := c.sealingKey(ctx, ks, doctype, id, cur.Gen)
	if err != nil {
		return 0, err
	}
	var prev seal.Digest
	copy(prev[:], cur.Digest)
	rev := cur.Rev + 1
	sealed, err := seal.SealDocument(k, seal.Ref{Doctype: doctype, ID: id, Rev: rev}, prev, content)
	if err != nil {
		return 0, err
	}
	r := request{method: "PUT", path: "/v1/docs/" + pathEscape(doctype) + "/" + pathEscape(id),
		ctype: "application/octet-stream", body: sealed, hdr: map[string]string{}}
	if del {
		r.method = "DELETE"
	}
	if cur.Rev == 0 {
		r.hdr["If-None-Match"] = "*"
	} else {
		r.hdr["If-Match"] = `"` + strconv.FormatUint(cur.Rev, 10) + `"`
	}
	res, err := c.call(ctx, r)
	if isCode(err, wire.CodeUnknownDoctype) {
		// The keyring has the doctype but the server lost the registration
		// (an earlier registration failed): register it and try again.
		if err := c.registerDoctype(ctx, doctype); err != nil {
			return 0, err
		}
		res, err = c.call(ctx, r)
	}
	if err != nil {
		return 0, err
	}
	var ans struct {
		Rev uint64 `json:"rev"`
	}
	if err := jsonUnmarshal(res.body, &ans); err != nil || ans.Rev != rev {
		return 0, fmt.Errorf("client: the server answered revision %d to a write sealed for revision %d", ans.Rev, rev)
	}
	dg := seal.DigestOf(sealed)
	c.record(doctype, id, DocState{Rev: rev, Digest: dg[:], Gen: k.Gen()})
	c.wrote(doctype, id, rev, content, del)
	return rev, nil
}

// Create writes a new document under a fresh random id.
func (c *Client) Create(ctx context.Context, doctype string, content []byte) (id string, rev uint64, err error) {
	if len(content) == 0 {
		return "", 0, errors.New("client: a document needs content (empty content is a deletion)")
	}
	ks, err := c.keys(ctx, doctype, 0, true)
	if err != nil {
		return "", 0, err
	}
	for attempt := 0; ; attempt++ {
		id = wire.NewID()
		rev, err = c.write(ctx, ks, doctype, id, DocState{}, content, false)
		if !isCode(err, wire.CodeConflict) || attempt >= 2 {
			return id, rev, err
		}
	}
}

// Put creates or updates a document: it reads and verifies the current
// revision, seals content for the next one, and retries if another writer
// got there first (the last write wins).
func (c *Client) Put(ctx context.Context, doctype, id string, content []byte) (rev uint64, err error) {
	if err := checkDocID(id); err != nil {
		return 0, err
	}
	if len(content) == 0 {
		return 0, errors.New("client: a document needs content (empty content is a deletion; use Delete)")
	}
	ks, err := c.keys(ctx, doctype, 0, true)
	if err != nil {
		return 0, err
	}
	for attempt := 0; ; attempt++ {
		_, cur, err := c.fetch(ctx, doctype, id)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return 0, err
		}
		rev, err = c.write(ctx, ks, doctype, id, cur, content, false)
		if !isCode(err, wire.CodeConflict) || attempt >= maxAttempts {
			return rev, err
		}
	}
}

// Delete deletes a document by writing a sealed tombstone. A document never
// written, or already deleted, gives ErrNotFound.
func (c *Client) Delete(ctx context.Context, doctype, id string) error {
	if err := wire.CheckDoctype(doctype); err != nil {
		return err
	}
	if err := checkDocID(id); err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		d, cur, err := c.fetch(ctx, doctype, id)
		if err != nil {
			return err
		}
		if d.Deleted() {
			return fmt.Errorf("%w: %s/%s is already deleted", ErrNotFound, doctype, id)
		}
		ks, err := c.keys(ctx, doctype, 0, false)
		if err != nil {
			return err
		}
		if ks == nil {
			return integrity("%s/%s opened with a key the keyring no longer holds", doctype, id)
		}
		_, err = c.write(ctx, ks, doctype, id, cur, nil, true)
		if !isCode(err, wire.CodeConflict) || attempt >= maxAttempts {
			return err
		}
	}
}

// List returns the ids of the live documents of doctype, paging through the
// server's listing. Listings are not authenticated (§8.5.2): the server can
// omit entries; the changes feed (Sync) is the complete record.
func (c *Client) List(ctx context.Context, doctype string) ([]string, error) {
	if err := wire.CheckDoctype(doctype); err != nil {
		return nil, err
	}
	docs, err := c.listAll(ctx, doctype, false)
	ids := make([]string, 0, len(docs))
	for _, d := range docs {
		ids = append(ids, d.ID)
	}
	return ids, err
}

type listedDoc struct {
	ID      string `json:"id"`
	Rev     uint64 `json:"rev"`
	Size    int    `json:"size"`
	Deleted bool   `json:"deleted"`
}

// listAll lists every document of doctype, page by page (§8.5.2), with
// tombstones if deleted.
func (c *Client) listAll(ctx context.Context, doctype string, deleted bool) ([]listedDoc, error) {
	var out []listedDoc
	after := ""
	for {
		q := url.Values{"limit": {"1000"}}
		if deleted {
			q.Set("deleted", "true")
		}
		if after != "" {
			q.Set("after", after)
		}
		var ans struct {
			Docs []listedDoc `json:"docs"`
			Next string      `json:"next"`
		}
		_, err := c.callJSON(ctx, "GET", "/v1/docs/"+pathEscape(doctype)+"?"+q.Encode(), nil, &ans, nil, false)
		if isCode(err, wire.CodeUnknownDoctype) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		for _, d := range ans.Docs {
			if (deleted || !d.Deleted) && checkDocID(d.ID) == nil {
				out = append(out, d)
			}
		}
		if ans.Next == "" || ans.Next <= after || len(ans.Docs) == 0 {
			return out, nil
		}
		after = ans.Next
	}
}

// Item is one write of PutMany: Content for the new revision, or nil to
// delete. An empty ID creates a document under a fresh random id.
type Item struct {
	ID      string
	Content []byte
}

// Result is the outcome of one Item: the new revision, or the error.
type Result struct {
	ID  string
	Rev uint64
	Err error
}

// bulk limits: items per request (§8.1.10) and content bytes per request,
// which base64 keeps under the 32 MiB JSON limit.
const (
	bulkItems = 1000
	bulkBytes = 16 << 20
)

// PutMany writes many documents of doctype with _bulk_get and _bulk_put, a
// thousand at a time: for imports and benchmarks. Each item fails or
// succeeds on its own (a conflict is reported, not retried); an integrity
// failure or a refused request stops everything and is returned.
func (c *Client) PutMany(ctx context.Context, doctype string, items []Item) ([]Result, error) {
	ks, err := c.keys(ctx, doctype, 0, true)
	if err != nil {
		return nil, err
	}
	results := make([]Result, len(items))
	seen := map[string]bool{}
	for i, it := range items {
		results[i].ID = it.ID
		if it.ID == "" {
			results[i].ID = wire.NewID()
		} else if err := checkDocID(it.ID); err != nil {
			return nil, err
		}
		if seen[results[i].ID] {
			return nil, fmt.Errorf("client: id %s appears twice", results[i].ID)
		}
		seen[results[i].ID] = true
	}
	for start := 0; start < len(items); {
		end, size := start, 0
		for end < len(items) && end-start < bulkItems && (end == start || size+len(items[end].Content) <= bulkBytes) {
			size += len(items[end].Content)
			end++
		}
		if err := c.putChunk(ctx, ks, doctype, items[start:end], results[start:end]); err != nil {
			return nil, err
		}
		start = end
	}
	return results, nil
}

func (c *Client) putChunk(ctx context.Context, ks *seal.KeySet, doctype string, items []Item, results []Result) (err error) {
	defer func() { err = c.halt(err) }()
	ids := make([]string, len(items))
	for i := range items {
		ids[i] = results[i].ID
	}
	docs, err := c.bulkGet(ctx, doctype, ids)
	if isCode(err, wire.CodeUnknownDoctype) {
		if err := c.registerDoctype(ctx, doctype); err != nil {
			return err
		}
		docs, err = c.bulkGet(ctx, doctype, ids)
	}
	if err != nil {
		return err
	}
	var puts []wire.BulkPutItem
	var index []int
	var states []DocState
	for i, g := range docs {
		id := ids[i]
		known := c.known(doctype, id)
		cur := DocState{}
		live := false
		switch {
		case g.Error != nil && g.Error.Code == wire.CodeNotFound:
			if known.Rev > 0 {
				return rolledBack("%s/%s: the server says it does not exist, but this device saw revision %d (rolled back)", doctype, id, known.Rev)
			}
		case g.Error != nil:
			results[i].Err = refusal(200, g.Error)
			continue
		default:
			d, ds, err := c.openDoc(ctx, doctype, id, g.Rev, g.Sealed, g.Deleted, known, nil)
			if err != nil {
				return err
			}
			c.record(doctype, id, ds)
			cur, live = ds, !d.Deleted()
		}
		del := items[i].Content == nil
		if del && !live {
			results[i].Err = fmt.Errorf("%w: %s/%s", ErrNotFound, doctype, id)
			continue
		}
		k, err := c.sealingKey(ctx, ks, doctype, id, cur.Gen)
		if err != nil {
			return err
		}
		var prev seal.Digest
		copy(prev[:], cur.Digest)
		sealed, err := seal.SealDocument(k, seal.Ref{Doctype: doctype, ID: id, Rev: cur.Rev + 1}, prev, items[i].Content)
		if err != nil {
			return err
		}
		dg := seal.DigestOf(sealed)
		puts = append(puts, wire.BulkPutItem{ID: id, IfMatch: cur.Rev, Sealed: sealed, Deleted: del})
		index = append(index, i)
		states = append(states, DocState{Rev: cur.Rev + 1, Digest: dg[:], Gen: k.Gen()})
	}
	if len(puts) == 0 {
		return nil
	}
	var ans struct {
		Results []wire.BulkResult `json:"results"`
	}
	if _, err := c.callJSON(ctx, "POST", "/v1/docs/"+pathEscape(doctype)+"/_bulk_put", map[string]any{"docs": puts}, &ans, nil, false); err != nil {
		return err
	}
	if len(ans.Results) != len(puts) {
		return fmt.Errorf("client: the server answered %d results to a bulk write of %d", len(ans.Results), len(puts))
	}
	for j, r := range ans.Results {
		i := index[j]
		switch {
		case r.ID != puts[j].ID:
			return fmt.Errorf("client: the server's bulk results are out of order")
		case r.Error != nil:
			results[i].Err = refusal(200, r.Error)
		case r.Rev != states[j].Rev:
			return fmt.Errorf("client: the server answered revision %d to a write sealed for revision %d", r.Rev, states[j].Rev)
		default:
			results[i].Rev = r.Rev
			c.record(doctype, r.ID, states[j])
			c.wrote(doctype, r.ID, r.Rev, items[i].Content, puts[j].Deleted)
		}
	}
	return nil
}
