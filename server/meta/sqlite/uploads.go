package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/hearthcloud/hearth/server/meta"
)

// Upload sessions (meta.Uploads, §8.7.3), in the uploads table
// (migration 10).

// CreateUpload implements meta.Uploads.
func (s *Store) CreateUpload(ctx context.Context, user string, u *meta.Upload) error {
	const op = "sqlite.CreateUpload"
	return wrap(op, s.write(ctx, func(tx *sql.Tx) error {
		acct, err := accountID(ctx, tx, op, user)
		if err != nil {
			return err
		}
		var used bool
		if err := tx.QueryRowContext(ctx, `SELECT
			EXISTS (SELECT 1 FROM uploads WHERE account = ?1 AND doctype = ?2 AND id = ?3) OR
			EXISTS (SELECT 1 FROM blobs WHERE account = ?1 AND doctype = ?2 AND segment = 0 AND id = ?3)`,
			acct, u.Doctype, u.ID).Scan(&used); err != nil {
			return err
		}
		if used {
			return fmt.Errorf("%s: id used: %w", op, meta.ErrExists)
		}
		_, size, err := uploadUsage(ctx, tx, acct, u.Created)
		if err != nil {
			return err
		}
		// Drop sessions and the account's own count apart.
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM uploads WHERE account = ? AND expires > ? AND (doctype = ?) = ?`,
			acct, u.Created.UnixNano(), meta.DropsDoctype, u.Doctype == meta.DropsDoctype).Scan(&n); err != nil {
			return err
		}
		if n >= meta.UploadLimit(u.Doctype) {
			return fmt.Errorf("%s: %w", op, meta.ErrTooMany)
		}
		if u.Link != "" {
			if err := linkSessionsFit(ctx, tx, op, acct, u); err != nil {
				return err
			}
		}
		if err := s.checkQuota(ctx, tx, op, acct, size+u.Size+meta.EntryBytes, 0); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO uploads (account, doctype, id, size, received, hash, partial, created, expires, link)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, acct, u.Doctype, u.ID, u.Size, u.Offset, nonNil(u.Hash), u.Partial,
			fromTime(u.Created), u.Expires.UnixNano(), sql.NullString{String: u.Link, Valid: u.Link != ""})
		return err
	}))
}

// linkSessionsFit refuses session u through drop link u.Link of account
// acct (ErrNotFound if it has none of that id) when it, beside the link's
// other sessions not expired and its drops, does not fit in the link's
// limits (ErrLinkLimit).
func linkSessionsFit(ctx context.Context, tx *sql.Tx, op string, acct int64, u *meta.Upload) error {
	var maxTotal, maxFiles sql.NullInt64
	var files, bytes, n, size int64
	err := tx.QueryRowContext(ctx, `SELECT max_total, max_files, files, bytes FROM links
		WHERE id = ? AND account = ? AND kind = ?`, u.Link, acct, meta.LinkDrop).Scan(&maxTotal, &maxFiles, &files, &bytes)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: no such drop link: %w", op, meta.ErrNotFound)
	}
	if err != nil {
		return err
	}
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(size), 0) FROM uploads
		WHERE link = ? AND account = ? AND expires > ?`, u.Link, acct, u.Created.UnixNano()).Scan(&n, &size); err != nil {
		return err
	}
	if bytes+size+u.Size > maxTotal.Int64 || files+n+1 > maxFiles.Int64 {
		return fmt.Errorf("%s: %w", op, meta.ErrLinkLimit)
	}
	return nil
}

// uploadUsage counts account acct's sessions not expired at now, and
// their sizes.
func uploadUsage(ctx context.Context, q querier, acct int64, now time.Time) (int, int64, error) {
	var n int
	var size int64
	err := q.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(size), 0) FROM uploads WHERE account = ? AND expires > ?`,
		acct, now.UnixNano()).Scan(&n, &size)
	return n, size, err
}

// Upload implements meta.Uploads.
func (s *Store) Upload(ctx context.Context, user, doctype, id string) (*meta.Upload, error) {
	const op = "sqlite.Upload"
	u := &meta.Upload{Doctype: doctype, ID: id}
	var created sql.NullInt64
	var expires int64
	var link sql.NullString
	err := s.r.QueryRowContext(ctx, `SELECT size, received, hash, partial, created, expires, link FROM uploads
		WHERE account = (SELECT id FROM accounts WHERE user = ?) AND doctype = ? AND id = ?`, user, doctype, id).
		Scan(&u.Size, &u.Offset, &u.Hash, &u.Partial, &created, &expires, &link)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("%s: %w", op, meta.ErrNotFound)
	case err != nil:
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	u.Created, u.Expires, u.Link = toTime(created), time.Unix(0, expires).UTC(), link.String
	return u, nil
}

// AdvanceUpload implements meta.Uploads.
func (s *Store) AdvanceUpload(ctx context.Context, user, doctype, id string, from, offset int64, hash []byte, expires time.Time) error {
	const op = "sqlite.AdvanceUpload"
	return wrap(op, s.write(ctx, func(tx *sql.Tx) error {
		var at int64
		err := tx.QueryRowContext(ctx, `SELECT received FROM uploads
			WHERE account = (SELECT id FROM accounts WHERE user = ?) AND doctype = ? AND id = ?`, user, doctype, id).Scan(&at)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("%s: %w", op, meta.ErrNotFound)
		case err != nil:
			return err
		case at != from:
			return fmt.Errorf("%s: at %d, not %d: %w", op, at, from, meta.ErrConflict)
		}
		_, err = tx.ExecContext(ctx, `UPDATE uploads SET received = ?, hash = ?, expires = ?
			WHERE account = (SELECT id FROM accounts WHERE user = ?) AND doctype = ? AND id = ?`,
			offset, nonNil(hash), expires.UnixNano(), user, doctype, id)
		return err
	}))
}

// DeleteUpload implements meta.Uploads.
func (s *Store) DeleteUpload(ctx context.Context, user, doctype, id string) error {
	const op = "sqlite.DeleteUpload"
	return wrap(op, s.write(ctx, func(tx *sql.Tx) error {
		return deleteUpload(ctx, tx, op, user, doctype, id)
	}))
}

// deleteUpload deletes a session in tx, or returns ErrNotFound.
func deleteUpload(ctx context.Context, tx *sql.Tx, op, user, doctype, id string) error {
	res, err := tx.ExecContext(ctx, `DELETE FROM uploads
		WHERE account = (SELECT id FROM accounts WHERE user = ?) AND doctype = ? AND id = ?`, user, doctype, id)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return fmt.Errorf("%s: %w", op, meta.ErrNotFound)
	}
	return nil
}

// CompleteUpload implements meta.Uploads.
func (s *Store) CompleteUpload(ctx context.Context, user string, r *meta.BlobRow) error {
	const op = "sqlite.CompleteUpload"
	if r.Segment {
		return fmt.Errorf("%s: %w", op, meta.ErrNotFound)
	}
	return wrap(op, s.write(ctx, func(tx *sql.Tx) error {
		acct, err := accountID(ctx, tx, op, user)
		if err != nil {
			return err
		}
		if err := deleteUpload(ctx, tx, op, user, r.Doctype, r.ID); err != nil {
			return err
		}
		return s.putBlobRow(ctx, tx, op, acct, r)
	}))
}

// ExpiredUploads implements meta.Uploads.
func (s *Store) ExpiredUploads(ctx context.Context, now time.Time, limit int) ([]meta.ExpiredUpload, error) {
	const op = "sqlite.ExpiredUploads"
	rows, err := s.r.QueryContext(ctx, `SELECT a.user, u.doctype, u.id, u.partial FROM uploads u
		JOIN accounts a ON a.id = u.account WHERE u.expires <= ? ORDER BY u.expires LIMIT ?`, now.UnixNano(), limitArg(limit))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	defer rows.Close()
	var out []meta.ExpiredUpload
	for rows.Next() {
		var e meta.ExpiredUpload
		if err := rows.Scan(&e.User, &e.Doctype, &e.ID, &e.Partial); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return out, nil
}

// UploadPartials implements meta.Uploads.
func (s *Store) UploadPartials(ctx context.Context) ([]string, error) {
	const op = "sqlite.UploadPartials"
	rows, err := s.r.QueryContext(ctx, `SELECT partial FROM uploads`)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return out, nil
}

// UploadUsage implements meta.Uploads.
func (s *Store) UploadUsage(ctx context.Context, user string, now time.Time) (int, int64, error) {
	const op = "sqlite.UploadUsage"
	var acct int64
	err := s.r.QueryRowContext(ctx, `SELECT id FROM accounts WHERE user = ?`, user).Scan(&acct)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("%s: %w", op, err)
	}
	n, size, err := uploadUsage(ctx, s.r, acct, now)
	if err != nil {
		return 0, 0, fmt.Errorf("%s: %w", op, err)
	}
	return n, size, nil
}

// nonNil is b, or an empty slice for nil (which SQLite would take as NULL).
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
