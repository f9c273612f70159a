package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hearthcloud/hearth/server/meta"
)

const passkeyColumns = `id, user_handle, public_key, sign_count, flags, aaguid, wrap, unlock, created, last_used, origin`

// AddPasskey implements meta.Passkeys.
func (s *Store) AddPasskey(ctx context.Context, user string, p *meta.Passkey) error {
	const op = "sqlite.AddPasskey"
	return wrap(op, s.write(ctx, func(tx *sql.Tx) error {
		acct, err := accountID(ctx, tx, op, user)
		if err != nil {
			return err
		}
		var n, seq int64
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(MAX(seq), 0) FROM passkeys WHERE account = ?`, acct).Scan(&n, &seq); err != nil {
			return err
		}
		if n >= meta.MaxPasskeys {
			return fmt.Errorf("%s: %w", op, meta.ErrTooMany)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO passkeys (account, seq, `+passkeyColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			acct, seq+1, p.ID, p.UserHandle, p.PublicKey, p.SignCount, p.Flags, p.AAGUID, p.Wrap, p.Unlock,
			fromTime(p.Created), fromTime(p.LastUsed), p.Origin)
		if isUnique(err) {
			return fmt.Errorf("%s: %w", op, meta.ErrExists)
		}
		return err
	}))
}

// Passkeys implements meta.Passkeys.
func (s *Store) Passkeys(ctx context.Context, user string) ([]meta.Passkey, error) {
	const op = "sqlite.Passkeys"
	acct, err := accountID(ctx, s.r, op, user)
	if err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+passkeyColumns+` FROM passkeys WHERE account = ? ORDER BY seq`, acct)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	defer rows.Close()
	out := []meta.Passkey{}
	for rows.Next() {
		p, err := scanPasskey(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		out = append(out, *p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return out, nil
}

// PasskeyByID implements meta.Passkeys.
func (s *Store) PasskeyByID(ctx context.Context, id []byte) (string, *meta.Passkey, error) {
	const op = "sqlite.PasskeyByID"
	var user string
	row := s.r.QueryRowContext(ctx, `SELECT a.user, `+prefixed("p.", passkeyColumns)+`
		FROM passkeys p JOIN accounts a ON a.id = p.account WHERE p.id = ?`, id)
	p, err := scanPasskey(row, &user)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, fmt.Errorf("%s: %w", op, meta.ErrNotFound)
	}
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", op, err)
	}
	return user, p, nil
}

// UsePasskey implements meta.Passkeys.
func (s *Store) UsePasskey(ctx context.Context, user string, id []byte, count uint32, at time.Time) error {
	const op = "sqlite.UsePasskey"
	return wrap(op, s.write(ctx, func(tx *sql.Tx) error {
		var stored uint32
		err := tx.QueryRowContext(ctx, `SELECT sign_count FROM passkeys
			WHERE id = ? AND account = (SELECT id FROM accounts WHERE user = ?)`, id, user).Scan(&stored)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%s: %w", op, meta.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if (count != 0 || stored != 0) && count <= stored {
			return fmt.Errorf("%s: counter %d after %d: %w", op, count, stored, meta.ErrConflict)
		}
		_, err = tx.ExecContext(ctx, `UPDATE passkeys SET sign_count = ?, last_used = ? WHERE id = ?`, count, fromTime(at), id)
		return err
	}))
}

// SetPasskeyUnlock implements meta.Passkeys.
func (s *Store) SetPasskeyUnlock(ctx context.Context, user string, id []byte, unlock []byte) error {
	const op = "sqlite.SetPasskeyUnlock"
	return wrap(op, s.write(ctx, func(tx *sql.Tx) error {
		return onePasskey(op)(tx.ExecContext(ctx, `UPDATE passkeys SET unlock = ?
			WHERE id = ? AND account = (SELECT id FROM accounts WHERE user = ?)`, unlock, id, user))
	}))
}

// DeletePasskey implements meta.Passkeys.
func (s *Store) DeletePasskey(ctx context.Context, user string, id []byte) error {
	const op = "sqlite.DeletePasskey"
	return wrap(op, s.write(ctx, func(tx *sql.Tx) error {
		return onePasskey(op)(tx.ExecContext(ctx, `DELETE FROM passkeys
			WHERE id = ? AND account = (SELECT id FROM accounts WHERE user = ?)`, id, user))
	}))
}

// replaceUnlocks gives each passkey of user its unlock in unlocks, or none
// (meta.LoginUpdate.PasskeyUnlocks), in the login update's transaction.
func replaceUnlocks(ctx context.Context, tx *sql.Tx, user string, unlocks map[string][]byte) error {
	rows, err := tx.QueryContext(ctx, `SELECT id FROM passkeys WHERE account = (SELECT id FROM accounts WHERE user = ?)`, user)
	if err != nil {
		return err
	}
	var ids [][]byte
	for rows.Next() {
		var id []byte
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, `UPDATE passkeys SET unlock = ? WHERE id = ?`, unlocks[string(id)], id); err != nil {
			return err
		}
	}
	return nil
}

// onePasskey turns an UPDATE or DELETE of one passkey into ErrNotFound
// when it touched none.
func onePasskey(op string) func(sql.Result, error) error {
	return func(res sql.Result, err error) error {
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
}

func scanPasskey(row interface{ Scan(...any) error }, first ...any) (*meta.Passkey, error) {
	var p meta.Passkey
	var created, used sql.NullInt64
	var origin sql.NullString
	err := row.Scan(append(first, &p.ID, &p.UserHandle, &p.PublicKey, &p.SignCount, &p.Flags, &p.AAGUID, &p.Wrap, &p.Unlock, &created, &used, &origin)...)
	if err != nil {
		return nil, err
	}
	p.Created, p.LastUsed, p.Origin = toTime(created), toTime(used), origin.String
	return &p, nil
}

// prefixed names each of a comma-separated list of columns with prefix.
func prefixed(prefix, columns string) string {
	cs := strings.Split(columns, ",")
	for i, c := range cs {
		cs[i] = prefix + strings.TrimSpace(c)
	}
	return strings.Join(cs, ", ")
}
