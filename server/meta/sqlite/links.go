package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/hearthcloud/hearth/server/meta"
)

const linkCols = `l.id, a.user, l.kind, l.created, l.expires, l.max_opens, l.opens, l.last_open, l.revoked, l.failures,
	l.verifier, l.salt, l.kdf, l.manifest, l.version, l.recipient, l.tag, l.max_files, l.max_file_size, l.max_total, l.files, l.bytes,
	(SELECT COUNT(*) FROM link_drops d JOIN blobs b ON b.account = l.account AND b.doctype = '` + meta.DropsDoctype + `'
		AND b.segment = 0 AND b.id = d.id AND b.deleted = 0 WHERE d.link = l.id)`

func scanLink(sc interface{ Scan(...any) error }) (*meta.Link, error) {
	var l meta.Link
	var created, lastOpen, revoked, maxFiles, maxFileSize, maxTotal sql.NullInt64
	var expires int64
	var verifier, tag []byte
	var kdf, recipient sql.NullString
	var files, bytes, pending int64
	if err := sc.Scan(&l.ID, &l.User, &l.Kind, &created, &expires, &l.MaxOpens, &l.Opens, &lastOpen, &revoked, &l.Failures,
		&verifier, &l.Salt, &kdf, &l.Manifest, &l.Version, &recipient, &tag, &maxFiles, &maxFileSize, &maxTotal, &files, &bytes, &pending); err != nil {
		return nil, err
	}
	l.Created, l.LastOpen, l.Revoked = toTime(created), toTime(lastOpen), toTime(revoked)
	l.Expires = time.Unix(0, expires).UTC()
	l.Verifier = to32(verifier)
	if kdf.Valid {
		var k meta.KDF
		if err := json.Unmarshal([]byte(kdf.String), &k); err != nil {
			return nil, err
		}
		l.KDF = &k
	}
	if l.Kind == meta.LinkDrop {
		l.Drop = &meta.DropInfo{Recipient: recipient.String, Tag: tag, MaxFiles: maxFiles.Int64, MaxFileSize: maxFileSize.Int64,
			MaxTotal: maxTotal.Int64, Files: files, Bytes: bytes, Pending: pending}
	}
	return &l, nil
}

func linkBlobs(ctx context.Context, q querier, l *meta.Link) error {
	rows, err := q.QueryContext(ctx, `SELECT blob FROM link_blobs WHERE link = ? ORDER BY blob`, l.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var b string
		if err := rows.Scan(&b); err != nil {
			return err
		}
		l.Blobs = append(l.Blobs, b)
	}
	return rows.Err()
}

func putLinkBlobs(ctx context.Context, tx *sql.Tx, id string, blobs []string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM link_blobs WHERE link = ?`, id); err != nil {
		return err
	}
	for _, b := range blobs {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO link_blobs (link, blob) VALUES (?, ?)`, id, b); err != nil {
			return err
		}
	}
	return nil
}

// CreateLink implements meta.Links.
func (s *Store) CreateLink(ctx context.Context, l *meta.Link) error {
	const op = "sqlite.CreateLink"
	return wrap(op, s.write(ctx, func(tx *sql.Tx) error {
		acct, err := accountID(ctx, tx, op, l.User)
		if err != nil {
			return err
		}
		var n int64
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM links WHERE account = ?`, acct).Scan(&n); err != nil {
			return err
		}
		if n >= meta.MaxLinks {
			return fmt.Errorf("%s: %w", op, meta.ErrTooMany)
		}
		if err := s.checkQuota(ctx, tx, op, acct, int64(len(l.Manifest))+meta.EntryBytes, 0); err != nil {
			return err
		}
		var kdf any
		if l.KDF != nil {
			b, _ := json.Marshal(l.KDF)
			kdf = string(b)
		}
		var recipient, tag, maxFiles, maxFileSize, maxTotal any
		if d := l.Drop; d != nil {
			recipient, tag, maxFiles, maxFileSize, maxTotal = d.Recipient, d.Tag, d.MaxFiles, d.MaxFileSize, d.MaxTotal
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO links (id, account, kind, created, expires, max_opens, opens, failures,
			verifier, salt, kdf, manifest, version, recipient, tag, max_files, max_file_size, max_total, files, bytes)
			VALUES (?, ?, ?, ?, ?, ?, 0, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0)`,
			l.ID, acct, l.Kind, fromTime(l.Created), l.Expires.UnixNano(), l.MaxOpens, l.Verifier[:], l.Salt, kdf,
			l.Manifest, l.Version, recipient, tag, maxFiles, maxFileSize, maxTotal)
		if isUnique(err) {
			return fmt.Errorf("%s: %w", op, meta.ErrExists)
		}
		if err != nil {
			return err
		}
		return putLinkBlobs(ctx, tx, l.ID, l.Blobs)
	}))
}

