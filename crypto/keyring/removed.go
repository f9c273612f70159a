package keyring

import (
	"encoding/base64"
	"errors"
	"slices"
)

// MaxRemovedPasskeys is how many removed passkeys a keyring remembers
// (§4.2): the oldest is forgotten first.
const MaxRemovedPasskeys = 100

// RemovePasskey records that the passkey of credential id (base64url,
// without padding) was removed from the account, so that no client gives
// it an unlock again, whatever the host lists (§4.8). It reports whether
// the keyring changed.
func (kr *Keyring) RemovePasskey(id string) (bool, error) {
	if err := checkCredentialID(id); err != nil {
		return false, err
	}
	if slices.Contains(kr.removed, id) {
		return false, nil
	}
	kr.removed = append(kr.removed, id)
	if n := len(kr.removed) - MaxRemovedPasskeys; n > 0 {
		kr.removed = slices.Delete(kr.removed, 0, n)
	}
	return true, nil
}

// PasskeyRemoved reports whether the passkey of credential id was removed
// from the account.
func (kr *Keyring) PasskeyRemoved(id string) bool { return slices.Contains(kr.removed, id) }

// ReaddPasskey forgets that the passkey of credential id was removed: the
// person added it again. It reports whether the keyring changed.
func (kr *Keyring) ReaddPasskey(id string) bool {
	i := slices.Index(kr.removed, id)
	if i < 0 {
		return false
	}
	kr.removed = slices.Delete(kr.removed, i, i+1)
	return true
}

func checkCredentialID(id string) error {
	raw, err := base64.RawURLEncoding.Strict().DecodeString(id)
	if err != nil || len(raw) == 0 || len(raw) > 1023 {
		return errors.New("keyring: a passkey's credential id is 1 to 1023 bytes in base64url without padding")
	}
	return nil
}

func checkRemoved(ids []string) error {
	if len(ids) > MaxRemovedPasskeys {
		return errors.New("keyring: too many removed passkeys")
	}
	for i, id := range ids {
		if checkCredentialID(id) != nil || slices.Contains(ids[:i], id) {
			return errors.New("keyring: a bad removed passkey")
		}
	}
	return nil
}
