package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/hearthcloud/hearth/server/meta"
)

// PutBlobRow implements meta.BlobRows. A user without an account is
// ErrNotFound.
func (s *Store) PutBlobRow(ctx context.Context, user string, r *meta.BlobRow) error {
	const op = "sqlite.PutBlobRow"
	return wrap(op, s.write(ctx, func(tx *sql.Tx) error {
		acct, err := accountID(ctx, tx, op, user)
		if err != nil {
			return err
		}
		return s.putBlobRow(ctx, tx, op, acct, r)
	}))
}

// putBlobRow is PutBlobRow for account acct in transaction tx.
func (s *Store) putBlobRow(ctx context.Context, tx *sql.Tx, op string, acct int64, r *meta.BlobRow) error {
	var digest []byte
	var deleted bool
	err := tx.QueryRowContext(ctx, `SELECT digest, deleted FROM blobs
		WHERE account = ? AND doctype = ? AND segment = ? AND id = ?`, acct, r.Doctype, r.Segment, r.ID).
		Scan(&digest, &deleted)
	switch {
	case err == nil && !deleted && bytes.Equal(digest, r.Digest[:]):
		return nil // an idempotent retry
	case err == nil:
		return fmt.Errorf("%s: id used: %w", op, meta.ErrExists)
	case !errors.Is(err, sql.ErrNoRows):
		return err
	}
	if err := s.checkQuota(ctx, tx, op, acct, r.Size+meta.EntryBytes, 0); err != nil { // the row stays, deleted or not
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO blobs (account, doctype, segment, id, size, digest, created)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, acct, r.Doctype, r.Segment, r.ID, r.Size, r.Digest[:], fromTime(r.Created))
	return err
}

// BlobRow implements meta.BlobRows.
func (s *Store) BlobRow(ctx context.Context, user, doctype, id string, segment bool) (*meta.BlobRow, error) {
	const op = "sqlite.BlobRow"
	r := &meta.BlobRow{Doctype: doctype, ID: id, Segment: segment}
	var digest []byte
	var created sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT size, digest, created FROM blobs
		WHERE account = (SELECT id FROM accounts WHERE user = ?) AND doctype = ? AND segment = ? AND id = ? AND deleted = 0`,
		user, doctype, segment, id).Scan(&r.Size, &digest, &created)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("%s: %w", op, meta.ErrNotFound)
	case err != nil:
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	r.Digest, r.Created = to32(digest), toTime(created)
	return r, nil
}

// BlobRowsOf implements meta.BlobRows: one query, the ids passed as one
// JSON array (json_each), so any number of them takes one round trip
// through the primary key.
func (s *Store) BlobRowsOf(ctx context.Context, user, doctype string, ids []string) (map[string]*meta.BlobRow, error) {
	const op = "sqlite.BlobRowsOf"
	out := map[string]*meta.BlobRow{}
	if len(ids) == 0 {
		return out, nil
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, size, digest, created FROM blobs
		WHERE account = (SELECT id FROM accounts WHERE user = ?) AND doctype = ? AND segment = 0 AND deleted = 0
		AND id IN (SELECT value FROM json_each(?))`, user, doctype, string(list))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	defer rows.Close()
	for rows.Next() {
		r := &meta.BlobRow{Doctype: doctype}
		var digest []byte
		var created sql.NullInt64
		if err := rows.Scan(&r.ID, &r.Size, &digest, &created); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		r.Digest, r.Created = to32(digest), toTime(created)
		out[r.ID] = r
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return out, nil
}

// DeleteBlobRow implements meta.BlobRows.
func (s *Store) DeleteBlobRow(ctx context.Context, user, doctype, id string, segment bool) (bool, error) {
	return s.unname(ctx, "sqlite.DeleteBlobRow", `UPDATE blobs SET deleted = 1
			WHERE account = (SELECT id FROM accounts WHERE user = ?) AND doctype = ? AND segment = ? AND id = ? AND deleted = 0
			RETURNING digest`, user, doctype, segment, id)
}

// unname runs query, which removes one row naming a body and returns its
// digest (meta.ErrNotFound if none), and reports in the same transaction
// whether any row still names that digest.
func (s *Store) unname(ctx context.Context, op, query string, args ...any) (bool, error) {
	var inUse bool
	err := s.write(ctx, func(tx *sql.Tx) error {
		var digest []byte
		err := tx.QueryRowContext(ctx, query, args...).Scan(&digest)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("%s: %w", op, meta.ErrNotFound)
		case err != nil:
			return err
		}
		inUse, err = digestInUse(ctx, tx, digest)
		return err
	})
	if err != nil {
		return false, wrap(op, err)
	}
	return inUse, nil
}

// digestInUse reports whether a live blob or segment row, or an installed
// app, of any account names d.
func digestInUse(ctx context.Context, q querier, d []byte) (bool, error) {
	var in bool
	err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM blobs WHERE digest = ? AND deleted = 0)
		OR EXISTS (SELECT 1 FROM apps WHERE digest = ?)`, d, d).Scan(&in)
	return in, err
}

// ListBlobRows implements meta.BlobRows. A limit of 0 or less means no
// limit.
func (s *Store) ListBlobRows(ctx context.Context, user, doctype string, segment bool, after string, limit int) ([]*meta.BlobRow, error) {
	const op = "sqlite.ListBlobRows"
	rows, err := s.r.QueryContext(ctx, `SELECT id, size, digest, created FROM blobs
		WHERE account = (SELECT id FROM accounts WHERE user = ?) AND doctype = ? AND segment = ? AND id > ? AND deleted = 0
		ORDER BY id LIMIT ?`, user, doctype, segment, after, limitArg(limit))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	defer rows.Close()
	var out []*meta.BlobRow
	for rows.Next() {
		r := &meta.BlobRow{Doctype: doctype, Segment: segment}
		var digest []byte
		var created sql.NullInt64
		if err := rows.Scan(&r.ID, &r.Size, &digest, &created); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		r.Digest, r.Created = to32(digest), toTime(created)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return out, nil
}

// DigestInUse implements meta.BlobRows.
func (s *Store) DigestInUse(ctx context.Context, d [32]byte) (bool, error) {
	in, err := digestInUse(ctx, s.r, d[:])
	if err != nil {
		return false, fmt.Errorf("sqlite.DigestInUse: %w", err)
	}
	return in, nil
}
