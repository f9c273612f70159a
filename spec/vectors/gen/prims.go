package main

import (
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"

	"golang.org/x/crypto/chacha20poly1305"
)

// The encodings of spec/protocol.md §2.2 and the primitives of §2.3.

func ctx(label string) []byte { return append([]byte(label), 0) }

func lp(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

func u32(b []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(b, v) }
func u64(b []byte, v uint64) []byte { return binary.BigEndian.AppendUint64(b, v) }

// subkey is HKDF(secret, info): HKDF-SHA-256, empty salt, 32 bytes.
func subkey(secret []byte, info string) []byte {
	return must(hkdf.Key(sha256.New, secret, nil, info, 32))
}

// xseal is XChaCha20-Poly1305 sealing: ciphertext || tag.
func xseal(key, nonce, plaintext, ad []byte) []byte {
	return must(chacha20poly1305.NewX(key)).Seal(nil, nonce, plaintext, ad)
}

// padme is §5.3's Padmé, written from its definition with plain loops.
func padme(l int64) int64 {
	if l < 2 {
		return l
	}
	e := int64(0) // floor(log2 l)
	for v := l; v > 1; v >>= 1 {
		e++
	}
	s := int64(1) // floor(log2 e) + 1
	for v := e; v > 1; v >>= 1 {
		s++
	}
	mask := int64(1)<<(e-s) - 1
	return (l + mask) &^ mask
}

func padLen(n int) int { return int(padme(int64(max(n+1, 256)))) }

// pad is Pad(m): m, the marker 0x80, zeros up to padLen(len(m)).
func pad(m []byte) []byte {
	out := make([]byte, padLen(len(m)))
	copy(out, m)
	out[len(m)] = 0x80
	return out
}

func hx(b []byte) string  { return hex.EncodeToString(b) }
func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func sha(b []byte) []byte { s := sha256.Sum256(b); return s[:] }

func unhex(s string) []byte { return must(hex.DecodeString(s)) }

func sprintf(format string, a ...any) string { return fmt.Sprintf(format, a...) }

func unb64(s string) []byte { return must(base64.StdEncoding.DecodeString(s)) }
