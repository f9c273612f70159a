package meta

import (
	"context"
	"time"
)

// An Upload is an open upload session (spec §8.7.3): a blob of an account
// arriving in pieces, its bytes kept aside by the blob store under the
// name Partial (blob.Partials) until the session completes into a blob
// row. Nothing of it is visible as a blob before then.
type Upload struct {
	Doctype string
	ID      string // the blob's id
	Size    int64  // the blob's sealed size
	Offset  int64  // bytes stored durably so far
	Hash    []byte // the SHA-256 state after Offset bytes (opaque here)
	Partial string // the blob store's name for the bytes
	Created time.Time
	Expires time.Time // 24 h after the last append
	// Link is, for a stranger's session through a drop link (Doctype
	// DropsDoctype), the link's id: its sessions together hold no more
	// than the link still takes, and revoking the link ends them.
	Link string
}

// An ExpiredUpload names a session of some account that expired.
type ExpiredUpload struct {
	User    string
	Doctype string
	ID      string
	Partial string
}

// MaxUploads is the most upload sessions one account holds open at once
// (§8.1.10); sessions that expired do not count, and neither do the drop
// sessions strangers open through the account's drop links, which have
// a limit of their own, MaxDropUploads: a stranger cannot take the
// sessions the account's own devices need.
const (
	MaxUploads     = 32
	MaxDropUploads = 8
)

// UploadLimit is the most sessions of doctype's kind an account holds
// open at once: MaxDropUploads for DropsDoctype, MaxUploads for the others
// together.
func UploadLimit(doctype string) int {
	if doctype == DropsDoctype {
		return MaxDropUploads
	}
	return MaxUploads
}

// Uploads keeps the upload sessions. Sessions are the account's, one per
// doctype and blob id. A session that expired is still returned by Upload
// and refused by CreateUpload (the caller discards it first, with its
// bytes), but counts in no limit.
type Uploads interface {
	// CreateUpload records a new session for user, checking in one atomic
	// step, in this order: ErrNotFound without the account; ErrExists
	// when a session of the doctype and id is stored (expired or not), or
	// when a blob row of the id ever existed, deleted or not (ids are
	// never reused); ErrTooMany when the account holds
	// UploadLimit(u.Doctype) sessions of u.Doctype's kind (drops, or not)
	// not expired at u.Created; with u.Link, ErrNotFound when it names no
	// drop link of the account, and ErrLinkLimit when u.Size and the
	// sizes of the link's sessions not expired at u.Created, beside the
	// bytes of its drops, pass its MaxTotal, or those sessions and its
	// drops reach its MaxFiles (a stranger's sessions hold no more of
	// the owner's quota than the link takes); ErrQuota when u.Size, plus
	// EntryBytes for the row the blob will make, plus the sizes of the
	// account's sessions not expired at u.Created, does not fit in its
	// byte limit (Quotas). It stores nothing on error.
	CreateUpload(ctx context.Context, user string, u *Upload) error
	// Upload returns user's session of doctype and id, expired or not,
	// or ErrNotFound.
	Upload(ctx context.Context, user, doctype, id string) (*Upload, error)
	// AdvanceUpload records that user's session of doctype and id stands
	// at offset with hash, expiring at expires, if it stood at from;
	// otherwise ErrConflict (nothing changed). No session: ErrNotFound.
	AdvanceUpload(ctx context.Context, user, doctype, id string, from, offset int64, hash []byte, expires time.Time) error
	// DeleteUpload deletes user's session of doctype and id, or
	// ErrNotFound.
	DeleteUpload(ctx context.Context, user, doctype, id string) error
	// CompleteUpload records row as PutBlobRow does (with its errors, the
	// quota check included) and deletes user's session of row's doctype
	// and id, in one atomic step: both or neither. No session is
	// ErrNotFound.
	CompleteUpload(ctx context.Context, user string, row *BlobRow) error
	// ExpiredUploads lists sessions of every account whose Expires is not
	// after now, at most limit (0 or less: all), oldest expiry first.
	ExpiredUploads(ctx context.Context, now time.Time, limit int) ([]ExpiredUpload, error)
	// UploadPartials returns the Partial of every stored session, expired
	// or not (start-up clean-up removes partial bodies none names).
	UploadPartials(ctx context.Context) ([]string, error)
	// UploadUsage returns how many sessions user holds that are not
	// expired at now, and the sum of their sizes (an unknown user: none).
	UploadUsage(ctx context.Context, user string, now time.Time) (n int, bytes int64, err error)
}
