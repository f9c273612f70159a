package blobtest

import (
	"context"
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/hearthcloud/hearth/server/blob"
)

// Body returns n bytes of deterministic pseudo-random data; different seeds
// give different bodies.
func Body(seed uint64, n int) []byte {
	b := make([]byte, n)
	var key [32]byte
	key[0], key[1] = byte(seed), byte(seed>>8)
	rand.NewChaCha8(key).Read(b)
	return b
}

// Sum is the digest of b.
func Sum(b []byte) blob.Digest { return sha256.Sum256(b) }

// failReader fails the test if it is read.
type failReader struct{ t *testing.T }

func (r failReader) Read([]byte) (int, error) {
	r.t.Error("Put read the body of a request it should have refused")
	return 0, io.EOF
}

// errReader yields the first n bytes of b, then err.
type errReader struct {
	b   []byte
	n   int
	err error
}

func (r *errReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, r.err
	}
	m := copy(p[:min(len(p), r.n)], r.b)
	r.b, r.n = r.b[m:], r.n-m
	return m, nil
}

// cancelReader yields b, calling cancel once more than after bytes have
// been read.
type cancelReader struct {
	b      []byte
	read   int
	after  int
	cancel context.CancelFunc
}

func (r *cancelReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	m := copy(p, r.b)
	r.b = r.b[m:]
	r.read += m
	if r.read > r.after {
		r.cancel()
	}
	return m, nil
}
