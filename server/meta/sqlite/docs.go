package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/hearthcloud/hearth/server/meta"
)

// PutDoctype implements meta.Doctypes. A user without an account is
// ErrNotFound.
func (s *Store) PutDoctype(ctx context.Context, user, doctype string) (bool, error) {
	const op = "sqlite.PutDoctype"
	var created bool
	err := s.write(ctx, func(tx *sql.Tx) error {
		acct, err := accountID(ctx, tx, op, user)
		if err != nil {
			return err
		}
		var have, n int64
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(name = ?), 0) FROM doctypes WHERE account = ?`,
			doctype, acct).Scan(&n, &have); err != nil {
			return err
		}
		if have > 0 {
			return nil
		}
		// One more doctype: within the number one account registers and
		// its quota (§8.1.10; a trigger counts it).
		if n >= meta.MaxDoctypes {
			return fmt.Errorf("%s: %w", op, meta.ErrTooMany)
		}
		if err := s.checkQuota(ctx, tx, op, acct, meta.DoctypeBytes, 0); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO doctypes (account, name) VALUES (?, ?)`, acct, doctype); err != nil {
			return err
		}
		created = true
		return nil
	})
	if err != nil {
		return false, wrap(op, err)
	}
	return created, nil
}

// Doctypes implements meta.Doctypes. One statement, so the counts come
// from one snapshot.
func (s *Store) Doctypes(ctx context.Context, user string) ([]meta.DoctypeInfo, error) {
	const op = "sqlite.Doctypes"
	rows, err := s.r.QueryContext(ctx, `SELECT t.name,
		(SELECT COUNT(*) FROM docs d WHERE d.account = t.account AND d.doctype = t.name AND d.deleted = 0),
		(SELECT COALESCE(SUM(d.size), 0) FROM docs d WHERE d.account = t.account AND d.doctype = t.name) +
		(SELECT COALESCE(SUM(b.size), 0) FROM blobs b WHERE b.account = t.account AND b.doctype = t.name AND b.deleted = 0)
		FROM doctypes t WHERE t.account = (SELECT id FROM accounts WHERE user = ?) ORDER BY t.name`, user)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	defer rows.Close()
	var out []meta.DoctypeInfo
	for rows.Next() {
		var d meta.DoctypeInfo
		if err := rows.Scan(&d.Name, &d.Docs, &d.Bytes); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return out, nil
}

// Doc implements meta.Documents.
func (s *Store) Doc(ctx context.Context, user, doctype, id string) (*meta.Doc, error) {
	const op = "sqlite.Doc"
	d := &meta.Doc{Doctype: doctype, ID: id}
	err := s.r.QueryRowContext(ctx, `SELECT rev, seq, deleted, sealed FROM docs
		WHERE account = (SELECT id FROM accounts WHERE user = ?) AND doctype = ? AND id = ?`, user, doctype, id).
		Scan(&d.Rev, &d.Seq, &d.Deleted, &d.Sealed)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("%s: %w", op, meta.ErrNotFound)
	case err != nil:
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return d, nil
}

// ListDocs implements meta.Documents. A limit of 0 or less means no limit.
func (s *Store) ListDocs(ctx context.Context, user, doctype, after string, limit int, deleted bool) ([]meta.DocInfo, error) {
	const op = "sqlite.ListDocs"
	rows, err := s.r.QueryContext(ctx, `SELECT id, rev, size, deleted FROM docs
		WHERE account = (SELECT id FROM accounts WHERE user = ?) AND doctype = ? AND id > ? AND (? OR deleted = 0)
		ORDER BY id LIMIT ?`, user, doctype, after, deleted, limitArg(limit))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	defer rows.Close()
	var out []meta.DocInfo
	for rows.Next() {
		var d meta.DocInfo
		if err := rows.Scan(&d.ID, &d.Rev, &d.Size, &d.Deleted); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return out, nil
}
