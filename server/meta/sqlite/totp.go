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

// readTOTP returns user's state (zero without a stored one) and account
// id, or ErrNotFound.
func readTOTP(ctx context.Context, q querier, op, user string) (int64, *meta.TOTPState, error) {
	var acct int64
	var secret []byte
	var enabled, step sql.NullInt64
	var codes sql.NullString
	err := q.QueryRowContext(ctx, `SELECT a.id, t.secret, t.enabled, t.last_step, t.recovery_codes
		FROM accounts a LEFT JOIN totp t ON t.account = a.id WHERE a.user = ?`, user).
		Scan(&acct, &secret, &enabled, &step, &codes)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, nil, fmt.Errorf("%s: account: %w", op, meta.ErrNotFound)
	case err != nil:
		return 0, nil, fmt.Errorf("%s: %w", op, err)
	}
	st := &meta.TOTPState{Secret: secret, Enabled: enabled.Int64 != 0, LastStep: step.Int64}
	if codes.Valid {
		if err := json.Unmarshal([]byte(codes.String), &st.RecoveryCodes); err != nil {
			return 0, nil, fmt.Errorf("%s: recovery codes: %w", op, err)
		}
	}
	return acct, st, nil
}

// putTOTP stores st as account's state.
func putTOTP(ctx context.Context, tx *sql.Tx, acct int64, st *meta.TOTPState) error {
	codes, err := json.Marshal(st.RecoveryCodes)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT OR REPLACE INTO totp (account, secret, enabled, last_step, recovery_codes)
		VALUES (?, ?, ?, ?, ?)`, acct, st.Secret, boolInt(st.Enabled), st.LastStep, string(codes))
	return err
}

// TOTP implements meta.TOTP. A user without an account is ErrNotFound.
func (s *Store) TOTP(ctx context.Context, user string) (*meta.TOTPState, error) {
	_, st, err := readTOTP(ctx, s.r, "sqlite.TOTP", user)
	return st, err
}

// PutTOTP implements meta.TOTP. A user without an account is ErrNotFound.
func (s *Store) PutTOTP(ctx context.Context, user string, st *meta.TOTPState) error {
	const op = "sqlite.PutTOTP"
	return wrap(op, s.write(ctx, func(tx *sql.Tx) error {
		acct, err := accountID(ctx, tx, op, user)
		if err != nil {
			return err
		}
		return putTOTP(ctx, tx, acct, st)
	}))
}

// UseTOTPStep implements meta.TOTP. Without a stored state the last step
// is 0. The check and the update are one write transaction, so of
// concurrent uses of one step exactly one succeeds.
func (s *Store) UseTOTPStep(ctx context.Context, user string, step int64) error {
	const op = "sqlite.UseTOTPStep"
	return wrap(op, s.write(ctx, func(tx *sql.Tx) error {
		acct, st, err := readTOTP(ctx, tx, op, user)
		if err != nil {
			return err
		}
		if step <= st.LastStep {
			return fmt.Errorf("%s: %w", op, meta.ErrReplay)
		}
		st.LastStep = step
		return putTOTP(ctx, tx, acct, st)
	}))
}

// UseRecoveryCode implements meta.TOTP.
func (s *Store) UseRecoveryCode(ctx context.Context, user string, hash []byte) error {
	const op = "sqlite.UseRecoveryCode"
	return wrap(op, s.write(ctx, func(tx *sql.Tx) error {
		acct, st, err := readTOTP(ctx, tx, op, user)
		if err != nil {
			return err
		}
		for i, c := range st.RecoveryCodes {
			if bytes.Equal(c, hash) {
				st.RecoveryCodes = append(st.RecoveryCodes[:i:i], st.RecoveryCodes[i+1:]...)
				return putTOTP(ctx, tx, acct, st)
			}
		}
		return fmt.Errorf("%s: %w", op, meta.ErrNotFound)
	}))
}
