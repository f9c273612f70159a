// Package meta stores the Hearth server's metadata (spec/protocol.md §8):
// accounts, sessions and tokens, TOTP state, keyrings, grants, doctypes,
// documents with their revisions, the per-account changes feed, the rows
// that name blobs and index segments, upload sessions (uploads.go), the
// index manifests, the apps installed from archives, each account's storage
// usage and limits, and sign-up invitations.
//
// Everything user-authored that reaches this package is already sealed by
// the client: document bodies, keyrings, grants and index manifests are
// opaque bytes (an app's archive and manifest are code, in the clear). The
// package never logs or interprets them.
//
// The interfaces are narrow so each handler takes only what it needs; Store
// combines them. Implementations: memory (tests) and sqlite (the embedded
// default, github.com/mattn/go-sqlite3 in WAL mode with schema migrations),
// each run through the conformance suite in metatest.
package meta

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Errors. Callers map them to the protocol's error codes (§9).
var (
	ErrNotFound       = errors.New("meta: not found")
	ErrExists         = errors.New("meta: already exists")
	ErrConflict       = errors.New("meta: revision does not match")
	ErrUnknownDoctype = errors.New("meta: unknown doctype")
	ErrReplay         = errors.New("meta: already used")
	// ErrQuota: the write would take the account past its limits
	// (Quotas); nothing was stored.
	ErrQuota = errors.New("meta: over the account's quota")
	// ErrQuotaDocs: the write would take the account past its document
	// limit. It wraps ErrQuota; a bare ErrQuota is the byte limit.
	ErrQuotaDocs = fmt.Errorf("%w: documents", ErrQuota)
	// ErrTooMany: the account already has as many of these items as one
	// account may (MaxDoctypes); nothing was stored.
	ErrTooMany = errors.New("meta: too many for one account")
	// ErrInvite: no invitation with that code can be used (unknown,
	// used or expired); nothing was created.
	ErrInvite = errors.New("meta: no usable invitation")
	// ErrNoSpace: the storage is full; the write did not happen, and may
	// succeed once space is freed.
	ErrNoSpace = errors.New("meta: no space left on the storage")
)

// KDF holds an account's key-derivation parameters (§3) as the server keeps
// them: it only hands them back at prelogin.
type KDF struct {
	Alg     string
	Memory  uint32
	Time    uint32
	Threads uint8
}

// An Account is one user's login state.
type Account struct {
	User             string
	KDF              KDF
	Seed             []byte // 32 bytes
	LoginHash        string // the server's slow hash of the login secret, self-describing
	RecoveryAuthHash []byte // SHA-256 of recovery_auth
	Created          time.Time
}

// LoginUpdate replaces an account's password state and both keyring copies
// in one transaction (§8.2.5, §8.2.6).
type LoginUpdate struct {
	KDF              KDF
	Seed             []byte
	LoginHash        string
	RecoveryAuthHash []byte // nil keeps the current one
	Keyring          []byte
	RecoveryKeyring  []byte
	IfKeyringRev     uint64
	// PasskeyUnlocks are the new Unlock of the account's passkeys, by
	// credential id (string of its bytes): the master key changes, so
	// every passkey's Unlock is replaced, by its entry here or by nil (a
	// passkey without one no longer unlocks until it is given one,
	// SetPasskeyUnlock). Ids of no passkey of the account are ignored.
	PasskeyUnlocks map[string][]byte
	// Every session of the account except KeepSession ("": none) is
	// deleted in the same transaction, and with each session the tokens
	// bound to it (Token.Session) and their grants, so that no session,
	// nor an app it connected, outlives a password change or a recovery,
	// even across a crash.
	KeepSession string
}

