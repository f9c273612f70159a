package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/hearthcloud/hearth/server/meta"
)

// appColumns are the columns scanApp reads, in its order.
const appColumns = `slug, version, manifest, digest, size, installed, updated`

// scanApp reads one row of appColumns.
func scanApp(row interface{ Scan(...any) error }) (*meta.App, error) {
	a := &meta.App{}
	var digest []byte
	var installed, updated sql.NullInt64
	if err := row.Scan(&a.Slug, &a.Version, &a.Manifest, &digest, &a.Size, &installed, &updated); err != nil {
		return nil, err
	}
	a.Digest, a.Installed, a.Updated = to32(digest), toTime(installed), toTime(updated)
	return a, nil
}

// PutApp implements meta.Apps.
func (s *Store) PutApp(ctx context.Context, user string, a *meta.App, onlyNew bool) (*meta.App, error) {
	const op = "sqlite.PutApp"
	var old *meta.App
	err := s.write(ctx, func(tx *sql.Tx) error {
		acct, err := accountID(ctx, tx, op, user)
		if err != nil {
			return err
		}
		old, err = scanApp(tx.QueryRowContext(ctx, `SELECT `+appColumns+` FROM apps WHERE account = ? AND slug = ?`, acct, a.Slug))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			old = nil
			if err := s.checkQuota(ctx, tx, op, acct, a.Size, 0); err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO apps (account, slug, version, manifest, digest, size, installed, updated)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
				acct, a.Slug, a.Version, a.Manifest, a.Digest[:], a.Size, fromTime(a.Installed), fromTime(a.Updated))
			return err
		case err != nil:
			return err
		case onlyNew:
			return fmt.Errorf("%s: %s: %w", op, a.Slug, meta.ErrExists)
		}
		if err := s.checkQuota(ctx, tx, op, acct, a.Size-old.Size, 0); err != nil {
			return err
		}
		// The first Installed time stays.
		_, err = tx.ExecContext(ctx, `UPDATE apps SET version = ?, manifest = ?, digest = ?, size = ?, updated = ?
			WHERE account = ? AND slug = ?`,
			a.Version, a.Manifest, a.Digest[:], a.Size, fromTime(a.Updated), acct, a.Slug)
		return err
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	if old != nil {
		a.Installed = old.Installed
	}
	return old, nil
}

// App implements meta.Apps.
func (s *Store) App(ctx context.Context, user, slug string) (*meta.App, error) {
	const op = "sqlite.App"
	a, err := scanApp(s.r.QueryRowContext(ctx, `SELECT `+appColumns+` FROM apps
		WHERE account = (SELECT id FROM accounts WHERE user = ?) AND slug = ?`, user, slug))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("%s: %w", op, meta.ErrNotFound)
	case err != nil:
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return a, nil
}

// ListApps implements meta.Apps. An unknown user has none.
func (s *Store) ListApps(ctx context.Context, user string) ([]*meta.App, error) {
	const op = "sqlite.ListApps"
	rows, err := s.r.QueryContext(ctx, `SELECT `+appColumns+` FROM apps
		WHERE account = (SELECT id FROM accounts WHERE user = ?) ORDER BY slug`, user)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	defer rows.Close()
	out := []*meta.App{}
	for rows.Next() {
		a, err := scanApp(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return out, nil
}

// DeleteApp implements meta.Apps.
func (s *Store) DeleteApp(ctx context.Context, user, slug string) (bool, error) {
	return s.unname(ctx, "sqlite.DeleteApp", `DELETE FROM apps
			WHERE account = (SELECT id FROM accounts WHERE user = ?) AND slug = ?
			RETURNING digest`, user, slug)
}
