package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/hearthcloud/hearth/server/meta"
)

// ErrSchemaTooNew is returned by Open for a database whose schema version
// is above the newest this package knows: a newer program wrote it, and
// this one must not guess at its meaning.
var ErrSchemaTooNew = errors.New("sqlite: database schema is newer than this program")

// A migration moves the schema from version i to i+1, where i is its index
// in migrations. Steps are only ever appended: a released step never
// changes.
type migration func(ctx context.Context, tx *sql.Tx) error

// statements returns a migration that runs SQL statements.
func statements(stmts ...string) migration {
	return func(ctx context.Context, tx *sql.Tx) error {
		for _, q := range stmts {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		return nil
	}
}

// migrations is the schema's history; the current version is its length.
var migrations = []migration{
	// 1: the initial schema. Accounts are referred to by row id; sealed
	// bodies sit in ordinary rowid tables, small rows in WITHOUT ROWID ones.
	statements(
		`CREATE TABLE accounts (
			id               INTEGER PRIMARY KEY,
			user             TEXT NOT NULL UNIQUE,
			kdf_alg          TEXT NOT NULL,
			kdf_memory       INTEGER NOT NULL,
			kdf_time         INTEGER NOT NULL,
			kdf_threads      INTEGER NOT NULL,
			seed             BLOB,
			login_hash       TEXT NOT NULL,
			recovery_auth    BLOB,
			created          INTEGER,
			keyring_rev      INTEGER NOT NULL,
			keyring          BLOB,
			recovery_keyring BLOB
		)`,
		// n orders tokens created at the same time; AUTOINCREMENT never
		// reuses a value.
		`CREATE TABLE tokens (
			n            INTEGER PRIMARY KEY AUTOINCREMENT,
			id           TEXT NOT NULL UNIQUE,
			account      INTEGER NOT NULL REFERENCES accounts(id),
			kind         TEXT NOT NULL,
			name         TEXT NOT NULL,
			hash         BLOB NOT NULL UNIQUE,
			scopes       TEXT NOT NULL,
			created      INTEGER,
			last_seen    INTEGER,
			expires      INTEGER,
			grant_rev    INTEGER NOT NULL DEFAULT 0,
			grant_sealed BLOB
		)`,
		`CREATE INDEX tokens_account ON tokens (account, kind, created, n)`,
		`CREATE TABLE totp (
			account        INTEGER PRIMARY KEY REFERENCES accounts(id),
			secret         BLOB,
			enabled        INTEGER NOT NULL,
			last_step      INTEGER NOT NULL,
			recovery_codes TEXT NOT NULL
		)`,
		`CREATE TABLE doctypes (
			account INTEGER NOT NULL REFERENCES accounts(id),
			name    TEXT NOT NULL,
			PRIMARY KEY (account, name)
		) WITHOUT ROWID`,
		`CREATE TABLE docs (
			account INTEGER NOT NULL,
			doctype TEXT NOT NULL,
			id      TEXT NOT NULL,
			rev     INTEGER NOT NULL,
			seq     INTEGER NOT NULL,
			deleted INTEGER NOT NULL,
			size    INTEGER NOT NULL,
			sealed  BLOB,
			UNIQUE (account, doctype, id),
			FOREIGN KEY (account, doctype) REFERENCES doctypes (account, name)
		)`,
		`CREATE TABLE feed (
			account INTEGER NOT NULL REFERENCES accounts(id),
			seq     INTEGER NOT NULL,
			doctype TEXT NOT NULL,
			id      TEXT NOT NULL,
			rev     INTEGER NOT NULL,
			deleted INTEGER NOT NULL,
			digest  BLOB NOT NULL,
			chain   BLOB NOT NULL,
			PRIMARY KEY (account, seq)
		) WITHOUT ROWID`,
		// Rows are never removed: deleted marks an id as used (§6.1).
		`CREATE TABLE blobs (
			account INTEGER NOT NULL REFERENCES accounts(id),
			doctype TEXT NOT NULL,
			segment INTEGER NOT NULL,
			id      TEXT NOT NULL,
			size    INTEGER NOT NULL,
			digest  BLOB NOT NULL,
			created INTEGER,
			deleted INTEGER NOT NULL DEFAULT 0,
			PRIMARY KEY (account, doctype, segment, id)
		) WITHOUT ROWID`,
		`CREATE INDEX blobs_live_digest ON blobs (digest) WHERE deleted = 0`,
	),
	// 2: app tokens bound to the session that made them. session is that
	// session's id ('' for a token bound to none); the trigger deletes the
	// bound tokens, grants included, with their session, whatever statement
	// deletes it, in the same transaction.
	statements(
		`ALTER TABLE tokens ADD COLUMN session TEXT NOT NULL DEFAULT ''`,
		`CREATE INDEX tokens_session ON tokens (session) WHERE session != ''`,
		`CREATE TRIGGER tokens_end_with_session AFTER DELETE ON tokens
		BEGIN
			DELETE FROM tokens WHERE session = OLD.id AND account = OLD.account;
		END`,
	),
	// 3: index manifests (§7.2, §8.8), one mutable sealed item per account
	// and registered doctype, from its first write (rev 1) on.
	statements(
		`CREATE TABLE manifests (
			account INTEGER NOT NULL,
			doctype TEXT NOT NULL,
			rev     INTEGER NOT NULL,
			sealed  BLOB,
			PRIMARY KEY (account, doctype),
			FOREIGN KEY (account, doctype) REFERENCES doctypes (account, name)
		)`,
	),
	// 4: apps installed from archives (§8.10, spec/apps.md §2), one per
	// account and slug. The archive is a body of package blob named by
	// digest, like blob rows, so DigestInUse looks here too (apps_digest).
	statements(
		`CREATE TABLE apps (
			account   INTEGER NOT NULL REFERENCES accounts(id),
			slug      TEXT NOT NULL,
			version   TEXT NOT NULL,
			manifest  BLOB,
			digest    BLOB NOT NULL CHECK (length(digest) = 32),
			size      INTEGER NOT NULL,
			installed INTEGER,
			updated   INTEGER,
			PRIMARY KEY (account, slug)
		)`,
		`CREATE INDEX apps_digest ON apps (digest)`,
	),
	// 5: account quotas (§8.1.10) and sign-up invitations (§8.2.2). Each
	// account's usage is a row kept right by triggers on the rows it
	// counts, in the statement's own transaction, so no code path can miss
	// it and a crash cannot part it from them; it starts from the rows
	// already stored. limit_bytes and limit_docs are the account's own
	// limits (NULL: the server's default, 0: none). Invitations are kept by
	// the SHA-256 of their code and deleted when used.
	statements(
		`CREATE TABLE quotas (
			account     INTEGER PRIMARY KEY REFERENCES accounts(id),
			bytes       INTEGER NOT NULL DEFAULT 0,
			docs        INTEGER NOT NULL DEFAULT 0,
			limit_bytes INTEGER,
			limit_docs  INTEGER
		)`,
		`INSERT INTO quotas (account, bytes, docs) SELECT a.id,
			(SELECT COALESCE(SUM(d.size), 0) FROM docs d WHERE d.account = a.id) +
			(SELECT COALESCE(SUM(b.size), 0) FROM blobs b WHERE b.account = a.id AND b.deleted = 0) +
			(SELECT COALESCE(SUM(length(m.sealed)), 0) FROM manifests m WHERE m.account = a.id) +
			(SELECT COALESCE(SUM(p.size), 0) FROM apps p WHERE p.account = a.id),
			(SELECT COUNT(*) FROM docs d WHERE d.account = a.id AND d.deleted = 0)
			FROM accounts a`,
		`CREATE TRIGGER quotas_account AFTER INSERT ON accounts BEGIN
			INSERT INTO quotas (account) VALUES (NEW.id);
		END`,
		`CREATE TRIGGER quotas_docs_insert AFTER INSERT ON docs BEGIN
			UPDATE quotas SET bytes = bytes + NEW.size, docs = docs + (NEW.deleted = 0) WHERE account = NEW.account;
		END`,
		`CREATE TRIGGER quotas_docs_update AFTER UPDATE ON docs BEGIN
			UPDATE quotas SET bytes = bytes + NEW.size - OLD.size, docs = docs + (NEW.deleted = 0) - (OLD.deleted = 0)
			WHERE account = NEW.account;
		END`,
		`CREATE TRIGGER quotas_docs_delete AFTER DELETE ON docs BEGIN
			UPDATE quotas SET bytes = bytes - OLD.size, docs = docs - (OLD.deleted = 0) WHERE account = OLD.account;
		END`,
		`CREATE TRIGGER quotas_blobs_insert AFTER INSERT ON blobs BEGIN
			UPDATE quotas SET bytes = bytes + NEW.size * (NEW.deleted = 0) WHERE account = NEW.account;
		END`,
		`CREATE TRIGGER quotas_blobs_update AFTER UPDATE ON blobs BEGIN
			UPDATE quotas SET bytes = bytes + NEW.size * (NEW.deleted = 0) - OLD.size * (OLD.deleted = 0)
			WHERE account = NEW.account;
		END`,
		`CREATE TRIGGER quotas_blobs_delete AFTER DELETE ON blobs BEGIN
			UPDATE quotas SET bytes = bytes - OLD.size * (OLD.deleted = 0) WHERE account = OLD.account;
		END`,
		`CREATE TRIGGER quotas_manifests_insert AFTER INSERT ON manifests BEGIN
			UPDATE quotas SET bytes = bytes + COALESCE(length(NEW.sealed), 0) WHERE account = NEW.account;
		END`,
		`CREATE TRIGGER quotas_manifests_update AFTER UPDATE ON manifests BEGIN
			UPDATE quotas SET bytes = bytes + COALESCE(length(NEW.sealed), 0) - COALESCE(length(OLD.sealed), 0)
			WHERE account = NEW.account;
		END`,
		`CREATE TRIGGER quotas_manifests_delete AFTER DELETE ON manifests BEGIN
			UPDATE quotas SET bytes = bytes - COALESCE(length(OLD.sealed), 0) WHERE account = OLD.account;
		END`,
		`CREATE TRIGGER quotas_apps_insert AFTER INSERT ON apps BEGIN
			UPDATE quotas SET bytes = bytes + NEW.size WHERE account = NEW.account;
		END`,
		`CREATE TRIGGER quotas_apps_update AFTER UPDATE ON apps BEGIN
			UPDATE quotas SET bytes = bytes + NEW.size - OLD.size WHERE account = NEW.account;
		END`,
		`CREATE TRIGGER quotas_apps_delete AFTER DELETE ON apps BEGIN
			UPDATE quotas SET bytes = bytes - OLD.size WHERE account = OLD.account;
		END`,
		`CREATE TABLE invites (
			hash    BLOB PRIMARY KEY CHECK (length(hash) = 32),
			created INTEGER,
			expires INTEGER NOT NULL
		) WITHOUT ROWID`,
	),
	// 6: grants count in the quota (§8.1.10), like every other stored
	// item: up to 1 MiB each, under tokens an account makes at will. The
	// delete trigger also fires for the tokens tokens_end_with_session
	// deletes (a different trigger, so not a recursive one).
	statements(
		`UPDATE quotas SET bytes = bytes +
			(SELECT COALESCE(SUM(length(t.grant_sealed)), 0) FROM tokens t WHERE t.account = quotas.account)`,
		`CREATE TRIGGER quotas_grants_insert AFTER INSERT ON tokens BEGIN
			UPDATE quotas SET bytes = bytes + COALESCE(length(NEW.grant_sealed), 0) WHERE account = NEW.account;
		END`,
		`CREATE TRIGGER quotas_grants_update AFTER UPDATE OF grant_sealed ON tokens BEGIN
			UPDATE quotas SET bytes = bytes + COALESCE(length(NEW.grant_sealed), 0) - COALESCE(length(OLD.grant_sealed), 0)
			WHERE account = NEW.account;
		END`,
		`CREATE TRIGGER quotas_grants_delete AFTER DELETE ON tokens BEGIN
			UPDATE quotas SET bytes = bytes - COALESCE(length(OLD.grant_sealed), 0) WHERE account = OLD.account;
		END`,
	),
	// 7: the changes feed, the blob and segment rows (kept, deleted, so
	// that ids are never used again) and the registered doctypes count in
	// the quota (§8.1.10): 128 bytes a feed entry or row
	// (meta.EntryBytes), 128 a doctype (meta.DoctypeBytes). Neither the
	// feed nor the rows are ever removed, so without this a same-size
	// rewrite, or an upload deleted and made again, grows the database
	// under a quota that never moves.
	statements(append([]string{
		quotaSQL(`UPDATE quotas SET bytes = bytes +
			%[1]d * (SELECT COUNT(*) FROM feed f WHERE f.account = quotas.account) +
			%[1]d * (SELECT COUNT(*) FROM blobs b WHERE b.account = quotas.account) +
			%[2]d * (SELECT COUNT(*) FROM doctypes d WHERE d.account = quotas.account)`)},
		slices.Concat(rowsCount("blobs", "blob_rows", meta.EntryBytes), rowsCount("feed", "feed", meta.EntryBytes),
			rowsCount("doctypes", "doctypes", meta.DoctypeBytes))...)...,
	),
	// 8: passkeys (protocol §4.8). At most meta.MaxPasskeys an account, of
	// a few hundred bytes each: not counted in the quota. A credential id
	// is unique over all accounts (discoverable sign-in finds the account
	// by it); seq keeps the order they were added in.
	statements(
		`CREATE TABLE passkeys (
			id          BLOB PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 1023),
			account     INTEGER NOT NULL REFERENCES accounts(id),
			seq         INTEGER NOT NULL,
			user_handle BLOB NOT NULL,
			public_key  BLOB NOT NULL,
			sign_count  INTEGER NOT NULL,
			flags       INTEGER NOT NULL,
			aaguid      BLOB,
			wrap        BLOB,
			unlock      BLOB,
			created     INTEGER,
			last_used   INTEGER
		) WITHOUT ROWID`,
		`CREATE INDEX passkeys_account ON passkeys (account, seq)`,
	),
	// 9: the origin each passkey was made at, which alone it signs in at
	// (NULL: made before; Home's origin as the request names it).
	statements(`ALTER TABLE passkeys ADD COLUMN origin TEXT`),
	// 10: upload sessions (§8.7.3), one per account, doctype and blob id:
	// the bytes received (received, with the SHA-256 state of them in
	// hash) and the blob store's name for them (partial). Not counted in
	// the quota's usage: CreateUpload checks their sizes beside it.
	statements(
		`CREATE TABLE uploads (
			account  INTEGER NOT NULL REFERENCES accounts(id),
			doctype  TEXT NOT NULL,
			id       TEXT NOT NULL,
			size     INTEGER NOT NULL,
			received INTEGER NOT NULL,
			hash     BLOB NOT NULL,
			partial  TEXT NOT NULL UNIQUE,
			created  INTEGER,
			expires  INTEGER NOT NULL,
			PRIMARY KEY (account, doctype, id)
		) WITHOUT ROWID`,
		`CREATE INDEX uploads_expires ON uploads (expires)`,
	),
	// 11: share and drop links (protocol §4.5, §8.12). A link's row is
	// never removed (its id is never used again); its manifest and one
	// entry count in the quota. link_blobs names the blobs a share link
	// reaches, link_tokens the hashes of the tokens its opens gave,
	// link_drops the drops (blob rows of io.hearth.drops) it took.
	statements(
		`CREATE TABLE links (
			n          INTEGER PRIMARY KEY AUTOINCREMENT,
			id         TEXT NOT NULL UNIQUE,
			account    INTEGER NOT NULL REFERENCES accounts(id),
			kind       TEXT NOT NULL,
			created    INTEGER,
			expires    INTEGER NOT NULL,
			max_opens  INTEGER NOT NULL,
			opens      INTEGER NOT NULL,
			last_open  INTEGER,
			revoked    INTEGER,
			failures   INTEGER NOT NULL,
			verifier   BLOB NOT NULL CHECK (length(verifier) = 32),
			salt       BLOB,
			kdf        TEXT,
			manifest   BLOB,
			version    INTEGER NOT NULL,
			recipient  TEXT,
			tag        BLOB,
			max_files  INTEGER,
			max_file_size INTEGER,
			max_total  INTEGER,
			files      INTEGER NOT NULL,
			bytes      INTEGER NOT NULL
		)`,
		`CREATE INDEX links_account ON links (account, n)`,
		`CREATE TABLE link_blobs (
			link TEXT NOT NULL,
			blob TEXT NOT NULL,
			PRIMARY KEY (link, blob)
		) WITHOUT ROWID`,
		`CREATE TABLE link_tokens (
			hash    BLOB PRIMARY KEY CHECK (length(hash) = 32),
			link    TEXT NOT NULL,
			expires INTEGER NOT NULL
		) WITHOUT ROWID`,
		`CREATE INDEX link_tokens_link ON link_tokens (link)`,
		`CREATE TABLE link_drops (
			link TEXT NOT NULL,
			n    INTEGER NOT NULL,
			id   TEXT NOT NULL,
			PRIMARY KEY (link, id)
		) WITHOUT ROWID`,
		quotaSQL(`CREATE TRIGGER quotas_links_insert AFTER INSERT ON links BEGIN
			UPDATE quotas SET bytes = bytes + COALESCE(length(NEW.manifest), 0) + %[1]d WHERE account = NEW.account;
		END`),
		`CREATE TRIGGER quotas_links_update AFTER UPDATE OF manifest ON links BEGIN
			UPDATE quotas SET bytes = bytes + COALESCE(length(NEW.manifest), 0) - COALESCE(length(OLD.manifest), 0)
			WHERE account = NEW.account;
		END`,
	),
	// 12: the drop link a stranger's upload session came through (NULL:
	// the account's own), so that a link's sessions hold no more than it
	// takes, and end when it is revoked.
	statements(
		`ALTER TABLE uploads ADD COLUMN link TEXT`,
		`CREATE INDEX uploads_link ON uploads (link) WHERE link IS NOT NULL`,
	),
}

// migrate brings db's schema to version len(steps), applying the missing
// steps and the new user_version in one transaction. A database already at
// that version is left alone; one above it is ErrSchemaTooNew.
func migrate(db *sql.DB, steps []migration) error {
	ctx := context.Background()
	var v int
	if err := db.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v); err != nil {
		return fmt.Errorf("schema version: %w", err)
	}
	if v == len(steps) {
		return nil
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback()
	// Read again under the write lock: another process may have migrated.
	if err := tx.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v); err != nil {
		return fmt.Errorf("schema version: %w", err)
	}
	switch {
	case v > len(steps):
		return fmt.Errorf("%w: version %d, this program knows up to %d", ErrSchemaTooNew, v, len(steps))
	case v < 0:
		return fmt.Errorf("migrate: bad schema version %d", v)
	case v == len(steps):
		return nil
	}
	for i := v; i < len(steps); i++ {
		if err := steps[i](ctx, tx); err != nil {
			return fmt.Errorf("migrate to version %d: %w", i+1, err)
		}
	}
	// PRAGMA takes no bound parameters; the value is an int.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, len(steps))); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// rowsCount returns the triggers that count size bytes in an account's
// quota for each of its rows of table, named quotas_NAME_insert and
// quotas_NAME_delete.
func rowsCount(table, name string, size int) []string {
	return []string{
		fmt.Sprintf(`CREATE TRIGGER quotas_%[1]s_insert AFTER INSERT ON %[2]s BEGIN
			UPDATE quotas SET bytes = bytes + %[3]d WHERE account = NEW.account;
		END`, name, table, size),
		fmt.Sprintf(`CREATE TRIGGER quotas_%[1]s_delete AFTER DELETE ON %[2]s BEGIN
			UPDATE quotas SET bytes = bytes - %[3]d WHERE account = OLD.account;
		END`, name, table, size),
	}
}

// quotaSQL fills in the sizes the quota counts for a feed entry (%[1]d)
// and a doctype (%[2]d), so that the triggers and meta agree.
func quotaSQL(q string) string {
	return fmt.Sprintf(q, meta.EntryBytes, meta.DoctypeBytes)
}
