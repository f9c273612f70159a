package link

import (
	"crypto/hmac"
	"crypto/sha256"
	"io"

	"filippo.io/age"

	"github.com/hearthcloud/hearth/crypto/internal/format"
	"github.com/hearthcloud/hearth/crypto/seal"
	"github.com/hearthcloud/hearth/internal/wire"
)

// TagSize is the size of a recipient tag and of a drop tag.
const TagSize = sha256.Size

func (k *Keys) mac(parts ...string) []byte {
	m := hmac.New(sha256.New, k.drop)
	var b []byte
	for _, p := range parts {
		b = format.AppendString(b, p)
	}
	m.Write(b)
	return m.Sum(nil)
}

// RecipientTag returns the tag a drop link's public information carries
// for its recipient (the "age1…" string): HMAC-SHA-256(drop-key,
// lp(link-id) || lp(recipient)).
func (k *Keys) RecipientTag(recipient string) []byte { return k.mac(k.id, recipient) }

// CheckRecipient parses a drop link's recipient and checks its tag: a
// dropper never encrypts to a key the host swapped in. Any failure is
// seal.ErrIntegrity.
func (k *Keys) CheckRecipient(recipient string, tag []byte) (*age.X25519Recipient, error) {
	if len(recipient) > 100 || !hmac.Equal(k.RecipientTag(recipient), tag) {
		return nil, seal.ErrIntegrity
	}
	r, err := age.ParseX25519Recipient(recipient)
	if err != nil {
		return nil, seal.ErrIntegrity
	}
	return r, nil
}

// DropTag is HMAC-SHA-256(drop-key, lp(link-id) || lp(drop-id) ||
// SHA-256(age-header)): what a drop's metadata carries as "tag".
func (k *Keys) DropTag(dropID string, headerHash [32]byte) []byte {
	m := hmac.New(sha256.New, k.drop)
	b := format.AppendString(nil, k.id)
	b = format.AppendString(b, dropID)
	m.Write(append(b, headerHash[:]...))
	return m.Sum(nil)
}

// NewDropWriter writes to dst a drop (§4.5) of the link k belongs to,
// under dropID, encrypted to r, with metadata meta and its tag. Write
// exactly meta.Size bytes, then Close. What reaches dst is DropSize(r,
// meta) bytes.
func NewDropWriter(dst io.Writer, k *Keys, dropID string, r *age.X25519Recipient, meta seal.Meta) (*seal.BlobWriter, error) {
	if err := wire.CheckID(dropID); err != nil {
		return nil, err
	}
	return seal.NewBlobWriterTo(dst, r, meta, func(header []byte) []byte {
		return k.DropTag(dropID, sha256.Sum256(header))
	})
}

// DropSize returns the sealed size of a drop of meta to r.
func DropSize(r *age.X25519Recipient, meta seal.Meta) (int64, error) {
	return seal.SealedBlobSizeTo(r, meta, TagSize)
}

// OpenDrop opens a drop that the server says was uploaded under dropID to
// the link k belongs to, with the link's identity, and checks its tag
// before returning. Any failure, then or in a later Read, is
// seal.ErrIntegrity: the host, which knows the recipient, cannot make a
// drop whose tag verifies.
func OpenDrop(src io.Reader, k *Keys, dropID string, id *age.X25519Identity) (*seal.BlobReader, error) {
	if wire.CheckID(dropID) != nil {
		return nil, seal.ErrIntegrity
	}
	br, hh, err := seal.OpenBlobWith(src, id)
	if err != nil {
		return nil, seal.ErrIntegrity
	}
	if !hmac.Equal(br.Tag(), k.DropTag(dropID, hh)) {
		return nil, seal.ErrIntegrity
	}
	return br, nil
}
