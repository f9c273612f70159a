package link

import (
	"crypto/rand"
	"crypto/sha256"
	"errors"

	"golang.org/x/crypto/argon2"
	"golang.org/x/text/unicode/norm"

	"github.com/hearthcloud/hearth/crypto/internal/format"
	"github.com/hearthcloud/hearth/crypto/kdf"
	"github.com/hearthcloud/hearth/internal/wire"
)

// SaltSize is the size of a link password's salt.
const SaltSize = 16

// HKDF info labels (§4.5).
const (
	infoRoot     = "hearth/v1 link " // followed by the link id
	infoAccess   = "hearth/v1 link access"
	infoManifest = "hearth/v1 link manifest"
	infoDrop     = "hearth/v1 link drop"
)

// Keys are what a link's fragment key (and password) give.
type Keys struct {
	id    string
	proof []byte
	seal  []byte
	drop  []byte
}

// ErrEmptyPassword: a link password must not be empty (no password is
// a nil pw, not an empty password).
var ErrEmptyPassword = errors.New("link: empty password")

// NewSalt returns a fresh password salt.
func NewSalt() []byte {
	s := make([]byte, SaltSize)
	if _, err := rand.Read(s); err != nil {
		panic("link: random source failed: " + err.Error())
	}
	return s
}

// PasswordKey derives pw from a link password: Argon2id over its NFC form
// with salt and p, 32 bytes. It refuses parameters below the client's
// floor or above its ceiling (kdf.Params.Check), a salt that is not
// SaltSize bytes, and an empty password.
func PasswordKey(password string, salt []byte, p kdf.Params) ([]byte, error) {
	if err := p.Check(); err != nil {
		return nil, err
	}
	if len(salt) != SaltSize {
		return nil, errors.New("link: a password salt must be 16 bytes")
	}
	if password == "" {
		return nil, ErrEmptyPassword
	}
	return argon2.IDKey([]byte(norm.NFC.String(password)), salt, p.Time, p.Memory, p.Threads, 32), nil
}

// Derive returns the keys of link id from its fragment key and pw
// (PasswordKey's output, or nil for a link without a password).
func Derive(id string, key, pw []byte) (*Keys, error) {
	if wire.CheckLinkID(id) != nil {
		return nil, wire.ErrInvalidLinkID
	}
	if len(key) != KeySize || format.IsZero(key) {
		return nil, ErrBadURL
	}
	if pw != nil && len(pw) != 32 {
		return nil, errors.New("link: a password key must be 32 bytes")
	}
	secret := append(append(make([]byte, 0, 64), key...), pw...)
	root := format.Subkey(secret, infoRoot+id)
	return &Keys{
		id:    id,
		proof: format.Subkey(root, infoAccess),
		seal:  format.Subkey(root, infoManifest),
		drop:  format.Subkey(root, infoDrop),
	}, nil
}

// ID returns the link id the keys belong to.
func (k *Keys) ID() string { return k.id }

// Proof returns the access proof a recipient sends (Hearth-Link-Proof).
func (k *Keys) Proof() []byte { return append([]byte{}, k.proof...) }

// Verifier returns SHA-256(proof), what the owner gives the server.
func (k *Keys) Verifier() []byte { v := sha256.Sum256(k.proof); return v[:] }