// link reads link id (of user, if user is not "") in q.
func link(ctx context.Context, q querier, op, user, id string) (*meta.Link, error) {
	query := `SELECT ` + linkCols + ` FROM links l JOIN accounts a ON a.id = l.account WHERE l.id = ?`
	args := []any{id}
	if user != "" {
		query += ` AND a.user = ?`
		args = append(args, user)
	}
	l, err := scanLink(q.QueryRowContext(ctx, query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%s: %w", op, meta.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return l, linkBlobs(ctx, q, l)
}

// Link implements meta.Links.
func (s *Store) Link(ctx context.Context, id string) (*meta.Link, error) {
	return link(ctx, s.r, "sqlite.Link", "", id)
}

// Links implements meta.Links.
func (s *Store) Links(ctx context.Context, user string) ([]*meta.Link, error) {
	const op = "sqlite.Links"
	rows, err := s.r.QueryContext(ctx, `SELECT `+linkCols+` FROM links l JOIN accounts a ON a.id = l.account
		WHERE a.user = ? ORDER BY l.n`, user)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	var out []*meta.Link
	for rows.Next() {
		l, err := scanLink(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		out = append(out, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	for _, l := range out {
		if err := linkBlobs(ctx, s.r, l); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
	}
	return out, nil
}

// UpdateLink implements meta.Links.
func (s *Store) UpdateLink(ctx context.Context, user, id string, u *meta.LinkUpdate) (*meta.Link, error) {
	const op = "sqlite.UpdateLink"
	var out *meta.Link
	err := s.write(ctx, func(tx *sql.Tx) error {
		l, err := link(ctx, tx, op, user, id)
		if err != nil {
			return err
		}
		if !l.Revoked.IsZero() {
			return fmt.Errorf("%s: %w", op, &meta.GoneError{Reason: meta.GoneRevoked})
		}
		if u.Manifest != nil {
			if u.Version != l.Version+1 {
				return fmt.Errorf("%s: version %d after %d: %w", op, u.Version, l.Version, meta.ErrConflict)
			}
			acct, err := accountID(ctx, tx, op, user)
			if err != nil {
				return err
			}
			if err := s.checkQuota(ctx, tx, op, acct, int64(len(u.Manifest)-len(l.Manifest)), 0); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE links SET manifest = ?, version = ? WHERE id = ?`, u.Manifest, u.Version, id); err != nil {
				return err
			}
			if err := putLinkBlobs(ctx, tx, id, u.Blobs); err != nil {
				return err
			}
		}
		if u.Expires != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE links SET expires = ? WHERE id = ?`, u.Expires.UnixNano(), id); err != nil {
				return err
			}
		}
		if u.MaxOpens != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE links SET max_opens = ? WHERE id = ?`, *u.MaxOpens, id); err != nil {
				return err
			}
		}
		out, err = link(ctx, tx, op, user, id)
		return err
	})
	return out, wrap(op, err)
}

// RevokeLink implements meta.Links.
func (s *Store) RevokeLink(ctx context.Context, user, id string, at time.Time) error {
	const op = "sqlite.RevokeLink"
	return wrap(op, s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE links SET revoked = COALESCE(revoked, ?)
			WHERE id = ? AND account = (SELECT id FROM accounts WHERE user = ?)`, at.UnixNano(), id, user)
		if err != nil {
			return err
		}
		if err := affected(op, res); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM link_tokens WHERE link = ?`, id); err != nil {
			return err
		}
		// The sessions strangers opened through it end (the sweeper
		// removes their bytes).
		_, err = tx.ExecContext(ctx, `UPDATE uploads SET expires = ? WHERE link = ? AND expires > ?
			AND account = (SELECT id FROM accounts WHERE user = ?)`, at.UnixNano(), id, at.UnixNano(), user)
		return err
	}))
}

// OpenLink implements meta.Links.
func (s *Store) OpenLink(ctx context.Context, id string, now time.Time, t *meta.LinkToken) (*meta.Link, error) {
	const op = "sqlite.OpenLink"
	var out *meta.Link
	err := s.write(ctx, func(tx *sql.Tx) error {
		l, err := link(ctx, tx, op, "", id)
		if err != nil {
			return err
		}
		if l.Kind != meta.LinkShare {
			return fmt.Errorf("%s: %w", op, meta.ErrNotFound)
		}
		if why := l.Gone(now); why != "" {
			return fmt.Errorf("%s: %w", op, &meta.GoneError{Reason: why})
		}
		if _, err := tx.ExecContext(ctx, `UPDATE links SET opens = opens + 1, last_open = ? WHERE id = ?`, now.UnixNano(), id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO link_tokens (hash, link, expires) VALUES (?, ?, ?)`,
			t.Hash[:], id, t.Expires.UnixNano()); err != nil {
			return err
		}
		// Forget tokens that ended an hour ago or more.
		if _, err := tx.ExecContext(ctx, `DELETE FROM link_tokens WHERE expires < ?`, now.Add(-time.Hour).UnixNano()); err != nil {
			return err
		}
		l.Opens++
		l.LastOpen = now
		out = l
		return nil
	})
	return out, wrap(op, err)
}

// LinkFailure implements meta.Links.
func (s *Store) LinkFailure(ctx context.Context, id string) error {
	return wrap("sqlite.LinkFailure", s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE links SET failures = failures + 1 WHERE id = ?`, id)
		return err
	}))
}

// LinkTokenByHash implements meta.Links.
func (s *Store) LinkTokenByHash(ctx context.Context, hash [32]byte) (*meta.LinkToken, error) {
	const op = "sqlite.LinkTokenByHash"
	t := &meta.LinkToken{Hash: hash}
	var expires int64
	err := s.r.QueryRowContext(ctx, `SELECT link, expires FROM link_tokens WHERE hash = ?`, hash[:]).Scan(&t.Link, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%s: %w", op, meta.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	t.Expires = time.Unix(0, expires).UTC()
	return t, nil
}

// PutDrop implements meta.Links.
func (s *Store) PutDrop(ctx context.Context, linkID string, row *meta.BlobRow, now time.Time) error {
	const op = "sqlite.PutDrop"
	return wrap(op, s.write(ctx, func(tx *sql.Tx) error {
		l, err := link(ctx, tx, op, "", linkID)
		if err != nil {
			return err
		}
		if l.Drop == nil {
			return fmt.Errorf("%s: %w", op, meta.ErrNotFound)
		}
		if why := l.Gone(now); why != "" {
			return fmt.Errorf("%s: %w", op, &meta.GoneError{Reason: why})
		}
		d := l.Drop
		if row.Size > d.MaxFileSize || d.Bytes+row.Size > d.MaxTotal || d.Files+1 > d.MaxFiles {
			return fmt.Errorf("%s: %w", op, meta.ErrLinkLimit)
		}
		acct, err := accountID(ctx, tx, op, l.User)
		if err != nil {
			return err
		}
		var used int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM blobs WHERE account = ? AND doctype = ? AND segment = 0 AND id = ?`,
			acct, meta.DropsDoctype, row.ID).Scan(&used); err != nil {
			return err
		}
		if used > 0 {
			return fmt.Errorf("%s: id used: %w", op, meta.ErrExists)
		}
		if err := s.checkQuota(ctx, tx, op, acct, row.Size+meta.EntryBytes, 0); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO blobs (account, doctype, segment, id, size, digest, created)
			VALUES (?, ?, 0, ?, ?, ?, ?)`, acct, meta.DropsDoctype, row.ID, row.Size, row.Digest[:], fromTime(row.Created)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO link_drops (link, n, id) VALUES (?, ?, ?)`, linkID, d.Files, row.ID); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE links SET files = files + 1, bytes = bytes + ? WHERE id = ?`, row.Size, linkID)
		return err
	}))
}

// Drops implements meta.Links.
func (s *Store) Drops(ctx context.Context, user, linkID string) ([]*meta.BlobRow, error) {
	const op = "sqlite.Drops"
	if _, err := link(ctx, s.r, op, user, linkID); err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT b.id, b.size, b.digest, b.created, d.n FROM link_drops d
		JOIN links l ON l.id = d.link
		JOIN blobs b ON b.account = l.account AND b.doctype = ? AND b.segment = 0 AND b.id = d.id AND b.deleted = 0
		WHERE d.link = ?`, meta.DropsDoctype, linkID)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	defer rows.Close()
	type rowN struct {
		r *meta.BlobRow
		n int64
	}
	var rs []rowN
	for rows.Next() {
		r := &meta.BlobRow{Doctype: meta.DropsDoctype}
		var digest []byte
		var created sql.NullInt64
		var n int64
		if err := rows.Scan(&r.ID, &r.Size, &digest, &created, &n); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		r.Digest, r.Created = to32(digest), toTime(created)
		rs = append(rs, rowN{r, n})
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].n < rs[j].n })
	out := make([]*meta.BlobRow, len(rs))
	for i := range rs {
		out[i] = rs[i].r
	}
	return out, rows.Err()
}

// DeleteDrop implements meta.Links.
func (s *Store) DeleteDrop(ctx context.Context, user, linkID, dropID string) (bool, error) {
	return s.unname(ctx, "sqlite.DeleteDrop", `UPDATE blobs SET deleted = 1
		WHERE account = (SELECT id FROM accounts WHERE user = ?) AND doctype = ? AND segment = 0 AND id = ? AND deleted = 0
		AND EXISTS (SELECT 1 FROM link_drops d JOIN links l ON l.id = d.link
			WHERE d.link = ? AND d.id = ? AND l.account = (SELECT id FROM accounts WHERE user = ?))
		RETURNING digest`, user, meta.DropsDoctype, dropID, linkID, dropID, user)
}
