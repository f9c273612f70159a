// Package seal implements Hearth's sealed formats for items: documents
// (spec/protocol.md §5), blobs and index segments (§6, §7.1), and the
// manifests of search indexes (§7.2).
//
// Everything is sealed with a doctype key: a 32-byte secret known only to
// the user's clients and to the apps granted that doctype. Each format binds
// what it is stored as (doctype, identifier, revision, purpose) into the
// associated data, so the host cannot swap, move or replay an item without
// the open failing.
//
// Every failure to open a sealed item, whatever its cause (a flipped bit, a
// wrong key, a truncated header, a swapped identifier), returns ErrIntegrity
// and nothing else, so the host learns nothing from which check failed.
package seal

import (
	"crypto/rand"
	"errors"
	"io"
)

// ErrIntegrity is the one error returned when a sealed item cannot be
// authenticated: it was changed, truncated, moved, replayed, or sealed with
// a key the caller does not have.
var ErrIntegrity = errors.New("integrity check failed: the data was changed, replayed or does not belong here")

// ErrWeakKey is returned for all-zero or otherwise degenerate keys.
var ErrWeakKey = errors.New("seal: refusing a degenerate (all-zero or malformed) key")

// randReader is the source of nonces. Tests in this package replace it to
// reproduce the test vectors byte for byte; nothing else may.
var randReader io.Reader = rand.Reader

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := io.ReadFull(randReader, b); err != nil {
		panic("seal: random source failed: " + err.Error())
	}
	return b
}
