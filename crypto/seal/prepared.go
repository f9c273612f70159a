package seal

import (
	"bytes"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io"

	"filippo.io/age"
	"golang.org/x/crypto/chacha20poly1305"
)

// A Prepared blob is one whose header is written and whose payload is
// sealed elsewhere, chunk by chunk: the browser's seal worker (spec/web.md
// §3.7) seals large uploads with a faster ChaCha20-Poly1305 than Go's
// WebAssembly build has, on a thread of its own. The sealed bytes are
// those NewBlobWriter writes (§6.1): Header, then chunk i of the payload
// plaintext (Frame, the Size content bytes, then Padding zeros), cut in
// ChunkSize pieces, sealed by SealChunk, for i from 0 to Chunks-1.
//
// age's STREAM (https://age-encryption.org/v1, "payload") is a package
// internal to filippo.io/age, which cannot hand out its key or seal a
// chunk out of order; this file derives the same payload key and writes
// the same chunks, and the tests check both against age both ways.
type Prepared struct {
	Header     []byte // the age header, then the payload's 16-byte nonce
	PayloadKey []byte // the STREAM key: HKDF-SHA-256(file key, nonce, "payload")
	Frame      []byte // u32(len(meta)) meta
	Size       int64  // content bytes
	Padding    int64  // zero bytes after the content
	Chunks     int64  // STREAM chunks
	SealedSize int64  // len(Header) + the sealed chunks
}

// ChunkSize is the plaintext size of a STREAM chunk but the last.
const ChunkSize = chunkSize

// streamNonceSize is the size of the payload nonce after the header.
const streamNonceSize = 16

// keyCatcher is an age recipient that keeps the file key it wraps.
type keyCatcher struct {
	r       age.Recipient
	fileKey []byte
}

func (c *keyCatcher) Wrap(fileKey []byte) ([]*age.Stanza, error) {
	c.fileKey = bytes.Clone(fileKey)
	return c.r.Wrap(fileKey)
}

// PrepareBlob writes the header of a blob sealed with k for purpose p as
// ref, with metadata meta, and returns what sealing its payload needs.
func PrepareBlob(k *Key, p Purpose, ref BlobRef, meta Meta) (*Prepared, error) {
	mb, err := blobArgs(k, p, ref, meta)
	if err != nil {
		return nil, err
	}
	var header bytes.Buffer
	kc := &keyCatcher{r: &blobRecipient{key: k, purpose: p, ref: ref}}
	// age writes its header and the payload's nonce at once; the writer
	// it returns, never written to, is dropped.
	if _, err := age.Encrypt(&header, kc); err != nil {
		return nil, err
	}
	h := header.Bytes()
	if len(kc.fileKey) != 16 || len(h) < streamNonceSize {
		return nil, errors.New("seal: age wrote an unexpected header")
	}
	key, err := hkdf.Key(sha256.New, kc.fileKey, h[len(h)-streamNonceSize:], "payload", chacha20poly1305.KeySize)
	clear(kc.fileKey)
	if err != nil {
		return nil, err
	}
	plain := paddedBlobLen(len(mb), meta.Size)
	chunks := max((plain+chunkSize-1)/chunkSize, 1)
	return &Prepared{
		Header:     h,
		PayloadKey: key,
		Frame:      append(binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(mb)), uint32(len(mb))), mb...),
		Size:       meta.Size,
		Padding:    plain - 4 - int64(len(mb)) - meta.Size,
		Chunks:     chunks,
		SealedSize: sealedSize(int64(len(h)), len(mb), meta.Size),
	}, nil
}

// StreamNonce is the nonce of chunk i of n: i as 11 big-endian bytes,
// then 1 for the last chunk and 0 before it.
func StreamNonce(i, n int64) [chacha20poly1305.NonceSize]byte {
	var nonce [chacha20poly1305.NonceSize]byte
	binary.BigEndian.PutUint64(nonce[3:11], uint64(i))
	if i == n-1 {
		nonce[11] = 1
	}
	return nonce
}

// SealChunk appends to dst chunk i of p's payload, whose plaintext is
// plain: the reference the seal worker's output is checked against.
func (p *Prepared) SealChunk(dst []byte, i int64, plain []byte) []byte {
	a, err := chacha20poly1305.New(p.PayloadKey)
	if err != nil {
		panic(err) // a 32-byte key
	}
	nonce := StreamNonce(i, p.Chunks)
	return a.Seal(dst, nonce[:], plain, nil)
}

