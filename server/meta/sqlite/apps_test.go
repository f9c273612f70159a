package sqlite

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hearthcloud/hearth/server/meta"
)

// TestMigrateV3Apps: a database at version 3 (before apps) migrates, keeps
// its data, and then stores apps, which outlive a reopen and keep their
// digests in use, found through the apps_digest index.
func TestMigrateV3Apps(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta.db")
	db := rawDB(t, path)
	if err := migrate(db, migrations[:3]); err != nil {
		t.Fatal(err)
	}
	d := [32]byte{0xd}
	for _, q := range []string{
		`INSERT INTO accounts (id, user, kdf_alg, kdf_memory, kdf_time, kdf_threads, login_hash, keyring_rev)
			VALUES (1, 'alice', 'argon2id', 1, 1, 1, 'h', 1)`,
		`INSERT INTO blobs (account, doctype, segment, id, size, digest, created)
			VALUES (1, 'io.hearth.files', 0, 'b1', 5, x'0d00000000000000000000000000000000000000000000000000000000000000', 1)`,
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
	if r, err := s.BlobRow(ctx, "alice", "io.hearth.files", "b1", false); err != nil || r.Digest != d {
		t.Fatalf("BlobRow after migration = %+v %v", r, err)
	}
	if apps, err := s.ListApps(ctx, "alice"); err != nil || len(apps) != 0 {
		t.Fatalf("ListApps after migration = %v %v, want none", apps, err)
	}
	t0 := time.Date(2026, 3, 4, 5, 6, 7, 123456789, time.UTC)
	a := &meta.App{Slug: "notes", Version: "1.0.0", Manifest: []byte(`{"slug":"notes"}`), Digest: d, Size: 5, Installed: t0, Updated: t0}
	if old, err := s.PutApp(ctx, "alice", a, true); err != nil || old != nil {
		t.Fatalf("PutApp = %+v %v", old, err)
	}
	if inUse, err := s.DeleteBlobRow(ctx, "alice", "io.hearth.files", "b1", false); err != nil || !inUse {
		t.Fatalf("DeleteBlobRow with an app naming the digest = %v %v, want true", inUse, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.App(ctx, "alice", "notes")
	if err != nil || got.Version != "1.0.0" || string(got.Manifest) != `{"slug":"notes"}` || got.Digest != d ||
		got.Size != 5 || !got.Installed.Equal(t0) || !got.Updated.Equal(t0) {
		t.Fatalf("App after reopen = %+v %v", got, err)
	}
	if inUse, err := s.DigestInUse(ctx, d); err != nil || !inUse {
		t.Fatalf("DigestInUse after reopen = %v %v, want true", inUse, err)
	}

	// DigestInUse finds apps by digest through the index, not by a scan.
	rows, err := s.r.Query(`EXPLAIN QUERY PLAN SELECT 1 FROM apps WHERE digest = ?`, d[:])
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if p := strings.Join(plan, "; "); !strings.Contains(p, "apps_digest") {
		t.Errorf("query plan %q does not use apps_digest", p)
	}

	// The schema refuses an app of no account and a digest of another size.
	if _, err := s.w.Exec(`INSERT INTO apps (account, slug, version, digest, size) VALUES (99, 'x', '1', ?, 1)`, d[:]); err == nil {
		t.Error("an app row of no account was accepted")
	}
	if _, err := s.w.Exec(`INSERT INTO apps (account, slug, version, digest, size) VALUES (1, 'x', '1', x'00', 1)`); err == nil {
		t.Error("an app row with a 1-byte digest was accepted")
	}
	if inUse, err := s.DeleteApp(ctx, "alice", "notes"); err != nil || inUse {
		t.Fatalf("DeleteApp = %v %v, want false", inUse, err)
	}
	if _, err := s.App(ctx, "alice", "notes"); !errors.Is(err, meta.ErrNotFound) {
		t.Fatalf("App after DeleteApp: %v, want ErrNotFound", err)
	}
}
