package metatest

import (
	"testing"

	"github.com/hearthcloud/hearth/internal/wire"
	"github.com/hearthcloud/hearth/server/meta"
)

// testIsolation checks that one account never sees another's data.
func testIsolation(t *testing.T, s meta.Store) {
	for _, u := range []string{"alice", "bob"} {
		mustCreateAccount(t, s, u)
	}
	mustDoctype(t, s, "alice", notes, contacts)
	mustDoctype(t, s, "bob", notes)

	// The same doctype and id in both accounts: separate documents, and each
	// feed starts at 1.
	mustPutDocs(t, s, "alice", []meta.DocWrite{write(notes, "a", 0, false), write(contacts, "c", 0, false)}, nil)
	mustPutDocs(t, s, "bob", []meta.DocWrite{write(notes, "a", 0, false)}, []outcome{{rev: 1, seq: 1}})
	mustPutDocs(t, s, "bob", []meta.DocWrite{write(notes, "a", 1, false)}, []outcome{{rev: 2, seq: 2}})
	mustPutDocs(t, s, "bob", []meta.DocWrite{write(contacts, "c", 0, false)}, []outcome{{err: meta.ErrUnknownDoctype}})
	mustPutDocs(t, s, "alice", []meta.DocWrite{write(notes, "a", 1, false)}, []outcome{{rev: 2, seq: 3}})

	_, err := s.Doc(ctx, "bob", contacts, "c")
	wantErr(t, "Doc of another account", err, meta.ErrNotFound)
	verifyFeed(t, s, "bob", []wire.ChainEntry{{Seq: 1, Doctype: notes, ID: "a", Rev: 1}, {Seq: 2, Doctype: notes, ID: "a", Rev: 2}})
	verifyFeed(t, s, "alice", []wire.ChainEntry{
		{Seq: 1, Doctype: notes, ID: "a", Rev: 1},
		{Seq: 2, Doctype: contacts, ID: "c", Rev: 1},
		{Seq: 3, Doctype: notes, ID: "a", Rev: 2},
	})
	if ls, _ := s.ListDocs(ctx, "bob", contacts, "", 0, true); len(ls) != 0 {
		t.Fatalf("bob lists alice's documents: %v", ls)
	}
	if cs, _ := meta.ReadChanges(ctx, s, "bob", 0, 0, []string{contacts}, true); len(cs) != 0 {
		t.Fatalf("bob's feed has alice's entries: %v", cs)
	}

	wantErr(t, "CreateToken", s.CreateToken(ctx, token("alice", "ta", meta.KindApp, 0)), nil)
	if _, err := s.PutGrant(ctx, "alice", "ta", 0, []byte("g")); err != nil {
		t.Fatal(err)
	}
	wantTokens(t, s, "bob", meta.KindApp)
	wantErr(t, "DeleteToken across accounts", s.DeleteToken(ctx, "bob", "ta"), meta.ErrNotFound)
	wantErr(t, "DeleteTokens across accounts", s.DeleteTokens(ctx, "bob", meta.KindApp, ""), nil)
	wantTokens(t, s, "alice", meta.KindApp, "ta")
	_, _, err = s.Grant(ctx, "bob", "ta")
	wantErr(t, "Grant across accounts", err, meta.ErrNotFound)

	r := &meta.BlobRow{Doctype: notes, ID: "b", Size: 1, Digest: [32]byte{1}, Created: t0}
	wantErr(t, "PutBlobRow", s.PutBlobRow(ctx, "alice", r), nil)
	_, err = s.BlobRow(ctx, "bob", notes, "b", false)
	wantErr(t, "BlobRow across accounts", err, meta.ErrNotFound)
	if rows, _ := s.ListBlobRows(ctx, "bob", notes, false, "", 0); len(rows) != 0 {
		t.Fatalf("bob lists alice's blobs: %v", rows)
	}
	// Ids are per account: bob may use alice's.
	wantErr(t, "PutBlobRow same id, other account", s.PutBlobRow(ctx, "bob", &meta.BlobRow{Doctype: notes, ID: "b", Size: 2, Digest: [32]byte{2}, Created: t0}), nil)

	wantErr(t, "PutTOTP", s.PutTOTP(ctx, "alice", &meta.TOTPState{Secret: make([]byte, 20), Enabled: true, LastStep: 50}), nil)
	if st, _ := s.TOTP(ctx, "bob"); st.Enabled || st.LastStep != 0 {
		t.Fatalf("bob sees alice's TOTP state: %+v", st)
	}
	rev, _, _, _ := s.Keyring(ctx, "bob")
	if _, err := s.PutKeyring(ctx, "alice", 1, []byte("k"), []byte("r")); err != nil || rev != 1 {
		t.Fatal(err)
	}
	if rev, kr, _, _ := s.Keyring(ctx, "bob"); rev != 1 || string(kr) != "kr-bob" {
		t.Fatalf("bob's keyring = %d %q", rev, kr)
	}
}
