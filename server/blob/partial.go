package blob

import (
	"context"
	"errors"
	"io"
)

// ErrIncomplete: CommitPartial of a partial body whose bytes have not all
// arrived.
var ErrIncomplete = errors.New("blob: partial body incomplete")

// A Partial is a body arriving in pieces (an upload session, spec §8.7.3),
// as its caller records it between calls: the store keeps the bytes, the
// caller keeps this (in the session's row), and hands it back with each
// call. Recording it after each AppendPartial is what makes the bytes
// count: bytes a store holds past a recorded Offset (appended before a
// crash, never recorded) are dropped by the next AppendPartial.
type Partial struct {
	Name   string // chosen by the store at BeginPartial: 32 lower-case hex digits
	Size   int64  // the whole body's announced size
	Offset int64  // bytes stored durably so far
	Hash   []byte // the SHA-256 state after those bytes (encoding.BinaryMarshaler of crypto/sha256)
}

// Partials keeps bodies that arrive in pieces. A partial body is invisible
// to Get and Enumerate until CommitPartial stores it as Put would.
//
// The shape maps onto the multipart uploads of S3-compatible storage (a
// later store): BeginPartial is CreateMultipartUpload on a key under an
// uploads/ prefix, with the upload id as Name; AppendPartial uploads the
// bytes as parts (UploadPart, part numbers in order, each part's ETag kept
// in the store's own small state object or listed back with ListParts),
// holding a piece shorter than S3's 5 MiB minimum part as a small object of
// its own until the next piece fills it (only the last part may be short),
// and never re-uploading a part whose bytes lie below the recorded Offset;
// CommitPartial is CompleteMultipartUpload then a server-side copy
// (CopyObject, or UploadPartCopy above 5 GiB) to the digest's key, and
// AbortMultipartUpload of what is left; RemovePartial is
// AbortMultipartUpload; EnumeratePartials is ListMultipartUploads. The
// SHA-256 state travels in Partial, as here, so no store reads a body back
// to learn its digest.
type Partials interface {
	// BeginPartial starts a partial body of size bytes (1 or more) and
	// returns it at offset 0, durably made: it survives a crash. A size
	// over the store's limit is ErrTooLarge; a full storage ErrNoSpace.
	BeginPartial(ctx context.Context, size int64) (Partial, error)
	// AppendPartial reads up to n bytes from r, appends them at p.Offset
	// and makes them durable (for disk: fsynced), then returns p advanced
	// by the bytes stored, which the caller records. It returns the
	// advanced p also with an error: when r ends early (ErrTruncated) or
	// fails, or ctx is cancelled, the prefix that arrived is kept and
	// counted. p.Offset+n past p.Size is ErrTooLarge before anything is
	// read. An unknown partial, or one holding fewer than p.Offset bytes
	// (lost), is ErrNotFound. A full storage is ErrNoSpace.
	AppendPartial(ctx context.Context, p Partial, r io.Reader, n int64) (Partial, error)
	// CommitPartial stores a complete partial body (p.Offset == p.Size,
	// else ErrIncomplete) under its digest, exactly as Put would (for disk:
	// fsynced, renamed into place, the directory fsynced), and returns the
	// digest; the partial is gone. If want is non-nil and differs, it
	// returns ErrDigestMismatch, stores nothing and keeps the partial (the
	// caller removes it). An unknown or lost partial is ErrNotFound.
	CommitPartial(ctx context.Context, p Partial, want *Digest) (Digest, error)
	// RemovePartial deletes a partial body; an unknown name is not an
	// error.
	RemovePartial(ctx context.Context, name string) error
	// EnumeratePartials calls fn with the name of every partial body, in
	// no particular order, until fn returns an error, which it returns
	// (start-up clean-up removes those no session names).
	EnumeratePartials(ctx context.Context, fn func(name string) error) error
}
