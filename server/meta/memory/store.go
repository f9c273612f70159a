// Package memory is an in-memory meta.Store, which the tests of the API,
// the client library and the browser client run the server on; it remembers
// nothing across restarts.
//
// It keeps the same promises as the durable implementation (it passes the
// conformance suite in metatest): every method is atomic under one mutex,
// feed sequences start at 1 with no gaps, and values handed in or out are
// copied, so callers never share memory with the store.
package memory

import (
	"fmt"
	"sync"

	"github.com/hearthcloud/hearth/server/meta"
)

var _ meta.Store = (*Store)(nil)

// A Store is an in-memory meta.Store. The zero value is not usable; call New.
type Store struct {
	mu       sync.Mutex
	accounts map[string]*account
	tokens   map[string]*tokenRec // by ID
	byHash   map[[32]byte]string  // token hash to ID
	tokenSeq uint64               // creation order, breaks ties in Tokens
	digests  map[[32]byte]int     // live blob rows and installed apps naming each digest
	defaults meta.Limits          // SetDefaultLimits
	invites  map[[32]byte]meta.Invite
	passkeys map[string]string // credential id to its account

	links      map[string]*linkRec // by id, every account's (links.go)
	linkSeq    uint64
	linkTokens map[[32]byte]meta.LinkToken
}

// account holds everything stored for one user.
type account struct {
	a            meta.Account
	keyringRev   uint64
	keyring      []byte
	recoveryRing []byte
	totp         *meta.TOTPState
	doctypes     map[string]bool
	docs         map[docKey]*meta.Doc
	feed         []meta.Change // feed[i].Seq == i+1; Sealed never set
	blobs        map[blobKey]*blobRec
	uploads      map[docKey]*meta.Upload // upload sessions (uploads.go)
	manifests    map[string]*manifestRec // by doctype
	apps         map[string]*meta.App    // installed apps by slug
	passkeys     []meta.Passkey          // oldest first
	used         meta.Usage              // kept by every write, as the quota counts (meta.Limits)
	own          meta.Limits             // SetLimits; DefaultLimit: none of its own
}

type manifestRec struct {
	rev    uint64
	sealed []byte
}

type docKey struct{ doctype, id string }

type blobKey struct {
	doctype, id string
	segment     bool
}

type blobRec struct {
	row     meta.BlobRow
	deleted bool
}

type tokenRec struct {
	t        meta.Token
	order    uint64
	grantRev uint64 // 0: no grant
	grant    []byte
}

// New returns an empty store.
func New() *Store {
	return &Store{
		accounts: make(map[string]*account),
		tokens:   make(map[string]*tokenRec),
		byHash:   make(map[[32]byte]string),
		digests:  make(map[[32]byte]int),
		invites:  make(map[[32]byte]meta.Invite),
		passkeys: make(map[string]string),
		links:    make(map[string]*linkRec),

		linkTokens: make(map[[32]byte]meta.LinkToken),
	}
}

// Close releases nothing; the store stays usable.
func (s *Store) Close() error { return nil }

// account returns user's account or ErrNotFound. The caller holds s.mu.
func (s *Store) account(op, user string) (*account, error) {
	a, ok := s.accounts[user]
	if !ok {
		return nil, fmt.Errorf("%s: account: %w", op, meta.ErrNotFound)
	}
	return a, nil
}

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}

func cloneAll(bs [][]byte) [][]byte {
	if bs == nil {
		return nil
	}
	out := make([][]byte, len(bs))
	for i, b := range bs {
		out[i] = clone(b)
	}
	return out
}

// release drops one row's claim on digest d and reports whether another
// row still names it. The caller holds s.mu.
func (s *Store) release(d [32]byte) bool {
	s.digests[d]--
	if s.digests[d] <= 0 {
		delete(s.digests, d)
		return false
	}
	return true
}
