package memory

import (
	"context"
	"fmt"

	"github.com/hearthcloud/hearth/server/meta"
)

// quota returns a's quota. The caller holds s.mu.
func (s *Store) quota(a *account) *meta.Quota {
	return &meta.Quota{Used: a.used, Own: a.own, Limit: a.own.Apply(s.defaults)}
}

// grow checks that a may grow by dBytes and dDocs and, if so, counts it:
// the caller then makes the write. The caller holds s.mu.
func (s *Store) grow(op string, a *account, dBytes, dDocs int64) error {
	if err := s.quota(a).Check(dBytes, dDocs); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	a.used.Bytes += dBytes
	a.used.Docs += dDocs
	return nil
}

// SetDefaultLimits implements meta.Quotas.
func (s *Store) SetDefaultLimits(l meta.Limits) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.defaults = l
}

// SetLimits implements meta.Quotas.
func (s *Store) SetLimits(ctx context.Context, user string, own meta.Limits) error {
	const op = "memory.SetLimits"
	if own.Bytes < meta.DefaultLimit || own.Docs < meta.DefaultLimit {
		return fmt.Errorf("%s: a limit below %d", op, meta.DefaultLimit)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.account(op, user)
	if err != nil {
		return err
	}
	a.own = own
	return nil
}

// Quota implements meta.Quotas.
func (s *Store) Quota(ctx context.Context, user string) (*meta.Quota, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.account("memory.Quota", user)
	if err != nil {
		return nil, err
	}
	return s.quota(a), nil
}

// PutInvite implements meta.Invites.
func (s *Store) PutInvite(ctx context.Context, inv *meta.Invite) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for h, i := range s.invites {
		if !i.Expires.After(inv.Created) {
			delete(s.invites, h)
		}
	}
	if _, ok := s.invites[inv.Hash]; ok {
		return fmt.Errorf("memory.PutInvite: %w", meta.ErrExists)
	}
	s.invites[inv.Hash] = *inv
	return nil
}

// CreateInvitedAccount implements meta.Invites.
func (s *Store) CreateInvitedAccount(ctx context.Context, a *meta.Account, keyring, recoveryKeyring []byte, invite [32]byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	inv, ok := s.invites[invite]
	if !ok || !inv.Expires.After(a.Created) {
		return fmt.Errorf("memory.CreateInvitedAccount: %w", meta.ErrInvite)
	}
	if err := s.createAccount(a, keyring, recoveryKeyring); err != nil {
		return err
	}
	delete(s.invites, invite)
	return nil
}
