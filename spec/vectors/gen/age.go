package main

import (
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"

	"golang.org/x/crypto/chacha20poly1305"
)

// A small writer of the age v1 format (age-encryption.org/v1): stanzas, the
// header MAC, STREAM, and the X25519 recipient. It lets the blob and grant
// vectors be deterministic and is a second implementation of what
// filippo.io/age does for Hearth.

var rawB64 = base64.RawStdEncoding

type stanza struct {
	typ  string
	args []string
	body []byte
}

// marshal writes "-> type args\n" and the body in unpadded base64, 64
// columns a line, ending with a line shorter than 64 (maybe empty).
func (s stanza) marshal() string {
	var b strings.Builder
	b.WriteString("-> " + strings.Join(append([]string{s.typ}, s.args...), " ") + "\n")
	enc := rawB64.EncodeToString(s.body)
	for len(enc) >= 64 {
		b.WriteString(enc[:64] + "\n")
		enc = enc[64:]
	}
	b.WriteString(enc + "\n")
	return b.String()
}

// ageHeader returns the header, MAC line included, for fileKey.
func ageHeader(fileKey []byte, stanzas ...stanza) []byte {
	h := "age-encryption.org/v1\n"
	for _, s := range stanzas {
		h += s.marshal()
	}
	h += "---"
	m := hmac.New(sha256.New, must(hkdf.Key(sha256.New, fileKey, nil, "header", 32)))
	m.Write([]byte(h))
	return []byte(h + " " + rawB64.EncodeToString(m.Sum(nil)) + "\n")
}

const chunkSize = 64 << 10

// streamChunks splits plaintext into STREAM chunks: full chunks, then a last
// one that is shorter or full, and empty only if plaintext is.
func streamChunks(plaintext []byte) [][]byte {
	var chunks [][]byte
	for len(plaintext) > chunkSize {
		chunks = append(chunks, plaintext[:chunkSize])
		plaintext = plaintext[chunkSize:]
	}
	return append(chunks, plaintext)
}

// sealStream encrypts chunks with ChaCha20-Poly1305 under
// HKDF(fileKey, salt = nonce, "payload"), nonce = u88(index) || last flag.
// lastFlag says which chunk carries the flag (-1 for none), so that
// broken streams can be built too.
func sealStream(fileKey, nonce []byte, chunks [][]byte, lastFlag int) []byte {
	aead := must(chacha20poly1305.New(must(hkdf.Key(sha256.New, fileKey, nonce, "payload", 32))))
	var out []byte
	for i, c := range chunks {
		n := make([]byte, 12)
		copy(n[3:11], u64(nil, uint64(i))) // an 88-bit counter, big-endian
		if i == lastFlag {
			n[11] = 1
		}
		out = aead.Seal(out, n, c, nil)
	}
	return out
}

// ageFile is header || payload nonce || STREAM(plaintext).
func ageFile(fileKey, payloadNonce, plaintext []byte, stanzas ...stanza) []byte {
	chunks := streamChunks(plaintext)
	return ageFileChunks(fileKey, payloadNonce, chunks, len(chunks)-1, stanzas...)
}

func ageFileChunks(fileKey, payloadNonce []byte, chunks [][]byte, lastFlag int, stanzas ...stanza) []byte {
	out := ageHeader(fileKey, stanzas...)
	out = append(out, payloadNonce...)
	return append(out, sealStream(fileKey, payloadNonce, chunks, lastFlag)...)
}

func x25519Public(scalar []byte) []byte {
	return must(ecdh.X25519().NewPrivateKey(scalar)).PublicKey().Bytes()
}

// x25519Stanza wraps fileKey for the recipient theirPublic with the
// ephemeral scalar eph.
func x25519Stanza(fileKey, eph, theirPublic []byte) stanza {
	priv := must(ecdh.X25519().NewPrivateKey(eph))
	ours := priv.PublicKey().Bytes()
	shared := must(priv.ECDH(must(ecdh.X25519().NewPublicKey(theirPublic))))
	salt := append(append([]byte{}, ours...), theirPublic...)
	wrap := must(hkdf.Key(sha256.New, shared, salt, "age-encryption.org/v1/X25519", 32))
	body := must(chacha20poly1305.New(wrap)).Seal(nil, make([]byte, 12), fileKey, nil)
	return stanza{"X25519", []string{rawB64.EncodeToString(ours)}, body}
}

// Bech32 (BIP 173), for age recipients and identities.

const bech32Charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

func bech32(hrp string, data []byte) string {
	var values []byte
	acc, bits := 0, 0
	for _, b := range data {
		acc = acc<<8 | int(b)
		bits += 8
		for bits >= 5 {
			bits -= 5
			values = append(values, byte(acc>>bits&31))
		}
	}
	if bits > 0 {
		values = append(values, byte(acc<<(5-bits)&31))
	}
	lower := strings.ToLower(hrp)
	var v []byte
	for _, c := range []byte(lower) {
		v = append(v, c>>5)
	}
	v = append(v, 0)
	for _, c := range []byte(lower) {
		v = append(v, c&31)
	}
	v = append(append(v, values...), 0, 0, 0, 0, 0, 0)
	chk := uint32(1)
	gen := []uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}
	for _, x := range v {
		top := chk >> 25
		chk = (chk&0x1ffffff)<<5 ^ uint32(x)
		for i := range 5 {
			if top>>i&1 == 1 {
				chk ^= gen[i]
			}
		}
	}
	chk ^= 1
	s := lower + "1"
	for _, x := range values {
		s += string(bech32Charset[x])
	}
	for i := range 6 {
		s += string(bech32Charset[chk>>(5*(5-i))&31])
	}
	if hrp != lower {
		return strings.ToUpper(s)
	}
	return s
}

func ageRecipient(pub []byte) string   { return bech32("age", pub) }
func ageIdentity(scalar []byte) string { return bech32("AGE-SECRET-KEY-", scalar) }
