package metatest

import (
	"reflect"
	"testing"

	"github.com/hearthcloud/hearth/server/meta"
)

func testListDocs(t *testing.T, s meta.Store) {
	mustCreateAccount(t, s, "alice")
	mustDoctype(t, s, "alice", notes, contacts)
	// Byte order: "B" < "a" < "a0" < "b" < "é" (0xc3 0xa9).
	mustPutDocs(t, s, "alice", []meta.DocWrite{
		write(notes, "b", 0, false),
		write(notes, "é", 0, false),
		write(notes, "a0", 0, false),
		write(notes, "B", 0, false),
		write(notes, "a", 0, false),
		write(contacts, "a1", 0, false),
	}, nil)
	mustPutDocs(t, s, "alice", []meta.DocWrite{write(notes, "a0", 1, true), write(notes, "b", 1, false)}, nil)

	info := func(id string, rev uint64, deleted bool) meta.DocInfo {
		return meta.DocInfo{ID: id, Rev: rev, Size: int64(len(sealed(id, rev))), Deleted: deleted}
	}
	tests := []struct {
		name    string
		after   string
		limit   int
		deleted bool
		want    []meta.DocInfo
	}{
		{"all live", "", 100, false, []meta.DocInfo{info("B", 1, false), info("a", 1, false), info("b", 2, false), info("é", 1, false)}},
		{"with tombstones", "", 100, true, []meta.DocInfo{info("B", 1, false), info("a", 1, false), info("a0", 2, true), info("b", 2, false), info("é", 1, false)}},
		{"no limit", "", 0, true, []meta.DocInfo{info("B", 1, false), info("a", 1, false), info("a0", 2, true), info("b", 2, false), info("é", 1, false)}},
		{"limit", "", 2, true, []meta.DocInfo{info("B", 1, false), info("a", 1, false)}},
		{"after", "a", 2, true, []meta.DocInfo{info("a0", 2, true), info("b", 2, false)}},
		{"after, live", "a", 2, false, []meta.DocInfo{info("b", 2, false), info("é", 1, false)}},
		{"after a missing id", "a00", 100, false, []meta.DocInfo{info("b", 2, false), info("é", 1, false)}},
		{"after the last", "é", 100, true, nil},
	}
	for _, tc := range tests {
		got, err := s.ListDocs(ctx, "alice", notes, tc.after, tc.limit, tc.deleted)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if len(got) != 0 || len(tc.want) != 0 {
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s: ListDocs = %+v, want %+v", tc.name, got, tc.want)
			}
		}
	}
	for _, dt := range []string{"io.hearth.unknown", ""} {
		if got, err := s.ListDocs(ctx, "alice", dt, "", 100, true); err != nil || len(got) != 0 {
			t.Errorf("ListDocs(%q) = %v %v, want nothing", dt, got, err)
		}
	}
}
