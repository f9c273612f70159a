package wasm

import (
	"cmp"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/hearthcloud/hearth/client"
)

// The saved state keeps the live documents of every doctype whose documents
// are all in memory (API.loaded), next to the client State they go with, so
// that a reloaded page lists them without a network round trip; the feed
// loop then brings what changed since the saved feed position.
//
// What it keeps comes only from memory, which only verified reads, verified
// changes of the feed and this device's own writes fill. Memory is never
// behind the State's feed position: Sync hands a page's changes over (and
// apply records them) before it advances the State, and both are read for
// one saved value under API.mu. So a document the cache lacks, or holds at
// an older revision than the State remembers, is one the feed shows again
// after the saved position; Resume checks this and drops the doctype from
// the cache if it does not hold (load then reads it as before).

// maxCache bounds the encoded documents kept in the saved state, all
// doctypes together: a doctype that would go beyond it is left out (and
// read again with GetMany after a reload).
var maxCache = 20 << 20

// encodeDocs encodes the documents of one doctype for the saved state: a
// JSON object of id -> {"rev":…,"deleted":true} or {"rev":…,"value":…},
// ids in order. It is built by hand: ids are plain (wire.CheckID) and values
// are JSON already (checkValue, valueOf), so nothing needs escaping or
// checking again.
func encodeDocs(m map[string]*entry) []byte {
	ids := make([]string, 0, len(m))
	n := 2
	for id, e := range m {
		ids = append(ids, id)
		n += len(id) + len(e.value) + 40
	}
	slices.Sort(ids)
	b := make([]byte, 0, n)
	b = append(b, '{')
	for i, id := range ids {
		e := m[id]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, id...)
		b = append(b, `":{"rev":`...)
		b = strconv.AppendUint(b, e.rev, 10)
		if e.deleted {
			b = append(b, `,"deleted":true}`...)
			continue
		}
		b = append(b, `,"value":`...)
		b = append(b, e.value...)
		b = append(b, '}')
	}
	return append(b, '}')
}

// cachedDoc is one document of the saved state, as encodeDocs writes it.
type cachedDoc struct {
	Rev     uint64          `json:"rev"`
	Deleted bool            `json:"deleted"`
	Value   json.RawMessage `json:"value"`
}

// decodeDocs reads back what encodeDocs wrote for doctype, and checks it
// against docs, what the State saved with it remembers: every document the
// State knows whose newest revision the feed already showed must be there
// at that revision or a later one (the feed would not bring it again). It
// returns nil if the cache of doctype is unusable.
func decodeDocs(doctype string, raw []byte, docs map[string]client.DocState) map[string]*entry {
	if checkDoc(doctype, "", false) != nil {
		return nil
	}
	var cd map[string]cachedDoc
	if json.Unmarshal(raw, &cd) != nil {
		return nil
	}
	m := make(map[string]*entry, len(cd))
	for id, d := range cd {
		if checkDoc(doctype, id, true) != nil || d.Rev == 0 {
			return nil
		}
		if d.Deleted {
			m[id] = &entry{rev: d.Rev, deleted: true}
			continue
		}
		if len(d.Value) == 0 {
			return nil
		}
		m[id] = &entry{rev: d.Rev, value: d.Value}
	}
	for k, ds := range docs {
		dt, id, ok := strings.Cut(k, "/")
		if !ok || dt != doctype || ds.FeedRev < ds.Rev {
			continue // another doctype, or the feed shows ds.Rev again
		}
		if e := m[id]; e == nil || e.rev < ds.Rev {
			return nil
		}
	}
	return m
}

// encodeCacheLocked returns the documents to keep of the doctypes in loaded,
// within a.maxCache, in order of doctype; enc holds each doctype's encoding
// while its documents do not change (apply drops it). Called with a.mu held.
func (a *API) encodeCacheLocked() map[string]json.RawMessage {
	var out map[string]json.RawMessage
	total := 0
	for _, dt := range sortedKeys(a.loaded) {
		b, ok := a.enc[dt]
		if !ok {
			b = encodeDocs(a.live[dt])
			a.enc[dt] = b
		}
		if total+len(b) > a.maxCache {
			continue
		}
		total += len(b)
		if out == nil {
			out = map[string]json.RawMessage{}
		}
		out[dt] = b
	}
	return out
}

// marshalSaved encodes sv, with the documents of docs (already JSON: they
// are spliced in as they are, not checked and compacted again by
// encoding/json, which would cost as much as encoding them).
func marshalSaved(sv *saved, docs map[string]json.RawMessage) ([]byte, error) {
	b, err := json.Marshal(sv)
	if err != nil || len(docs) == 0 {
		return b, err
	}
	n := len(b) + 16
	for dt, d := range docs {
		n += len(dt) + len(d) + 4
	}
	out := make([]byte, 0, n)
	out = append(out, b[:len(b)-1]...) // without the closing brace
	out = append(out, `,"docs":{`...)
	for i, dt := range sortedKeys(docs) {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, '"')
		out = append(out, dt...) // a doctype needs no escaping (wire.CheckDoctype)
		out = append(out, `":`...)
		out = append(out, docs[dt]...)
	}
	return append(out, "}}"...), nil
}

func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	ks := make([]K, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
