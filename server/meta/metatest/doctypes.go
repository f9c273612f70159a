package metatest

import (
	"reflect"
	"testing"

	"github.com/hearthcloud/hearth/server/meta"
)

func testDoctypes(t *testing.T, s meta.Store) {
	_, err := s.PutDoctype(ctx, "alice", notes)
	wantErr(t, "PutDoctype without account", err, meta.ErrNotFound)
	mustCreateAccount(t, s, "alice")
	if got, err := s.Doctypes(ctx, "alice"); err != nil || len(got) != 0 {
		t.Fatalf("Doctypes of new account = %v %v", got, err)
	}
	for _, step := range []struct {
		doctype string
		created bool
	}{{notes, true}, {contacts, true}, {notes, false}, {"io.hearth.files", true}, {contacts, false}} {
		created, err := s.PutDoctype(ctx, "alice", step.doctype)
		if err != nil || created != step.created {
			t.Fatalf("PutDoctype(%s) = %v %v, want %v", step.doctype, created, err, step.created)
		}
	}
	got, err := s.Doctypes(ctx, "alice")
	want := []meta.DoctypeInfo{{Name: contacts}, {Name: "io.hearth.files"}, {Name: notes}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("Doctypes = %+v %v, want %+v", got, err, want)
	}
	if got, err := s.Doctypes(ctx, "nobody"); err != nil || len(got) != 0 {
		t.Fatalf("Doctypes of unknown user = %v %v", got, err)
	}
}

func testDoctypeCounts(t *testing.T, s meta.Store) {
	mustCreateAccount(t, s, "alice")
	mustCreateAccount(t, s, "bob")
	mustDoctype(t, s, "alice", notes, contacts, "io.hearth.files")
	mustDoctype(t, s, "bob", notes)
	mustPutDocs(t, s, "alice", []meta.DocWrite{
		write(notes, "a", 0, false),
		write(notes, "b", 0, false),
		write(notes, "c", 0, false),
		write(contacts, "x", 0, false),
	}, nil)
	mustPutDocs(t, s, "alice", []meta.DocWrite{write(notes, "a", 1, false), write(notes, "b", 1, true)}, nil)
	mustPutDocs(t, s, "bob", []meta.DocWrite{write(notes, "z", 0, false)}, nil)
	rows := []*meta.BlobRow{
		{Doctype: notes, ID: "blob1", Size: 1000, Digest: [32]byte{1}, Created: t0},
		{Doctype: notes, ID: "seg1", Segment: true, Size: 300, Digest: [32]byte{2}, Created: t0},
		{Doctype: notes, ID: "blob2", Size: 5000, Digest: [32]byte{3}, Created: t0},
		{Doctype: "io.hearth.files", ID: "f", Size: 70, Digest: [32]byte{4}, Created: t0},
	}
	for _, r := range rows {
		wantErr(t, "PutBlobRow", s.PutBlobRow(ctx, "alice", r), nil)
	}
	if _, err := s.DeleteBlobRow(ctx, "alice", notes, "blob2", false); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "PutBlobRow bob", s.PutBlobRow(ctx, "bob", &meta.BlobRow{Doctype: notes, ID: "b", Size: 9, Digest: [32]byte{5}, Created: t0}), nil)

	size := func(id string, rev uint64) int64 { return int64(len(sealed(id, rev))) }
	want := []meta.DoctypeInfo{
		{Name: contacts, Docs: 1, Bytes: size("x", 1)},
		{Name: "io.hearth.files", Docs: 0, Bytes: 70},
		// a@2, b@2 (a tombstone: not a document, but its bytes count), c@1.
		{Name: notes, Docs: 2, Bytes: size("a", 2) + size("b", 2) + size("c", 1) + 1000 + 300},
	}
	got, err := s.Doctypes(ctx, "alice")
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("Doctypes = %+v %v, want %+v", got, err, want)
	}
	want = []meta.DoctypeInfo{{Name: notes, Docs: 1, Bytes: size("z", 1) + 9}}
	if got, err := s.Doctypes(ctx, "bob"); err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("Doctypes(bob) = %+v %v, want %+v", got, err, want)
	}
}
