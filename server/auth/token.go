package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// Token prefixes (§8.1.4).
const (
	SessionPrefix = "hst_"
	AppPrefix     = "hat_"
	LinkPrefix    = "hlt_" // a share link's token (§8.12.3)
)

// NewToken returns a fresh token with the given prefix (32 random bytes,
// base64url without padding) and the hash the server stores instead.
func NewToken(prefix string) (token string, hash [32]byte) {
	b := make([]byte, 32)
	rand.Read(b)
	token = prefix + base64.RawURLEncoding.EncodeToString(b)
	return token, TokenHash(token)
}

// TokenHash is the stored form of a token: SHA-256 of the whole string.
func TokenHash(token string) [32]byte { return sha256.Sum256([]byte(token)) }

// ParseBearer extracts the token from an Authorization header value and
// checks its form: a known prefix and 43 base64url characters.
func ParseBearer(header string) (string, bool) {
	tok, ok := strings.CutPrefix(header, "Bearer ")
	if !ok || len(tok) != 4+43 || !(strings.HasPrefix(tok, SessionPrefix) || strings.HasPrefix(tok, AppPrefix)) {
		return "", false
	}
	if _, err := base64.RawURLEncoding.Strict().DecodeString(tok[4:]); err != nil {
		return "", false
	}
	return tok, true
}

// ParseLinkBearer extracts a link token (hlt_) from an Authorization
// header value, checking its form as ParseBearer does.
func ParseLinkBearer(header string) (string, bool) {
	tok, ok := strings.CutPrefix(header, "Bearer ")
	if !ok || len(tok) != 4+43 || !strings.HasPrefix(tok, LinkPrefix) {
		return "", false
	}
	if _, err := base64.RawURLEncoding.Strict().DecodeString(tok[4:]); err != nil {
		return "", false
	}
	return tok, true
}