// Accounts stores accounts and their keyrings.
type Accounts interface {
	// CreateAccount stores a new account with both keyring copies at
	// revision 1. An existing user name is ErrExists.
	CreateAccount(ctx context.Context, a *Account, keyring, recoveryKeyring []byte) error
	// Account returns the account of user, or ErrNotFound.
	Account(ctx context.Context, user string) (*Account, error)
	// UpdateLogin applies u if the keyring is at revision u.IfKeyringRev
	// (else ErrConflict), moving both copies to the next revision, which it
	// returns, and deletes the account's sessions but u.KeepSession, with
	// the tokens bound to them.
	UpdateLogin(ctx context.Context, user string, u *LoginUpdate) (uint64, error)
	// Keyring returns the current keyring revision and both sealed copies.
	Keyring(ctx context.Context, user string) (rev uint64, keyring, recoveryKeyring []byte, err error)
	// PutKeyring replaces both copies if the revision is ifRev (else
	// ErrConflict) and returns the new revision, ifRev+1.
	PutKeyring(ctx context.Context, user string, ifRev uint64, keyring, recoveryKeyring []byte) (uint64, error)
}

// Token kinds.
const (
	KindSession = "session"
	KindApp     = "app"
	KindDevice  = "device"
)

// A Scope grants verbs ("read", "write", "delete") on one doctype.
type Scope struct {
	Doctype string
	Verbs   []string
}

// A Token is a session or an app or device token. The server keeps only the
// SHA-256 of the token string.
type Token struct {
	ID       string // 26 lowercase base32 characters, drawn by the server
	User     string
	Kind     string
	Name     string // device or app name the client gave
	Hash     [32]byte
	Scopes   []Scope // empty for sessions, which may do everything
	Created  time.Time
	LastSeen time.Time
	Expires  time.Time // zero: never
	Session  string    // for an app token made by a session: that session's id; the token ends with it
}

// Tokens stores sessions and tokens.
type Tokens interface {
	// CreateToken stores t. A duplicate ID or hash is ErrExists; past
	// MaxTokens of its kind, see MaxTokens.
	CreateToken(ctx context.Context, t *Token) error
	// TokenByHash returns the token with this hash, or ErrNotFound.
	TokenByHash(ctx context.Context, hash [32]byte) (*Token, error)
	// TokenByID returns the token with this id, of whatever user (ids are
	// drawn by the server and unique across accounts), or ErrNotFound.
	TokenByID(ctx context.Context, id string) (*Token, error)
	// Tokens lists user's tokens of the given kind, oldest first.
	Tokens(ctx context.Context, user, kind string) ([]*Token, error)
	// DeleteToken removes one of user's tokens and its grant; ErrNotFound
	// if user has no such token. The tokens bound to it (whose Session is
	// id) and their grants go with it, in the same transaction.
	DeleteToken(ctx context.Context, user, id string) error
	// DeleteTokens removes all of user's tokens of kind except keepID, and
	// with them, in the same transaction, the tokens bound to them and
	// their grants.
	DeleteTokens(ctx context.Context, user, kind, keepID string) error
	// TouchToken records that the token was used at t and, if expires is
	// not zero, moves its expiry there (sessions expire when unused).
	TouchToken(ctx context.Context, id string, t, expires time.Time) error
}

// TOTPState is an account's authenticator state (§8.2.7).
type TOTPState struct {
	Secret        []byte   // 20 bytes; nil when TOTP is off
	Enabled       bool     // false while enrolment awaits confirmation
	LastStep      int64    // the last accepted time step
	RecoveryCodes [][]byte // SHA-256 of each unused recovery code
}

// TOTP stores authenticator state.
type TOTP interface {
	// TOTP returns user's state; a user without TOTP gets a zero state.
	TOTP(ctx context.Context, user string) (*TOTPState, error)
	// PutTOTP replaces user's state.
	PutTOTP(ctx context.Context, user string, s *TOTPState) error
	// UseTOTPStep records step as used if it is later than LastStep, in one
	// atomic step; otherwise it returns ErrReplay.
	UseTOTPStep(ctx context.Context, user string, step int64) error
	// UseRecoveryCode removes the recovery code with this hash, or returns
	// ErrNotFound; each code works once.
	UseRecoveryCode(ctx context.Context, user string, hash []byte) error
}

