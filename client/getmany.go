package client

import (
	"context"

	"github.com/hearthcloud/hearth/spec/wire"
)

// bulkGetMax is the most ids one _bulk_get takes (protocol §8.5.4).
const bulkGetMax = 1000

// bulkDoc is one answer of _bulk_get.
type bulkDoc struct {
	ID      string `json:"id"`
	Rev     uint64 `json:"rev"`
	Deleted bool   `json:"deleted"`
	Sealed  []byte `json:"sealed"`
	Error   *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// GetMany reads the documents ids of doctype with _bulk_get, a thousand a
// request, each verified as Get verifies it (protocol §8.5.5). The result
// is parallel to ids: nil for a document never written, a Doc with Deleted
// set for a tombstone. A document this device saw that the server says
// does not exist is an integrity error, as is any answer that does not
// open.
func (c *Client) GetMany(ctx context.Context, doctype string, ids []string) ([]*Doc, error) {
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
		var got struct {
			Docs []bulkDoc `json:"docs"`
		}
		_, err := c.callJSON(ctx, "POST", "/v1/docs/"+pathEscape(doctype)+"/_bulk_get", map[string]any{"ids": chunk}, &got, nil, false)
		if err != nil {
			return nil, err
		}
		if len(got.Docs) != len(chunk) {
			return nil, integrity("the server answered %d documents to a bulk read of %d", len(got.Docs), len(chunk))
		}
		for i, g := range got.Docs {
			id := chunk[i]
			if g.ID != id {
				return nil, integrity("the server answered document %s in place of %s", g.ID, id)
			}
			known := c.known(doctype, id)
			switch {
			case g.Error != nil && g.Error.Code == "not_found":
				if known.Rev > 0 {
					return nil, integrity("%s/%s: the server says it does not exist, but this device saw revision %d (rolled back)", doctype, id, known.Rev)
				}
				out = append(out, nil)
			case g.Error != nil:
				return nil, &APIError{Status: 200, Code: g.Error.Code, Message: g.Error.Message}
			default:
				d, ds, err := c.openDoc(ctx, doctype, id, g.Rev, g.Sealed, g.Deleted, known, nil)
				if err != nil {
					return nil, err
				}
				c.record(doctype, id, ds)
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
