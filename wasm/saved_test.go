package wasm

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/hearthcloud/hearth/client"
)

func sampleSaved() []saved {
	docs := client.DocStates{"io.hearth.notes/a": {Rev: 2, FeedRev: 2, Digest: bytes.Repeat([]byte{7}, 32), Gen: 1}, "io.hearth.notes/b": {Rev: 1}}
	return []saved{
		{Version: 1},
		{Version: 1, State: &client.State{Server: "http://h", User: "u", Token: "hst_x", MasterKey: make([]byte, 32), FeedSeq: 9, Docs: docs}, AppTokens: []string{"t1"}},
		{Version: 1, App: &client.AppState{Server: "http://h", User: "u", Token: "hat_x", Identity: "AGE-SECRET-KEY-1X", GrantRev: 3, Gens: map[string]uint32{"io.hearth.notes": 1}, Docs: docs},
			Seqs: []seqTable{{Doctype: "io.hearth.notes", IDs: []string{"a", "b"}, Seqs: []uint64{9, 4}}}},
		{Version: 1, Pending: &pendingConnect{}},
	}
}

func TestSavedRoundTrip(t *testing.T) {
	for i, sv := range sampleSaved() {
		b, err := encodeSaved(sv)
		if err != nil {
			t.Fatal(err)
		}
		back, err := decodeSaved(b)
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		if !reflect.DeepEqual(back, sv) {
			t.Fatalf("%d: round trip gave %+v, want %+v", i, back, sv)
		}
		// The tables left their JSON header: encoding did not change sv.
		if sv.State != nil && len(sv.State.Docs) == 0 || sv.App != nil && len(sv.App.Docs) == 0 {
			t.Fatalf("%d: encoding emptied the caller's tables", i)
		}
	}
	// The binary forms of version 3, with the documents cache as part C,
	// and of version 2, without part Q either, still decode.
	sv3 := sampleSaved()[2]
	sv3.Cache = []cachedDoctype{{Doctype: "io.hearth.notes", Docs: []cachedDoc{{ID: "a", Rev: 2, Value: []byte(`{"title":"x"}`)}, {ID: "b", Rev: 1, Value: []byte(`"s"`)}}}, {Doctype: "io.hearth.other", Docs: []cachedDoc{}}}
	b, _ := encodeSaved(sv3)
	rest := b[len(savedMagic):]
	var parts [][]byte
	for range 4 { // H, S, A, Q
		p, ok := cutBytes(&rest)
		if !ok {
			t.Fatal("the saved form has not 4 parts")
		}
		parts = append(parts, p)
	}
	var c []byte
	for _, cd := range sv3.Cache {
		c = appendBytes(c, []byte(cd.Doctype))
		c = binary.AppendUvarint(c, uint64(len(cd.Docs)))
		for _, d := range cd.Docs {
			c = appendBytes(c, []byte(d.ID))
			c = binary.AppendUvarint(c, d.Rev)
			c = appendBytes(c, d.Value)
		}
	}
	v3 := []byte(savedMagic3)
	for _, p := range [][]byte{parts[0], parts[1], parts[2], c, parts[3]} {
		v3 = appendBytes(v3, p)
	}
	if back, err := decodeSaved(v3); err != nil || !reflect.DeepEqual(back, sv3) {
		t.Fatalf("version 3: %v %+v", err, back)
	}
	sv3.Seqs = nil
	v2 := []byte(savedMagic2)
	for _, p := range [][]byte{parts[0], parts[1], parts[2], c} {
		v2 = appendBytes(v2, p)
	}
	if back, err := decodeSaved(v2); err != nil || !reflect.DeepEqual(back, sv3) {
		t.Fatalf("version 2: %v", err)
	}
	// The JSON of earlier versions still decodes.
	sv := sampleSaved()[1]
	old, _ := json.Marshal(sv)
	back, err := decodeSaved(old)
	if err != nil || !reflect.DeepEqual(back, sv) {
		t.Fatalf("old JSON form: %v", err)
	}
}

func TestSavedMalformed(t *testing.T) {
	good, _ := encodeSaved(sampleSaved()[2])
	for name, b := range map[string][]byte{
		"cut":      good[:len(good)-3],
		"trailing": append(append([]byte{}, good...), 0),
		"empty":    []byte(savedMagic),
		"huge len": append([]byte(savedMagic), 0xff, 0xff, 0xff, 0xff, 0x0f),
		"garbage":  []byte("\x00\x01"),
	} {
		if _, err := decodeSaved(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// A table without the session that holds it.
	b, _ := encodeSaved(saved{Version: 1})
	b = b[:len(b)-3]
	b = append(b, 8, 3, 'a', '/', 'b', 1, 0, 0, 0, 0, 0)
	if _, err := decodeSaved(b); err == nil {
		t.Errorf("orphan table: accepted")
	}
}

func FuzzDecodeSaved(f *testing.F) {
	for _, sv := range sampleSaved() {
		b, _ := encodeSaved(sv)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		sv, err := decodeSaved(b)
		if err != nil {
			return
		}
		again, err := encodeSaved(sv)
		if err != nil {
			return
		}
		if _, err := decodeSaved(again); err != nil {
			t.Fatalf("re-encoded state does not decode: %v", err)
		}
	})
}
