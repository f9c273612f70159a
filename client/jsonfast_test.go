package client

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/hearthcloud/hearth/internal/wire"
)

func samplePage(n int) wire.FeedPage {
	p := wire.FeedPage{Since: 7, SinceChain: bytes.Repeat([]byte{1}, 32), LastSeq: uint64(7 + n), More: true, Changes: []wire.FeedEntry{}}
	for i := range n {
		d := make([]byte, 32)
		rand.Read(d)
		s := make([]byte, 250)
		rand.Read(s)
		p.Changes = append(p.Changes, wire.FeedEntry{Seq: uint64(8 + i), Doctype: "io.hearth.notes", ID: fmt.Sprintf("%026d", i), Rev: uint64(i%3 + 1), Deleted: i%5 == 0, Digest: d, Chain: d, Sealed: s})
	}
	return p
}

func sampleBulk() []byte {
	return []byte(`{"docs":[{"id":"a","rev":3,"sealed":"AAEC"},{"id":"b","error":{"code":"not_found","message":"no such document"}},{"id":"c","rev":2,"deleted":true,"sealed":null,"x":[1,{"y":null}]}],"extra":{"deep":[true,false,-1.5e3]}}`)
}

// stdFeed and stdBulk decode as encoding/json does.
func stdFeed(b []byte) (wire.FeedPage, error) {
	var p wire.FeedPage
	err := json.Unmarshal(b, &p)
	return p, err
}

func stdBulk(b []byte) ([]bulkDoc, error) {
	var got struct {
		Docs []bulkDoc `json:"docs"`
	}
	err := json.Unmarshal(b, &got)
	return got.Docs, err
}

func TestFastJSONMatchesEncodingJSON(t *testing.T) {
	for _, n := range []int{0, 1, 50} {
		body, _ := json.Marshal(samplePage(n))
		var got wire.FeedPage
		if err := decodeFeedPage(body, &got); err != nil {
			t.Fatal(err)
		}
		want, _ := stdFeed(body)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("n=%d: feed page decoded differently", n)
		}
	}
	docs, err := decodeBulkDocs(sampleBulk())
	want, _ := stdBulk(sampleBulk())
	if err != nil || !reflect.DeepEqual(docs, want) {
		t.Fatalf("bulk: %+v %v, want %+v", docs, err, want)
	}
	// Escapes, white space, null members, unknown members.
	odd := []byte(" {\"since\" : 3 ,\"since_chain\":null,\"changes\":[{\"doctype\":\"io.hearth.n\\u006ftes\",\"id\":\"\\u00e9t\\u00e9\",\"seq\":4,\"rev\":null,\"sealed\":\"AA\\/A\",\"more\":{}}],\"last_seq\":4,\"more\":false,\"z\":\"\\\"\"}\n")
	var got wire.FeedPage
	if err := decodeFeedPage(odd, &got); err != nil {
		t.Fatal(err)
	}
	if w, _ := stdFeed(odd); !reflect.DeepEqual(got, w) || got.Changes[0].Doctype != "io.hearth.notes" {
		t.Fatalf("odd page: %+v, want %+v", got, w)
	}
}

func TestFastJSONRefuses(t *testing.T) {
	for _, b := range []string{
		``, `{`, `{"since":1}x`, `{"since":-1}`, `{"since":1.5}`, `{"since":1e2}`, `{"since":"1"}`,
		`{"since":18446744073709551616}`, `{"since":01}`, `{"more":1}`, `{"since_chain":"@@"}`,
		`{"changes":{}}`, `{"changes":[1]}`, `{"changes":[{"seq":1,}]}`, `{"since":1,"since":2}`,
		`{"Since":1}`, `{"changes":[{"SEALED":"AA=="}]}`, `{"x":` + string(bytes.Repeat([]byte("["), 100)) + string(bytes.Repeat([]byte("]"), 100)) + `}`,
		"{\"changes\":[{\"id\":\"a\nb\"}]}", `{"x":tru}`, `{"x":-}`, `{"x":1.}`, `{"x":1e}`, `[]`,
	} {
		var p wire.FeedPage
		if err := decodeFeedPage([]byte(b), &p); err == nil {
			t.Errorf("%.60q: accepted", b)
		}
	}
	for _, b := range []string{`{"docs":[{"error":{"code":1}}]}`, `{"docs":[{"id":"a","ID":"b"}]}`, `{"docs":null}x`} {
		if _, err := decodeBulkDocs([]byte(b)); err == nil {
			t.Errorf("%q: accepted", b)
		}
	}
}

// FuzzFastJSON: what the fast decoders accept, encoding/json accepts and
// decodes to the same values.
func FuzzFastJSON(f *testing.F) {
	b, _ := json.Marshal(samplePage(3))
	f.Add(b)
	f.Add(sampleBulk())
	f.Add([]byte(`{"since":0,"changes":[],"last_seq":0,"more":false}`))
	f.Add([]byte(`{"docs":[{"id":"\u00e9","rev":1,"deleted":false,"sealed":"AA==","error":null}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var got wire.FeedPage
		if err := decodeFeedPage(b, &got); err == nil {
			want, err := stdFeed(b)
			if err != nil {
				t.Fatalf("feed: accepted what encoding/json refuses (%v)", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("feed: %+v, encoding/json %+v", got, want)
			}
		}
		if docs, err := decodeBulkDocs(b); err == nil {
			want, err := stdBulk(b)
			if err != nil {
				t.Fatalf("bulk: accepted what encoding/json refuses (%v)", err)
			}
			if !reflect.DeepEqual(docs, want) {
				t.Fatalf("bulk: %+v, encoding/json %+v", docs, want)
			}
		}
	})
}

func BenchmarkFeedPageDecode(b *testing.B) {
	body, _ := json.Marshal(samplePage(500))
	b.Run("fast", func(b *testing.B) {
		for range b.N {
			var p wire.FeedPage
			if err := decodeFeedPage(body, &p); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		for range b.N {
			if _, err := stdFeed(body); err != nil {
				b.Fatal(err)
			}
		}
	})
}
