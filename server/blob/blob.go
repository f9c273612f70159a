// Package blob stores the sealed bytes of blobs and index segments for the
// Hearth server (spec/protocol.md §8.7, §8.8). The bytes are opaque
// ciphertext; this package never interprets them.
//
// A Store is content addressed: Put streams a body to durable storage and
// returns its SHA-256 digest, the key under which it is kept. The metadata
// store (package meta) maps an account's (doctype, id) to a digest, and a
// handler commits that row only after Put has returned, so a crash never
// leaves a row pointing at a half-written body.
//
// A body may also arrive in pieces, over several requests (an upload
// session, §8.7.3): Partials (partial.go) keeps it aside, invisible, until
// it is complete and committed under its digest as Put would store it.
//
// Implementations: memory (tests) and disk (the embedded default), each run
// through the conformance suite in blobtest.
package blob

import (
	"context"
	"errors"
	"io"
)

// A Digest is the SHA-256 of a stored body.
type Digest [32]byte

// Errors. Callers map them to the protocol's error codes.
var (
	ErrNotFound       = errors.New("blob: not found")
	ErrTooLarge       = errors.New("blob: body larger than allowed")
	ErrTruncated      = errors.New("blob: body shorter than announced")
	ErrDigestMismatch = errors.New("blob: body does not match the announced digest")
	// ErrNoSpace: the storage is full (or the operator's quota on it is
	// reached); nothing was stored, and the same Put may succeed once
	// space is freed.
	ErrNoSpace = errors.New("blob: no space left on the storage")
)

// Putter stores bodies.
type Putter interface {
	// Put reads exactly size bytes from r and stores them durably: when it
	// returns nil, the body survives a crash (for disk: written to a
	// temporary file, fsynced, renamed, directory fsynced). It returns the
	// body's digest. If want is non-nil and the body's digest differs, it
	// stores nothing and returns ErrDigestMismatch. If r ends before size
	// bytes it stores nothing and returns ErrTruncated; if r holds more than
	// size bytes, the extra is not read. A size over the store's limit is
	// ErrTooLarge before anything is read. Storing a body that is already
	// present succeeds and keeps one copy. Put never holds the whole body in
	// memory. A failed or cancelled Put leaves nothing behind. A full
	// storage is ErrNoSpace.
	Put(ctx context.Context, r io.Reader, size int64, want *Digest) (Digest, error)
}

// Getter reads bodies.
type Getter interface {
	// Get opens the body with digest d for reading, with its size. The
	// reader supports Seek (for HTTP range requests) and must be closed.
	// A missing body is ErrNotFound.
	Get(ctx context.Context, d Digest) (io.ReadSeekCloser, int64, error)
}

// Remover deletes bodies.
type Remover interface {
	// Remove deletes the body with digest d. Removing a missing body is not
	// an error. The caller removes a body only when no row refers to it.
	Remove(ctx context.Context, d Digest) error
}

// Enumerator lists bodies, for garbage collection and checks.
type Enumerator interface {
	// Enumerate calls fn for every stored body, in no particular order,
	// until fn returns an error, which Enumerate then returns.
	Enumerate(ctx context.Context, fn func(d Digest, size int64) error) error
}

// Store is everything a server needs from blob storage.
type Store interface {
	Putter
	Getter
	Remover
	Enumerator
	Partials
}
