// Package format holds the byte-level encodings shared by Hearth's sealed
// formats (spec/protocol.md §2.3): length-prefixed strings, big-endian
// integers, associated-data builders and subkey derivation.
package format

import (
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
)

// KeySize is the size of every symmetric key in Hearth.
const KeySize = 32

// AppendString appends s with a two-byte big-endian length prefix (the
// protocol's lp() encoding). s must be shorter than 65536 bytes; callers
// validate names before they get here; a longer string panics rather than
// make the encoding ambiguous.
func AppendString(b []byte, s string) []byte {
	if len(s) > 0xffff {
		panic("format: string too long for lp()")
	}
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

// AppendUint64 and AppendUint32 append big-endian integers.
func AppendUint64(b []byte, v uint64) []byte { return binary.BigEndian.AppendUint64(b, v) }
func AppendUint32(b []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(b, v) }

// Context starts an associated-data string: the context label followed by a
// zero byte. Every sealed format begins its associated data this way, so no
// two formats can be confused for each other.
func Context(label string) []byte {
	b := make([]byte, 0, 128)
	b = append(b, label...)
	return append(b, 0)
}

// Subkey derives a 32-byte key from secret with HKDF-SHA-256, an empty salt
// and the given info label.
func Subkey(secret []byte, info string) []byte {
	k, err := hkdf.Key(sha256.New, secret, nil, info, KeySize)
	if err != nil {
		panic("format: hkdf: " + err.Error()) // only for lengths we never ask
	}
	return k
}

// IsZero reports, in constant time, whether b is all zero bytes.
func IsZero(b []byte) bool {
	var acc byte
	for _, c := range b {
		acc |= c
	}
	return subtle.ConstantTimeByteEq(acc, 0) == 1
}
