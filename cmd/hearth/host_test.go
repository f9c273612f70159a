package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/mattn/go-sqlite3"

	"github.com/hearthcloud/hearth/client"
)

// These tests play the malicious host (SECURITY.md): with the server
// stopped, they edit its SQLite rows and blob files directly, restart it,
// and check that the client reports an integrity error each time, in words,
// and uses nothing it was served.

// editDB stops d, runs fn on its database, and starts a new daemon on the
// same folder and address.
func editDB(t *testing.T, d *daemon, fn func(db *sql.DB)) *daemon {
	t.Helper()
	d.stop()
	db, err := sql.Open("sqlite3", filepath.Join(d.dir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	fn(db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return startDaemon(t, d.dir, d.addr)
}

func exec1(t *testing.T, db *sql.DB, q string, args ...any) {
	t.Helper()
	res, err := db.Exec(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		t.Fatalf("%s: no row changed", q)
	}
}

func sealedOf(t *testing.T, db *sql.DB, doctype, id string) []byte {
	t.Helper()
	var b []byte
	if err := db.QueryRow(`SELECT sealed FROM docs WHERE doctype = ? AND id = ?`, doctype, id).Scan(&b); err != nil {
		t.Fatal(err)
	}
	return b
}

const integrityWords = "integrity check failed"

func TestMaliciousHostDocuments(t *testing.T) {
	d := startDaemon(t, t.TempDir(), "")
	c := newCLI(t, "pw for the host tests")
	c.ok("", "signup", "--server", d.url, "--user", "alice")
	put := func(doctype, body string, args ...string) string {
		return strings.Fields(c.ok(body, append([]string{"put", doctype}, args...)...))[0]
	}
	a := put("io.hearth.notes", `{"n":"A"}`)
	b := put("io.hearth.notes", `{"n":"B"}`)
	x := put("io.hearth.contacts", `{"n":"X"}`)
	var rev1 []byte
	d = editDB(t, d, func(db *sql.DB) { rev1 = sealedOf(t, db, "io.hearth.notes", a) })
	c.ok(`{"n":"A2"}`, "put", "io.hearth.notes", "--id", a)

	cases := []struct {
		name   string
		edit   func(db *sql.DB)
		undo   func(db *sql.DB)
		target []string
	}{{
		name: "flip a byte",
		edit: func(db *sql.DB) {
			s := sealedOf(t, db, "io.hearth.notes", b)
			s[len(s)/2] ^= 1
			exec1(t, db, `UPDATE docs SET sealed = ? WHERE id = ?`, s, b)
		},
		target: []string{"io.hearth.notes", b},
	}, {
		name: "swap two documents",
		edit: func(db *sql.DB) {
			sa, sb := sealedOf(t, db, "io.hearth.notes", a), sealedOf(t, db, "io.hearth.notes", b)
			exec1(t, db, `UPDATE docs SET sealed = ? WHERE id = ?`, sb, a)
			exec1(t, db, `UPDATE docs SET sealed = ? WHERE id = ?`, sa, b)
		},
		target: []string{"io.hearth.notes", a},
	}, {
		name: "move a document to another doctype",
		edit: func(db *sql.DB) {
			exec1(t, db, `UPDATE docs SET doctype = 'io.hearth.contacts' WHERE id = ?`, b)
		},
		target: []string{"io.hearth.contacts", b},
	}, {
		name: "serve another doctype's document under this one",
		edit: func(db *sql.DB) {
			exec1(t, db, `UPDATE docs SET sealed = ? WHERE id = ?`, sealedOf(t, db, "io.hearth.contacts", x), b)
		},
		target: []string{"io.hearth.notes", b},
	}, {
		name: "replay the old revision with its number",
		edit: func(db *sql.DB) {
			exec1(t, db, `UPDATE docs SET sealed = ?, rev = 1 WHERE id = ?`, rev1, a)
		},
		target: []string{"io.hearth.notes", a},
	}, {
		name: "replay the old revision under the new number",
		edit: func(db *sql.DB) {
			exec1(t, db, `UPDATE docs SET sealed = ? WHERE id = ?`, rev1, a)
		},
		target: []string{"io.hearth.notes", a},
	}, {
		name: "fake a deletion",
		edit: func(db *sql.DB) {
			exec1(t, db, `UPDATE docs SET deleted = 1 WHERE id = ?`, a)
		},
		target: []string{"io.hearth.notes", a},
	}}
	for _, tc := range cases {
		var saved [][]any
		d = editDB(t, d, func(db *sql.DB) {
			rows, err := db.Query(`SELECT doctype, id, rev, deleted, sealed FROM docs`)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var dt, id string
				var rev, del int64
				var s []byte
				rows.Scan(&dt, &id, &rev, &del, &s)
				saved = append(saved, []any{dt, id, rev, del, s})
			}
			rows.Close()
			tc.edit(db)
		})
		r := c.fails(integrityWords, "", append([]string{"get"}, tc.target...)...)
		if r.stdout != "" {
			t.Errorf("%s: printed %q despite the integrity failure", tc.name, r.stdout)
		}
		d = editDB(t, d, func(db *sql.DB) { // restore for the next case
			for _, s := range saved {
				exec1(t, db, `UPDATE docs SET doctype = ?, rev = ?, deleted = ?, sealed = ? WHERE id = ?`, s[0], s[2], s[3], s[4], s[1])
			}
		})
	}
	if got := c.ok("", "get", "io.hearth.notes", a); !strings.Contains(got, "A2") {
		t.Fatalf("after restoring: %q", got)
	}
}

// blobFiles lists the body files in the data folder.
func blobFiles(t *testing.T, dir string) []string {
	var out []string
	filepath.WalkDir(filepath.Join(dir, "blobs", "sha256"), func(p string, e fs.DirEntry, err error) error {
		if err == nil && e.Type().IsRegular() {
			out = append(out, p)
		}
		return nil
	})
	return out
}

func TestMaliciousHostBlobs(t *testing.T) {
	d := startDaemon(t, t.TempDir(), "")
	c := newCLI(t, "pw for the blob tests")
	c.ok("", "signup", "--server", d.url, "--user", "alice")
	src := filepath.Join(t.TempDir(), "report.pdf")
	os.WriteFile(src, bytes.Repeat([]byte("quarterly figures "), 100000), 0o600)
	id := uploadedID(t, c.ok("", "upload", src, "--ids"))
	files := blobFiles(t, d.dir)
	if len(files) != 1 {
		t.Fatalf("blob files: %v", files)
	}
	orig, _ := os.ReadFile(files[0])
	out := filepath.Join(t.TempDir(), "out.pdf")
	for _, tc := range []struct {
		name string
		body []byte
	}{
		{"truncate the blob", orig[:len(orig)-1000]},
		{"truncate at a chunk boundary", orig[:len(orig)/2]},
		{"flip a byte in the payload", func() []byte { b := bytes.Clone(orig); b[len(b)-10] ^= 1; return b }()},
		{"flip a byte in the header", func() []byte { b := bytes.Clone(orig); b[40] ^= 1; return b }()},
	} {
		d.stop()
		os.Chmod(files[0], 0o600)
		if err := os.WriteFile(files[0], tc.body, 0o600); err != nil {
			t.Fatal(err)
		}
		d = startDaemon(t, d.dir, d.addr)
		c.fails(integrityWords, "", "download", id, "-o", out)
		if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("%s: the download wrote %s although verification failed", tc.name, out)
		}
		if left, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".hearth-download-*")); len(left) != 0 {
			t.Fatalf("%s: temporary files left: %v", tc.name, left)
		}
	}
	os.WriteFile(files[0], orig, 0o600)
	c.ok("", "download", id, "-o", out)
}