// Grants stores sealed grants by token (§8.9.2).
type Grants interface {
	// PutGrant stores a grant for tokenID: ifRev 0 creates (ErrExists if
	// present), otherwise it must match (ErrConflict). It returns the new
	// revision. An unknown token is ErrNotFound. A grant's bytes count in
	// the account's usage (Quotas) until it is deleted, with its token or
	// alone: one that would take the account past its byte limit is
	// ErrQuota and nothing is stored.
	PutGrant(ctx context.Context, user, tokenID string, ifRev uint64, sealed []byte) (uint64, error)
	// Grant returns a grant's revision and bytes, or ErrNotFound.
	Grant(ctx context.Context, user, tokenID string) (uint64, []byte, error)
	// DeleteGrant removes a grant; ErrNotFound if there is none.
	DeleteGrant(ctx context.Context, user, tokenID string) error
}

// DoctypeInfo describes a registered doctype (§8.4).
type DoctypeInfo struct {
	Name  string
	Docs  int64 // documents not deleted
	Bytes int64 // sealed bytes of current revisions, blobs and segments
}

// Doctypes registers doctypes.
type Doctypes interface {
	// PutDoctype registers doctype for user and reports whether it was new.
	PutDoctype(ctx context.Context, user, doctype string) (created bool, err error)
	// Doctypes lists user's doctypes by name.
	Doctypes(ctx context.Context, user string) ([]DoctypeInfo, error)
}

// A DocWrite is one document write: a create (IfRev 0), an update or a
// deletion (the Sealed body is then a sealed tombstone).
type DocWrite struct {
	Doctype string
	ID      string
	IfRev   uint64
	Sealed  []byte
	Deleted bool
}

// A DocResult is the outcome of one DocWrite: the new revision and feed
// sequence, or Err (ErrConflict with CurrentRev set, or
// ErrUnknownDoctype).
type DocResult struct {
	Rev        uint64
	Seq        uint64
	Err        error
	CurrentRev uint64
}

// A Doc is a stored document revision.
type Doc struct {
	Doctype string
	ID      string
	Rev     uint64
	Seq     uint64
	Deleted bool
	Sealed  []byte
}

// A DocInfo is a document in a listing, without its body.
type DocInfo struct {
	ID      string
	Rev     uint64
	Size    int64
	Deleted bool
}

// Documents stores documents.
type Documents interface {
	// PutDocs applies writes in order, in one transaction (a group commit:
	// one durable sync for all of them). Each write succeeds or fails on its
	// own; every successful write gets the next feed sequence of the
	// account and a chain value (package wire, NextChain). It returns one
	// result per write. An error return means nothing was stored.
	PutDocs(ctx context.Context, user string, writes []DocWrite) ([]DocResult, error)
	// Doc returns the current revision of a document, tombstones included,
	// or ErrNotFound.
	Doc(ctx context.Context, user, doctype, id string) (*Doc, error)
	// ListDocs lists doctype's documents with IDs after after, in byte
	// order, at most limit, tombstones only if deleted is true.
	ListDocs(ctx context.Context, user, doctype, after string, limit int, deleted bool) ([]DocInfo, error)
}

// A Change is one entry of the changes feed (§8.6).
type Change struct {
	Seq     uint64
	Doctype string
	ID      string
	Rev     uint64
	Deleted bool
	Digest  [32]byte // SHA-256 of the sealed bytes
	Chain   [32]byte // chain value after this entry
	Sealed  []byte   // only when asked for and still the current revision
}

// Feed reads the changes feed.
type Feed interface {
	// Changes calls fn with user's entries with Seq > since, in order, at
	// most limit (0 or less: no limit); only those of the given doctypes if
	// doctypes is non-empty; with Sealed filled in when withDocs is true and
	// the entry's revision is still current. Entries and bodies come from
	// one consistent state. It stops early, with a nil error, when fn
	// returns false, and reads no entry past the one fn refused: a caller
	// bounds what it holds (a feed page, §8.6.1) by refusing. fn must not
	// call the store; it may keep the Change it is given.
	Changes(ctx context.Context, user string, since uint64, limit int, doctypes []string, withDocs bool, fn func(Change) bool) error
	// Head returns the last sequence and its chain value (0 and zeros for
	// an empty feed); ChainAt returns the chain value after seq, or
	// ErrNotFound if seq is past the head.
	Head(ctx context.Context, user string) (uint64, [32]byte, error)
	ChainAt(ctx context.Context, user string, seq uint64) ([32]byte, error)
}

