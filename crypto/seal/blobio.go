package seal

import (
	"encoding/binary"
	"errors"
	"io"

	"filippo.io/age"
)

// BlobWriter seals a blob as it is written. Write exactly Meta.Size content
// bytes, then Close, which appends the padding and the final chunk.
type BlobWriter struct {
	w         io.WriteCloser // age STREAM
	remaining int64
	padding   int64
	err       error
}

// NewBlobWriter writes to dst the header of a blob sealed with k for
// purpose p as ref, with metadata meta, and returns a writer for its content.
// The total size of what reaches dst is SealedBlobSize(k, p, ref, meta).
func NewBlobWriter(dst io.Writer, k *Key, p Purpose, ref BlobRef, meta Meta) (*BlobWriter, error) {
	mb, err := blobArgs(k, p, ref, meta)
	if err != nil {
		return nil, err
	}
	w, err := age.Encrypt(dst, &blobRecipient{key: k, purpose: p, ref: ref})
	if err != nil {
		return nil, err
	}
	return startBlob(w, mb, meta.Size)
}

// blobArgs checks the arguments of a blob sealed with k for purpose p as
// ref, and returns its encoded metadata.
func blobArgs(k *Key, p Purpose, ref BlobRef, meta Meta) ([]byte, error) {
	if err := ref.check(); err != nil {
		return nil, err
	}
	if _, err := p.wrapKey(k); err != nil {
		return nil, err
	}
	return encodeMeta(meta)
}

// startBlob writes the metadata frame of mb (§6.1: its length, then it)
// to w, a blob's age STREAM, and returns the writer of the size bytes of
// content and the padding that follow.
func startBlob(w io.WriteCloser, mb []byte, size int64) (*BlobWriter, error) {
	frame := binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(mb)), uint32(len(mb)))
	if _, err := w.Write(append(frame, mb...)); err != nil {
		return nil, err
	}
	return &BlobWriter{
		w:         w,
		remaining: size,
		padding:   paddedBlobLen(len(mb), size) - 4 - int64(len(mb)) - size,
	}, nil
}

// sealedSize is the size of a sealed blob whose age header (with the
// payload's nonce) takes header bytes, with metadata of mbLen bytes and
// size bytes of content: the padded payload and a tag for each chunk.
func sealedSize(header int64, mbLen int, size int64) int64 {
	plain := paddedBlobLen(mbLen, size)
	chunks := max((plain+chunkSize-1)/chunkSize, 1)
	return header + plain + chunks*tagLen
}

// Write seals content. Writing more than the announced size fails with
// ErrSizeMismatch and writes nothing of p.
func (bw *BlobWriter) Write(p []byte) (int, error) {
	if bw.err != nil {
		return 0, bw.err
	}
	if int64(len(p)) > bw.remaining {
		bw.err = ErrSizeMismatch
		return 0, bw.err
	}
	n, err := bw.w.Write(p)
	bw.remaining -= int64(n)
	if err != nil {
		bw.err = err
	}
	return n, err
}

var zeros [64 << 10]byte

// Close writes the padding and the final chunk. It fails with
// ErrSizeMismatch if fewer bytes than announced were written; the output is
// then not a valid blob.
func (bw *BlobWriter) Close() error {
	if bw.err != nil {
		return bw.err
	}
	if bw.remaining != 0 {
		bw.err = ErrSizeMismatch
		return bw.err
	}
	for bw.padding > 0 {
		n := min(bw.padding, int64(len(zeros)))
		if _, err := bw.w.Write(zeros[:n]); err != nil {
			bw.err = err
			return err
		}
		bw.padding -= n
	}
	bw.err = errors.New("seal: blob writer is closed")
	return bw.w.Close()
}

// countWriter counts what is written to it.
type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }

// SealedBlobSize returns the exact number of bytes NewBlobWriter produces for
// these arguments, so a client can announce a Content-Length before it
// streams an upload.
func SealedBlobSize(k *Key, p Purpose, ref BlobRef, meta Meta) (int64, error) {
	if err := ref.check(); err != nil {
		return 0, err
	}
	mb, err := encodeMeta(meta)
	if err != nil {
		return 0, err
	}
	var header countWriter // age writes its header and nonce at once
	if _, err := age.Encrypt(&header, &blobRecipient{key: k, purpose: p, ref: ref}); err != nil {
		return 0, err
	}
	return sealedSize(int64(header), len(mb), meta.Size), nil
}

const chunkSize = 64 << 10 // age STREAM chunk size

// BlobReader opens a sealed blob as it is read. Content is released one
// authenticated 64 KiB chunk at a time, so a caller that must not keep
// partial data (a download to a file) writes to a temporary place and keeps
// it only once Read has returned io.EOF.
type BlobReader struct {
	r         io.Reader
	meta      Meta
	tag       []byte // the metadata's "tag", if any (drops)
	remaining int64
	padding   int64
	err       error
}

// OpenBlob reads the header and metadata of a blob that the host claims is
// ref, sealed for purpose p with one of keys. Any failure, then or in a later
// Read, is ErrIntegrity.
func OpenBlob(src io.Reader, keys *KeySet, p Purpose, ref BlobRef) (*BlobReader, error) {
	if ref.check() != nil {
		return nil, ErrIntegrity
	}
	r, err := age.Decrypt(src, &blobIdentity{keys: keys, purpose: p, ref: ref})
	if err != nil {
		return nil, ErrIntegrity
	}
	return openPayload(r)
}

// Meta returns the blob's authenticated metadata.
func (br *BlobReader) Meta() Meta { return br.meta }

// Read returns content. It returns io.EOF only after the padding and the end
// of the stream have been authenticated too.
func (br *BlobReader) Read(p []byte) (int, error) {
	if br.err != nil {
		return 0, br.err
	}
	if br.remaining == 0 {
		br.err = br.finish()
		return 0, br.err
	}
	if int64(len(p)) > br.remaining {
		p = p[:br.remaining]
	}
	n, err := br.r.Read(p)
	br.remaining -= int64(n)
	if err == io.EOF && br.remaining > 0 || err != nil && err != io.EOF {
		br.err = ErrIntegrity
		return n, br.err
	}
	return n, nil
}

// finish authenticates the padding and the end of the stream.
func (br *BlobReader) finish() error {
	buf := make([]byte, chunkSize)
	for {
		n, err := br.r.Read(buf)
		if int64(n) > br.padding {
			return ErrIntegrity
		}
		for _, c := range buf[:n] {
			if c != 0 {
				return ErrIntegrity
			}
		}
		br.padding -= int64(n)
		if err == io.EOF {
			if br.padding != 0 {
				return ErrIntegrity
			}
			return io.EOF
		}
		if err != nil {
			return ErrIntegrity
		}
	}
}
