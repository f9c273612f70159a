package client

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"slices"
	"strings"
)

// DocStates is what a device remembers of every document it has seen,
// keyed by "doctype/id" (State.Docs, AppState.Docs).
//
// In JSON it is one string, docStatesPrefix followed by the base64 of a
// table of records sorted by key, each
//
//	uvarint len(key) | key | uvarint Rev | uvarint Gen | uvarint FeedRev | byte len(Digest) | Digest
//
// because a saved state is decoded at every start of a page, and a JSON
// object of thousands of members took the WebAssembly client over 100 ms.
// Older states, which hold an object, decode too.
type DocStates map[string]DocState

const docStatesPrefix = "hds1:"

// AppendBinary appends m's table of records (without the prefix or base64)
// to b.
func (m DocStates) AppendBinary(b []byte) ([]byte, error) {
	keys := make([]string, 0, len(m))
	size := 0
	for k, ds := range m {
		keys = append(keys, k)
		size += len(k) + len(ds.Digest) + 4*binary.MaxVarintLen64
	}
	slices.Sort(keys)
	b = slices.Grow(b, size)
	for _, k := range keys {
		ds := m[k]
		if len(ds.Digest) > 255 {
			return nil, errors.New("client: a document digest is too long to save")
		}
		b = binary.AppendUvarint(b, uint64(len(k)))
		b = append(b, k...)
		b = binary.AppendUvarint(b, ds.Rev)
		b = binary.AppendUvarint(b, uint64(ds.Gen))
		b = binary.AppendUvarint(b, ds.FeedRev)
		b = append(b, byte(len(ds.Digest)))
		b = append(b, ds.Digest...)
	}
	return b, nil
}

// MarshalJSON encodes m as the string described at DocStates.
func (m DocStates) MarshalJSON() ([]byte, error) {
	if m == nil {
		return []byte("null"), nil
	}
	tab, err := m.AppendBinary(nil)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(docStatesPrefix)+base64.RawStdEncoding.EncodedLen(len(tab))+2)
	out = append(out, '"')
	out = append(out, docStatesPrefix...)
	out = base64.RawStdEncoding.AppendEncode(out, tab)
	return append(out, '"'), nil
}

var errDocStates = errors.New("client: the saved document table is malformed")

// UnmarshalJSON decodes the string MarshalJSON writes, or the JSON object
// of older states.
func (m *DocStates) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*m = nil
		return nil
	}
	if len(b) > 0 && b[0] == '{' {
		var old map[string]DocState
		if err := json.Unmarshal(b, &old); err != nil {
			return err
		}
		*m = old
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	enc, ok := strings.CutPrefix(s, docStatesPrefix)
	if !ok {
		return errDocStates
	}
	tab, err := base64.RawStdEncoding.DecodeString(enc)
	if err != nil {
		return errDocStates
	}
	return m.UnmarshalBinary(tab)
}

// UnmarshalBinary decodes a table AppendBinary wrote. Digests share tab's
// memory.
func (m *DocStates) UnmarshalBinary(tab []byte) error {
	out := DocStates{}
	uv := func() (uint64, bool) {
		v, n := binary.Uvarint(tab)
		if n <= 0 {
			return 0, false
		}
		tab = tab[n:]
		return v, true
	}
	for len(tab) > 0 {
		n, ok := uv()
		if !ok || n > uint64(len(tab)) {
			return errDocStates
		}
		k := string(tab[:n])
		tab = tab[n:]
		rev, ok1 := uv()
		gen, ok2 := uv()
		feedRev, ok3 := uv()
		if !ok1 || !ok2 || !ok3 || gen > 1<<32-1 || len(tab) == 0 {
			return errDocStates
		}
		dl := int(tab[0])
		tab = tab[1:]
		if dl > len(tab) {
			return errDocStates
		}
		if _, dup := out[k]; dup {
			return errDocStates
		}
		ds := DocState{Rev: rev, Gen: uint32(gen), FeedRev: feedRev}
		if dl > 0 {
			ds.Digest = tab[:dl:dl]
		}
		tab = tab[dl:]
		out[k] = ds
	}
	*m = out
	return nil
}
