package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/hearthcloud/hearth/server/meta"
)

// CreateAccount implements meta.Accounts.
func (s *Store) CreateAccount(ctx context.Context, a *meta.Account, keyring, recoveryKeyring []byte) error {
	return insertAccount(ctx, s.w, "sqlite.CreateAccount", a, keyring, recoveryKeyring)
}

// insertAccount stores a new account through q.
func insertAccount(ctx context.Context, q querier, op string, a *meta.Account, keyring, recoveryKeyring []byte) error {
	_, err := q.ExecContext(ctx, `INSERT INTO accounts
		(user, kdf_alg, kdf_memory, kdf_time, kdf_threads, seed, login_hash, recovery_auth, created, keyring_rev, keyring, recovery_keyring)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
		a.User, a.KDF.Alg, a.KDF.Memory, a.KDF.Time, a.KDF.Threads, a.Seed, a.LoginHash, a.RecoveryAuthHash,
		fromTime(a.Created), keyring, recoveryKeyring)
	switch {
	case isUnique(err):
		return fmt.Errorf("%s: %w", op, meta.ErrExists)
	case err != nil:
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// Account implements meta.Accounts.
func (s *Store) Account(ctx context.Context, user string) (*meta.Account, error) {
	const op = "sqlite.Account"
	a := &meta.Account{User: user}
	var created sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT kdf_alg, kdf_memory, kdf_time, kdf_threads, seed, login_hash, recovery_auth, created
		FROM accounts WHERE user = ?`, user).
		Scan(&a.KDF.Alg, &a.KDF.Memory, &a.KDF.Time, &a.KDF.Threads, &a.Seed, &a.LoginHash, &a.RecoveryAuthHash, &created)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("%s: %w", op, meta.ErrNotFound)
	case err != nil:
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	a.Created = toTime(created)
	return a, nil
}

// keyringRev returns the keyring revision of user's account, or
// ErrNotFound.
func keyringRev(ctx context.Context, tx *sql.Tx, op, user string) (uint64, error) {
	var rev uint64
	err := tx.QueryRowContext(ctx, `SELECT keyring_rev FROM accounts WHERE user = ?`, user).Scan(&rev)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, fmt.Errorf("%s: account: %w", op, meta.ErrNotFound)
	case err != nil:
		return 0, fmt.Errorf("%s: %w", op, err)
	}
	return rev, nil
}

// UpdateLogin implements meta.Accounts.
func (s *Store) UpdateLogin(ctx context.Context, user string, u *meta.LoginUpdate) (uint64, error) {
	const op = "sqlite.UpdateLogin"
	var rev uint64
	err := s.write(ctx, func(tx *sql.Tx) error {
		cur, err := keyringRev(ctx, tx, op, user)
		if err != nil {
			return err
		}
		if cur != u.IfKeyringRev {
			return fmt.Errorf("%s: keyring at %d: %w", op, cur, meta.ErrConflict)
		}
		rev = cur + 1
		_, err = tx.ExecContext(ctx, `UPDATE accounts SET
			kdf_alg = ?, kdf_memory = ?, kdf_time = ?, kdf_threads = ?, seed = ?, login_hash = ?,
			recovery_auth = COALESCE(?, recovery_auth),
			keyring_rev = ?, keyring = ?, recovery_keyring = ?
			WHERE user = ?`,
			u.KDF.Alg, u.KDF.Memory, u.KDF.Time, u.KDF.Threads, u.Seed, u.LoginHash, u.RecoveryAuthHash,
			rev, u.Keyring, u.RecoveryKeyring, user)
		if err != nil {
			return err
		}
		if err := replaceUnlocks(ctx, tx, user, u.PasskeyUnlocks); err != nil {
			return err
		}
		// The trigger tokens_end_with_session deletes the tokens bound to
		// these sessions, in this transaction.
		_, err = tx.ExecContext(ctx, `DELETE FROM tokens
			WHERE account = (SELECT id FROM accounts WHERE user = ?) AND kind = ? AND id != ?`, user, meta.KindSession, u.KeepSession)
		return err
	})
	if err != nil {
		return 0, wrap(op, err)
	}
	return rev, nil
}

// Keyring implements meta.Accounts.
func (s *Store) Keyring(ctx context.Context, user string) (uint64, []byte, []byte, error) {
	const op = "sqlite.Keyring"
	var rev uint64
	var kr, rk []byte
	err := s.r.QueryRowContext(ctx, `SELECT keyring_rev, keyring, recovery_keyring FROM accounts WHERE user = ?`, user).
		Scan(&rev, &kr, &rk)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, nil, nil, fmt.Errorf("%s: account: %w", op, meta.ErrNotFound)
	case err != nil:
		return 0, nil, nil, fmt.Errorf("%s: %w", op, err)
	}
	return rev, kr, rk, nil
}

// PutKeyring implements meta.Accounts.
func (s *Store) PutKeyring(ctx context.Context, user string, ifRev uint64, keyring, recoveryKeyring []byte) (uint64, error) {
	const op = "sqlite.PutKeyring"
	var rev uint64
	err := s.write(ctx, func(tx *sql.Tx) error {
		cur, err := keyringRev(ctx, tx, op, user)
		if err != nil {
			return err
		}
		if cur != ifRev {
			return fmt.Errorf("%s: keyring at %d: %w", op, cur, meta.ErrConflict)
		}
		rev = cur + 1
		_, err = tx.ExecContext(ctx, `UPDATE accounts SET keyring_rev = ?, keyring = ?, recovery_keyring = ? WHERE user = ?`,
			rev, keyring, recoveryKeyring, user)
		return err
	})
	if err != nil {
		return 0, wrap(op, err)
	}
	return rev, nil
}
