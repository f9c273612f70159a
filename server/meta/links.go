package meta

import (
	"context"
	"errors"
	"time"
)

// Share and drop links (spec/protocol.md §4.5, §8.12). The server knows a
// link by its id and keeps what it enforces without the link's key: the
// verifier (SHA-256 of the access proof), expiry, open limit, revocation,
// the blobs a share link reaches and its sealed manifest, a drop link's
// limits, and its tokens (by hash).

// Link kinds.
const (
	LinkShare = "share"
	LinkDrop  = "drop"
)

// Why a link is gone (§8.12): checked in this order.
const (
	GoneRevoked   = "revoked"
	GoneExpired   = "expired"
	GoneExhausted = "exhausted"
)

// FilesDoctype is the doctype of the files links give (§6.3).
const FilesDoctype = "io.hearth.files"

// DropsDoctype is the reserved doctype a link owner's drops are stored in.
const DropsDoctype = "io.hearth.drops"

// MaxLinks is the most links one account holds, revoked ones included.
const MaxLinks = 10000

// ErrGone: the link is revoked, expired or used up; errors.As gives a
// *GoneError with the reason.
var ErrGone = errors.New("meta: link gone")

// ErrLinkLimit: a drop does not fit in what is left of its link's limits.
var ErrLinkLimit = errors.New("meta: past the link's limits")

// A GoneError says why a link is gone. It is ErrGone.
type GoneError struct{ Reason string }

func (e *GoneError) Error() string        { return "meta: link " + e.Reason }
func (e *GoneError) Is(target error) bool { return target == ErrGone }

// A Link is a share or drop link of an account.
type Link struct {
	ID       string // a server-id the owner's client drew; unique over all accounts, for ever
	User     string
	Kind     string // LinkShare or LinkDrop
	Created  time.Time
	Expires  time.Time
	MaxOpens int64 // 0: no limit
	Opens    int64
	LastOpen time.Time // zero: never
	Revoked  time.Time // zero: not revoked
	Failures int64     // wrong proofs
	Verifier [32]byte  // SHA-256 of the access proof
	Salt     []byte    // the password's salt; nil: no password
	KDF      *KDF      // the password's parameters; nil: no password
	Manifest []byte    // share links: the sealed manifest
	Version  uint64    // share links: the manifest's version
	Blobs    []string  // share links: the blob ids (io.hearth.files) it reaches, sorted
	Drop     *DropInfo // drop links
}

// DropInfo is a drop link's recipient and limits, and what it took.
type DropInfo struct {
	Recipient   string
	Tag         []byte
	MaxFiles    int64
	MaxFileSize int64
	MaxTotal    int64
	Files       int64 // every drop it took
	Bytes       int64
	Pending     int64 // drops not yet deleted (filled in by Link and Links)
}

// Gone returns why l is gone at now, or "" if it is not.
func (l *Link) Gone(now time.Time) string {
	switch {
	case !l.Revoked.IsZero():
		return GoneRevoked
	case !now.Before(l.Expires):
		return GoneExpired
	case l.Kind == LinkShare && l.MaxOpens > 0 && l.Opens >= l.MaxOpens,
		l.Drop != nil && (l.Drop.Files >= l.Drop.MaxFiles || l.Drop.Bytes >= l.Drop.MaxTotal):
		return GoneExhausted
	}
	return ""
}

// A LinkUpdate changes a link (§8.12.1); nil fields stay.
type LinkUpdate struct {
	Expires  *time.Time
	MaxOpens *int64
	Manifest []byte // with Version and Blobs, a new manifest
	Version  uint64
	Blobs    []string
}

// A LinkToken is a token a share link's open gave; the server keeps its
// hash.
type LinkToken struct {
	Hash    [32]byte
	Link    string
	Expires time.Time
}

// Links stores links, their tokens and their drops.
type Links interface {
	// CreateLink stores l for l.User: ErrExists when its id was ever used
	// (by any account), ErrNotFound without such an account, ErrTooMany
	// past MaxLinks, ErrQuota when its manifest (and EntryBytes) would take
	// the account past its byte limit.
	CreateLink(ctx context.Context, l *Link) error
	// Link returns the link with id, of whatever account, or ErrNotFound.
	Link(ctx context.Context, id string) (*Link, error)
	// Links lists user's links, oldest first.
	Links(ctx context.Context, user string) ([]*Link, error)
	// UpdateLink applies u to user's link id and returns it: ErrNotFound
	// for no such link of user's, ErrGone if it is revoked, ErrConflict
	// (a new manifest whose Version is not the current one plus 1), ErrQuota.
	UpdateLink(ctx context.Context, user, id string, u *LinkUpdate) (*Link, error)
	// RevokeLink revokes user's link id at at (a revoked link stays
	// revoked at its first time), deletes its tokens and ends the upload
	// sessions strangers opened through it (they expire at at, and the
	// sweeper removes them), in one transaction; ErrNotFound for no such
	// link of user's.
	RevokeLink(ctx context.Context, user, id string, at time.Time) error
	// OpenLink, in one transaction, checks that share link id is not gone
	// at now (a *GoneError otherwise; ErrNotFound for no share link),
	// counts an open at now and stores t. Concurrent opens never pass
	// MaxOpens together.
	OpenLink(ctx context.Context, id string, now time.Time, t *LinkToken) (*Link, error)
	// LinkFailure counts a wrong proof for link id (no link: nothing).
	LinkFailure(ctx context.Context, id string) error
	// LinkTokenByHash returns a stored link token (expired or not), or
	// ErrNotFound; revoking the link deletes its tokens.
	LinkTokenByHash(ctx context.Context, hash [32]byte) (*LinkToken, error)
	// PutDrop, in one transaction, checks that drop link linkID is not gone
	// at now (*GoneError; ErrNotFound if no drop link) and that row fits
	// its limits (ErrLinkLimit), stores row (Doctype DropsDoctype) as a
	// blob row of the link's owner (as PutBlobRow: ErrExists, ErrQuota),
	// and counts it against the link.
	PutDrop(ctx context.Context, linkID string, row *BlobRow, now time.Time) error
	// Drops lists the live drops of user's link linkID, oldest first;
	// ErrNotFound for no such link of user's.
	Drops(ctx context.Context, user, linkID string) ([]*BlobRow, error)
	// DeleteDrop deletes a live drop of user's link (ErrNotFound if none)
	// as DeleteBlobRow does, reporting whether any row still names its
	// digest; the link's counts stay.
	DeleteDrop(ctx context.Context, user, linkID, dropID string) (digestInUse bool, err error)
}
