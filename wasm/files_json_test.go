package wasm

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// TestFilesTreeJSON: filesTree's own encoder gives what encoding/json gives.
func TestFilesTreeJSON(t *testing.T) {
	when := time.Unix(1790000000, 0).UTC()
	for _, r := range []*FilesTreeResult{
		{},
		{Items: []FileItem{}, VersionsKept: 10},
		{Items: []FileItem{
			{ID: "a", Rev: 3, Kind: "file", Name: "x \"y\" \\ <b>&amp;\u2028\u2029\x00\x1f\t\n\r\b\f é 😀 \xff\xfe end", Parent: "p", Type: "text/plain", Length: 42,
				Modified: when, Trashed: when.Add(time.Hour), InTrash: true, From: []string{"Trips", "<2024>"}, FromGone: true, Versions: 2, OldFormat: true},
			{ID: "d", Kind: "file", From: []string{}, Trashed: when},
			{ID: "b", Kind: "folder", Length: -1, Modified: time.Unix(0, 5).UTC()},
			{ID: "c", Kind: "file", Modified: time.Date(2026, 1, 2, 3, 4, 5, 600, time.FixedZone("x", 3600))},
		}, VersionsKept: 100, Malformed: []string{"m1", "m<2>"}},
	} {
		want, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.appendJSON(nil); !bytes.Equal(got, want) {
			t.Fatalf("\n got %s\nwant %s", got, want)
		}
	}
}

func FuzzFilesTreeJSON(f *testing.F) {
	f.Add("name", "text/plain", int64(5))
	f.Add("<\u2028\xff\"", "", int64(-1))
	f.Fuzz(func(t *testing.T, name, typ string, n int64) {
		r := &FilesTreeResult{Items: []FileItem{{ID: name, Kind: "file", Name: name, Parent: typ, Type: typ, Length: n, Modified: time.Unix(n%(1<<40), n%1e9).UTC(),
			From: []string{typ, name}, FromGone: n%2 == 0}}}
		want, err := json.Marshal(r)
		if err != nil {
			return
		}
		if got := r.appendJSON(nil); !bytes.Equal(got, want) {
			t.Fatalf("\n got %s\nwant %s", got, want)
		}
	})
}