// ReadChanges returns the entries f.Changes gives, all of them: for tests
// and for reads known to be small (without bodies, or with a small limit).
func ReadChanges(ctx context.Context, f Feed, user string, since uint64, limit int, doctypes []string, withDocs bool) ([]Change, error) {
	var out []Change
	err := f.Changes(ctx, user, since, limit, doctypes, withDocs, func(c Change) bool {
		out = append(out, c)
		return true
	})
	return out, err
}

// A BlobRow names a stored body (package blob) for an account: a blob of a
// doctype, or an index segment when Segment is true.
type BlobRow struct {
	Doctype string
	ID      string
	Segment bool
	Size    int64
	Digest  [32]byte
	Created time.Time
}

// BlobRows stores which account bodies exist.
type BlobRows interface {
	// PutBlobRow records a body. An ID that was ever used in that doctype
	// and kind, deleted or not, is ErrExists (§6.1: ids are never reused),
	// except for the same digest while it is live, which succeeds (an
	// idempotent retry).
	PutBlobRow(ctx context.Context, user string, r *BlobRow) error
	// BlobRow returns a live row, or ErrNotFound.
	BlobRow(ctx context.Context, user, doctype, id string, segment bool) (*BlobRow, error)
	// BlobRowsOf returns the live blob rows (not segments) of user's in
	// doctype among ids, by id, in one lookup: an id without one is
	// absent from the map, as are all for a user without an account. ids
	// may repeat and may be many (a share link names up to 100,000).
	BlobRowsOf(ctx context.Context, user, doctype string, ids []string) (map[string]*BlobRow, error)
	// DeleteBlobRow deletes a live row, remembering the id as used, and
	// reports whether any live row of any account still names the digest
	// (if not, the caller removes the body).
	DeleteBlobRow(ctx context.Context, user, doctype, id string, segment bool) (digestInUse bool, err error)
	// ListBlobRows lists live rows by ID after after, at most limit.
	ListBlobRows(ctx context.Context, user, doctype string, segment bool, after string, limit int) ([]*BlobRow, error)
	// DigestInUse reports whether any live row, or an installed app
	// (Apps), names d (for start-up clean-up of orphan bodies).
	DigestInUse(ctx context.Context, d [32]byte) (bool, error)
}

// Manifests stores each doctype's sealed index manifest (§7.2, §8.8): one
// mutable item per account and doctype, which exists from its first write.
type Manifests interface {
	// Manifest returns the current revision and sealed bytes of user's
	// manifest of doctype, or ErrNotFound if none was written (or the
	// doctype is not registered, or user has no account).
	Manifest(ctx context.Context, user, doctype string) (rev uint64, sealed []byte, err error)
	// PutManifest writes the manifest and returns its new revision. ifRev
	// 0 creates it at revision 1 (ErrExists if one exists); otherwise the
	// current revision must be ifRev (ErrConflict; ErrNotFound if there is
	// none) and the new one is ifRev+1. A doctype not registered for user
	// is ErrUnknownDoctype; a user without an account is ErrNotFound.
	PutManifest(ctx context.Context, user, doctype string, ifRev uint64, sealed []byte) (rev uint64, err error)
}

// An App is an app installed in an account from an archive (§8.10,
// spec/apps.md §2): code, stored in the clear as a body of package blob.
type App struct {
	Slug      string
	Version   string
	Manifest  []byte   // the archive's hearth-app.json, as it was in it
	Digest    [32]byte // SHA-256 of the archive, its body in package blob
	Size      int64
	Installed time.Time // first installed; kept by updates
	Updated   time.Time // this archive stored
}

// Apps stores the apps installed in accounts.
type Apps interface {
	// PutApp installs a or replaces the installed app of the same slug,
	// keeping the first Installed time (a.Installed is set to it). With
	// onlyNew, an installed slug is ErrExists and nothing changes. It
	// returns the row it replaced (nil if none); the caller removes the
	// replaced body if DigestInUse says nothing names it any more. A user
	// without an account is ErrNotFound.
	PutApp(ctx context.Context, user string, a *App, onlyNew bool) (replaced *App, err error)
	// App returns an installed app, or ErrNotFound.
	App(ctx context.Context, user, slug string) (*App, error)
	// ListApps returns user's installed apps by slug (none: empty).
	ListApps(ctx context.Context, user string) ([]*App, error)
	// DeleteApp uninstalls an app (ErrNotFound if not installed) and
	// reports whether any row (app, blob or segment, of any account)
	// still names its digest; if not, the caller removes the body.
	DeleteApp(ctx context.Context, user, slug string) (digestInUse bool, err error)
}

