package body

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/hearthcloud/hearth/server/blob"
)

// What every store's partial bodies (blob.Partials) share: their names,
// their SHA-256 state, and the copy of one piece.

// NewName returns a fresh partial body's name: 32 lower-case hex digits.
func NewName() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// ValidName reports whether name is one NewName could have made, so that a
// name read back from a database is never a path.
func ValidName(name string) bool {
	if len(name) != 32 {
		return false
	}
	for i := range len(name) {
		if c := name[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// Start returns a partial body of size bytes named name, at offset 0.
func Start(name string, size int64) blob.Partial {
	return blob.Partial{Name: name, Size: size, Hash: state(sha256.New())}
}

// state is h's marshalled state.
func state(h hash.Hash) []byte {
	b, err := h.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		panic("body: SHA-256 state: " + err.Error()) // crypto/sha256 never fails
	}
	return b
}

// resume returns a SHA-256 hash in state s.
func resume(s []byte) (hash.Hash, error) {
	h := sha256.New()
	if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(s); err != nil {
		return nil, fmt.Errorf("partial body: bad hash state: %w", err)
	}
	return h, nil
}

// Digest is the digest of a complete partial body, from its hash state.
func Digest(p blob.Partial) (blob.Digest, error) {
	var d blob.Digest
	h, err := resume(p.Hash)
	if err != nil {
		return d, err
	}
	h.Sum(d[:0])
	return d, nil
}

// CheckAppend checks what AppendPartial checks before reading: a sane p
// and n bytes that fit in it.
func CheckAppend(p blob.Partial, n int64) error {
	if !ValidName(p.Name) {
		return fmt.Errorf("partial body %q: %w", p.Name, blob.ErrNotFound)
	}
	if n < 0 || p.Offset < 0 || p.Offset > p.Size {
		return fmt.Errorf("partial body: bad offset %d or length %d", p.Offset, n)
	}
	if n > p.Size-p.Offset {
		return fmt.Errorf("partial body: %d bytes at %d pass its size %d: %w", n, p.Offset, p.Size, blob.ErrTooLarge)
	}
	return nil
}

// Append reads up to n bytes from r and writes them to w, hashing them
// on from p's state, in chunks of at most ChunkSize bytes, checking ctx
// before each. It returns p advanced by the bytes written whole (a chunk
// whose write failed counts for nothing: the next append drops it), and
// the error that stopped it: ErrTruncated if r ended before n bytes.
func Append(ctx context.Context, w io.Writer, r io.Reader, p blob.Partial, n int64) (blob.Partial, error) {
	h, err := resume(p.Hash)
	if err != nil {
		return p, err
	}
	buf := make([]byte, min(n, ChunkSize))
	var done int64
	advanced := func() blob.Partial {
		q := p
		q.Offset += done
		q.Hash = state(h)
		return q
	}
	for done < n {
		if err := ctx.Err(); err != nil {
			return advanced(), err
		}
		m, rerr := io.ReadFull(r, buf[:min(n-done, ChunkSize)])
		if m > 0 {
			if _, err := w.Write(buf[:m]); err != nil {
				return advanced(), err
			}
			h.Write(buf[:m])
			done += int64(m)
		}
		if errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF) {
			return advanced(), fmt.Errorf("piece ended after %d of %d bytes: %w", done, n, blob.ErrTruncated)
		}
		if rerr != nil {
			return advanced(), fmt.Errorf("reading piece: %w", rerr)
		}
	}
	return advanced(), nil
}
