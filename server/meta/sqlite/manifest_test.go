package sqlite

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/hearthcloud/hearth/server/meta"
)

// TestMigrateV2Manifests: a database at version 2 (before index manifests)
// migrates, keeps its data, and then stores manifests, which outlive a
// reopen; the foreign key ties each to a registered doctype.
func TestMigrateV2Manifests(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta.db")
	db := rawDB(t, path)
	if err := migrate(db, migrations[:2]); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO accounts (id, user, kdf_alg, kdf_memory, kdf_time, kdf_threads, login_hash, keyring_rev)
			VALUES (1, 'alice', 'argon2id', 1, 1, 1, 'h', 1)`,
		`INSERT INTO doctypes (account, name) VALUES (1, 'io.hearth.notes')`,
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
	if v := userVersion(t, rawDB(t, path)); v != len(migrations) {
		t.Fatalf("user_version after Open = %d, want %d", v, len(migrations))
	}
	if _, _, err := s.Manifest(ctx, "alice", "io.hearth.notes"); !errors.Is(err, meta.ErrNotFound) {
		t.Fatalf("Manifest after migration: %v, want ErrNotFound", err)
	}
	if rev, err := s.PutManifest(ctx, "alice", "io.hearth.notes", 0, []byte("m1")); err != nil || rev != 1 {
		t.Fatalf("PutManifest = %d %v", rev, err)
	}
	if rev, err := s.PutManifest(ctx, "alice", "io.hearth.notes", 1, []byte("m2")); err != nil || rev != 2 {
		t.Fatalf("PutManifest = %d %v", rev, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if rev, m, err := s.Manifest(ctx, "alice", "io.hearth.notes"); err != nil || rev != 2 || string(m) != "m2" {
		t.Fatalf("Manifest after reopen = %d %q %v", rev, m, err)
	}
	// The schema itself refuses a manifest of an unregistered doctype.
	if _, err := s.w.Exec(`INSERT INTO manifests (account, doctype, rev, sealed) VALUES (1, 'io.hearth.files', 1, x'00')`); err == nil {
		t.Fatal("a manifest row for an unregistered doctype was accepted")
	}
}
