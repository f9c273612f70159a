package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/hearthcloud/hearth/server/meta"
)

// Changes implements meta.Feed. A limit of 0 or less means no limit. The
// bodies come from the same statement as the entries, so an entry has its
// body exactly when its revision is current in that snapshot; rows are
// scanned one at a time, so no more bodies are held than fn keeps.
func (s *Store) Changes(ctx context.Context, user string, since uint64, limit int, doctypes []string, withDocs bool, fn func(meta.Change) bool) error {
	const op = "sqlite.Changes"
	var q strings.Builder
	q.WriteString(`SELECT f.seq, f.doctype, f.id, f.rev, f.deleted, f.digest, f.chain, `)
	if withDocs {
		q.WriteString(`d.sealed FROM feed f LEFT JOIN docs d
			ON d.account = f.account AND d.doctype = f.doctype AND d.id = f.id AND d.rev = f.rev`)
	} else {
		q.WriteString(`NULL FROM feed f`)
	}
	q.WriteString(` WHERE f.account = (SELECT id FROM accounts WHERE user = ?) AND f.seq > ?`)
	args := []any{user, since}
	if len(doctypes) > 0 {
		q.WriteString(` AND f.doctype IN (?` + strings.Repeat(", ?", len(doctypes)-1) + `)`)
		for _, dt := range doctypes {
			args = append(args, dt)
		}
	}
	q.WriteString(` ORDER BY f.seq LIMIT ?`)
	args = append(args, limitArg(limit))

	rows, err := s.r.QueryContext(ctx, q.String(), args...)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer rows.Close()
	var digest, chain []byte
	for rows.Next() {
		var c meta.Change
		if err := rows.Scan(&c.Seq, &c.Doctype, &c.ID, &c.Rev, &c.Deleted, &digest, &chain, &c.Sealed); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		c.Digest, c.Chain = to32(digest), to32(chain)
		if !fn(c) {
			return nil
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// Head implements meta.Feed.
func (s *Store) Head(ctx context.Context, user string) (uint64, [32]byte, error) {
	const op = "sqlite.Head"
	var seq uint64
	var chain []byte
	err := s.r.QueryRowContext(ctx, `SELECT seq, chain FROM feed
		WHERE account = (SELECT id FROM accounts WHERE user = ?) ORDER BY seq DESC LIMIT 1`, user).Scan(&seq, &chain)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, [32]byte{}, nil
	case err != nil:
		return 0, [32]byte{}, fmt.Errorf("%s: %w", op, err)
	}
	return seq, to32(chain), nil
}

// ChainAt implements meta.Feed. The chain at seq 0 is 32 zero bytes.
func (s *Store) ChainAt(ctx context.Context, user string, seq uint64) ([32]byte, error) {
	const op = "sqlite.ChainAt"
	if seq == 0 {
		return [32]byte{}, nil
	}
	var chain []byte
	err := s.r.QueryRowContext(ctx, `SELECT chain FROM feed
		WHERE account = (SELECT id FROM accounts WHERE user = ?) AND seq = ?`, user, seq).Scan(&chain)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return [32]byte{}, fmt.Errorf("%s: seq %d past head: %w", op, seq, meta.ErrNotFound)
	case err != nil:
		return [32]byte{}, fmt.Errorf("%s: %w", op, err)
	}
	return to32(chain), nil
}
