package memory

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/hearthcloud/hearth/server/meta"
)

// AddPasskey implements meta.Passkeys.
func (s *Store) AddPasskey(ctx context.Context, user string, p *meta.Passkey) error {
	const op = "memory.AddPasskey"
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.account(op, user)
	if err != nil {
		return err
	}
	if _, ok := s.passkeys[string(p.ID)]; ok {
		return fmt.Errorf("%s: %w", op, meta.ErrExists)
	}
	if len(a.passkeys) >= meta.MaxPasskeys {
		return fmt.Errorf("%s: %w", op, meta.ErrTooMany)
	}
	a.passkeys = append(a.passkeys, clonePasskey(*p))
	s.passkeys[string(p.ID)] = user
	return nil
}

// Passkeys implements meta.Passkeys.
func (s *Store) Passkeys(ctx context.Context, user string) ([]meta.Passkey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.account("memory.Passkeys", user)
	if err != nil {
		return nil, err
	}
	out := make([]meta.Passkey, len(a.passkeys))
	for i, p := range a.passkeys {
		out[i] = clonePasskey(p)
	}
	return out, nil
}

// PasskeyByID implements meta.Passkeys.
func (s *Store) PasskeyByID(ctx context.Context, id []byte) (string, *meta.Passkey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	user, ok := s.passkeys[string(id)]
	if !ok {
		return "", nil, fmt.Errorf("memory.PasskeyByID: %w", meta.ErrNotFound)
	}
	p := clonePasskey(*s.accounts[user].passkey(id))
	return user, &p, nil
}

// UsePasskey implements meta.Passkeys.
func (s *Store) UsePasskey(ctx context.Context, user string, id []byte, count uint32, at time.Time) error {
	return s.withPasskey("memory.UsePasskey", user, id, func(p *meta.Passkey) error {
		if (count != 0 || p.SignCount != 0) && count <= p.SignCount {
			return meta.ErrConflict
		}
		p.SignCount, p.LastUsed = count, at
		return nil
	})
}

// SetPasskeyUnlock implements meta.Passkeys.
func (s *Store) SetPasskeyUnlock(ctx context.Context, user string, id []byte, unlock []byte) error {
	return s.withPasskey("memory.SetPasskeyUnlock", user, id, func(p *meta.Passkey) error {
		p.Unlock = clone(unlock)
		return nil
	})
}

// DeletePasskey implements meta.Passkeys.
func (s *Store) DeletePasskey(ctx context.Context, user string, id []byte) error {
	const op = "memory.DeletePasskey"
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.account(op, user)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(a.passkeys, func(p meta.Passkey) bool { return string(p.ID) == string(id) })
	if i < 0 {
		return fmt.Errorf("%s: %w", op, meta.ErrNotFound)
	}
	a.passkeys = slices.Delete(a.passkeys, i, i+1)
	delete(s.passkeys, string(id))
	return nil
}

// withPasskey runs change on user's passkey id under the lock.
func (s *Store) withPasskey(op, user string, id []byte, change func(p *meta.Passkey) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.account(op, user)
	if err != nil {
		return err
	}
	p := a.passkey(id)
	if p == nil {
		return fmt.Errorf("%s: %w", op, meta.ErrNotFound)
	}
	if err := change(p); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// passkey returns the account's passkey id, or nil.
func (a *account) passkey(id []byte) *meta.Passkey {
	for i := range a.passkeys {
		if string(a.passkeys[i].ID) == string(id) {
			return &a.passkeys[i]
		}
	}
	return nil
}

func clonePasskey(p meta.Passkey) meta.Passkey {
	p.ID, p.UserHandle, p.PublicKey = clone(p.ID), clone(p.UserHandle), clone(p.PublicKey)
	p.AAGUID, p.Wrap, p.Unlock = clone(p.AAGUID), clone(p.Wrap), clone(p.Unlock)
	return p
}
