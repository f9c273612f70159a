package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hearthcloud/hearth/server/meta"
)

var ctx = context.Background()

// rawDB opens the database file at path without migrating it.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", dsn(path, true))
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

func userVersion(t *testing.T, db *sql.DB) int {
	t.Helper()
	var v int
	if err := db.QueryRow(`PRAGMA user_version`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// mustFail is a migration step that must not run.
func mustFail(t *testing.T, i int) migration {
	return func(context.Context, *sql.Tx) error {
		t.Errorf("migration step %d ran again", i+1)
		return errors.New("ran again")
	}
}

func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	a := &meta.Account{User: "alice", KDF: meta.KDF{Alg: "argon2id", Memory: 1, Time: 1, Threads: 1}, LoginHash: "h"}
	if err := s.CreateAccount(ctx, a, []byte("kr"), []byte("rk")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutDoctype(ctx, "alice", "io.hearth.notes"); err != nil {
		t.Fatal(err)
	}
	res, err := s.PutDocs(ctx, "alice", []meta.DocWrite{{Doctype: "io.hearth.notes", ID: "a", Sealed: []byte("x")}})
	if err != nil || res[0].Err != nil {
		t.Fatal(err, res)
	}
	_, chain, _ := s.Head(ctx, "alice")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutDocs(ctx, "alice", []meta.DocWrite{{Doctype: "io.hearth.notes", ID: "b"}}); !errors.Is(err, ErrClosed) {
		t.Fatalf("PutDocs after Close: %v, want ErrClosed", err)
	}

	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if seq, c, err := s.Head(ctx, "alice"); err != nil || seq != 1 || c != chain {
		t.Fatalf("Head after reopen = %d %x %v, want 1 %x", seq, c, err, chain)
	}
	res, err = s.PutDocs(ctx, "alice", []meta.DocWrite{{Doctype: "io.hearth.notes", ID: "a", IfRev: 1, Sealed: []byte("y")}})
	if err != nil || res[0].Err != nil || res[0].Seq != 2 || res[0].Rev != 2 {
		t.Fatalf("PutDocs after reopen = %+v %v", res, err)
	}
}

func TestMigrate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db := rawDB(t, path)
	if v := userVersion(t, db); v != len(migrations) {
		t.Fatalf("user_version = %d, want %d", v, len(migrations))
	}

	// At the current version nothing runs.
	same := make([]migration, len(migrations))
	for i := range same {
		same[i] = mustFail(t, i)
	}
	if err := migrate(db, same); err != nil {
		t.Fatalf("migrate at the current version: %v", err)
	}

	// A failing new step leaves the database as it was.
	failing := append(same[:len(same):len(same)], statements(`CREATE TABLE half (x)`, `SELECT * FROM no_such_table`))
	if err := migrate(db, failing); err == nil {
		t.Fatal("failing migration succeeded")
	}
	if v := userVersion(t, db); v != len(migrations) {
		t.Fatalf("user_version after a failed step = %d, want %d", v, len(migrations))
	}
	if _, err := db.Exec(`SELECT * FROM half`); err == nil {
		t.Fatal("a failed step left its table behind")
	}

	// A new step runs alone and moves the version.
	next := append(same[:len(same):len(same)], statements(`CREATE TABLE extra (x)`))
	if err := migrate(db, next); err != nil {
		t.Fatalf("migrate one step: %v", err)
	}
	if v := userVersion(t, db); v != len(migrations)+1 {
		t.Fatalf("user_version = %d, want %d", v, len(migrations)+1)
	}
	if err := migrate(db, next); err != nil {
		t.Fatalf("migrate again: %v", err)
	}

	// This program's Open refuses the newer database and leaves it alone.
	_, err = Open(path)
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("Open of a newer database: %v, want ErrSchemaTooNew", err)
	}
	if want := fmt.Sprintf("version %d", len(migrations)+1); !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not name %q", err, want)
	}
	if v := userVersion(t, db); v != len(migrations)+1 {
		t.Fatalf("user_version after refused Open = %d", v)
	}
}

