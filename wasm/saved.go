package wasm

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"

	"github.com/hearthcloud/hearth/client"
)

// The saved form of a session (what a "state" event carries, spec/web.md
// §4) is
//
//	"hearth-state-2\n" | uvarint len(H) | H | uvarint len(S) | S | uvarint len(A) | A
//
// where H is the JSON of saved without the document tables, and S and A
// are the tables of State.Docs and App.Docs in client.DocStates' binary
// form. A page decodes it at every start, and JSON took the WebAssembly
// client 50–130 ms for a thousand documents where this takes about one.
// Resume also takes the JSON form of earlier versions.
const savedMagic = "hearth-state-2\n"

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
	return out, nil
}

func decodeSaved(b []byte) (saved, error) {
	var sv saved
	rest, ok := bytes.CutPrefix(b, []byte(savedMagic))
	if !ok {
		// An earlier version's JSON.
		err := json.Unmarshal(b, &sv)
		return sv, err
	}
	part := func() ([]byte, error) {
		n, k := binary.Uvarint(rest)
		if k <= 0 || n > uint64(len(rest)-k) {
			return nil, errSaved
		}
		p := rest[k : k+int(n)]
		rest = rest[k+int(n):]
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
	if len(rest) != 0 {
		return sv, errSaved
	}
	return sv, nil
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
