package keyring

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"filippo.io/age"
	"filippo.io/edwards25519"

	"github.com/hearthcloud/hearth/crypto/seal"
	"github.com/hearthcloud/hearth/internal/wire"
)

// The verbs a grant or token may carry (§8).
const (
	VerbRead   = "read"
	VerbWrite  = "write"
	VerbDelete = "delete"
)

// A Scope asks for verbs on one doctype.
type Scope struct {
	Doctype string   `json:"doctype"`
	Verbs   []string `json:"verbs"`
}

// A Grant is what an app or device receives: keys for some doctypes, signed
// by the user (§4.5).
type Grant struct {
	User     string
	Grantee  string    // the grantee's age recipient, "age1..."
	Rev      uint64    // grows with every grant the user issues to this grantee
	Issued   time.Time // informational: the issuer's clock
	Doctypes map[string]*GrantedDoctype
	// Digest is the SHA-256 of the signed grant (magic, length, payload
	// and signature): two grants of one revision with other digests are a
	// fork (OpenGrant). Zero for a grant that was not opened.
	Digest [32]byte
}

// GrantedDoctype is the part of a grant about one doctype.
type GrantedDoctype struct {
	Verbs []string
	Keys  *seal.KeySet
}

const grantMagic = "hearth-grant-v1\n"

// MaxGrantSize bounds a grant's plaintext.
const MaxGrantSize = 1 << 20

type grantPayload struct {
	User     string                      `json:"user"`
	Grantee  string                      `json:"grantee"`
	Rev      uint64                      `json:"rev"`
	Issued   int64                       `json:"issued"`
	Doctypes map[string]grantDoctypeJSON `json:"doctypes"`
}

type grantDoctypeJSON struct {
	Verbs []string  `json:"verbs"`
	Keys  []keyJSON `json:"keys"`
}

func checkVerbs(verbs []string) error {
	if len(verbs) == 0 {
		return errors.New("keyring: a scope needs at least one verb")
	}
	for i, v := range verbs {
		if v != VerbRead && v != VerbWrite && v != VerbDelete || slices.Contains(verbs[:i], v) {
			return fmt.Errorf("keyring: bad verb %q (want read, write or delete, once each)", v)
		}
	}
	return nil
}

// Grant seals, for the grantee's X25519 recipient, every generation of the
// keys of the scoped doctypes, signed with the user's signing key. rev must
// be greater than that of any earlier grant to this grantee (the keyring's
// revision serves). The grantee must already be authenticated (an app's
// recipient reaches Home from the app itself, never from the host).
func (kr *Keyring) Grant(grantee *age.X25519Recipient, scopes []Scope, rev uint64) ([]byte, error) {
	if rev == 0 {
		return nil, fmt.Errorf("keyring: grant revision 0")
	}
	p := grantPayload{User: kr.user, Grantee: grantee.String(), Rev: rev, Issued: time.Now().Unix(), Doctypes: map[string]grantDoctypeJSON{}}
	for _, s := range scopes {
		ks := kr.doctypes[s.Doctype]
		if ks == nil {
			return nil, fmt.Errorf("keyring: no key for doctype %q", s.Doctype)
		}
		if err := checkVerbs(s.Verbs); err != nil {
			return nil, err
		}
		if _, dup := p.Doctypes[s.Doctype]; dup {
			return nil, fmt.Errorf("keyring: doctype %q twice in one grant", s.Doctype)
		}
		p.Doctypes[s.Doctype] = grantDoctypeJSON{Verbs: slices.Clone(s.Verbs), Keys: encodeKeys(ks)}
	}
	js, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	msg := binary.BigEndian.AppendUint32([]byte(grantMagic), uint32(len(js)))
	msg = append(msg, js...)
	msg = append(msg, ed25519.Sign(kr.sign, signedGrant(js))...)
	var out bytes.Buffer
	w, err := age.Encrypt(&out, grantee) // fails for a low-order recipient
	if err != nil {
		return nil, fmt.Errorf("keyring: sealing grant: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

func signedGrant(payload []byte) []byte { return append([]byte(grantMagic), payload...) }

// CheckSigningKey returns an error unless pub is a usable Ed25519 public key:
// 32 bytes, a valid point, not of small order.
func CheckSigningKey(pub ed25519.PublicKey) error {
	if len(pub) != ed25519.PublicKeySize {
		return seal.ErrWeakKey
	}
	p, err := new(edwards25519.Point).SetBytes(pub)
	if err != nil || new(edwards25519.Point).MultByCofactor(p).Equal(edwards25519.NewIdentityPoint()) == 1 {
		return seal.ErrWeakKey
	}
	return nil
}

// OpenGrant decrypts a grant with the grantee's identity and checks that
// user signed it with signer, a key the grantee pinned when it was installed
// (never one the host supplied), and that it was made for this identity.
// last is the grant the grantee opened before, or nil: a grant with a lower
// revision, or with an older current key generation for a doctype both
// cover, is a replay, which would make the grantee seal with a key a revoked
// app holds; so is another grant of last's revision (a fork: last.Digest
// differs), when last carries a digest. Any failure returns ErrIntegrity.
func OpenGrant(sealed []byte, id *age.X25519Identity, signer ed25519.PublicKey, user string, last *Grant) (*Grant, error) {
	if err := CheckSigningKey(signer); err != nil {
		return nil, err
	}
	r, err := age.Decrypt(bytes.NewReader(sealed), id)
	if err != nil {
		return nil, ErrIntegrity
	}
	msg, err := io.ReadAll(io.LimitReader(r, MaxGrantSize+1))
	if err != nil || len(msg) > MaxGrantSize || len(msg) < len(grantMagic)+4+ed25519.SignatureSize ||
		string(msg[:len(grantMagic)]) != grantMagic {
		return nil, ErrIntegrity
	}
	n := binary.BigEndian.Uint32(msg[len(grantMagic):])
	rest := msg[len(grantMagic)+4:]
	if uint64(n)+ed25519.SignatureSize != uint64(len(rest)) {
		return nil, ErrIntegrity
	}
	js, sig := rest[:n], rest[n:]
	if !ed25519.Verify(signer, signedGrant(js), sig) {
		return nil, ErrIntegrity
	}
	var p grantPayload
	if err := strictUnmarshal(js, &p); err != nil || p.User != user || p.Grantee != id.Recipient().String() || p.Rev == 0 {
		return nil, ErrIntegrity
	}
	digest := sha256.Sum256(msg)
	if last != nil && (p.Rev < last.Rev || p.Rev == last.Rev && last.Digest != [32]byte{} && digest != last.Digest) {
		return nil, ErrIntegrity
	}
	g := &Grant{User: p.User, Grantee: p.Grantee, Rev: p.Rev, Issued: time.Unix(p.Issued, 0), Doctypes: map[string]*GrantedDoctype{}, Digest: digest}
	for d, gd := range p.Doctypes {
		if wire.CheckDoctype(d) != nil || checkVerbs(gd.Verbs) != nil {
			return nil, ErrIntegrity
		}
		ks, err := decodeKeys(gd.Keys)
		if err != nil {
			return nil, ErrIntegrity
		}
		if last != nil && last.Doctypes[d] != nil && ks.Current().Gen() < last.Doctypes[d].Keys.Current().Gen() {
			return nil, ErrIntegrity
		}
		g.Doctypes[d] = &GrantedDoctype{Verbs: gd.Verbs, Keys: ks}
	}
	return g, nil
}