func TestOpenBadPath(t *testing.T) {
	for _, p := range []string{"", ":memory:", "file:x.db"} {
		if s, err := Open(p); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", p)
		}
	}
	if _, err := Open(filepath.Join(t.TempDir(), "no", "such", "dir", "meta.db")); err == nil {
		t.Error("Open in a missing directory succeeded")
	}
}

// TestOddPath checks that the path is escaped in the URI.
func TestOddPath(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a?b#c%20d")
	path := filepath.Join(dir, "meta.db")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database not at %s: %v", path, err)
	}
}

// TestMigrateV1Tokens: a database at version 1 (before tokens were bound to
// sessions) migrates; its tokens are kept, bound to nothing, and tokens
// bound afterwards end with their session.
func TestMigrateV1Tokens(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta.db")
	db := rawDB(t, path)
	if err := migrate(db, migrations[:1]); err != nil {
		t.Fatal(err)
	}
	if v := userVersion(t, db); v != 1 {
		t.Fatalf("user_version = %d, want 1", v)
	}
	hash := func(id string) []byte { h := sha256.Sum256([]byte(id)); return h[:] }
	for _, q := range []string{
		`INSERT INTO accounts (id, user, kdf_alg, kdf_memory, kdf_time, kdf_threads, login_hash, keyring_rev)
			VALUES (1, 'alice', 'argon2id', 1, 1, 1, 'h', 1)`,
		`INSERT INTO tokens (id, account, kind, name, hash, scopes, created, last_seen, expires, grant_rev, grant_sealed)
			VALUES ('s0', 1, 'session', 'laptop', x'` + hex.EncodeToString(hash("s0")) + `', 'null', 1, 1, 9000000000000000000, 0, NULL)`,
		`INSERT INTO tokens (id, account, kind, name, hash, scopes, created, last_seen, expires, grant_rev, grant_sealed)
			VALUES ('a0', 1, 'app', 'notes', x'` + hex.EncodeToString(hash("a0")) + `', '[{"Doctype":"io.hearth.notes","Verbs":["read"]}]', 2, 2, NULL, 1, x'6772616e74')`,
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
	if v := userVersion(t, rawDB(t, path)); v != len(migrations) {
		t.Fatalf("user_version after Open = %d, want %d", v, len(migrations))
	}
	for _, id := range []string{"s0", "a0"} {
		tok, err := s.TokenByHash(ctx, to32(hash(id)))
		if err != nil || tok.ID != id || tok.Session != "" {
			t.Fatalf("TokenByHash(%s) after migration = %+v %v, want bound to nothing", id, tok, err)
		}
		if tok, err := s.TokenByID(ctx, id); err != nil || tok.ID != id || tok.User != "alice" {
			t.Fatalf("TokenByID(%s) after migration = %+v %v", id, tok, err)
		}
	}
	if _, g, err := s.Grant(ctx, "alice", "a0"); err != nil || string(g) != "grant" {
		t.Fatalf("Grant after migration = %q %v", g, err)
	}

	// A token bound after the migration ends with its session; the old
	// unbound one does not.
	b := &meta.Token{ID: "a1", User: "alice", Kind: meta.KindApp, Name: "files", Hash: to32(hash("a1")),
		Scopes: []meta.Scope{{Doctype: "io.hearth.files", Verbs: []string{"read"}}}, Session: "s0"}
	if err := s.CreateToken(ctx, b); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteToken(ctx, "alice", "s0"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TokenByID(ctx, "a1"); !errors.Is(err, meta.ErrNotFound) {
		t.Fatalf("bound token after its session's deletion: %v, want ErrNotFound", err)
	}
	if _, err := s.TokenByID(ctx, "a0"); err != nil {
		t.Fatalf("unbound token after the session's deletion: %v", err)
	}
}
