package client

import (
	"context"
	"fmt"

	"github.com/hearthcloud/hearth/internal/wire"
)

// bulkGetMax is the most ids one _bulk_get takes (protocol §8.5.4).
const bulkGetMax = 1000

// bulkDoc is one answer of _bulk_get.
type bulkDoc struct {
	ID      string          `json:"id"`
	Rev     uint64          `json:"rev"`
	Deleted bool            `json:"deleted"`
	Sealed  []byte          `json:"sealed"`
	Error   *wire.ErrorBody `json:"error"`
}

// bulkGet reads ids of doctype (at most bulkGetMax) with _bulk_get and
// checks that the answer names them, in order (decodeBulkDocs, not
// encoding/json: it is the larger part of a reload in the browser). An
// answer holds at most 32 MiB (§8.5.4), so the server answers too_large to
// the ids that did not fit: bulkGet asks for those again, until each id has
// its answer; a round that answers none of them is an error.
func (c *Client) bulkGet(ctx context.Context, doctype string, ids []string) ([]bulkDoc, error) {
	out := make([]bulkDoc, len(ids))
	ask := make([]int, len(ids)) // indexes into ids still to answer
	for i := range ids {
		ask[i] = i
	}
	for len(ask) > 0 {
		asked := make([]string, len(ask))
		for j, i := range ask {
			asked[j] = ids[i]
		}
		docs, err := c.bulkGetOnce(ctx, doctype, asked)
		if err != nil {
			return nil, err
		}
		var again []int
		for j, d := range docs {
			if d.Error != nil && d.Error.Code == wire.CodeTooLarge {
				again = append(again, ask[j])
				continue
			}
			out[ask[j]] = d
		}
		if len(again) == len(ask) {
			return nil, fmt.Errorf("client: the server answered too_large to every document of a bulk read (a sealed document fits an answer, §8.5.4)")
		}
		ask = again
	}
	return out, nil
}

// bulkGetOnce is one _bulk_get of ids.
func (c *Client) bulkGetOnce(ctx context.Context, doctype string, ids []string) ([]bulkDoc, error) {
	const path = "/_bulk_get"
	res, err := c.callJSON(ctx, "POST", "/v1/docs/"+pathEscape(doctype)+path, map[string]any{"ids": ids}, nil, nil, false)
	if err != nil {
		return nil, err
	}
	docs, err := decodeBulkDocs(res.body)
	if err != nil {
		return nil, fmt.Errorf("client: the server's answer to POST /v1/docs/%s%s is malformed: %v", doctype, path, err)
	}
	if len(docs) != len(ids) {
		return nil, integrity("the server answered %d documents to a bulk read of %d", len(docs), len(ids))
	}
	for i, d := range docs {
		if d.ID != ids[i] {
			return nil, integrity("the server answered document %s in place of %s", d.ID, ids[i])
		}
	}
	return docs, nil
}

// GetMany reads the documents ids of doctype with _bulk_get, a thousand a
// request, each verified as Get verifies it (protocol §8.5.5). The result
// is parallel to ids: nil for a document never written, a Doc with Deleted
// set for a tombstone. A document this device saw that the server says
// does not exist is an integrity error, as is any answer that does not
// open.
func (c *Client) GetMany(ctx context.Context, doctype string, ids []string) (_ []*Doc, err error) {
	defer func() { err = c.halt(err) }()
	if err := wire.CheckDoctype(doctype); err != nil {
		return nil, err
	}
	for _, id := range ids {
		if err := checkDocID(id); err != nil {
			return nil, err
		}
	}
	out := make([]*Doc, 0, len(ids))
	for start := 0; start < len(ids); start += bulkGetMax {
		chunk := ids[start:min(start+bulkGetMax, len(ids))]
		docs, err := c.bulkGet(ctx, doctype, chunk)
		if err != nil {
			return nil, err
		}
		for i, g := range docs {
			id := chunk[i]
			known := c.known(doctype, id)
			switch {
			case g.Error != nil && g.Error.Code == wire.CodeNotFound:
				if known.Rev > 0 {
					return nil, rolledBack("%s/%s: the server says it does not exist, but this device saw revision %d (rolled back)", doctype, id, known.Rev)
				}
				out = append(out, nil)
			case g.Error != nil:
				return nil, refusal(200, g.Error)
			default:
				d, ds, err := c.openDoc(ctx, doctype, id, g.Rev, g.Sealed, g.Deleted, known, nil)
				if err != nil {
					return nil, err
				}
				c.record(doctype, id, ds)
				docs[i].Sealed = nil // opened: what is kept is the content
				out = append(out, &Doc{Doctype: doctype, ID: id, Rev: d.Rev, Content: d.Content, Deleted: d.Deleted()})
			}
		}
	}
	return out, nil
}

// GetMany reads documents as Client.GetMany (verb read).
func (a *App) GetMany(ctx context.Context, doctype string, ids []string) ([]*Doc, error) {
	if err := a.allow(doctype, VerbRead); err != nil {
		return nil, err
	}
	return a.c.GetMany(ctx, doctype, ids)
}