// Limits bound what one account stores (§8.1.10). In limits that apply,
// 0 means no limit; in an account's own limits (Quotas.SetLimits),
// DefaultLimit means "follow the store's default".
type Limits struct {
	// Bytes bounds the sum of: the sealed sizes of the current revisions
	// of the account's documents (tombstones included), of its live blob
	// and segment rows (each in full, whatever other rows name the same
	// digest), of its index manifests, its installed apps' archives and
	// its grants, plus EntryBytes for each entry of its changes feed and
	// each blob or segment id it used, and DoctypeBytes for each doctype
	// it registered.
	Bytes int64
	// Docs bounds the number of its documents not deleted.
	Docs int64
}

// DefaultLimit, as a field of an account's own Limits, follows the
// store's default for that field.
const DefaultLimit = -1

// Usage is what an account stores, counted as Limits counts it.
type Usage struct {
	Bytes int64
	Docs  int64
}

// Quota is an account's usage and limits.
type Quota struct {
	Used  Usage
	Own   Limits // the account's own limits; DefaultLimit where it has none
	Limit Limits // what applies: Own where set, else the default; 0: none
}

// Apply returns the limits that apply to an account whose own limits are
// own, given the default ones: own's field where set, else the default's.
func (own Limits) Apply(def Limits) Limits {
	if own.Bytes == DefaultLimit {
		own.Bytes = def.Bytes
	}
	if own.Docs == DefaultLimit {
		own.Docs = def.Docs
	}
	return own
}

// Check reports whether a write changing the account's usage by dBytes
// and dDocs (either may be negative) is within its limits: nil, or
// ErrQuotaDocs or ErrQuota (bytes) for the limit it would pass. A limit
// is checked only when the write grows what it bounds.
func (q *Quota) Check(dBytes, dDocs int64) error {
	if dDocs > 0 && q.Limit.Docs > 0 && q.Used.Docs+dDocs > q.Limit.Docs {
		return ErrQuotaDocs
	}
	if dBytes > 0 && q.Limit.Bytes > 0 && q.Used.Bytes+dBytes > q.Limit.Bytes {
		return ErrQuota
	}
	return nil
}

// What the byte quota counts beside the items' own sizes (§8.1.10), and
// how many doctypes one account registers.
const (
	// EntryBytes is what each entry of an account's changes feed counts,
	// and each blob or segment id it used: the feed keeps one per write
	// for ever (§8.6), so a rewrite of the same size still takes room on
	// the server, and a deleted blob's row stays so its id is never used
	// again (§8.7).
	EntryBytes = 128
	// DoctypeBytes is what each registered doctype counts.
	DoctypeBytes = 128
	// MaxDoctypes is the most doctypes one account registers; the next
	// is ErrTooMany.
	MaxDoctypes = 1000
	// MaxTokens is the most tokens of each kind one account holds. A new
	// session past it ends the account's least recently used one (with the
	// tokens bound to it); a new app or device token past it is
	// ErrTooMany.
	MaxTokens = 1000
)

// Quotas keeps each account's usage and enforces its limits. Usage is
// kept with the rows it counts, in the same transactions, so it is right
// after any crash; every write that adds bytes or documents (PutDocs,
// PutBlobRow, PutManifest, PutApp, PutGrant, PutDoctype) checks the limits
// that apply at that moment, in its own transaction, and fails with
// ErrQuota (or ErrQuotaDocs), storing nothing, if it would leave the
// account over a limit it grows. A write that grows neither (a deletion,
// a revision smaller by at least its feed entry's EntryBytes) always
// passes, and so does deleting a live document, although its tombstone
// adds an entry: a full account can always make room.
// Concurrent writes are checked one after another, so together they never
// pass a limit either.
type Quotas interface {
	// SetDefaultLimits sets the limits of accounts without their own (the
	// operator's choice at start). It is not stored: it holds for this
	// Store value, from the next write on.
	SetDefaultLimits(l Limits)
	// SetLimits stores user's own limits (DefaultLimit per field: none of
	// its own). They apply from the next write, for every process using
	// the same storage. A user without an account is ErrNotFound; a field
	// below DefaultLimit is an error.
	SetLimits(ctx context.Context, user string, own Limits) error
	// Quota returns user's usage and limits, or ErrNotFound.
	Quota(ctx context.Context, user string) (*Quota, error)
}

