package wasm

import (
	"encoding/binary"
	"maps"
	"slices"
)

// Where each document's current revision sits in the account's changes
// feed (its seq, protocol §8.6), as this browser saw it: list and
// subscribe give it (spec/web.md §3), so that a page can order documents
// by their last change when their values carry no date (a note written by
// the command line client). The feed is the only source: a revision this
// browser wrote or read has seq 0 until the feed brings it back. The
// table is kept with the saved state (saved.go, part Q), whether or not
// the documents themselves fit its cache.

// seqOfLocked returns the seq of doctype/id, or 0 (the caller holds mu).
func (a *API) seqOfLocked(doctype, id string) uint64 {
	return a.seqs[doctype][id]
}

// setSeqLocked records the seq of doctype/id's current revision; a
// deletion forgets it, and seq 0 (not known) changes nothing.
func (a *API) setSeqLocked(doctype, id string, seq uint64, deleted bool) {
	if deleted {
		delete(a.seqs[doctype], id)
		return
	}
	if seq == 0 {
		return
	}
	m := a.seqs[doctype]
	if m == nil {
		if a.seqs == nil {
			a.seqs = map[string]map[string]uint64{}
		}
		m = map[string]uint64{}
		a.seqs[doctype] = m
	}
	m[id] = seq
}

// seqTable is the seqs of one doctype, as saved.
type seqTable struct {
	Doctype string
	IDs     []string
	Seqs    []uint64
}

// seqTablesLocked returns the table to save, in a stable order (the saved
// form is compared with the last one written).
func (a *API) seqTablesLocked() []seqTable {
	var out []seqTable
	for _, dt := range slices.Sorted(maps.Keys(a.seqs)) {
		m := a.seqs[dt]
		if len(m) == 0 {
			continue
		}
		t := seqTable{Doctype: dt, IDs: slices.Sorted(maps.Keys(m))}
		t.Seqs = make([]uint64, len(t.IDs))
		for i, id := range t.IDs {
			t.Seqs[i] = m[id]
		}
		out = append(out, t)
	}
	return out
}

// seqMap is the inverse of seqTablesLocked.
func seqMap(ts []seqTable) map[string]map[string]uint64 {
	out := make(map[string]map[string]uint64, len(ts))
	for _, t := range ts {
		m := make(map[string]uint64, len(t.IDs))
		for i, id := range t.IDs {
			m[id] = t.Seqs[i]
		}
		out[t.Doctype] = m
	}
	return out
}

// appendSeqs encodes tables as part Q of the saved form: for each doctype
//
//	uvarint len(doctype) | doctype | uvarint n | n × (uvarint len(id) | id | uvarint seq)
func appendSeqs(b []byte, ts []seqTable) []byte {
	var q []byte
	for _, t := range ts {
		q = appendBytes(q, []byte(t.Doctype))
		q = binary.AppendUvarint(q, uint64(len(t.IDs)))
		for i, id := range t.IDs {
			q = appendBytes(q, []byte(id))
			q = binary.AppendUvarint(q, t.Seqs[i])
		}
	}
	return appendBytes(b, q)
}

// cutSeqs decodes what appendSeqs wrote at the start of *b.
func cutSeqs(b *[]byte) ([]seqTable, error) {
	q, ok := cutBytes(b)
	if !ok {
		return nil, errSaved
	}
	var out []seqTable
	for len(q) > 0 {
		dt, ok1 := cutBytes(&q)
		n, ok2 := cutUvarint(&q)
		if !ok1 || !ok2 || n > uint64(len(q)) {
			return nil, errSaved
		}
		t := seqTable{Doctype: string(dt), IDs: make([]string, 0, n), Seqs: make([]uint64, 0, n)}
		for range n {
			id, ok1 := cutBytes(&q)
			seq, ok2 := cutUvarint(&q)
			if !ok1 || !ok2 {
				return nil, errSaved
			}
			t.IDs = append(t.IDs, string(id))
			t.Seqs = append(t.Seqs, seq)
		}
		out = append(out, t)
	}
	return out, nil
}
