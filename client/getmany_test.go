//go:build hearthtest

package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/hearthcloud/hearth/client"
)

// TestGetMany: a verified bulk read of more than one request's worth, with
// tombstones and never-written ids; and a tampered answer (a swapped body,
// a document the device saw reported missing) is an integrity error that
// leaves the State as it was.
func TestGetMany(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	c, _, _ := e.signup("a long test passphrase")
	const notes = "io.hearth.notes"
	items := make([]client.Item, 1200)
	for i := range items {
		items[i].Content = []byte(fmt.Sprintf(`{"n":%d}`, i))
	}
	res, err := c.PutMany(ctx, notes, items)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, 0, len(res)+1)
	for _, r := range res {
		ids = append(ids, r.ID)
	}
	if err := c.Delete(ctx, notes, ids[5]); err != nil {
		t.Fatal(err)
	}
	ids = append(ids, "neverwritten")
	docs, err := c.GetMany(ctx, notes, ids)
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range docs {
		switch {
		case i == len(ids)-1:
			if d != nil {
				t.Fatalf("a never-written id: %+v", d)
			}
		case i == 5:
			if d == nil || !d.Deleted {
				t.Fatalf("the tombstone: %+v", d)
			}
		default:
			if d == nil || string(d.Content) != fmt.Sprintf(`{"n":%d}`, i) {
				t.Fatalf("document %d: %+v", i, d)
			}
		}
	}

	// The host swaps two bodies, then reports a seen document missing.
	for _, tc := range []struct {
		name string
		edit func(docs []map[string]any)
	}{
		{"swapped bodies", func(docs []map[string]any) {
			docs[0]["sealed"], docs[1]["sealed"] = docs[1]["sealed"], docs[0]["sealed"]
		}},
		{"a seen document missing", func(docs []map[string]any) {
			docs[0] = map[string]any{"id": docs[0]["id"], "error": map[string]any{"code": "not_found", "message": "no such document"}}
		}},
	} {
		e.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
			if r.URL.Path != "/v1/docs/"+notes+"/_bulk_get" {
				return false
			}
			rec := capture(next, r)
			var body map[string][]map[string]any
			json.Unmarshal(rec.Body.Bytes(), &body)
			tc.edit(body["docs"])
			b, _ := json.Marshal(body)
			replay(w, rec, bytes.TrimSpace(b))
			return true
		})
		before := stateJSON(t, c)
		_, err := c.GetMany(ctx, notes, ids[:3])
		wantIntegrity(t, tc.name, err, c, before)
	}
}