// SealedChunkSize is the size of a sealed STREAM chunk but the last.
const SealedChunkSize = chunkSize + tagLen

// An OpenedHeader is what opening a blob's payload elsewhere needs, chunk
// by chunk (the seal worker, as for Prepared): the header was checked (its
// stanza opened with the doctype key, its MAC verified).
type OpenedHeader struct {
	HeaderLen  int    // bytes of the age header and the payload's nonce
	PayloadKey []byte // the STREAM key
	Chunks     int64  // STREAM chunks of a blob of the size given
}

// OpenBlobHeader checks the header of a blob of sealedSize bytes that the
// host claims is ref, sealed for purpose p with one of keys, from its
// first bytes (BlobHeaderPrefix of them, or all if it is shorter), and
// returns what opening its chunks needs. The plaintext of the chunks,
// opened in order, each under StreamNonce(i, Chunks), goes to
// OpenBlobPayload. Any failure is ErrIntegrity.
func OpenBlobHeader(prefix []byte, sealedSize int64, keys *KeySet, p Purpose, ref BlobRef) (*OpenedHeader, error) {
	if ref.check() != nil {
		return nil, ErrIntegrity
	}
	id := &capturingIdentity{inner: &blobIdentity{keys: keys, purpose: p, ref: ref}}
	if _, err := age.Decrypt(bytes.NewReader(prefix), id); err != nil || len(id.key) != FileKeySize {
		return nil, ErrIntegrity
	}
	defer clear(id.key)
	// age parsed the header: its end is the first line that starts with
	// "---" (no stanza line can: they are base64 or start with "->").
	at := bytes.Index(prefix, []byte("\n---"))
	if at < 0 {
		return nil, ErrIntegrity
	}
	end := bytes.IndexByte(prefix[at+1:], '\n')
	if end < 0 {
		return nil, ErrIntegrity
	}
	n := at + 1 + end + 1 + streamNonceSize
	if n > len(prefix) {
		return nil, ErrIntegrity
	}
	payload := sealedSize - int64(n)
	chunks := (payload + SealedChunkSize - 1) / SealedChunkSize
	// Every chunk holds plaintext: blobs are padded to 256 bytes at least.
	if payload <= 0 || payload-(chunks-1)*SealedChunkSize <= tagLen {
		return nil, ErrIntegrity
	}
	key, err := hkdf.Key(sha256.New, id.key, prefix[n-streamNonceSize:n], "payload", chacha20poly1305.KeySize)
	if err != nil {
		return nil, ErrIntegrity
	}
	return &OpenedHeader{HeaderLen: n, PayloadKey: key, Chunks: chunks}, nil
}

// OpenChunk opens chunk i of the payload whose header is h: the reference
// the seal worker's opening is checked against.
func (h *OpenedHeader) OpenChunk(dst []byte, i int64, sealed []byte) ([]byte, error) {
	a, err := chacha20poly1305.New(h.PayloadKey)
	if err != nil {
		return nil, err
	}
	nonce := StreamNonce(i, h.Chunks)
	out, err := a.Open(dst, nonce[:], sealed, nil)
	if err != nil {
		return nil, ErrIntegrity
	}
	return out, nil
}

// OpenBlobPayload reads a blob's payload plaintext, its chunks opened in
// order elsewhere: the metadata, then the content, with every check of
// §6.2 that follows the STREAM's (the metadata's rules, the size, the
// padding, the end). Read from it as from OpenBlob's reader.
func OpenBlobPayload(plain io.Reader) (*BlobReader, error) {
	return openPayload(plain)
}

// PayloadFrame reads the metadata frame at the start of a blob's payload
// plaintext, plain (at least the frame: 4 + MaxMetaLen bytes, or all of
// the plaintext if shorter), with OpenBlobPayload's checks, and returns
// the metadata, the frame's length and the length of the zero padding
// that follows the content: the plaintext is then exactly frameLen +
// meta.Size + padding bytes. For readers that handle the content's bytes
// elsewhere (the browser's seal worker); any failure is ErrIntegrity.
func PayloadFrame(plain []byte) (meta Meta, frameLen int, padding int64, err error) {
	br, err := openPayload(bytes.NewReader(plain))
	if err != nil {
		return Meta{}, 0, 0, err
	}
	n := 4 + int(binary.BigEndian.Uint32(plain))
	return br.meta, n, br.padding, nil
}
