package wire

import (
	"crypto/sha256"
	"encoding/binary"
)

// ChainSize is the size of a changes-feed chain value.
const ChainSize = sha256.Size

// A ChainEntry is what one write contributes to the changes-feed chain
// (spec/protocol.md §8.6.2).
type ChainEntry struct {
	Seq     uint64
	Doctype string
	ID      string
	Rev     uint64
	Digest  [32]byte // SHA-256 of the sealed bytes
	Deleted bool
}

// NextChain returns chain_n from chain_(n-1) and entry n:
// SHA-256(ctx("hearth-chain-v1") || prev || u64(seq) || lp(doctype) ||
// lp(id) || u64(rev) || digest || deleted). The server stores it with each
// entry; a client recomputes it to check that the feed it is served extends
// the one it saw.
func NextChain(prev [ChainSize]byte, e ChainEntry) [ChainSize]byte {
	b := make([]byte, 0, 16+ChainSize+8+2+len(e.Doctype)+2+len(e.ID)+8+32+1)
	b = append(b, "hearth-chain-v1\x00"...)
	b = append(b, prev[:]...)
	b = binary.BigEndian.AppendUint64(b, e.Seq)
	b = binary.BigEndian.AppendUint16(b, uint16(len(e.Doctype)))
	b = append(b, e.Doctype...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(e.ID)))
	b = append(b, e.ID...)
	b = binary.BigEndian.AppendUint64(b, e.Rev)
	b = append(b, e.Digest[:]...)
	if e.Deleted {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	return sha256.Sum256(b)
}
