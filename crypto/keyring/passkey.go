package keyring

import (
	"crypto/sha256"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/hearthcloud/hearth/crypto/internal/format"
	"github.com/hearthcloud/hearth/crypto/seal"
	"github.com/hearthcloud/hearth/internal/wire"
)

// Passkeys that unlock the account (protocol §4.8): the PRF output of a
// passkey wraps a passkey secret, and the passkey secret wraps the master
// key. Both seals are nonce || XChaCha20-Poly1305, bound to the account
// and the credential.

// A PasskeySecret is the 32 random bytes ps of one passkey, kept in the
// passkey's sealed record and, wrapped, by the server.
type PasskeySecret [32]byte

// NewPasskeySecret returns a fresh random passkey secret.
func NewPasskeySecret() *PasskeySecret {
	ps := new(PasskeySecret)
	randRead(ps[:])
	return ps
}

// PasskeyPRFSalt is the PRF input every passkey is asked for: a sign-in
// with a discoverable passkey learns the account only from its answer.
func PasskeyPRFSalt() []byte {
	s := sha256.Sum256(format.Context("hearth-passkey-prf-v1"))
	return s[:]
}

// PasskeyAnswerSize is the size of a wrap or an unlock.
const PasskeyAnswerSize = nonceLen + 32 + chacha20poly1305.Overhead

func passkeyAD(user string, credential []byte) []byte {
	ad := format.Context("hearth-passkey-v1")
	ad = format.AppendString(ad, user)
	return format.AppendString(ad, string(credential))
}

const (
	passkeyWrapInfo   = "hearth/v1 passkey wrap"
	passkeyUnlockInfo = "hearth/v1 passkey unlock"
)

func passkeySeal(secret []byte, info string, plain []byte, user string, credential []byte) ([]byte, error) {
	if len(secret) != format.KeySize || format.IsZero(secret) || format.IsZero(plain) {
		return nil, seal.ErrWeakKey
	}
	if err := checkPasskeyBinding(user, credential); err != nil {
		return nil, err
	}
	aead, _ := chacha20poly1305.NewX(format.Subkey(secret, info))
	out := make([]byte, nonceLen, PasskeyAnswerSize)
	randRead(out)
	return aead.Seal(out, out, plain, passkeyAD(user, credential)), nil
}

func passkeyOpen(sealed, secret []byte, info, user string, credential []byte) ([]byte, error) {
	if len(secret) != format.KeySize || format.IsZero(secret) {
		return nil, seal.ErrWeakKey
	}
	if len(sealed) != PasskeyAnswerSize || checkPasskeyBinding(user, credential) != nil {
		return nil, ErrIntegrity
	}
	aead, _ := chacha20poly1305.NewX(format.Subkey(secret, info))
	plain, err := aead.Open(nil, sealed[:nonceLen], sealed[nonceLen:], passkeyAD(user, credential))
	if err != nil || format.IsZero(plain) {
		return nil, ErrIntegrity
	}
	return plain, nil
}

func checkPasskeyBinding(user string, credential []byte) error {
	if err := wire.CheckUser(user); err != nil {
		return err
	}
	if len(credential) == 0 || len(credential) > 1023 {
		return ErrIntegrity
	}
	return nil
}

// SealPasskeyWrap seals ps under the passkey's PRF output (32 bytes) for
// user's credential: the wrap the server hands back at a passkey sign-in.
func SealPasskeyWrap(prf []byte, ps *PasskeySecret, user string, credential []byte) ([]byte, error) {
	return passkeySeal(prf, passkeyWrapInfo, ps[:], user, credential)
}

// OpenPasskeyWrap opens a wrap with the PRF output. Anything that does not
// open is ErrIntegrity.
func OpenPasskeyWrap(wrap, prf []byte, user string, credential []byte) (*PasskeySecret, error) {
	b, err := passkeyOpen(wrap, prf, passkeyWrapInfo, user, credential)
	if err != nil {
		return nil, err
	}
	ps := new(PasskeySecret)
	copy(ps[:], b)
	clear(b)
	return ps, nil
}

// SealPasskeyUnlock seals the master key under ps: the unlock, written
// again whenever the master key changes.
func SealPasskeyUnlock(ps *PasskeySecret, masterKey *[32]byte, user string, credential []byte) ([]byte, error) {
	return passkeySeal(ps[:], passkeyUnlockInfo, masterKey[:], user, credential)
}

// OpenPasskeyUnlock opens an unlock with ps and returns the master key.
func OpenPasskeyUnlock(unlock []byte, ps *PasskeySecret, user string, credential []byte) (*[32]byte, error) {
	b, err := passkeyOpen(unlock, ps[:], passkeyUnlockInfo, user, credential)
	if err != nil {
		return nil, err
	}
	mk := new([32]byte)
	copy(mk[:], b)
	clear(b)
	return mk, nil
}
