// Package totp implements the server's side of authenticator codes
// (spec/protocol.md §8.2.7): RFC 6238 with SHA-1, six digits and 30-second
// steps, a tolerance of one step either way, the otpauth:// URI for
// enrolment, and single-use recovery codes.
//
// Verify returns the time step a code matched, so the caller can accept each
// step at most once (meta.TOTP.UseTOTPStep): a code seen once is refused
// after, even within its 30 seconds.
package totp

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"fmt"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"
)

// Parameters of version 1.
const (
	Period     = 30 // seconds per step
	Skew       = 1  // steps accepted either side of now
	SecretSize = 20 // bytes
	Issuer     = "Hearth"
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewSecret returns a fresh random secret.
func NewSecret() []byte {
	s := make([]byte, SecretSize)
	rand.Read(s)
	return s
}

// URI returns the otpauth:// URI an authenticator app enrols from (often
// shown as a QR code). It contains the secret.
func URI(secret []byte, user string) (string, error) {
	k, err := totp.Generate(totp.GenerateOpts{Issuer: Issuer, AccountName: user, Secret: secret, Period: Period})
	if err != nil {
		return "", fmt.Errorf("totp.URI: %w", err)
	}
	return k.URL(), nil
}

// Step returns the time step of t.
func Step(t time.Time) int64 { return t.Unix() / Period }

// CodeAt returns the code of a step (for tests and clients that compute
// codes).
func CodeAt(secret []byte, step int64) string {
	c, err := hotp.GenerateCodeCustom(b32.EncodeToString(secret), uint64(step), hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		panic("totp: " + err.Error()) // only for a secret we did not encode
	}
	return c
}

// Code returns the code at time t.
func Code(secret []byte, t time.Time) string { return CodeAt(secret, Step(t)) }

// Verify reports whether code is valid at time t, within Skew steps, and
// which step it matched (the latest, if several). It compares in constant
// time. The caller must still refuse a step already used.
func Verify(secret []byte, code string, t time.Time) (step int64, ok bool) {
	code = strings.TrimSpace(code)
	if len(code) != 6 {
		return 0, false
	}
	now := Step(t)
	for s := now + Skew; s >= now-Skew; s-- {
		if subtle.ConstantTimeCompare([]byte(CodeAt(secret, s)), []byte(code)) == 1 {
			step, ok = s, true
			break
		}
	}
	return step, ok
}

// RecoveryCodeCount is how many recovery codes confirming TOTP yields.
const RecoveryCodeCount = 10

var recoveryAlphabet = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewRecoveryCodes returns n fresh recovery codes, each 60 random bits
// written as xxxx-xxxx-xxxx, and the hashes the server stores.
func NewRecoveryCodes(n int) (codes []string, hashes [][]byte) {
	for i := 0; i < n; i++ {
		b := make([]byte, 8)
		rand.Read(b)
		s := recoveryAlphabet.EncodeToString(b)[:12]
		code := s[:4] + "-" + s[4:8] + "-" + s[8:]
		codes = append(codes, code)
		hashes = append(hashes, HashRecoveryCode(code))
	}
	return codes, hashes
}

// HashRecoveryCode returns the stored form of a recovery code: SHA-256 of
// the code without dashes or spaces, in lower case.
func HashRecoveryCode(code string) []byte {
	c := strings.ToLower(strings.NewReplacer("-", "", " ", "").Replace(strings.TrimSpace(code)))
	h := sha256.Sum256([]byte(c))
	return h[:]
}
