package seal

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strconv"

	"filippo.io/age"

	"github.com/hearthcloud/hearth/crypto/internal/format"
)

// Blobs reached without a doctype key: through a share link, which hands
// out each blob's age file key (spec/protocol.md §4.5), and drops, age
// files to a link owner's X25519 recipient whose metadata carries a tag.

// FileKeySize is the size of an age file key.
const FileKeySize = 16

// BlobHeaderPrefix is how many leading bytes of a blob BlobFileKey needs at
// most: the age header of a blob and its payload nonce fit in it.
const BlobHeaderPrefix = 4096

// BlobFileKey returns the age file key of a blob that the host claims is
// ref, sealed for purpose p with one of keys, from the first bytes of the
// blob (BlobHeaderPrefix of them, or the whole blob if it is shorter): the
// stanza is opened and the header MAC checked with the key found. This is
// what a share link's manifest gives a recipient in place of the doctype
// key. Any failure is ErrIntegrity.
func BlobFileKey(prefix []byte, keys *KeySet, p Purpose, ref BlobRef) ([]byte, error) {
	if ref.check() != nil {
		return nil, ErrIntegrity
	}
	id := &capturingIdentity{inner: &blobIdentity{keys: keys, purpose: p, ref: ref}}
	if _, err := age.Decrypt(bytes.NewReader(prefix), id); err != nil || id.key == nil {
		return nil, ErrIntegrity
	}
	return id.key, nil
}

// capturingIdentity remembers the file key its inner identity unwrapped.
type capturingIdentity struct {
	inner age.Identity
	key   []byte
}

func (c *capturingIdentity) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	k, err := c.inner.Unwrap(stanzas)
	if err == nil {
		c.key = slices.Clone(k)
	}
	return k, err
}

// fileKeyIdentity opens a blob of purpose file with its file key: the one
// stanza must be a well-formed hearth-blob stanza of version 1 and purpose
// file, whose body is not opened (whoever hands out the file key vouches
// for the whole blob by its digest); age then checks the header MAC.
type fileKeyIdentity struct{ key []byte }

func (f fileKeyIdentity) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	if len(stanzas) != 1 {
		return nil, ErrIntegrity
	}
	s := stanzas[0]
	if s.Type != stanzaType || len(s.Args) != 3 || s.Args[0] != stanzaVersion ||
		s.Args[1] != PurposeFile.String() || len(s.Body) != stanzaBodyLen {
		return nil, ErrIntegrity
	}
	gen, err := strconv.ParseUint(s.Args[2], 10, 32)
	if err != nil || gen == 0 || strconv.FormatUint(gen, 10) != s.Args[2] {
		return nil, ErrIntegrity
	}
	return slices.Clone(f.key), nil
}

// OpenBlobWithFileKey opens a sealed blob of purpose file given its age
// file key (from a share link's manifest, §4.5), with every check of §6.2
// but the opening of the stanza's body. The caller MUST have checked, or
// check before keeping anything, the blob's length and SHA-256 against
// what the manifest names. Any failure, then or in a later Read, is
// ErrIntegrity.
func OpenBlobWithFileKey(src io.Reader, fileKey []byte) (*BlobReader, error) {
	if len(fileKey) != FileKeySize || format.IsZero(fileKey) {
		return nil, ErrIntegrity
	}
	r, err := age.Decrypt(src, fileKeyIdentity{key: fileKey})
	if err != nil {
		return nil, ErrIntegrity
	}
	return openPayload(r)
}

// openPayload reads the metadata frame of a blob's decrypted payload.
func openPayload(r io.Reader) (*BlobReader, error) {
	var lenBuf [4]byte
	if _, err := io.ReadFull(r, lenBuf[:]); err != nil {
		return nil, ErrIntegrity
	}
	n := binary.BigEndian.Uint32(lenBuf[:])
	if n > MaxMetaLen {
		return nil, ErrIntegrity
	}
	mb := make([]byte, n)
	if _, err := io.ReadFull(r, mb); err != nil {
		return nil, ErrIntegrity
	}
	meta, err := decodeMeta(mb)
	if err != nil {
		return nil, ErrIntegrity
	}
	var t struct {
		Tag []byte `json:"tag"`
	}
	if json.Unmarshal(mb, &t) != nil { // a tag that is not base64 is no tag
		t.Tag = nil
	}
	return &BlobReader{
		r:         r,
		meta:      meta,
		tag:       t.Tag,
		remaining: meta.Size,
		padding:   paddedBlobLen(len(mb), meta.Size) - 4 - int64(n) - meta.Size,
	}, nil
}

