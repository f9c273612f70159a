package keyring

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"

	"github.com/hearthcloud/hearth/crypto/internal/format"
	"github.com/hearthcloud/hearth/crypto/seal"
)

// DigestSize is the size of a keyring digest.
const DigestSize = sha256.Size

// A Digest names one revision of a keyring (§4.2): the SHA-256 of its
// plaintext, bound to the user name and the revision. Each revision's
// plaintext lists the digests of every revision before it (its history),
// so a device that remembers the revision and digest of the keyring it last
// opened can tell whether a keyring it is served descends from that one or
// from a fork the host kept aside.
type Digest [DigestSize]byte

// IsZero reports whether d is the all-zero digest, which a history uses for
// a revision whose digest its writer did not know (written before §4.2
// named histories).
func (d Digest) IsZero() bool { return format.IsZero(d[:]) }

// ErrFork is returned by Descends for a keyring that does not descend from
// the revision the caller remembers. It is an integrity failure:
// errors.Is(err, ErrIntegrity) holds.
var ErrFork = fmt.Errorf("%w: the keyring does not descend from the one this device opened (forked)", ErrIntegrity)

// errRolledBack is Descends' answer to a revision below the one remembered.
var errRolledBack = fmt.Errorf("%w: the keyring's revision is below the one this device opened (rolled back)", ErrIntegrity)

// digestOf is keyring-digest of §4.2 over the plaintext js of user's
// keyring at revision rev.
func digestOf(user string, rev uint64, js []byte) Digest {
	h := sha256.New()
	b := format.Context("hearth-keyring-digest-v1")
	b = format.AppendString(b, user)
	b = format.AppendUint64(b, rev)
	h.Write(b)
	h.Write(js)
	var d Digest
	h.Sum(d[:0])
	return d
}

// Revision returns the revision this keyring was opened at and its digest;
// zero for a keyring made by New, which has never been sealed.
func (kr *Keyring) Revision() (uint64, Digest) { return kr.rev, kr.digest }

// Descends reports whether this keyring is, or descends from, revision rev
// with digest d: the one a device opened before. It returns nil when rev is
// zero (the device remembers nothing), when rev and d are this keyring's
// own, or when the history names d at rev (an all-zero entry, written by a
// client older than histories, matches any digest). Otherwise it returns
// ErrFork, or an integrity error for a rev above this keyring's own (a
// keyring older than the one remembered).
func (kr *Keyring) Descends(rev uint64, d Digest) error {
	switch {
	case rev == 0:
		return nil
	case rev > kr.rev:
		return errRolledBack
	case rev == kr.rev:
		if subtle.ConstantTimeCompare(d[:], kr.digest[:]) == 1 {
			return nil
		}
		return ErrFork
	}
	if kr.history == nil { // a keyring written before histories
		return nil
	}
	var h Digest
	copy(h[:], kr.history[(rev-1)*DigestSize:rev*DigestSize])
	if h.IsZero() || h == d {
		return nil
	}
	return ErrFork
}

// historyFor returns the history to seal into revision rev of this
// keyring: its own for a reseal of the same revision, its own followed by
// its digest for the next one. Any other revision would leave a gap in the
// history, or rewrite it.
func (kr *Keyring) historyFor(rev uint64) ([]byte, error) {
	switch {
	case rev == kr.rev && kr.rev > 0:
		return kr.history, nil
	case rev == kr.rev+1:
		if kr.rev == 0 {
			return []byte{}, nil
		}
		h := kr.history
		if h == nil { // opened from a keyring written before histories
			h = make([]byte, (kr.rev-1)*DigestSize)
		}
		return append(h[:len(h):len(h)], kr.digest[:]...), nil
	}
	return nil, fmt.Errorf("keyring: a keyring opened at revision %d can be sealed for revision %d or %d only, not %d", kr.rev, max(kr.rev, 1), kr.rev+1, rev)
}

// checkHistory checks a history read from revision rev's plaintext: nil
// (absent: written before histories) or exactly rev-1 digests.
func checkHistory(h []byte, rev uint64) error {
	if h == nil {
		return nil
	}
	if uint64(len(h)) != (rev-1)*DigestSize {
		return errors.New("the history's length is not that of the revisions before")
	}
	return nil
}

// Clone returns a deep copy of the keyring, at the same revision: a change
// to the copy (a new doctype, a rotation) leaves kr as it was, for a writer
// that adopts the change only once the server took it.
func (kr *Keyring) Clone() *Keyring {
	n := *kr
	n.sign = ed25519.NewKeyFromSeed(kr.sign.Seed())
	rk := *kr.recovery
	n.recovery = &rk
	n.history = bytes.Clone(kr.history)
	n.removed = slices.Clone(kr.removed)
	n.doctypes = make(map[string]*seal.KeySet, len(kr.doctypes))
	for d, ks := range kr.doctypes {
		n.doctypes[d] = ks.Clone()
	}
	return &n
}
