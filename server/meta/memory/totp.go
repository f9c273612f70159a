package memory

import (
	"bytes"
	"context"
	"fmt"

	"github.com/hearthcloud/hearth/server/meta"
)

func copyTOTP(s *meta.TOTPState) *meta.TOTPState {
	return &meta.TOTPState{
		Secret:        clone(s.Secret),
		Enabled:       s.Enabled,
		LastStep:      s.LastStep,
		RecoveryCodes: cloneAll(s.RecoveryCodes),
	}
}

// TOTP implements meta.TOTP. A user without an account is ErrNotFound.
func (s *Store) TOTP(ctx context.Context, user string) (*meta.TOTPState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.account("memory.TOTP", user)
	if err != nil {
		return nil, err
	}
	if a.totp == nil {
		return &meta.TOTPState{}, nil
	}
	return copyTOTP(a.totp), nil
}

// PutTOTP implements meta.TOTP. A user without an account is ErrNotFound.
func (s *Store) PutTOTP(ctx context.Context, user string, st *meta.TOTPState) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.account("memory.PutTOTP", user)
	if err != nil {
		return err
	}
	a.totp = copyTOTP(st)
	return nil
}

// UseTOTPStep implements meta.TOTP. Without a stored state the last step
// is 0.
func (s *Store) UseTOTPStep(ctx context.Context, user string, step int64) error {
	const op = "memory.UseTOTPStep"
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.account(op, user)
	if err != nil {
		return err
	}
	if a.totp == nil {
		a.totp = &meta.TOTPState{}
	}
	if step <= a.totp.LastStep {
		return fmt.Errorf("%s: %w", op, meta.ErrReplay)
	}
	a.totp.LastStep = step
	return nil
}

// UseRecoveryCode implements meta.TOTP.
func (s *Store) UseRecoveryCode(ctx context.Context, user string, hash []byte) error {
	const op = "memory.UseRecoveryCode"
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.account(op, user)
	if err != nil {
		return err
	}
	if a.totp != nil {
		for i, c := range a.totp.RecoveryCodes {
			if bytes.Equal(c, hash) {
				a.totp.RecoveryCodes = append(a.totp.RecoveryCodes[:i:i], a.totp.RecoveryCodes[i+1:]...)
				return nil
			}
		}
	}
	return fmt.Errorf("%s: %w", op, meta.ErrNotFound)
}
