package client

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
)

// SecureAfterLoss is what to do after losing a device that held a passkey
// of the account (protocol §1.4): whoever holds that device and a copy of
// the host's data can open the master key of then, and so the keyring of
// then. SecureAfterLoss changes the password as ChangePassword does, but
// also replaces the recovery key (the keyring of then holds the old one)
// and leaves every passkey without an unlock, its secret dropped from its
// record (the keyring of then opens the records, and so the secrets that
// would wrap the new master key); then it gives every doctype a new key
// generation, granted again to every app and device still connected, as
// a revocation does (§4.6), so that what is written from now on opens
// with no key of then. The documents are still sealed with the old
// generations: Reseal each doctype of the Rotation. It returns the new
// recovery key, to be shown once. Passkeys keep signing in as a second
// factor; to open the data again each is added anew.
func (c *Client) SecureAfterLoss(ctx context.Context, current, newPassword string) (recoveryKey string, rot *Rotation, err error) {
	rk, err := c.changePassword(ctx, current, newPassword, true)
	if err != nil {
		return "", nil, err
	}
	if err := c.dropPasskeySecrets(ctx); err != nil {
		return rk, nil, fmt.Errorf("client: the password and the recovery key were replaced, but the passkeys' records were not: %w", err)
	}
	kr, err := c.loadedKeyring(ctx, false)
	if err != nil {
		return rk, nil, err
	}
	var all []Scope
	for _, d := range kr.Doctypes() {
		all = append(all, Scope{Doctype: d, Verbs: []string{"read"}})
	}
	rot, err = c.revoke(ctx, func(string, string, string) bool { return false }, all, "")
	return rk, rot, err
}

// dropPasskeySecrets writes every passkey record that keeps a secret
// again without it.
func (c *Client) dropPasskeySecrets(ctx context.Context) error {
	_, recs, err := c.passkeysWithRecords(ctx)
	if err != nil {
		return err
	}
	for id, r := range recs {
		if r.Secret == nil {
			continue
		}
		clear(r.Secret)
		r.Secret, r.PRF = nil, false
		raw, _ := base64.RawURLEncoding.DecodeString(id)
		if _, err := c.Put(ctx, PasskeysDoctype, passkeyRecordID(raw), mustJSON(r)); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	return nil
}
