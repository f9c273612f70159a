//go:build hearthtest

// The client tests need the cheap key derivation of the hearthtest tag
// (make test sets it).

package client

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/hearthcloud/hearth/internal/wire"
)

// validFeed returns a well-formed page of n entries from seq 0.
func validFeed(n int) []byte {
	var chain [32]byte
	p := wire.FeedPage{SinceChain: make([]byte, 32), LastSeq: uint64(n)}
	for i := 1; i <= n; i++ {
		e := wire.ChainEntry{Seq: uint64(i), Doctype: "io.hearth.notes", ID: "k3vq4zqg2vbf3lqf5xhm2m7n2e", Rev: uint64(i), Deleted: i%2 == 0}
		e.Digest[0] = byte(i)
		chain = wire.NextChain(chain, e)
		p.Changes = append(p.Changes, wire.FeedEntry{Seq: e.Seq, Doctype: e.Doctype, ID: e.ID, Rev: e.Rev, Deleted: e.Deleted,
			Digest: e.Digest[:], Chain: append([]byte(nil), chain[:]...)})
	}
	b, _ := json.Marshal(p)
	return b
}

func TestCheckFeedVector(t *testing.T) {
	// The §8.6.2 test vector.
	var z [32]byte
	e1 := wire.ChainEntry{Seq: 1, Doctype: "io.hearth.notes", ID: "k3vq4zqg2vbf3lqf5xhm2m7n2e", Rev: 1}
	copy(e1.Digest[:], b64dec("ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="))
	c1 := wire.NextChain(z, e1)
	body, _ := json.Marshal(map[string]any{"since": 0, "since_chain": z[:], "last_seq": 1, "more": false,
		"changes": []any{map[string]any{"seq": 1, "doctype": e1.Doctype, "id": e1.ID, "rev": 1, "deleted": false,
			"digest": e1.Digest[:], "chain": b64dec("Y4RinR5JFSwc1W1vm6qGEJNd3Czqxe5xt30YAiEWwB8=")}}})
	p, last, err := checkFeed(body, 0, z)
	if err != nil || last != c1 || len(p.Changes) != 1 {
		t.Fatal(err)
	}
	good := validFeed(5)
	if _, _, err := checkFeed(good, 0, z); err != nil {
		t.Fatal(err)
	}
	// Any single changed byte of a valid page is refused or harmless: it
	// never yields a page whose chain differs yet is accepted.
	_, want, _ := checkFeed(good, 0, z)
	for i := range good {
		b := bytes.Clone(good)
		b[i] ^= 1
		if p, last, err := checkFeed(b, 0, z); err == nil && last != want && len(p.Changes) == 5 {
			t.Fatalf("byte %d: accepted an altered page", i)
		}
	}
}

func b64dec(s string) []byte {
	var b []byte
	json.Unmarshal([]byte(`"`+s+`"`), &b)
	return b
}

// FuzzCheckFeed: the feed parser never panics, and whatever it accepts is a
// gapless, chained page from the asked position.
func FuzzCheckFeed(f *testing.F) {
	f.Add(validFeed(0), uint64(0))
	f.Add(validFeed(3), uint64(0))
	f.Add([]byte(`{"since":0,"since_chain":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","changes":null,"last_seq":0,"more":true}`), uint64(0))
	f.Add([]byte(`{"since":18446744073709551615,"last_seq":0}`), uint64(1<<63))
	f.Fuzz(func(t *testing.T, body []byte, since uint64) {
		var z [32]byte
		p, last, err := checkFeed(body, since, z)
		if err != nil {
			return
		}
		if p.Since != since || p.LastSeq-since != uint64(len(p.Changes)) || p.More && len(p.Changes) == 0 {
			t.Fatalf("accepted an inconsistent page: %+v", p)
		}
		cur := z
		for i, ch := range p.Changes {
			if ch.Seq != since+1+uint64(i) {
				t.Fatal("accepted a gap")
			}
			e := wire.ChainEntry{Seq: ch.Seq, Doctype: ch.Doctype, ID: ch.ID, Rev: ch.Rev, Deleted: ch.Deleted}
			copy(e.Digest[:], ch.Digest)
			cur = wire.NextChain(cur, e)
		}
		if cur != last {
			t.Fatal("returned a wrong chain")
		}
	})
}
