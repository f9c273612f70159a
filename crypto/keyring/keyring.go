// Package keyring holds a user's keys (spec/protocol.md §4): the per-doctype
// keys that seal every item, an Ed25519 key that signs grants, and an X25519
// identity that receives keys shared with the user.
//
// The keyring is stored on the server sealed twice: once under the master
// key derived from the password, once under a recovery key printed at sign-up.
// Each sealed copy binds the user name and the keyring's revision, so the host
// can neither hand one user's keyring to another nor replay an old revision
// under a new number. Each revision also names the digests of those before
// it (succession.go, §4.2), so a device can tell a keyring that descends
// from the one it last opened from a fork or a rollback (§4.7).
//
// Every failure to open a sealed keyring or grant returns seal.ErrIntegrity
// (also available as ErrIntegrity), whatever its cause.
package keyring

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	"filippo.io/age"
	"golang.org/x/crypto/chacha20poly1305"

	"github.com/hearthcloud/hearth/crypto/internal/format"
	"github.com/hearthcloud/hearth/crypto/pad"
	"github.com/hearthcloud/hearth/crypto/seal"
	"github.com/hearthcloud/hearth/internal/wire"
)

// ErrIntegrity is seal.ErrIntegrity: the one error for anything that fails to
// authenticate.
var ErrIntegrity = seal.ErrIntegrity

// ErrDoctypeExists is returned by AddDoctype for a doctype the keyring has.
var ErrDoctypeExists = errors.New("keyring: the doctype already has a key")

// Version is the keyring format version.
const Version = 1

// A Keyring is a user's decrypted keys. It is not safe for concurrent
// mutation.
type Keyring struct {
	user     string
	sign     ed25519.PrivateKey
	box      *age.X25519Identity
	recovery *RecoveryKey
	doctypes map[string]*seal.KeySet
	// removed lists the passkeys removed from the account (base64url
	// credential ids, oldest first, at most MaxRemovedPasskeys): a host
	// that lists one again never gets it an unlock (§4.8).
	removed []string

	// Where this keyring stands in its succession (succession.go): the
	// revision it was opened at (0 for New), the digest of that revision,
	// and the digests of the revisions before it (nil when it was written
	// before histories).
	rev     uint64
	digest  Digest
	history []byte
}

// New returns a keyring for user with fresh signing and X25519 keys, a fresh
// recovery key, and no doctypes.
func New(user string) (*Keyring, error) {
	if err := wire.CheckUser(user); err != nil {
		return nil, err
	}
	_, sk, err := ed25519.GenerateKey(nil)
	if err != nil {
		return nil, err
	}
	box, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, err
	}
	return &Keyring{user: user, sign: sk, box: box, recovery: NewRecoveryKey(), doctypes: map[string]*seal.KeySet{}}, nil
}

// User returns the user name the keyring belongs to.
func (kr *Keyring) User() string { return kr.user }

// Doctypes returns the doctypes the keyring holds keys for, sorted.
func (kr *Keyring) Doctypes() []string { return slices.Sorted(maps.Keys(kr.doctypes)) }

// Keys returns every generation of doctype's key, or nil if the keyring has
// none. The set belongs to the keyring: rotating it rotates the keyring's key.
func (kr *Keyring) Keys(doctype string) *seal.KeySet { return kr.doctypes[doctype] }

// AddDoctype creates the first key of doctype.
func (kr *Keyring) AddDoctype(doctype string) (*seal.KeySet, error) {
	if err := wire.CheckDoctype(doctype); err != nil {
		return nil, err
	}
	if kr.doctypes[doctype] != nil {
		return nil, ErrDoctypeExists
	}
	s := &seal.KeySet{}
	if _, err := s.Rotate(); err != nil {
		return nil, err
	}
	kr.doctypes[doctype] = s
	return s, nil
}

// SigningKey returns the public half of the key that signs the user's grants.
// A grantee pins it when it is installed.
func (kr *Keyring) SigningKey() ed25519.PublicKey { return kr.sign.Public().(ed25519.PublicKey) }

// Recipient returns the user's X25519 recipient, to which others share keys.
func (kr *Keyring) Recipient() *age.X25519Recipient { return kr.box.Recipient() }

// RecoveryKey returns the recovery key, to show the user once at sign-up.
// The keyring keeps it so that any device can seal the recovery copy again
// whenever the keyring changes (§4.2).
func (kr *Keyring) RecoveryKey() *RecoveryKey { return kr.recovery }

