package keyring

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"strings"

	"github.com/hearthcloud/hearth/crypto/internal/format"
)

// A RecoveryKey is 32 random bytes printed once at sign-up. It opens the
// recovery copy of the keyring when the password is lost, and proves to the
// server that the caller may reset the password (§4.4).
type RecoveryKey [32]byte

// ErrBadRecoveryKey is returned by ParseRecoveryKey for text that is not a
// recovery key, for example one with a typo.
var ErrBadRecoveryKey = errors.New("not a valid Hearth recovery key (check it for typos)")

const recoveryPrefix = "HEARTH-"

const recoveryChars = 55 // base32 characters of key and checksum

var recoveryEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewRecoveryKey returns a fresh random recovery key.
func NewRecoveryKey() *RecoveryKey {
	rk := new(RecoveryKey)
	randRead(rk[:])
	return rk
}

func recoveryChecksum(k []byte) []byte {
	s := sha256.Sum256(append(format.Context("hearth-recovery-v1"), k...))
	return s[:2]
}

// String encodes the key for a person to write down: "HEARTH-" and eleven
// groups of five base32 characters, carrying the key and a 16-bit checksum.
func (rk *RecoveryKey) String() string {
	s := recoveryEncoding.EncodeToString(append(rk[:], recoveryChecksum(rk[:])...))
	var b strings.Builder
	b.WriteString(recoveryPrefix)
	for i := 0; i < len(s); i += 5 {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(s[i:min(i+5, len(s))])
	}
	return b.String()
}

// ParseRecoveryKey decodes a recovery key as String prints it. Case, spaces
// and dashes do not matter.
func ParseRecoveryKey(s string) (*RecoveryKey, error) {
	s = strings.NewReplacer("-", "", " ", "", "\n", "", "\r", "", "\t", "").Replace(strings.ToUpper(s))
	if prefix := strings.TrimSuffix(recoveryPrefix, "-"); len(s) == len(prefix)+recoveryChars {
		s = strings.TrimPrefix(s, prefix)
	}
	b, err := recoveryEncoding.DecodeString(s)
	// The last character carries three unused bits: only the canonical
	// encoding is accepted, so every typo changes the key or the checksum.
	if err == nil && recoveryEncoding.EncodeToString(b) != s {
		err = ErrBadRecoveryKey
	}
	if err != nil || len(b) != 34 || !hmac.Equal(b[32:], recoveryChecksum(b[:32])) || format.IsZero(b[:32]) {
		return nil, ErrBadRecoveryKey
	}
	rk := new(RecoveryKey)
	copy(rk[:], b)
	return rk, nil
}

// Auth returns the value that proves possession of the recovery key to the
// server for user: HMAC-SHA256(HKDF(rk, "hearth/v1 recovery auth"),
// "hearth-recovery-auth-v1" || 0x00 || user). The server stores only a hash
// of it; it reveals nothing about the key.
func (rk *RecoveryKey) Auth(user string) []byte {
	m := hmac.New(sha256.New, format.Subkey(rk[:], "hearth/v1 recovery auth"))
	m.Write(format.Context("hearth-recovery-auth-v1"))
	m.Write([]byte(user))
	return m.Sum(nil)
}
