package seal

import (
	"crypto/cipher"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/hearthcloud/hearth/crypto/internal/format"
	"github.com/hearthcloud/hearth/crypto/pad"
	"github.com/hearthcloud/hearth/internal/wire"
)

// DocumentVersion is the format version byte of a sealed document.
const DocumentVersion = 0x01

const (
	docHeaderLen = 1 + 4 + DigestSize // version, key generation, previous digest
	nonceLen     = 24
	tagLen       = 16
	// DocumentOverhead is what sealing adds to a document before padding:
	// header, nonce, tag and the one-byte padding marker (77 + 1 bytes).
	DocumentOverhead = docHeaderLen + nonceLen + tagLen + 1
)

// DigestSize is the size of a Digest.
const DigestSize = sha256.Size

// A Digest is the SHA-256 of a sealed item's bytes. A sealed document carries
// the digest of the revision it replaces, which chains revisions together.
type Digest [DigestSize]byte

// DigestOf returns the digest of sealed bytes.
func DigestOf(sealed []byte) Digest { return sha256.Sum256(sealed) }

// Ref names one revision of a document: the values its seal binds.
type Ref struct {
	Doctype string
	ID      string
	Rev     uint64 // 1 for the first revision
}

func (r Ref) String() string { return fmt.Sprintf("%s/%s@%d", r.Doctype, r.ID, r.Rev) }

func (r Ref) check() error {
	if err := wire.CheckDoctype(r.Doctype); err != nil {
		return err
	}
	if err := wire.CheckID(r.ID); err != nil {
		return err
	}
	if r.Rev == 0 {
		return fmt.Errorf("seal: revision 0 is not a revision")
	}
	return nil
}

// A Document is an opened document revision.
type Document struct {
	Ref
	Gen     uint32 // the key generation that sealed it
	Prev    Digest // digest of the sealed revision this one replaced; zero for revision 1
	Content []byte // empty for a tombstone
}

// CheckSuccessor reports whether next may follow prev, the revision of the
// same document that the caller opened from sealed bytes prevSealed: the
// revision numbers are consecutive, next names prevSealed's digest, and next
// is sealed with a key generation no older than prev's. Otherwise it returns
// ErrIntegrity: the host forked or rewrote the document's history, or
// someone holding a retired key (a revoked app) wrote it.
func CheckSuccessor(prev *Document, prevSealed []byte, next *Document) error {
	if prev.Doctype != next.Doctype || prev.ID != next.ID || next.Rev != prev.Rev+1 ||
		next.Prev != DigestOf(prevSealed) || next.Gen < prev.Gen {
		return ErrIntegrity
	}
	return nil
}

// Deleted reports whether the revision is a tombstone.
func (d *Document) Deleted() bool { return len(d.Content) == 0 }

// A record kind is a sealed format built on the document construction: its
// context label and the subkey of the doctype key that seals it.
type recordKind struct {
	context string
	aead    func(*Key) cipher.AEAD
}

var (
	kindDocument = recordKind{"hearth-document-v1", func(k *Key) cipher.AEAD { return k.document }}
	kindManifest = recordKind{"hearth-index-manifest-v1", func(k *Key) cipher.AEAD { return k.manifest }}
)

func recordAD(kind recordKind, ref Ref, header []byte) []byte {
	ad := format.Context(kind.context)
	ad = format.AppendString(ad, ref.Doctype)
	ad = format.AppendString(ad, ref.ID)
	ad = format.AppendUint64(ad, ref.Rev)
	return append(ad, header...)
}

// SealDocument seals content as revision ref.Rev of document ref.ID in
// ref.Doctype with key k. prev is the digest of the sealed revision ref.Rev-1
// and must be zero for revision 1. Empty content seals a tombstone.
func SealDocument(k *Key, ref Ref, prev Digest, content []byte) ([]byte, error) {
	return sealRecord(kindDocument, k, ref, prev, content)
}

func sealRecord(kind recordKind, k *Key, ref Ref, prev Digest, content []byte) ([]byte, error) {
	if err := ref.check(); err != nil {
		return nil, err
	}
	if (ref.Rev == 1) != (prev == Digest{}) {
		return nil, fmt.Errorf("seal: revision %d with %s previous digest", ref.Rev, map[bool]string{true: "a zero", false: "a non-zero"}[prev == Digest{}])
	}
	padded := pad.Pad(content)
	out := make([]byte, docHeaderLen, docHeaderLen+nonceLen+len(padded)+tagLen)
	out[0] = DocumentVersion
	binary.BigEndian.PutUint32(out[1:5], k.gen)
	copy(out[5:docHeaderLen], prev[:])
	out = append(out, randomBytes(nonceLen)...)
	nonce := out[docHeaderLen:]
	return kind.aead(k).Seal(out, nonce, padded, recordAD(kind, ref, out[:docHeaderLen])), nil
}

// DocumentGen returns the key generation a sealed document names, so a
// caller can tell a missing key generation from tampering. It returns
// ErrIntegrity if sealed is not a version 1 document.
func DocumentGen(sealed []byte) (uint32, error) {
	if len(sealed) < docHeaderLen+nonceLen+tagLen || sealed[0] != DocumentVersion {
		return 0, ErrIntegrity
	}
	return binary.BigEndian.Uint32(sealed[1:5]), nil
}

// OpenDocument authenticates and decrypts sealed, which the host claims is
// revision ref.Rev of ref.ID in ref.Doctype, with the matching generation
// from keys. Any failure returns ErrIntegrity.
func OpenDocument(keys *KeySet, ref Ref, sealed []byte) (*Document, error) {
	return openRecord(kindDocument, keys, ref, sealed)
}

func openRecord(kind recordKind, keys *KeySet, ref Ref, sealed []byte) (*Document, error) {
	gen, err := DocumentGen(sealed)
	if err != nil || ref.check() != nil {
		return nil, ErrIntegrity
	}
	k := keys.Gen(gen)
	if k == nil {
		return nil, ErrIntegrity
	}
	header := sealed[:docHeaderLen]
	var prev Digest
	copy(prev[:], header[5:])
	if (ref.Rev == 1) != (prev == Digest{}) {
		return nil, ErrIntegrity
	}
	nonce := sealed[docHeaderLen : docHeaderLen+nonceLen]
	padded, err := kind.aead(k).Open(nil, nonce, sealed[docHeaderLen+nonceLen:], recordAD(kind, ref, header))
	if err != nil {
		return nil, ErrIntegrity
	}
	content, err := pad.UnpadExact(padded)
	if err != nil {
		return nil, ErrIntegrity
	}
	return &Document{Ref: ref, Gen: gen, Prev: prev, Content: content}, nil
}
