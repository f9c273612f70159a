// Package body reads a blob body of announced size the way every blob.Store
// implementation must: exactly size bytes and not one more, hashed with
// SHA-256 on the way through, stopping between chunks when the context is
// cancelled.
package body

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"

	"github.com/hearthcloud/hearth/server/blob"
)

// ChunkSize is the largest chunk Copy reads and writes at a time.
const ChunkSize = 1 << 20

// Copy reads exactly size bytes from r, writes them to w in chunks of at most
// ChunkSize bytes, and returns their digest. It checks ctx before each chunk
// and once more at the end, returning ctx.Err() if it was cancelled. If r
// ends early (io.EOF or io.ErrUnexpectedEOF, the latter being how net/http
// reports a request body cut short) the error wraps blob.ErrTruncated.
// If want is non-nil and differs from the digest, the error wraps
// blob.ErrDigestMismatch. Copy never reads past size bytes.
func Copy(ctx context.Context, w io.Writer, r io.Reader, size int64, want *blob.Digest) (blob.Digest, error) {
	var d blob.Digest
	if size < 0 {
		return d, fmt.Errorf("negative size %d", size)
	}
	h := sha256.New()
	buf := make([]byte, min(size, ChunkSize))
	for done := int64(0); done < size; {
		if err := ctx.Err(); err != nil {
			return d, err
		}
		n, err := io.ReadFull(r, buf[:min(size-done, ChunkSize)])
		done += int64(n)
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return d, fmt.Errorf("body ended after %d of %d bytes: %w", done, size, blob.ErrTruncated)
		}
		if err != nil {
			return d, fmt.Errorf("reading body: %w", err)
		}
		h.Write(buf[:n])
		if _, err := w.Write(buf[:n]); err != nil {
			return d, err
		}
	}
	if err := ctx.Err(); err != nil {
		return d, err
	}
	h.Sum(d[:0])
	if want != nil && *want != d {
		return blob.Digest{}, fmt.Errorf("got %x, want %x: %w", d, *want, blob.ErrDigestMismatch)
	}
	return d, nil
}
