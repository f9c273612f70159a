package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/hearthcloud/hearth/crypto/kdf"
	"github.com/hearthcloud/hearth/crypto/keyring"
	"github.com/hearthcloud/hearth/internal/wire"
)

// ChangePassword replaces the account's password (protocol §8.2.5): it
// derives a new login secret and master key from newPassword and a fresh
// seed, seals the keyring under the new master key for its next revision
// (the recovery copy too, under the same recovery key), and sends both
// with the current password's login secret. The server ends every other
// session; this one, the data, the apps' grants and the recovery key stay.
// A new password the rule refuses (CheckPassword) is a *pwrule.WeakError
// and sends nothing; a wrong current password is ErrBadCredentials. Only a client signed in
// with the password can (not an app); a halted device cannot (§4.7).
func (c *Client) ChangePassword(ctx context.Context, current, newPassword string) error {
	_, err := c.changePassword(ctx, current, newPassword, false)
	return err
}

// changePassword is ChangePassword; afterLoss also replaces the recovery
// key (returning the new one) and gives no passkey an unlock
// (SecureAfterLoss).
func (c *Client) changePassword(ctx context.Context, current, newPassword string, afterLoss bool) (string, error) {
	r := c.ring()
	if r == nil {
		return "", errNoKeyring
	}
	c.mu.Lock()
	user := c.st.User
	c.mu.Unlock()
	if err := CheckPassword(user, newPassword); err != nil {
		return "", err
	}
	if newPassword == current && !afterLoss {
		return "", ErrSamePassword
	}
	var secrets map[string]*keyring.PasskeySecret
	if !afterLoss {
		var err error
		if secrets, err = c.passkeySecrets(ctx); err != nil {
			return "", err
		}
	}
	c.kmu.Lock()
	defer c.kmu.Unlock()
	if err := r.refresh(ctx); err != nil {
		return "", err
	}
	if err := c.haltedErr(); err != nil {
		return "", err
	}
	c.mu.Lock()
	rev, held := c.st.KeyringRev, r.kr
	c.mu.Unlock()
	if held == nil {
		return "", errors.New("client: the keyring is not loaded")
	}
	old, err := c.prelogin(ctx, user, current)
	if err != nil {
		return "", err
	}
	seed := kdf.NewSeed()
	keys, err := kdf.Derive(newPassword, user, seed, c.kdf)
	if err != nil {
		return "", fmt.Errorf("client: %w", err)
	}
	kr := held.Clone()
	var newRK *keyring.RecoveryKey
	if afterLoss {
		newRK = kr.ReplaceRecoveryKey()
	}
	sealed, err := kr.SealWithMasterKey(&keys.MasterKey, rev+1)
	if err != nil {
		return "", err
	}
	recovery, err := kr.SealRecoveryCopy(rev + 1)
	if err != nil {
		return "", err
	}
	// Every passkey that unlocks the account gets its unlock under the
	// new master key in the same request (§4.8).
	unlocks, err := passkeyUnlocks(secrets, user, &keys.MasterKey)
	if err != nil {
		return "", err
	}
	nl := wire.NewLogin[kdf.Params]{KDF: c.kdf, Seed: seed, LoginSecret: keys.LoginSecret[:],
		Keyring: sealed, RecoveryKeyring: recovery, KeyringIfMatch: rev, PasskeyUnlocks: unlocks}
	if newRK != nil {
		nl.RecoveryAuth = newRK.Auth(user)
	}
	in := map[string]any{"login_secret": old.LoginSecret[:], "new": nl}
	var ans loginAnswer
	if _, err := c.callJSON(ctx, "POST", "/v1/account/password", in, &ans, nil, false); err != nil {
		var ae *APIError
		if errors.As(err, &ae) || !c.landed(ctx, sealed, rev+1) {
			return "", err
		}
		// The answer was lost, but the change was made: go on with it.
	} else if ans.Keyring.Rev != rev+1 {
		return "", integrity("the server answered keyring revision %d to a password change sealed for %d", ans.Keyring.Rev, rev+1)
	}
	written, err := keyring.OpenWithMasterKey(sealed, &keys.MasterKey, user, rev+1)
	if err != nil {
		return "", err
	}
	c.rememberKDF(c.kdf, seed)
	c.mu.Lock()
	c.st.MasterKey = keys.MasterKey[:]
	r.adoptLocked(written)
	c.mu.Unlock()
	if newRK != nil {
		return newRK.String(), nil
	}
	return "", nil
}

// ErrSamePassword: a password change was given the current password as
// the new one; nothing was sent.
var ErrSamePassword = errors.New("the new password is the one you have now: choose another")

// landed reports whether the server now serves, as revision rev, exactly
// the keyring sealed: a password change whose answer was lost (a dropped
// connection) was made, and this device must go on with its new key, or
// it could no longer open the keyring. Any doubt is false: the caller
// reports the first error, and the person tries again.
func (c *Client) landed(ctx context.Context, sealed []byte, rev uint64) bool {
	res, err := c.call(ctx, request{method: "GET", path: "/v1/keyring"})
	if err != nil {
		return false
	}
	got, err := revHeader(res.header)
	return err == nil && got == rev && bytes.Equal(res.body, sealed)
}