// ReplaceRecoveryKey makes a new recovery key (after the old one was used or
// exposed) and returns it; the recovery copy sealed next uses it.
func (kr *Keyring) ReplaceRecoveryKey() *RecoveryKey {
	kr.recovery = NewRecoveryKey()
	return kr.recovery
}

// Identity returns the user's X25519 identity, which opens what was shared
// with the user.
func (kr *Keyring) Identity() *age.X25519Identity { return kr.box }

// keyJSON is one key generation as it appears in a keyring or a grant.
type keyJSON struct {
	Gen uint32 `json:"gen"`
	Key []byte `json:"key"`
}

func encodeKeys(s *seal.KeySet) []keyJSON {
	var out []keyJSON
	for _, k := range s.All() {
		out = append(out, keyJSON{Gen: k.Gen(), Key: k.Bytes()})
	}
	return out
}

func decodeKeys(in []keyJSON) (*seal.KeySet, error) {
	if len(in) == 0 {
		return nil, errors.New("no keys")
	}
	s := &seal.KeySet{}
	for _, kj := range in {
		k, err := seal.NewKey(kj.Gen, kj.Key)
		if err != nil {
			return nil, err
		}
		if err := s.Add(k); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// plaintext is the keyring's JSON form inside the seal (§4.2).
type plaintext struct {
	V        int                  `json:"v"`
	User     string               `json:"user"`
	Sign     []byte               `json:"sign"` // Ed25519 seed
	Box      string               `json:"box"`  // AGE-SECRET-KEY-1...
	Recovery []byte               `json:"recovery"`
	Doctypes map[string][]keyJSON `json:"doctypes"`
	// History holds the digests of revisions 1 to rev-1 (§4.2). Absent in
	// keyrings written before histories.
	History []byte `json:"history,omitempty"`
	// RemovedPasskeys: the credential ids of removed passkeys (§4.2).
	RemovedPasskeys []string `json:"removed_passkeys,omitempty"`
}

// marshal gives the plaintext of this keyring as sealed for revision rev.
func (kr *Keyring) marshal(rev uint64) ([]byte, error) {
	history, err := kr.historyFor(rev)
	if err != nil {
		return nil, err
	}
	p := plaintext{V: Version, User: kr.user, Sign: kr.sign.Seed(), Box: kr.box.String(), Recovery: kr.recovery[:], Doctypes: map[string][]keyJSON{}, History: history, RemovedPasskeys: kr.removed}
	for d, s := range kr.doctypes {
		p.Doctypes[d] = encodeKeys(s)
	}
	return json.Marshal(p)
}

// unmarshal reads the plaintext b of user's keyring at revision rev.
func unmarshal(b []byte, user string, rev uint64) (*Keyring, error) {
	var p plaintext
	if err := strictUnmarshal(b, &p); err != nil {
		return nil, err
	}
	if p.V != Version || p.User != user || len(p.Sign) != ed25519.SeedSize || format.IsZero(p.Sign) ||
		len(p.Recovery) != len(RecoveryKey{}) || format.IsZero(p.Recovery) {
		return nil, errors.New("bad keyring header")
	}
	if err := checkHistory(p.History, rev); err != nil {
		return nil, err
	}
	if err := checkRemoved(p.RemovedPasskeys); err != nil {
		return nil, err
	}
	box, err := age.ParseX25519Identity(p.Box)
	if err != nil {
		return nil, err
	}
	kr := &Keyring{user: p.User, sign: ed25519.NewKeyFromSeed(p.Sign), box: box, recovery: (*RecoveryKey)(p.Recovery), doctypes: map[string]*seal.KeySet{},
		rev: rev, digest: digestOf(user, rev, b), history: p.History, removed: p.RemovedPasskeys}
	for d, keys := range p.Doctypes {
		if wire.CheckDoctype(d) != nil {
			return nil, errors.New("bad doctype")
		}
		if kr.doctypes[d], err = decodeKeys(keys); err != nil {
			return nil, err
		}
	}
	return kr, nil
}

func strictUnmarshal(b []byte, v any) error {
	dec := json.NewDecoder(bytesReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data")
	}
	return nil
}

// A slot says which secret sealed a keyring copy.
type slot byte

const (
	slotPassword slot = 0x01 // the master key from the password (§3)
	slotRecovery slot = 0x02 // the recovery key printed at sign-up
)

func (s slot) info() string {
	if s == slotPassword {
		return "hearth/v1 keyring password"
	}
	return "hearth/v1 keyring recovery"
}

const (
	keyringHeaderLen = 2
	nonceLen         = chacha20poly1305.NonceSizeX
)

func keyringAD(user string, rev uint64, header []byte) []byte {
	ad := format.Context("hearth-keyring-v1")
	ad = format.AppendString(ad, user)
	ad = format.AppendUint64(ad, rev)
	return append(ad, header...)
}

func (kr *Keyring) seal(s slot, secret []byte, rev uint64) ([]byte, error) {
	if err := wire.CheckUser(kr.user); err != nil {
		return nil, err
	}
	if len(secret) != format.KeySize || format.IsZero(secret) {
		return nil, seal.ErrWeakKey
	}
	if rev == 0 {
		return nil, fmt.Errorf("keyring: revision 0 is not a revision")
	}
	js, err := kr.marshal(rev)
	if err != nil {
		return nil, err
	}
	padded := pad.Pad(js)
	clear(js)
	aead, _ := chacha20poly1305.NewX(format.Subkey(secret, s.info()))
	out := make([]byte, keyringHeaderLen+nonceLen, keyringHeaderLen+nonceLen+len(padded)+aead.Overhead())
	out[0], out[1] = Version, byte(s)
	randRead(out[keyringHeaderLen:])
	return aead.Seal(out, out[keyringHeaderLen:], padded, keyringAD(kr.user, rev, out[:keyringHeaderLen])), nil
}

func open(sealed []byte, s slot, secret []byte, user string, rev uint64) (*Keyring, error) {
	if len(secret) != format.KeySize || format.IsZero(secret) {
		return nil, seal.ErrWeakKey
	}
	if wire.CheckUser(user) != nil || len(sealed) < keyringHeaderLen+nonceLen+chacha20poly1305.Overhead || sealed[0] != Version || slot(sealed[1]) != s {
		return nil, ErrIntegrity
	}
	aead, _ := chacha20poly1305.NewX(format.Subkey(secret, s.info()))
	padded, err := aead.Open(nil, sealed[keyringHeaderLen:keyringHeaderLen+nonceLen], sealed[keyringHeaderLen+nonceLen:], keyringAD(user, rev, sealed[:keyringHeaderLen]))
	if err != nil {
		return nil, ErrIntegrity
	}
	defer clear(padded)
	js, err := pad.UnpadExact(padded)
	if err != nil {
		return nil, ErrIntegrity
	}
	kr, err := unmarshal(js, user, rev)
	if err != nil {
		return nil, ErrIntegrity
	}
	return kr, nil
}

// SealWithMasterKey seals the keyring as revision rev under the master key
// derived from the password. rev is the revision the keyring was opened at
// (sealing it again, unchanged) or the next one (its successor, whose
// history ends with this revision's digest); a keyring made by New is
// sealed as revision 1. Sealing changes nothing in kr: to go on from the
// revision written, open what was sealed.
func (kr *Keyring) SealWithMasterKey(masterKey *[32]byte, rev uint64) ([]byte, error) {
	return kr.seal(slotPassword, masterKey[:], rev)
}

// OpenWithMasterKey opens a keyring sealed with SealWithMasterKey, which the
// host claims is revision rev of user's keyring.
func OpenWithMasterKey(sealed []byte, masterKey *[32]byte, user string, rev uint64) (*Keyring, error) {
	return open(sealed, slotPassword, masterKey[:], user, rev)
}

// SealRecoveryCopy seals the recovery copy of the keyring as revision rev
// with the keyring's recovery key, as SealWithMasterKey does. Every change
// to the keyring seals both copies for the same revision (§8.3), with the
// same plaintext, so that both have one digest.
func (kr *Keyring) SealRecoveryCopy(rev uint64) ([]byte, error) {
	return kr.seal(slotRecovery, kr.recovery[:], rev)
}

// OpenWithRecoveryKey opens a recovery copy made by SealRecoveryCopy. The
// keyring inside must hold rk itself.
func OpenWithRecoveryKey(sealed []byte, rk *RecoveryKey, user string, rev uint64) (*Keyring, error) {
	kr, err := open(sealed, slotRecovery, rk[:], user, rev)
	if err != nil {
		return nil, err
	}
	if *kr.recovery != *rk {
		return nil, ErrIntegrity
	}
	return kr, nil
}
