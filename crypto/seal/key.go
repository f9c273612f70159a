package seal

import (
	"cmp"
	"crypto/cipher"
	"errors"
	"fmt"
	"slices"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/hearthcloud/hearth/crypto/internal/format"
)

// KeySize is the size of a doctype key.
const KeySize = format.KeySize

// HKDF info labels for the subkeys of a doctype key (spec §4.3).
const (
	infoDocument = "hearth/v1 document"
	infoFile     = "hearth/v1 blob file"
	infoIndex    = "hearth/v1 blob index"
	infoManifest = "hearth/v1 index manifest"
)

// A Key is one generation of a doctype key. Generations start at 1 and grow
// by one at each rotation; a sealed item names the generation that sealed it.
// A Key is immutable and safe for concurrent use.
type Key struct {
	gen      uint32
	raw      []byte
	document cipher.AEAD
	manifest cipher.AEAD
	file     []byte // blob key-wrapping subkeys
	index    []byte
}

// NewKey returns the key generation gen with the 32 secret bytes raw. It
// returns ErrWeakKey for a wrong length, an all-zero key or generation 0.
func NewKey(gen uint32, raw []byte) (*Key, error) {
	if len(raw) != KeySize || format.IsZero(raw) || gen == 0 {
		return nil, ErrWeakKey
	}
	k := &Key{gen: gen, raw: slices.Clone(raw)}
	k.document = mustAEAD(format.Subkey(raw, infoDocument))
	k.manifest = mustAEAD(format.Subkey(raw, infoManifest))
	k.file = format.Subkey(raw, infoFile)
	k.index = format.Subkey(raw, infoIndex)
	return k, nil
}

// GenerateKey returns a new random key of generation gen.
func GenerateKey(gen uint32) *Key {
	k, err := NewKey(gen, randomBytes(KeySize))
	if err != nil {
		panic(fmt.Sprintf("seal: generated key rejected: %v", err)) // 2^-256
	}
	return k
}

// Gen returns the key's generation.
func (k *Key) Gen() uint32 { return k.gen }

// Bytes returns a copy of the secret key bytes, for storing in a keyring or
// a grant. Nothing else should need them.
func (k *Key) Bytes() []byte { return slices.Clone(k.raw) }

func mustAEAD(key []byte) cipher.AEAD {
	a, err := chacha20poly1305.NewX(key)
	if err != nil {
		panic("seal: " + err.Error())
	}
	return a
}

// A KeySet holds every generation of one doctype's key: the current one seals
// new items, older ones still open what they sealed. The zero KeySet is empty.
// A KeySet is not safe for concurrent mutation.
type KeySet struct {
	keys []*Key // sorted by generation, unique
}

// NewKeySet returns a set of the given keys. Two keys of one generation are
// an error.
func NewKeySet(keys ...*Key) (*KeySet, error) {
	s := &KeySet{}
	for _, k := range keys {
		if err := s.Add(k); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func byGen(a *Key, g uint32) int { return cmp.Compare(a.gen, g) }

// Add adds k to the set. It fails if the set has a key of k's generation.
func (s *KeySet) Add(k *Key) error {
	i, found := slices.BinarySearchFunc(s.keys, k.gen, byGen)
	if found {
		return fmt.Errorf("seal: duplicate key generation %d", k.gen)
	}
	s.keys = slices.Insert(s.keys, i, k)
	return nil
}

// Current returns the newest generation, or nil for an empty set.
func (s *KeySet) Current() *Key {
	if s == nil || len(s.keys) == 0 {
		return nil
	}
	return s.keys[len(s.keys)-1]
}

// Gen returns the key of generation g, or nil.
func (s *KeySet) Gen(g uint32) *Key {
	if s == nil {
		return nil
	}
	i, found := slices.BinarySearchFunc(s.keys, g, byGen)
	if !found {
		return nil
	}
	return s.keys[i]
}

// Clone returns a copy of the set: adding, rotating or dropping in one
// leaves the other as it was. Keys are immutable, so they are shared.
func (s *KeySet) Clone() *KeySet { return &KeySet{keys: slices.Clone(s.keys)} }

// All returns the keys, oldest first. The slice is the caller's.
func (s *KeySet) All() []*Key { return slices.Clone(s.keys) }

// ErrLastGeneration is returned by Rotate when generations are exhausted.
var ErrLastGeneration = errors.New("seal: no key generation left to rotate to")

// Rotate adds a new random key one generation above the current one and
// returns it. Items sealed afterwards use it.
func (s *KeySet) Rotate() (*Key, error) {
	var gen uint32 = 1
	if c := s.Current(); c != nil {
		if c.gen == ^uint32(0) {
			return nil, ErrLastGeneration
		}
		gen = c.gen + 1
	}
	k := GenerateKey(gen)
	s.keys = append(s.keys, k)
	return k, nil
}

// Drop removes generation g, which must not be the current one. Once every
// item sealed with a retired generation has been sealed again with a newer
// one, dropping it ends what that key can do: items sealed with it, even by
// a revoked app that kept it, no longer open (§4.1).
func (s *KeySet) Drop(g uint32) error {
	i, found := slices.BinarySearchFunc(s.keys, g, byGen)
	if !found || i == len(s.keys)-1 {
		return fmt.Errorf("seal: cannot drop key generation %d", g)
	}
	s.keys = slices.Delete(s.keys, i, i+1)
	return nil
}
