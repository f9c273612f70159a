package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/hearthcloud/hearth/server/meta"
)

// Manifest implements meta.Manifests.
func (s *Store) Manifest(ctx context.Context, user, doctype string) (uint64, []byte, error) {
	const op = "sqlite.Manifest"
	var rev uint64
	var sealed []byte
	err := s.r.QueryRowContext(ctx, `SELECT rev, sealed FROM manifests
		WHERE account = (SELECT id FROM accounts WHERE user = ?) AND doctype = ?`, user, doctype).Scan(&rev, &sealed)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, nil, fmt.Errorf("%s: %w", op, meta.ErrNotFound)
	case err != nil:
		return 0, nil, fmt.Errorf("%s: %w", op, err)
	}
	return rev, sealed, nil
}

// PutManifest implements meta.Manifests.
func (s *Store) PutManifest(ctx context.Context, user, doctype string, ifRev uint64, sealed []byte) (uint64, error) {
	const op = "sqlite.PutManifest"
	var rev uint64
	err := s.write(ctx, func(tx *sql.Tx) error {
		acct, err := accountID(ctx, tx, op, user)
		if err != nil {
			return err
		}
		var registered bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM doctypes WHERE account = ? AND name = ?)`,
			acct, doctype).Scan(&registered); err != nil {
			return err
		}
		if !registered {
			return fmt.Errorf("%s: %w", op, meta.ErrUnknownDoctype)
		}
		var cur uint64
		var curSize int64
		err = tx.QueryRowContext(ctx, `SELECT rev, COALESCE(length(sealed), 0) FROM manifests WHERE account = ? AND doctype = ?`,
			acct, doctype).Scan(&cur, &curSize)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if ifRev != 0 {
				return fmt.Errorf("%s: manifest: %w", op, meta.ErrNotFound)
			}
			if err := s.checkQuota(ctx, tx, op, acct, int64(len(sealed)), 0); err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO manifests (account, doctype, rev, sealed) VALUES (?, ?, 1, ?)`,
				acct, doctype, sealed)
			rev = 1
			return err
		case err != nil:
			return err
		case ifRev == 0:
			return fmt.Errorf("%s: %w", op, meta.ErrExists)
		case cur != ifRev:
			return fmt.Errorf("%s: manifest at %d: %w", op, cur, meta.ErrConflict)
		}
		if err := s.checkQuota(ctx, tx, op, acct, int64(len(sealed))-curSize, 0); err != nil {
			return err
		}
		rev = cur + 1
		_, err = tx.ExecContext(ctx, `UPDATE manifests SET rev = ?, sealed = ? WHERE account = ? AND doctype = ?`,
			rev, sealed, acct, doctype)
		return err
	})
	if err != nil {
		return 0, wrap(op, err)
	}
	return rev, nil
}
