package wasm

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"

	"github.com/hearthcloud/hearth/client"
)

// saved is what a "state" event carries, and Resume takes back.
type saved struct {
	// Cache: in the forms of versions 2 and 3, the documents of the
	// doctypes listed, now kept in pages of their own (docpages.go); read,
	// never written.
	Cache []cachedDoctype `json:"-"`
	// Seqs: where each document's current revision sits in the changes
	// feed (seqs.go), kept whole even when the cache is not.
	Seqs      []seqTable       `json:"-"`
	Version   int              `json:"v"`
	State     *client.State    `json:"state,omitempty"`     // Home's session
	App       *client.AppState `json:"app,omitempty"`       // an app's session
	Pending   *pendingConnect  `json:"pending,omitempty"`   // an app's connection under way
	AppTokens []string         `json:"appTokens,omitempty"` // app tokens Home created here
	AppSlugs  []string         `json:"appSlugs,omitempty"`  // apps connected here (Home): wiped at logout
	// Epoch counts the person's decisions, in Home, to go on with what the
	// server holds after a halt (protocol §4.7): Home raises it at each;
	// an app keeps the one it last adopted Home's position at (connect.go).
	Epoch uint64 `json:"epoch,omitempty"`
}

// The saved form of a session (what a "state" event carries, spec/web.md
// §4) is
//
//	"hearth-state-4\n" | part H | part S | part A | part Q
//
// each part a uvarint length and its bytes: H is the JSON of saved without
// the document tables, S and A are the tables of State.Docs and App.Docs in
// client.DocStates' binary form, and Q the documents' feed positions
// (saved.Seqs, seqs.go). The documents themselves are kept apart
// (docpages.go). The form of version 3 ("hearth-state-3\n") had a part C
// between A and Q, the documents cache (saved.Cache): for each doctype
//
//	uvarint len(doctype) | doctype | uvarint n | n × (uvarint len(id) | id | uvarint rev | uvarint len(value) | value)
//
// and version 2 ("hearth-state-2\n") is version 3 without part Q; both
// still decode.
//
// A page decodes it at every start, and JSON took the WebAssembly client
// 50–130 ms for a thousand documents where this takes a few. Resume also
// takes the JSON form of earlier versions (without a cache).
const (
	savedMagic  = "hearth-state-4\n"
	savedMagic3 = "hearth-state-3\n"
	savedMagic2 = "hearth-state-2\n"
)

var errSaved = errors.New("wasm: the saved state is malformed")

func encodeSaved(sv saved) ([]byte, error) {
	var sDocs, aDocs client.DocStates
	if sv.State != nil {
		st := *sv.State
		sDocs, st.Docs = st.Docs, nil
		sv.State = &st
	}
	if sv.App != nil {
		ap := *sv.App
		aDocs, ap.Docs = ap.Docs, nil
		sv.App = &ap
	}
	hdr, err := json.Marshal(sv)
	if err != nil {
		return nil, err
	}
	out := append([]byte(savedMagic), binary.AppendUvarint(nil, uint64(len(hdr)))...)
	out = append(out, hdr...)
	for _, t := range []client.DocStates{sDocs, aDocs} {
		tab, err := t.AppendBinary(nil)
		if err != nil {
			return nil, err
		}
		out = binary.AppendUvarint(out, uint64(len(tab)))
		out = append(out, tab...)
	}
	return appendSeqs(out, sv.Seqs), nil
}

func appendBytes(b, p []byte) []byte {
	return append(binary.AppendUvarint(b, uint64(len(p))), p...)
}

// cutBytes reads what appendBytes wrote at the start of *b.
func cutBytes(b *[]byte) ([]byte, bool) {
	n, k := binary.Uvarint(*b)
	if k <= 0 || n > uint64(len(*b)-k) {
		return nil, false
	}
	p := (*b)[k : k+int(n)]
	*b = (*b)[k+int(n):]
	return p, true
}

func cutUvarint(b *[]byte) (uint64, bool) {
	n, k := binary.Uvarint(*b)
	if k <= 0 {
		return 0, false
	}
	*b = (*b)[k:]
	return n, true
}

func decodeSaved(b []byte) (saved, error) {
	var sv saved
	version := 4
	rest, ok := bytes.CutPrefix(b, []byte(savedMagic))
	if !ok {
		rest, ok = bytes.CutPrefix(b, []byte(savedMagic3))
		version = 3
	}
	if !ok {
		rest, ok = bytes.CutPrefix(b, []byte(savedMagic2))
		version = 2
	}
	if !ok {
		// An earlier version's JSON.
		err := json.Unmarshal(b, &sv)
		return sv, err
	}
	part := func() ([]byte, error) {
		p, ok := cutBytes(&rest)
		if !ok {
			return nil, errSaved
		}
		return p, nil
	}
	hdr, err := part()
	if err != nil {
		return sv, err
	}
	if err := json.Unmarshal(hdr, &sv); err != nil {
		return sv, err
	}
	for _, dst := range []*client.DocStates{stateDocs(&sv), appDocs(&sv)} {
		tab, err := part()
		if err != nil {
			return sv, err
		}
		var t client.DocStates
		if err := t.UnmarshalBinary(tab); err != nil {
			return sv, err
		}
		if dst != nil && len(t) > 0 {
			*dst = t
		} else if len(t) > 0 {
			return sv, errSaved // a table with no session to hold it
		}
	}
	if version < 4 {
		c, err := part()
		if err != nil {
			return sv, err
		}
		if sv.Cache, err = decodeCache(c); err != nil {
			return sv, err
		}
	}
	if version > 2 {
		if sv.Seqs, err = cutSeqs(&rest); err != nil {
			return sv, err
		}
	}
	if len(rest) != 0 {
		return sv, errSaved
	}
	return sv, nil
}

// decodeCache decodes part C of versions 2 and 3.
func decodeCache(c []byte) ([]cachedDoctype, error) {
	var out []cachedDoctype
	for len(c) > 0 {
		dt, ok1 := cutBytes(&c)
		n, ok2 := cutUvarint(&c)
		if !ok1 || !ok2 || n > uint64(len(c)) {
			return nil, errSaved
		}
		cd := cachedDoctype{Doctype: string(dt), Docs: make([]cachedDoc, 0, n)}
		for range n {
			id, ok1 := cutBytes(&c)
			rev, ok2 := cutUvarint(&c)
			v, ok3 := cutBytes(&c)
			if !ok1 || !ok2 || !ok3 {
				return nil, errSaved
			}
			cd.Docs = append(cd.Docs, cachedDoc{ID: string(id), Rev: rev, Value: v})
		}
		out = append(out, cd)
	}
	return out, nil
}

// cachedDoctype is the part of the documents cache of one doctype: the
// live documents, by id.
type cachedDoctype struct {
	Doctype string
	Docs    []cachedDoc
}

type cachedDoc struct {
	ID    string
	Rev   uint64
	Value []byte // JSON
}

func stateDocs(sv *saved) *client.DocStates {
	if sv.State == nil {
		return nil
	}
	return &sv.State.Docs
}

func appDocs(sv *saved) *client.DocStates {
	if sv.App == nil {
		return nil
	}
	return &sv.App.Docs
}
