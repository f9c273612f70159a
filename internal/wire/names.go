// Package wire is the vocabulary the client and the server share with the
// protocol, written once: what a valid user name, doctype or identifier
// looks like (spec/protocol.md §2), the changes feed's chain (§8.6.2), the
// JSON shapes that cross the wire (shapes.go: sessions, feed entries and
// pages, bulk items and results, error members) and the error codes with
// their statuses (codes.go, §9). Key-derivation parameters are
// crypto/kdf's Params. It depends on the standard library only.
package wire

import (
	"crypto/rand"
	"encoding/base32"
	"errors"
)

// Errors returned by the Check functions. Callers map them to the protocol's
// invalid_name error code.
var (
	ErrInvalidUser    = errors.New("invalid user name: use 1 to 32 lowercase letters, digits or '-', not starting or ending with '-'")
	ErrInvalidDoctype = errors.New("invalid doctype: use lowercase reverse-DNS labels such as io.hearth.notes (at most 100 characters)")
	ErrInvalidID      = errors.New("invalid identifier: use 1 to 64 letters, digits, '-' or '_'")
	// ErrReservedUser is a valid user name that no new account may take
	// (CheckNewUser).
	ErrReservedUser = errors.New("the user name \"home\" is reserved (Home is served at home.<domain>): choose another")
)

// ReservedUser is the user name sign-up refuses: Home is served at
// home.<domain>, and the apps of a user "home" would sit under Home's host,
// the passkeys' relying party (spec/protocol.md §8.1.2, spec/web.md §1).
const ReservedUser = "home"

// MaxUserLen, MaxDoctypeLen and MaxIDLen bound the three kinds of name.
const (
	MaxUserLen    = 32
	MaxDoctypeLen = 100
	MaxIDLen      = 64
)

func isLowerAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// validLabel reports whether s is a lowercase DNS label: [a-z0-9] at both
// ends, [a-z0-9-] inside.
func validLabel(s string) bool {
	if s == "" || !isLowerAlnum(s[0]) || !isLowerAlnum(s[len(s)-1]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isLowerAlnum(s[i]) && s[i] != '-' {
			return false
		}
	}
	return true
}

// CheckUser returns ErrInvalidUser unless name is a valid user name: one
// lowercase DNS label of at most 32 characters, so that an app can be served
// at notes.<user>.<host>.
func CheckUser(name string) error {
	if len(name) > MaxUserLen || !validLabel(name) {
		return ErrInvalidUser
	}
	return nil
}

// CheckNewUser returns ErrInvalidUser unless name is a valid user name
// (CheckUser), and ErrReservedUser for the reserved name: the check of a
// name an account is made with.
func CheckNewUser(name string) error {
	if err := CheckUser(name); err != nil {
		return err
	}
	if name == ReservedUser {
		return ErrReservedUser
	}
	return nil
}

// CheckDoctype returns ErrInvalidDoctype unless name is a valid doctype: two
// or more lowercase DNS labels joined by dots, at most 100 characters.
func CheckDoctype(name string) error {
	if len(name) > MaxDoctypeLen {
		return ErrInvalidDoctype
	}
	labels, start := 0, 0
	for i := 0; i <= len(name); i++ {
		if i == len(name) || name[i] == '.' {
			if !validLabel(name[start:i]) {
				return ErrInvalidDoctype
			}
			labels++
			start = i + 1
		}
	}
	if labels < 2 {
		return ErrInvalidDoctype
	}
	return nil
}

// CheckID returns ErrInvalidID unless id is a valid document, blob or segment
// identifier: 1 to 64 characters from [A-Za-z0-9_-].
func CheckID(id string) error {
	if id == "" || len(id) > MaxIDLen {
		return ErrInvalidID
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(isLowerAlnum(c) || c >= 'A' && c <= 'Z' || c == '-' || c == '_') {
			return ErrInvalidID
		}
	}
	return nil
}

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewID returns a fresh identifier of 128 random bits: 26 characters of
// lowercase base32. Identifiers are visible to the host, so they carry no
// meaning.
func NewID() string {
	var b [16]byte
	rand.Read(b[:])
	return idEncoding.EncodeToString(b[:])
}

// ErrInvalidLinkID: a link id is not a server-id of §8.1.2 (26 characters
// of lower-case base32), as every link id is (§4.5).
var ErrInvalidLinkID = errors.New("invalid link id: 26 characters a-z and 2-7")

// CheckLinkID checks a share or drop link's id (spec/protocol.md §4.5).
func CheckLinkID(id string) error {
	if len(id) != 26 {
		return ErrInvalidLinkID
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return ErrInvalidLinkID
		}
	}
	return nil
}
