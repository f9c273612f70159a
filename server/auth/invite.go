package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"strings"
)

// Invitations (§8.2.2): a one-time sign-up code of 100 random bits,
// written as 20 characters of lower-case base32 in five groups of four.
// The server keeps only InviteHash of it.

var inviteEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

const inviteChars = 20

// NewInvite returns a fresh invitation code, as printed for people, and the
// hash the server stores instead.
func NewInvite() (code string, hash [32]byte) {
	b := make([]byte, 13) // 104 bits; 20 characters carry the first 100
	rand.Read(b)
	s := inviteEncoding.EncodeToString(b)[:inviteChars]
	var g []string
	for i := 0; i < inviteChars; i += 4 {
		g = append(g, s[i:i+4])
	}
	code = strings.Join(g, "-")
	h, _ := InviteHash(code)
	return code, h
}

// InviteHash returns the stored form of an invitation code as a person may
// type it: in either case, with or without hyphens and spaces. ok is false
// for anything that is not 20 characters of the alphabet, which no
// invitation has.
func InviteHash(code string) (hash [32]byte, ok bool) {
	if len(code) > 4*inviteChars {
		return hash, false
	}
	n := make([]byte, 0, inviteChars)
	for i := 0; i < len(code); i++ {
		c := code[i]
		switch {
		case c == '-' || c == ' ':
			continue
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		case 'a' <= c && c <= 'z', '2' <= c && c <= '7':
		default:
			return hash, false
		}
		if len(n) == inviteChars {
			return hash, false
		}
		n = append(n, c)
	}
	if len(n) != inviteChars {
		return hash, false
	}
	return sha256.Sum256(n), true
}