// TestMaliciousHostRollback rolls the changes feed and the keyring back.
func TestMaliciousHostRollback(t *testing.T) {
	ctx := context.Background()
	d := startDaemon(t, t.TempDir(), "")
	dev, _, err := client.Signup(ctx, d.url, "alice", "rollback test passphrase", nil)
	if err != nil {
		t.Fatal(err)
	}
	id, _, err := dev.Create(ctx, "io.hearth.notes", []byte(`{"n":1}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := dev.Sync(ctx, 0, func(client.Change) error { return nil }); err != nil {
		t.Fatal(err)
	}
	// Snapshot the whole database, write more, then serve the snapshot.
	d.stop()
	snap, _ := os.ReadFile(filepath.Join(d.dir, "meta.db"))
	d = startDaemon(t, d.dir, d.addr)
	for i := 0; i < 3; i++ {
		if _, err := dev.Put(ctx, "io.hearth.notes", id, []byte(`{"n":2}`)); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := dev.Create(ctx, "io.hearth.todo", []byte(`{"task":"x"}`)); err != nil { // a keyring change
		t.Fatal(err)
	}
	if err := dev.Sync(ctx, 0, func(client.Change) error { return nil }); err != nil {
		t.Fatal(err)
	}
	before := dev.State()

	d.stop()
	for _, f := range []string{"meta.db-wal", "meta.db-shm"} {
		os.Remove(filepath.Join(d.dir, f))
	}
	os.WriteFile(filepath.Join(d.dir, "meta.db"), snap, 0o600)
	d = startDaemon(t, d.dir, d.addr)

	err = dev.Sync(ctx, 0, func(client.Change) error { t.Error("a rolled-back feed delivered a change"); return nil })
	if !errors.Is(err, client.ErrIntegrity) {
		t.Fatalf("feed rollback: %v", err)
	}
	if _, err := dev.Get(ctx, "io.hearth.notes", id); !errors.Is(err, client.ErrIntegrity) {
		t.Fatalf("document rollback: %v", err)
	}
	// The device logs in again: the keyring it is served is older than the
	// one it opened.
	// Signed in, halted: it writes nothing until the person decides.
	c2, err := client.Login(ctx, d.url, "alice", "rollback test passphrase", "", &client.Options{Previous: before})
	if err != nil || c2.Halted() == "" {
		t.Fatalf("keyring rollback at login: %v", err)
	}
	if _, err := c2.Put(ctx, "io.hearth.notes", id, []byte(`{"n":3}`)); !errors.Is(err, client.ErrHalted) {
		t.Fatalf("a write after a keyring rollback at login: %v", err)
	}
	if after := dev.State(); after.FeedSeq != before.FeedSeq || after.KeyringRev != before.KeyringRev {
		t.Fatalf("the rollback moved the remembered state: %+v -> %+v", before.FeedSeq, after.FeedSeq)
	}
}

// TestMaliciousHostRollbackAcrossLogout: the CLI remembers what it verified
// across a logout, so a host that serves an older state of the account to
// the next login is caught.
func TestMaliciousHostRollbackAcrossLogout(t *testing.T) {
	d := startDaemon(t, t.TempDir(), "")
	c := newCLI(t, "pw for rollback across logout")
	c.ok("", "signup", "--server", d.url, "--user", "alice")
	id := strings.Fields(c.ok(`{"v":1}`, "put", "io.hearth.notes"))[0]
	d.stop()
	snap, err := os.ReadFile(filepath.Join(d.dir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	d = startDaemon(t, d.dir, d.addr)
	c.ok(`{"v":2}`, "put", "io.hearth.notes", "--id", id)
	c.ok(`{"w":1}`, "put", "io.hearth.other")
	if got := c.ok("", "get", "io.hearth.notes", id); !strings.Contains(got, `"v":2`) {
		t.Fatalf("get: %q", got)
	}
	c.ok("", "logout")
	checkModes(t, c.home)

	d.stop()
	os.Remove(filepath.Join(d.dir, "meta.db-wal"))
	os.Remove(filepath.Join(d.dir, "meta.db-shm"))
	os.WriteFile(filepath.Join(d.dir, "meta.db"), snap, 0o600)
	d = startDaemon(t, d.dir, d.addr)
	// The trailing slash must not make the device forget.
	c.fails(integrityWords, "", "login", "--server", d.url+"/", "--user", "alice")

	// Halted, every command says so and what to do, a read or verify
	// too, and logging in again (which decides nothing) as well.
	const halted = "this device stopped writing to it"
	const what = "then run 'hearth verify --accept'"
	for _, args := range [][]string{{"ls", "io.hearth.notes"}, {"verify"}, {"put", "io.hearth.notes"}} {
		if out := c.fails(halted, `{"v":3}`, args...).stderr; !strings.Contains(out, what) {
			t.Fatalf("hearth %s on a halted device: %q", args[0], out)
		}
	}
	c.ok("", "logout")
	if out := c.fails(halted, "", "login", "--server", d.url, "--user", "alice").stderr; !strings.Contains(out, what) {
		t.Fatalf("login on a halted device: %q", out)
	}
	c.ok("", "verify", "--accept")
	c.ok(`{"v":3}`, "put", "io.hearth.notes", "--id", id)
}

// TestMaliciousHostFreshDeviceCLI: the host puts back an old keyring (from
// before an app was removed and its keys replaced) for a device that logs
// in for the first time. The CLI reads the account's history before it
// writes anything, meets documents sealed with a key that keyring lacks,
// says so, and then refuses to write until the user accepts.
func TestMaliciousHostFreshDeviceCLI(t *testing.T) {
	d := startDaemon(t, t.TempDir(), "")
	a := newCLI(t, "pw for the fresh device")
	a.ok("", "signup", "--server", d.url, "--user", "alice")
	a.ok(`{"v":1}`, "put", "io.hearth.notes")
	if out := a.ok("", "verify"); !strings.Contains(out, "keyring and history verify") {
		t.Fatalf("verify: %q", out)
	}
	a.fails("nothing to accept", "", "verify", "--accept")
	var oldRev int64
	var oldKeyring, oldRecovery []byte
	d = editDB(t, d, func(db *sql.DB) {
		if err := db.QueryRow(`SELECT keyring_rev, keyring, recovery_keyring FROM accounts WHERE user = 'alice'`).Scan(&oldRev, &oldKeyring, &oldRecovery); err != nil {
			t.Fatal(err)
		}
	})
	// Another doctype is rotated (an app that held it was removed) and written.
	a.ok("", "app", "install", filepath.Join("..", "..", "spec", "example-app"), "--yes")
	a.ok(`{"title":"kept","url":"https://example.org"}`, "put", "org.example.bookmarks")
	a.ok("", "app", "remove", "bookmarks")
	a.ok(`{"title":"after","url":"https://example.org/2"}`, "put", "org.example.bookmarks")

	// The host serves the old keyring as the current one.
	d = editDB(t, d, func(db *sql.DB) {
		exec1(t, db, `UPDATE accounts SET keyring_rev = ?, keyring = ?, recovery_keyring = ? WHERE user = 'alice'`, oldRev, oldKeyring, oldRecovery)
	})
	var before int
	d = editDB(t, d, func(db *sql.DB) {
		db.QueryRow(`SELECT COUNT(*) FROM docs`).Scan(&before)
	})
	f := newCLI(t, "pw for the fresh device")
	r := f.fails(integrityWords, "", "login", "--server", d.url, "--user", "alice")
	t.Logf("login: %s", r.stderr)
	r = f.fails("stopped writing", `{"v":2}`, "put", "io.hearth.notes")
	t.Logf("put: %s", r.stderr)
	f.fails(integrityWords, "", "verify")
	// Accepting what the server holds does not help here: its documents
	// do not open with the keyring it serves, so the device still halts.
	f.fails(integrityWords, "", "verify", "--accept")
	f.fails("stopped writing", `{"v":2}`, "put", "io.hearth.notes")
	var after int
	editDB(t, d, func(db *sql.DB) {
		db.QueryRow(`SELECT COUNT(*) FROM docs`).Scan(&after)
	})
	if after != before {
		t.Fatalf("the new device wrote: %d documents, %d before", after, before)
	}
}
