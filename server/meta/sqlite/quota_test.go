package sqlite

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"

	"github.com/hearthcloud/hearth/server/meta"
)

// TestQuotaMigration: a database written before quotas existed (schema
// version 4) gets each account's usage counted from its rows, its feed
// entries, blob rows (deleted ones too) and doctypes included (migration 7).
func TestQuotaMigration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta.db")
	db := rawDB(t, path)
	if err := migrate(db, migrations[:4]); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO accounts (id, user, kdf_alg, kdf_memory, kdf_time, kdf_threads, login_hash, keyring_rev) VALUES
			(1, 'alice', 'argon2id', 1, 1, 1, 'h', 1), (2, 'bob', 'argon2id', 1, 1, 1, 'h', 1), (3, 'carol', 'argon2id', 1, 1, 1, 'h', 1)`,
		`INSERT INTO doctypes (account, name) VALUES (1, 'n'), (2, 'n')`,
		`INSERT INTO docs (account, doctype, id, rev, seq, deleted, size, sealed) VALUES
			(1, 'n', 'a', 1, 1, 0, 300, zeroblob(300)), (1, 'n', 'b', 2, 2, 1, 256, zeroblob(256)), (2, 'n', 'a', 1, 1, 0, 500, zeroblob(500))`,
		`INSERT INTO blobs (account, doctype, segment, id, size, digest, deleted) VALUES
			(1, 'n', 0, 'f', 10000, zeroblob(32), 0), (1, 'n', 1, 's', 2000, zeroblob(32), 0), (1, 'n', 0, 'g', 7000, zeroblob(32), 1),
			(2, 'n', 0, 'f', 10000, zeroblob(32), 0)`,
		`INSERT INTO manifests (account, doctype, rev, sealed) VALUES (1, 'n', 3, zeroblob(700))`,
		`INSERT INTO feed (account, seq, doctype, id, rev, deleted, digest, chain) VALUES
			(1, 1, 'n', 'a', 1, 0, zeroblob(32), zeroblob(32)), (1, 2, 'n', 'b', 1, 0, zeroblob(32), zeroblob(32)),
			(1, 3, 'n', 'b', 2, 1, zeroblob(32), zeroblob(32)), (2, 1, 'n', 'a', 1, 0, zeroblob(32), zeroblob(32))`,
		`INSERT INTO apps (account, slug, version, digest, size) VALUES (1, 'tasks', '1.0.0', zeroblob(32), 1234)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for user, want := range map[string]meta.Usage{
		"alice": {Bytes: 300 + 256 + 10000 + 2000 + 700 + 1234 + (3+3)*meta.EntryBytes + meta.DoctypeBytes, Docs: 1},
		"bob":   {Bytes: 500 + 10000 + 2*meta.EntryBytes + meta.DoctypeBytes, Docs: 1},
		"carol": {},
	} {
		q, err := s.Quota(ctx, user)
		if err != nil {
			t.Fatal(err)
		}
		if q.Used != want {
			t.Errorf("%s after migration: %+v, want %+v", user, q.Used, want)
		}
	}
}

// TestQuotaSurvivesRestart: usage and own limits are stored; the default
// is the opener's.
func TestQuotaSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	mustAccount(t, s, "alice")
	if err := s.SetLimits(ctx, "alice", meta.Limits{Bytes: 5000, Docs: meta.DefaultLimit}); err != nil {
		t.Fatal(err)
	}
	res, err := s.PutDocs(ctx, "alice", []meta.DocWrite{{Doctype: "n", ID: "a", Sealed: bytes.Repeat([]byte{1}, 4000-meta.EntryBytes-meta.DoctypeBytes)}})
	if err != nil || res[0].Err != nil {
		t.Fatal(err, res)
	}
	s.Close()

	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.SetDefaultLimits(meta.Limits{Docs: 10})
	q, err := s.Quota(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if want := (meta.Quota{Used: meta.Usage{Bytes: 4000, Docs: 1}, Own: meta.Limits{Bytes: 5000, Docs: -1}, Limit: meta.Limits{Bytes: 5000, Docs: 10}}); *q != want {
		t.Fatalf("after a restart: %+v, want %+v", *q, want)
	}
	res, err = s.PutDocs(ctx, "alice", []meta.DocWrite{{Doctype: "n", ID: "b", Sealed: bytes.Repeat([]byte{1}, 1001)}})
	if err != nil || !errors.Is(res[0].Err, meta.ErrQuota) {
		t.Fatalf("a write past the stored limit after a restart: %v %+v", err, res)
	}
}

// TestLimitsFromAnotherProcess: limits set through another Store on the
// same file (hearthd quota, while the server runs) apply to the server's
// next write, without a restart.
func TestLimitsFromAnotherProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta.db")
	srv, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	mustAccount(t, srv, "alice")
	admin, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := admin.SetLimits(ctx, "alice", meta.Limits{Bytes: meta.DefaultLimit, Docs: 1}); err != nil {
		t.Fatal(err)
	}
	admin.Close()
	res, err := srv.PutDocs(ctx, "alice", []meta.DocWrite{
		{Doctype: "n", ID: "a", Sealed: []byte("x")}, {Doctype: "n", ID: "b", Sealed: []byte("y")}})
	if err != nil || res[0].Err != nil || !errors.Is(res[1].Err, meta.ErrQuota) {
		t.Fatalf("writes after another process set a limit of 1 document: %v %+v", err, res)
	}
}

func mustAccount(t *testing.T, s *Store, user string) {
	t.Helper()
	a := &meta.Account{User: user, KDF: meta.KDF{Alg: "argon2id", Memory: 1, Time: 1, Threads: 1}, LoginHash: "h"}
	if err := s.CreateAccount(ctx, a, []byte("kr"), []byte("rk")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutDoctype(ctx, user, "n"); err != nil {
		t.Fatal(err)
	}
}
