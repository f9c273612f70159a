package metatest

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/hearthcloud/hearth/server/meta"
)

func sameBlobRow(t *testing.T, got, want *meta.BlobRow) {
	t.Helper()
	g, w := *got, *want
	if !g.Created.Equal(w.Created) {
		t.Errorf("row %s Created = %v, want %v", w.ID, g.Created, w.Created)
	}
	g.Created = w.Created
	if !reflect.DeepEqual(g, w) {
		t.Errorf("row = %+v, want %+v", g, w)
	}
}

func testBlobRows(t *testing.T, s meta.Store) {
	r := &meta.BlobRow{Doctype: notes, ID: "b1", Size: 1234, Digest: [32]byte{1, 2, 3}, Created: t0}
	wantErr(t, "PutBlobRow without account", s.PutBlobRow(ctx, "alice", r), meta.ErrNotFound)
	mustCreateAccount(t, s, "alice")
	mustDoctype(t, s, "alice", notes)

	_, err := s.BlobRow(ctx, "alice", notes, "b1", false)
	wantErr(t, "BlobRow before put", err, meta.ErrNotFound)
	wantErr(t, "PutBlobRow", s.PutBlobRow(ctx, "alice", r), nil)
	got, err := s.BlobRow(ctx, "alice", notes, "b1", false)
	wantErr(t, "BlobRow", err, nil)
	sameBlobRow(t, got, r)

	// The same digest again is an idempotent retry; another is a reuse.
	retry := *r
	retry.Created = t0.Add(time.Minute)
	wantErr(t, "PutBlobRow retry", s.PutBlobRow(ctx, "alice", &retry), nil)
	got, _ = s.BlobRow(ctx, "alice", notes, "b1", false)
	sameBlobRow(t, got, r)
	other := *r
	other.Digest = [32]byte{9}
	wantErr(t, "PutBlobRow other digest", s.PutBlobRow(ctx, "alice", &other), meta.ErrExists)

	// Blobs and segments, and doctypes, are separate name spaces.
	_, err = s.BlobRow(ctx, "alice", notes, "b1", true)
	wantErr(t, "BlobRow as segment", err, meta.ErrNotFound)
	seg := &meta.BlobRow{Doctype: notes, ID: "b1", Segment: true, Size: 10, Digest: [32]byte{7}, Created: t0}
	wantErr(t, "PutBlobRow segment", s.PutBlobRow(ctx, "alice", seg), nil)
	got, _ = s.BlobRow(ctx, "alice", notes, "b1", true)
	sameBlobRow(t, got, seg)
	elsewhere := &meta.BlobRow{Doctype: contacts, ID: "b1", Size: 10, Digest: [32]byte{8}, Created: t0}
	wantErr(t, "PutBlobRow other doctype", s.PutBlobRow(ctx, "alice", elsewhere), nil)

	inUse, err := s.DeleteBlobRow(ctx, "alice", notes, "b1", false)
	if err != nil || inUse {
		t.Fatalf("DeleteBlobRow = %v %v, want false", inUse, err)
	}
	_, err = s.BlobRow(ctx, "alice", notes, "b1", false)
	wantErr(t, "BlobRow after delete", err, meta.ErrNotFound)
	_, err = s.DeleteBlobRow(ctx, "alice", notes, "b1", false)
	wantErr(t, "DeleteBlobRow twice", err, meta.ErrNotFound)
	_, err = s.DeleteBlobRow(ctx, "alice", notes, "zz", false)
	wantErr(t, "DeleteBlobRow unknown", err, meta.ErrNotFound)
	_, err = s.DeleteBlobRow(ctx, "nobody", notes, "b1", true)
	wantErr(t, "DeleteBlobRow unknown user", err, meta.ErrNotFound)

	// Ids are never reused, even with the same digest.
	wantErr(t, "PutBlobRow after delete", s.PutBlobRow(ctx, "alice", r), meta.ErrExists)
	wantErr(t, "PutBlobRow after delete, other digest", s.PutBlobRow(ctx, "alice", &other), meta.ErrExists)
	got, _ = s.BlobRow(ctx, "alice", notes, "b1", true)
	sameBlobRow(t, got, seg)
}

func testBlobDigests(t *testing.T, s meta.Store) {
	mustCreateAccount(t, s, "alice")
	mustCreateAccount(t, s, "bob")
	d := [32]byte{0xd}
	in := func(want bool) {
		t.Helper()
		if got, err := s.DigestInUse(ctx, d); err != nil || got != want {
			t.Fatalf("DigestInUse = %v %v, want %v", got, err, want)
		}
	}
	in(false)
	for _, p := range []struct {
		user, id string
		segment  bool
	}{{"alice", "x", false}, {"alice", "y", false}, {"alice", "x", true}, {"bob", "x", false}} {
		r := &meta.BlobRow{Doctype: notes, ID: p.id, Segment: p.segment, Size: 5, Digest: d, Created: t0}
		wantErr(t, "PutBlobRow", s.PutBlobRow(ctx, p.user, r), nil)
	}
	in(true)
	del := func(user, id string, segment, want bool) {
		t.Helper()
		inUse, err := s.DeleteBlobRow(ctx, user, notes, id, segment)
		if err != nil || inUse != want {
			t.Fatalf("DeleteBlobRow(%s, %s, %v) = %v %v, want %v", user, id, segment, inUse, err, want)
		}
	}
	del("alice", "x", false, true) // alice's y, her segment and bob's x remain
	del("alice", "y", false, true) // the segment and bob's x
	del("alice", "x", true, true)  // bob's x
	in(true)
	del("bob", "x", false, false)
	in(false)
}