// A Tagger computes the tag a blob's metadata carries from the blob's age
// header (every byte up to and including the newline after its MAC).
type Tagger func(header []byte) []byte

// NewBlobWriterTo writes to dst a blob in the format of §6.1 whose file key
// is wrapped for r (a drop: an age X25519 recipient, §4.5) instead of a
// doctype key, and whose metadata carries tag(header) as "tag" when tag is
// not nil. The size of what reaches dst is SealedBlobSizeTo(r, meta,
// tagLen) for a tag of tagLen bytes.
func NewBlobWriterTo(dst io.Writer, r age.Recipient, meta Meta, tag Tagger) (*BlobWriter, error) {
	var cw captureWriter
	cw.w = dst
	w, err := age.Encrypt(&cw, r)
	if err != nil {
		return nil, err
	}
	written := cw.buf.Bytes()
	if len(written) < 16 || written[len(written)-17] != '\n' {
		return nil, errors.New("seal: unexpected age header")
	}
	cw.buf = bytes.Buffer{}
	cw.off = true
	var t []byte
	if tag != nil {
		t = tag(written[:len(written)-16])
	}
	mb, err := encodeMetaTag(meta, t)
	if err != nil {
		return nil, err
	}
	return startBlob(w, mb, meta.Size)
}

// captureWriter passes writes on to w and keeps a copy until off.
type captureWriter struct {
	w   io.Writer
	buf bytes.Buffer
	off bool
}

func (c *captureWriter) Write(p []byte) (int, error) {
	if !c.off {
		c.buf.Write(p)
	}
	return c.w.Write(p)
}

// SealedBlobSizeTo returns the size NewBlobWriterTo produces for r and meta
// with a tag of tagLen bytes (0: none), so that a dropper can send
// Content-Length before it streams. r must produce stanzas of a fixed size
// (as X25519 recipients do).
func SealedBlobSizeTo(r age.Recipient, meta Meta, tagLen int) (int64, error) {
	var t []byte
	if tagLen > 0 {
		t = make([]byte, tagLen)
	}
	mb, err := encodeMetaTag(meta, t)
	if err != nil {
		return 0, err
	}
	var header countWriter
	if _, err := age.Encrypt(&header, r); err != nil {
		return 0, err
	}
	return sealedSize(int64(header), len(mb), meta.Size), nil
}

// OpenBlobWith opens a blob in the format of §6.1 whose file key id
// unwraps (a drop, with the link's X25519 identity), and returns it with
// its age header (every byte up to and including the newline after the
// MAC) and the SHA-256 of that header, for the caller to check the
// metadata's tag. Any failure, then or in a later Read, is ErrIntegrity.
func OpenBlobWith(src io.Reader, id age.Identity) (br *BlobReader, headerHash [32]byte, err error) {
	cr := &captureReader{r: src, max: 64 << 10}
	r, err := age.Decrypt(cr, id)
	if err != nil {
		return nil, headerHash, ErrIntegrity
	}
	got := cr.buf.Bytes()
	i := bytes.Index(got, []byte("\n--- "))
	if i < 0 {
		return nil, headerHash, ErrIntegrity
	}
	j := bytes.IndexByte(got[i+1:], '\n')
	if j < 0 {
		return nil, headerHash, ErrIntegrity
	}
	headerHash = sha256.Sum256(got[:i+1+j+1])
	cr.buf = bytes.Buffer{}
	cr.off = true
	br, err = openPayload(r)
	return br, headerHash, err
}

// captureReader keeps a copy of the first max bytes read through it, until
// off.
type captureReader struct {
	r   io.Reader
	buf bytes.Buffer
	max int
	off bool
}

func (c *captureReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if !c.off && c.buf.Len() < c.max {
		c.buf.Write(p[:min(n, c.max-c.buf.Len())])
	}
	return n, err
}

// Tag returns the "tag" the blob's metadata carries (base64 in the JSON),
// nil if none: a drop's (§4.5), which the caller checks.
func (br *BlobReader) Tag() []byte { return slices.Clone(br.tag) }

// encodeMetaTag is encodeMeta with a "tag" member when tag is not nil.
func encodeMetaTag(m Meta, tag []byte) ([]byte, error) {
	if tag == nil {
		return encodeMeta(m)
	}
	if err := checkMeta(m); err != nil {
		return nil, err
	}
	b, err := json.Marshal(struct {
		Meta
		Tag []byte `json:"tag"`
	}{m, tag})
	if err != nil {
		return nil, err
	}
	if len(b) > MaxMetaLen {
		return nil, errors.New("seal: blob metadata over its limit")
	}
	return b, nil
}