// An Invite is a one-time sign-up invitation (§8.2.2), kept only as the
// SHA-256 of its code.
type Invite struct {
	Hash    [32]byte
	Created time.Time
	Expires time.Time
}

// Invites stores sign-up invitations.
type Invites interface {
	// PutInvite stores a new invitation (ErrExists if its hash is stored)
	// and forgets those expired at inv.Created.
	PutInvite(ctx context.Context, inv *Invite) error
	// CreateInvitedAccount is CreateAccount using up the invitation with
	// this hash in the same transaction: if none is stored unexpired at
	// a.Created, it is ErrInvite and nothing is created; if the name is
	// taken, it is ErrExists and the invitation stays usable. Of
	// concurrent calls with one invitation, at most one succeeds.
	CreateInvitedAccount(ctx context.Context, a *Account, keyring, recoveryKeyring []byte, invite [32]byte) error
}

// MaxPasskeys is the most passkeys one account holds (protocol §4.8).
const MaxPasskeys = 10

// A Passkey is a WebAuthn credential of an account (protocol §4.8): what
// the server needs to check its assertions, and the account's sealed
// unlock through it (Wrap and Unlock, nil for a passkey without PRF). Its
// name and secret are in a sealed document, not here.
type Passkey struct {
	ID         []byte // the credential id, 1 to 1023 bytes, unique over all accounts
	UserHandle []byte // the account's WebAuthn user handle, the same for all its passkeys
	PublicKey  []byte // COSE_Key
	SignCount  uint32 // the authenticator's signature counter, last seen
	Flags      byte   // the authenticator data flags at registration (backup eligibility)
	AAGUID     []byte
	Wrap       []byte
	Unlock     []byte
	// Origin is the origin the passkey was made at (Home's, as the
	// registration verified it); "" for one stored before it was kept.
	Origin   string
	Created  time.Time
	LastUsed time.Time // zero: never
}

// Passkeys stores accounts' passkeys.
type Passkeys interface {
	// AddPasskey stores p for user: ErrExists when its ID is stored (for
	// any account), ErrTooMany when user holds MaxPasskeys, ErrNotFound
	// when there is no such account.
	AddPasskey(ctx context.Context, user string, p *Passkey) error
	// Passkeys lists user's passkeys, oldest first (none: empty).
	Passkeys(ctx context.Context, user string) ([]Passkey, error)
	// PasskeyByID returns the passkey with id and its account, or
	// ErrNotFound.
	PasskeyByID(ctx context.Context, id []byte) (user string, p *Passkey, err error)
	// UsePasskey records a sign-in with user's passkey id: its signature
	// counter and the time. A counter that does not grow, when it or the
	// stored one is not zero, is ErrConflict (a cloned authenticator) and
	// changes nothing; no such passkey is ErrNotFound.
	UsePasskey(ctx context.Context, user string, id []byte, count uint32, at time.Time) error
	// SetPasskeyUnlock replaces the Unlock of user's passkey id (after a
	// recovery, whose reset cannot write it), or ErrNotFound.
	SetPasskeyUnlock(ctx context.Context, user string, id []byte, unlock []byte) error
	// DeletePasskey deletes user's passkey id, or ErrNotFound.
	DeletePasskey(ctx context.Context, user string, id []byte) error
}

// Store is everything the server needs from metadata storage.
type Store interface {
	Passkeys
	Accounts
	Quotas
	Invites
	Tokens
	TOTP
	Grants
	Doctypes
	Documents
	Feed
	BlobRows
	Uploads
	Manifests
	Apps
	Links
	Close() error
}