func testListBlobRows(t *testing.T, s meta.Store) {
	mustCreateAccount(t, s, "alice")
	row := func(id string, segment bool) *meta.BlobRow {
		return &meta.BlobRow{Doctype: notes, ID: id, Segment: segment, Size: int64(len(id)), Digest: [32]byte{byte(len(id))}, Created: t0}
	}
	for _, r := range []*meta.BlobRow{row("c", false), row("a", false), row("B", false), row("bb", false), row("d", false), row("a", true), row("z", true)} {
		wantErr(t, "PutBlobRow", s.PutBlobRow(ctx, "alice", r), nil)
	}
	if err := s.PutBlobRow(ctx, "alice", &meta.BlobRow{Doctype: contacts, ID: "q", Digest: [32]byte{1}, Created: t0}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteBlobRow(ctx, "alice", notes, "c", false); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		segment bool
		after   string
		limit   int
		want    []string
	}{
		{"blobs", false, "", 100, []string{"B", "a", "bb", "d"}},
		{"no limit", false, "", 0, []string{"B", "a", "bb", "d"}},
		{"limit", false, "", 2, []string{"B", "a"}},
		{"after", false, "a", 2, []string{"bb", "d"}},
		{"after deleted", false, "c", 100, []string{"d"}},
		{"segments", true, "", 100, []string{"a", "z"}},
		{"segments after", true, "a", 100, []string{"z"}},
		{"past the end", false, "d", 100, nil},
	}
	for _, tc := range tests {
		rows, err := s.ListBlobRows(ctx, "alice", notes, tc.segment, tc.after, tc.limit)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var ids []string
		for _, r := range rows {
			ids = append(ids, r.ID)
			sameBlobRow(t, r, row(r.ID, tc.segment))
		}
		if !reflect.DeepEqual(ids, tc.want) {
			t.Errorf("%s: ListBlobRows = %q, want %q", tc.name, ids, tc.want)
		}
	}
}

// testBlobRowsOf: the batched lookup gives the live blob rows of the
// account and doctype among the ids, and nothing else: not another
// account's, another doctype's, a segment's, a deleted one's, an unknown
// id's; repeated ids are fine, and many ids take one call.
func testBlobRowsOf(t *testing.T, s meta.Store) {
	for _, u := range []string{"alice", "bob"} {
		mustCreateAccount(t, s, u)
		mustDoctype(t, s, u, notes)
		mustDoctype(t, s, u, contacts)
	}
	put := func(user, doctype, id string, segment bool) *meta.BlobRow {
		t.Helper()
		r := &meta.BlobRow{Doctype: doctype, ID: id, Segment: segment, Size: 10, Digest: [32]byte{byte(len(id)), id[0], id[len(id)-1]}, Created: t0}
		wantErr(t, "PutBlobRow "+id, s.PutBlobRow(ctx, user, r), nil)
		return r
	}
	a1 := put("alice", notes, "a1", false)
	a2 := put("alice", notes, "a2", false)
	put("alice", notes, "gone", false)
	_, err := s.DeleteBlobRow(ctx, "alice", notes, "gone", false)
	wantErr(t, "DeleteBlobRow", err, nil)
	put("alice", notes, "seg", true)
	put("alice", contacts, "other", false)
	put("bob", notes, "b1", false)
	got, err := s.BlobRowsOf(ctx, "alice", notes, []string{"a1", "a2", "a1", "gone", "seg", "other", "b1", "nope"})
	wantErr(t, "BlobRowsOf", err, nil)
	if len(got) != 2 || got["a1"] == nil || got["a2"] == nil {
		t.Fatalf("BlobRowsOf = %v, want a1 and a2", got)
	}
	sameBlobRow(t, got["a1"], a1)
	sameBlobRow(t, got["a2"], a2)
	if got, err := s.BlobRowsOf(ctx, "nobody", notes, []string{"a1"}); err != nil || len(got) != 0 {
		t.Errorf("BlobRowsOf of no account = %v, %v", got, err)
	}
	if got, err := s.BlobRowsOf(ctx, "alice", notes, nil); err != nil || len(got) != 0 {
		t.Errorf("BlobRowsOf of no ids = %v, %v", got, err)
	}
	many := make([]string, 0, 20001)
	for i := range 20000 {
		many = append(many, fmt.Sprintf("x%05d", i))
	}
	many = append(many, "a2")
	if got, err := s.BlobRowsOf(ctx, "alice", notes, many); err != nil || len(got) != 1 || got["a2"] == nil {
		t.Errorf("BlobRowsOf of 20001 ids = %d rows, %v", len(got), err)
	}
}
