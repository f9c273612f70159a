package seal

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"hash"

	"github.com/hearthcloud/hearth/crypto/internal/format"
)

// infoContentMAC labels the subkey that keys the hash a files document
// keeps of a file's plaintext (spec §4.1, §6.3).
const infoContentMAC = "hearth/v1 content mac"

// ContentMACKey returns the key of the keyed hash (HMAC-SHA-256) that a
// files document records of a file's plaintext, so that a client can tell
// an upload of the same content without the host learning anything
// (spec §6.3): a subkey of k that nothing else uses, so that equal files
// of two accounts, or of two doctypes, hash differently.
func (k *Key) ContentMACKey() []byte { return format.Subkey(k.raw, infoContentMAC) }

// ContentMACPiece is the size of the pieces a content mac hashes one by
// one (all but the last).
const ContentMACPiece = 4 << 20

// NewContentMAC returns the hash that makes a file's content mac with key
// (a ContentMACKey), spec §6.3: the content is cut in pieces of
// ContentMACPiece bytes (the last shorter, none for no content), piece i
// hashed as m_i = HMAC-SHA-256(key, 0x00 || u64(i) || piece), and the mac
// is HMAC-SHA-256(key, 0x01 || u64(length) || m_0 || m_1 || …). Pieces,
// not one HMAC over the whole: a browser computes each piece's HMAC with
// WebCrypto, natively and off its thread, where one streaming SHA-256 over
// a large file would cost as much as sealing it.
func NewContentMAC(key []byte) hash.Hash {
	return &contentMAC{key: bytes.Clone(key)}
}

type contentMAC struct {
	key  []byte
	buf  []byte // the piece under way
	i    uint64 // pieces done
	n    uint64 // bytes written
	list []byte // m_0 … m_{i-1}
}

func (c *contentMAC) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		k := min(len(p), ContentMACPiece-len(c.buf))
		c.buf = append(c.buf, p[:k]...)
		p = p[k:]
		if len(c.buf) == ContentMACPiece {
			c.list = c.pieceMAC(c.list, c.i, c.buf)
			c.i++
			c.buf = c.buf[:0]
		}
	}
	c.n += uint64(n)
	return n, nil
}

// pieceMAC appends m_i of piece to dst.
func (c *contentMAC) pieceMAC(dst []byte, i uint64, piece []byte) []byte {
	m := hmac.New(sha256.New, c.key)
	m.Write(binary.BigEndian.AppendUint64([]byte{0}, i))
	m.Write(piece)
	return m.Sum(dst)
}

func (c *contentMAC) Sum(b []byte) []byte {
	list := c.list
	if len(c.buf) > 0 {
		list = c.pieceMAC(bytes.Clone(c.list), c.i, c.buf)
	}
	m := hmac.New(sha256.New, c.key)
	m.Write(binary.BigEndian.AppendUint64([]byte{1}, c.n))
	m.Write(list)
	return m.Sum(b)
}

func (c *contentMAC) Reset() {
	c.buf, c.i, c.n, c.list = c.buf[:0], 0, 0, c.list[:0]
}

func (c *contentMAC) Size() int      { return sha256.Size }
func (c *contentMAC) BlockSize() int { return sha256.BlockSize }
