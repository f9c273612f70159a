package client

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func sampleDocStates(n int) DocStates {
	m := DocStates{}
	for i := range n {
		ds := DocState{Rev: uint64(i + 1), Gen: uint32(i % 3), FeedRev: uint64(i)}
		if i%4 != 0 {
			ds.Digest = bytes.Repeat([]byte{byte(i)}, 32)
		}
		m[fmt.Sprintf("io.hearth.notes/%026d", i)] = ds
	}
	m["io.hearth.files/x"] = DocState{Rev: 1<<63 + 5, Gen: 1<<32 - 1, FeedRev: 1 << 40}
	return m
}

func TestDocStatesRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 1000} {
		st := State{Server: "http://x", Docs: sampleDocStates(n)}
		b, err := json.Marshal(st)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(b, []byte(`"docs":"hds1:`)) {
			t.Fatalf("docs not in the compact form: %.200s", b)
		}
		var back State
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back.Docs, st.Docs) {
			t.Fatalf("n=%d: round trip changed the table", n)
		}
		again, _ := json.Marshal(back)
		if !bytes.Equal(again, b) {
			t.Fatalf("n=%d: encoding is not deterministic", n)
		}
	}
	// An empty table is left out; a missing one stays nil.
	b, _ := json.Marshal(State{Docs: DocStates{}})
	if bytes.Contains(b, []byte(`"docs"`)) {
		t.Fatalf("empty table written: %s", b)
	}
}

// A state saved before the compact form (a JSON object) still loads.
func TestDocStatesOldForm(t *testing.T) {
	old := `{"server":"http://x","docs":{"io.hearth.notes/a":{"rev":3,"digest":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=","gen":2,"feed_rev":3},"io.hearth.notes/b":{"rev":1}}}`
	var st State
	if err := json.Unmarshal([]byte(old), &st); err != nil {
		t.Fatal(err)
	}
	a := st.Docs["io.hearth.notes/a"]
	if a.Rev != 3 || a.Gen != 2 || a.FeedRev != 3 || len(a.Digest) != 32 || a.Digest[31] != 31 || st.Docs["io.hearth.notes/b"].Rev != 1 {
		t.Fatalf("old form decoded as %+v", st.Docs)
	}
}

func TestDocStatesMalformed(t *testing.T) {
	good, _ := json.Marshal(sampleDocStates(3))
	for _, bad := range []string{
		`"hds2:AAAA"`, `"nope"`, `"hds1:!!"`, `12`, `[1]`,
		`"hds1:` + strings.Repeat("/", 7) + `"`,
		string(good[:len(good)-6]) + `"`, // cut in the middle of a record
	} {
		var m DocStates
		if err := json.Unmarshal([]byte(bad), &m); err == nil {
			t.Errorf("%.60s: accepted as %v", bad, m)
		}
	}
	// The same key twice.
	rec := []byte{3, 'a', '/', 'b', 1, 0, 0, 0}
	dup := `"` + docStatesPrefix + base64.RawStdEncoding.EncodeToString(append(rec, rec...)) + `"`
	var m DocStates
	if err := json.Unmarshal([]byte(dup), &m); err == nil {
		t.Errorf("a key twice: accepted")
	}
	single := `"` + docStatesPrefix + base64.RawStdEncoding.EncodeToString(rec) + `"`
	if err := json.Unmarshal([]byte(single), &m); err != nil || m["a/b"].Rev != 1 {
		t.Errorf("one record: %v %v", m, err)
	}
}

func FuzzDocStates(f *testing.F) {
	for _, n := range []int{0, 2, 5} {
		b, _ := json.Marshal(sampleDocStates(n))
		f.Add(b)
	}
	f.Add([]byte(`{"a/b":{"rev":1}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var m DocStates
		if err := json.Unmarshal(b, &m); err != nil {
			return
		}
		out, err := json.Marshal(m)
		if err != nil {
			return // a digest over 255 bytes, from an old-form object
		}
		var back DocStates
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("re-encoding does not decode: %v", err)
		}
		if len(back) != len(m) {
			t.Fatalf("re-encoding changed the size: %d → %d", len(m), len(back))
		}
	})
}
