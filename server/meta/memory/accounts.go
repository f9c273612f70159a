package memory

import (
	"context"
	"fmt"

	"github.com/hearthcloud/hearth/server/meta"
)

func copyAccount(a *meta.Account) meta.Account {
	c := *a
	c.Seed = clone(a.Seed)
	c.RecoveryAuthHash = clone(a.RecoveryAuthHash)
	return c
}

// CreateAccount implements meta.Accounts.
func (s *Store) CreateAccount(ctx context.Context, a *meta.Account, keyring, recoveryKeyring []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.createAccount(a, keyring, recoveryKeyring)
}

// createAccount stores a new account. The caller holds s.mu.
func (s *Store) createAccount(a *meta.Account, keyring, recoveryKeyring []byte) error {
	if _, ok := s.accounts[a.User]; ok {
		return fmt.Errorf("memory.CreateAccount: %w", meta.ErrExists)
	}
	s.accounts[a.User] = &account{
		a:            copyAccount(a),
		keyringRev:   1,
		keyring:      clone(keyring),
		recoveryRing: clone(recoveryKeyring),
		doctypes:     make(map[string]bool),
		docs:         make(map[docKey]*meta.Doc),
		blobs:        make(map[blobKey]*blobRec),
		manifests:    make(map[string]*manifestRec),
		apps:         make(map[string]*meta.App),
		own:          meta.Limits{Bytes: meta.DefaultLimit, Docs: meta.DefaultLimit},
	}
	return nil
}

// Account implements meta.Accounts.
func (s *Store) Account(ctx context.Context, user string) (*meta.Account, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.account("memory.Account", user)
	if err != nil {
		return nil, err
	}
	c := copyAccount(&a.a)
	return &c, nil
}

// UpdateLogin implements meta.Accounts.
func (s *Store) UpdateLogin(ctx context.Context, user string, u *meta.LoginUpdate) (uint64, error) {
	const op = "memory.UpdateLogin"
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.account(op, user)
	if err != nil {
		return 0, err
	}
	if a.keyringRev != u.IfKeyringRev {
		return 0, fmt.Errorf("%s: keyring at %d: %w", op, a.keyringRev, meta.ErrConflict)
	}
	a.a.KDF = u.KDF
	a.a.Seed = clone(u.Seed)
	a.a.LoginHash = u.LoginHash
	if u.RecoveryAuthHash != nil {
		a.a.RecoveryAuthHash = clone(u.RecoveryAuthHash)
	}
	a.keyring = clone(u.Keyring)
	a.recoveryRing = clone(u.RecoveryKeyring)
	a.keyringRev++
	for i := range a.passkeys {
		a.passkeys[i].Unlock = clone(u.PasskeyUnlocks[string(a.passkeys[i].ID)])
	}
	// deleteToken takes the tokens bound to each session with it.
	for id, r := range s.tokens {
		if r.t.User == user && r.t.Kind == meta.KindSession && id != u.KeepSession {
			s.deleteToken(r)
		}
	}
	return a.keyringRev, nil
}

// Keyring implements meta.Accounts.
func (s *Store) Keyring(ctx context.Context, user string) (uint64, []byte, []byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.account("memory.Keyring", user)
	if err != nil {
		return 0, nil, nil, err
	}
	return a.keyringRev, clone(a.keyring), clone(a.recoveryRing), nil
}

// PutKeyring implements meta.Accounts.
func (s *Store) PutKeyring(ctx context.Context, user string, ifRev uint64, keyring, recoveryKeyring []byte) (uint64, error) {
	const op = "memory.PutKeyring"
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.account(op, user)
	if err != nil {
		return 0, err
	}
	if a.keyringRev != ifRev {
		return 0, fmt.Errorf("%s: keyring at %d: %w", op, a.keyringRev, meta.ErrConflict)
	}
	a.keyring = clone(keyring)
	a.recoveryRing = clone(recoveryKeyring)
	a.keyringRev++
	return a.keyringRev, nil
}
