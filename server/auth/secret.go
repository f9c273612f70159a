// Package auth holds the server's authentication primitives
// (spec/protocol.md §8.1.4, §8.2): the slow hash of login secrets, session
// and app tokens and sign-up invitations (of each only a hash is stored),
// and the rate limits of §8.1.11: a Limiter that slows down guessing per
// user name or address, and a Rate that bounds cheap unauthenticated
// requests per address.
//
// Nothing here sees a password or a key: the login secret is one half of
// the client's Argon2id output (§3), 256 random-looking bits, which the
// server hashes again before storing so that a leaked database does not hand
// out logins.
package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// HashParams are the server's Argon2id parameters for login secrets.
type HashParams struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// DefaultHashParams follow the OWASP minimum for Argon2id (19 MiB, t=2):
// about 30 ms a login on one core. The secret is already high-entropy, so
// this guards a leaked database, not weak passwords.
var DefaultHashParams = HashParams{Memory: 19 << 10, Time: 2, Threads: 1}

var b64 = base64.RawStdEncoding

// HashSecret returns the self-describing hash stored for a login secret:
// $argon2id$v=19$m=M,t=T,p=P$salt$hash.
func (p HashParams) HashSecret(secret []byte) string {
	salt := make([]byte, 16)
	rand.Read(salt)
	h := argon2.IDKey(secret, salt, p.Time, p.Memory, p.Threads, 32)
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(h))
}

var errBadHash = errors.New("auth: malformed stored hash")

// VerifySecret reports whether secret matches an encoded hash from
// HashSecret, comparing in constant time. A malformed hash never matches.
func VerifySecret(encoded string, secret []byte) bool {
	p, salt, want, err := parseHash(encoded)
	if err != nil {
		return false
	}
	got := argon2.IDKey(secret, salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

func parseHash(s string) (p HashParams, salt, hash []byte, err error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != "v=19" {
		return p, nil, nil, errBadHash
	}
	var threads uint32
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &threads); err != nil || threads == 0 || threads > 255 || p.Time == 0 || p.Memory > 1<<22 {
		return p, nil, nil, errBadHash
	}
	p.Threads = uint8(threads)
	if salt, err = b64.DecodeString(parts[4]); err != nil {
		return p, nil, nil, errBadHash
	}
	if hash, err = b64.DecodeString(parts[5]); err != nil || len(hash) < 16 {
		return p, nil, nil, errBadHash
	}
	return p, salt, hash, nil
}

// DummyVerify spends the time of one verification, for logins of unknown
// users, so that their timing matches a wrong secret's.
func (p HashParams) DummyVerify(secret []byte) {
	argon2.IDKey(secret, make([]byte, 16), p.Time, p.Memory, p.Threads, 32)
}
