package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/hearthcloud/hearth/server/meta"
)

// PutInvite implements meta.Invites.
func (s *Store) PutInvite(ctx context.Context, inv *meta.Invite) error {
	const op = "sqlite.PutInvite"
	return wrap(op, s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM invites WHERE expires <= ?`, inv.Created.UnixNano()); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO invites (hash, created, expires) VALUES (?, ?, ?)`,
			inv.Hash[:], fromTime(inv.Created), inv.Expires.UnixNano())
		if isUnique(err) {
			return fmt.Errorf("%s: %w", op, meta.ErrExists)
		}
		return err
	}))
}

// CreateInvitedAccount implements meta.Invites: the invitation is deleted
// and the account inserted in one transaction on the writer connection,
// which takes the write lock at BEGIN, so concurrent sign-ups with one code
// (in this process or another) run one after the other and the second
// finds no invitation.
func (s *Store) CreateInvitedAccount(ctx context.Context, a *meta.Account, keyring, recoveryKeyring []byte, invite [32]byte) error {
	const op = "sqlite.CreateInvitedAccount"
	return wrap(op, s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM invites WHERE hash = ? AND expires > ?`, invite[:], a.Created.UnixNano())
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return fmt.Errorf("%s: %w", op, meta.ErrInvite)
		}
		return insertAccount(ctx, tx, op, a, keyring, recoveryKeyring)
	}))
}
