package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
)

const (
	maxPage = 32 << 20 // §8.6.1, §8.5.4: the most a page's whole body takes
	maxDoc  = 1 << 20  // §8.1.10: the largest sealed document
)

// bigDocs writes n documents of the largest size into io.hearth.notes,
// each byte string distinct, and returns their ids in byte order.
func bigDocs(e *env, tok string, n int) []string {
	e.t.Helper()
	e.want(e.do("PUT", "/v1/doctypes/io.hearth.notes", tok, nil), 201, "")
	var ids []string
	for i := range n {
		id := fmt.Sprintf("big%03d", i)
		body := bytes.Repeat([]byte{byte(i)}, maxDoc)
		e.want(e.do("PUT", "/v1/docs/io.hearth.notes/"+id, tok, body, "If-None-Match", "*"), 201, "")
		ids = append(ids, id)
	}
	return ids
}

// checkPage fails unless r is a whole body within the page limit, and
// nearly full (no room for one more document), when full is true.
func checkPage(t *testing.T, what string, r resp, full bool) {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("%s: %d %s", what, r.status, r.body)
	}
	if n, _ := strconv.Atoi(r.header.Get("Content-Length")); n != len(r.body) {
		t.Fatalf("%s: Content-Length %d for %d bytes", what, n, len(r.body))
	}
	if len(r.body) > maxPage {
		t.Fatalf("%s: %d bytes, over the %d a page may take", what, len(r.body), maxPage)
	}
	if !json.Valid(r.body) {
		t.Fatalf("%s: not JSON", what)
	}
	if room := maxPage - len(r.body); full && room > maxDoc*4/3+1024 {
		t.Fatalf("%s: %d bytes, ended with room for %d more", what, len(r.body), room)
	}
}

// TestFeedPageUnder32MiB: a feed page with bodies is cut by its encoded
// size (§8.6.1), never over 32 MiB and never far under it when more
// follows, and the pages followed by last_seq and more give every entry
// with its body.
func TestFeedPageUnder32MiB(t *testing.T) {
	e := newEnv(t)
	_, tok := e.signup("alice")
	ids := bigDocs(e, tok, 30) // 30 MiB sealed, 40 MiB as base64

	var since uint64
	var got []string
	pages := 0
	for more := true; more; pages++ {
		r := e.do("GET", "/v1/changes?include_docs=true&limit=1000&since="+strconv.FormatUint(since, 10), tok, nil)
		var p struct {
			Changes []struct {
				Seq    uint64
				ID     string
				Sealed []byte
			}
			LastSeq uint64 `json:"last_seq"`
			More    bool
		}
		if err := json.Unmarshal(r.body, &p); err != nil {
			t.Fatalf("page %d: %v", pages, err)
		}
		checkPage(t, fmt.Sprintf("page %d", pages), r, p.More)
		if len(p.Changes) == 0 {
			t.Fatalf("page %d is empty", pages)
		}
		for i, c := range p.Changes {
			if c.Seq != since+1+uint64(i) || len(c.Sealed) != maxDoc {
				t.Fatalf("page %d entry %d: seq %d, %d bytes", pages, i, c.Seq, len(c.Sealed))
			}
			got = append(got, c.ID)
		}
		if p.LastSeq != since+uint64(len(p.Changes)) {
			t.Fatalf("page %d: last_seq %d after %d entries from %d", pages, p.LastSeq, len(p.Changes), since)
		}
		since, more = p.LastSeq, p.More
	}
	if fmt.Sprint(got) != fmt.Sprint(ids) || pages < 2 {
		t.Fatalf("%d pages gave %d entries, want %d", pages, len(got), len(ids))
	}
}

// TestBulkGetUnder32MiB: a bulk read answers in request order within
// 32 MiB, the answer's encoded size counted (§8.5.4); from the first
// document that does not fit on, every id is answered too_large (a bad one
// invalid_name), and asking again from there gives the rest.
func TestBulkGetUnder32MiB(t *testing.T) {
	e := newEnv(t)
	_, tok := e.signup("alice")
	ids := bigDocs(e, tok, 30)
	ask := append(append([]string{}, ids...), "missing", "bad/id")

	var bodies int
	for round := 0; len(ask) > 0; round++ {
		r := e.do("POST", "/v1/docs/io.hearth.notes/_bulk_get", tok, map[string]any{"ids": ask})
		var ans struct {
			Docs []struct {
				ID     string
				Sealed []byte
				Error  *struct{ Code string }
			}
		}
		if err := json.Unmarshal(r.body, &ans); err != nil || len(ans.Docs) != len(ask) {
			t.Fatalf("round %d: %d answers to %d ids, %v", round, len(ans.Docs), len(ask), err)
		}
		var again []string
		for i, d := range ans.Docs {
			code := ""
			if d.Error != nil {
				code = d.Error.Code
			}
			switch {
			case d.ID != ask[i]:
				t.Fatalf("round %d: answer %d is %s, want %s", round, i, d.ID, ask[i])
			case code == "too_large":
				again = append(again, d.ID)
			case len(again) > 0 && d.ID != "bad/id":
				t.Fatalf("round %d: %s answered %q after a too_large", round, d.ID, code)
			case d.ID == "missing" && code != "not_found", d.ID == "bad/id" && code != "invalid_name":
				t.Fatalf("round %d: %s answered %q", round, d.ID, code)
			case d.ID != "missing" && d.ID != "bad/id":
				if len(d.Sealed) != maxDoc {
					t.Fatalf("round %d: %s has %d bytes", round, d.ID, len(d.Sealed))
				}
				bodies++
			}
		}
		checkPage(t, fmt.Sprintf("round %d", round), r, len(again) > 0)
		if len(again) == len(ask) {
			t.Fatalf("round %d answered nothing", round)
		}
		ask = again
	}
	if bodies != len(ids) {
		t.Fatalf("%d bodies, want %d", bodies, len(ids))
	}
}
