package wire

import "time"

// The JSON shapes that cross the wire, written once for the client and the
// server (spec/protocol.md §8). Members a side leaves empty are left out
// where the spec says they may be absent. (KDF parameters are crypto/kdf's
// Params, whose JSON is §8.2.1's.)

// Session is a new session as sign-up and login answer it (§8.2.3).
type Session struct {
	ID      string    `json:"id"`
	Token   string    `json:"token"`
	Expires time.Time `json:"expires"`
}

// NewLogin is the "new" member of a password change and of a recovery
// reset (§8.2.5, §8.2.6): the login the account moves to, with the
// keyring sealed under it (Keyring) and the recovery copy
// (RecoveryKeyring), both at revision KeyringIfMatch+1. RecoveryAuth is
// left out when the recovery key stays the same. K is crypto/kdf's Params,
// the KDF parameters of §8.2.1: a type parameter, as crypto/ imports this
// package for its names (NewLogin[kdf.Params] on both sides).
type NewLogin[K any] struct {
	KDF             K      `json:"kdf"`
	Seed            []byte `json:"seed"`
	LoginSecret     []byte `json:"login_secret"`
	RecoveryAuth    []byte `json:"recovery_auth,omitempty"`
	Keyring         []byte `json:"keyring"`
	RecoveryKeyring []byte `json:"recovery_keyring"`
	KeyringIfMatch  uint64 `json:"keyring_if_match"`
	// PasskeyUnlocks are the passkeys' unlocks under the new master key
	// (§4.8), by base64url credential id; a passkey left out no longer
	// unlocks until it is given one.
	PasskeyUnlocks map[string][]byte `json:"passkey_unlocks,omitempty"`
}

// SessionInfo is one session of the account as GET /v1/sessions lists it
// (§8.2.4); Current marks the session that asked.
type SessionInfo struct {
	ID       string    `json:"id"`
	Device   string    `json:"device"`
	Created  time.Time `json:"created"`
	LastSeen time.Time `json:"last_seen"`
	Current  bool      `json:"current"`
}

// ErrorBody is the "error" member of an error answer (§8.1.8) and of a
// bulk item that failed (§8.5.3, §8.5.4).
type ErrorBody struct {
	Code    Code    `json:"code"`
	Message string  `json:"message"`
	Rev     *uint64 `json:"rev,omitempty"`    // the current revision, on conflict
	Quota   bool    `json:"quota,omitempty"`  // on too_large: the account's quota, not a size limit
	Reason  string  `json:"reason,omitempty"` // on gone: revoked, expired or exhausted (§8.12)
	Offset  *int64  `json:"offset,omitempty"` // on offset_mismatch: where the upload session stands
	// On too_large: the limit passed, in bytes (the largest body or blob,
	// or the account's byte quota), and, with quota, the bytes left.
	Limit *int64 `json:"limit,omitempty"`
	Left  *int64 `json:"left,omitempty"`
}

// BulkPutItem is one item of a _bulk_put request (§8.5.3).
type BulkPutItem struct {
	ID      string `json:"id"`
	IfMatch uint64 `json:"if_match"`
	Sealed  []byte `json:"sealed"`
	Deleted bool   `json:"deleted,omitempty"`
}

// BulkResult is one result of _bulk_put (§8.5.3): the revision and seq the
// write made, or its error.
type BulkResult struct {
	ID    string     `json:"id"`
	Rev   uint64     `json:"rev,omitempty"`
	Seq   uint64     `json:"seq,omitempty"`
	Error *ErrorBody `json:"error,omitempty"`
}

// BulkDoc is one answer of _bulk_get (§8.5.4): the document's current
// revision, or its error.
type BulkDoc struct {
	ID      string     `json:"id"`
	Rev     uint64     `json:"rev,omitempty"`
	Seq     uint64     `json:"seq,omitempty"`
	Deleted bool       `json:"deleted,omitempty"`
	Sealed  []byte     `json:"sealed,omitempty"`
	Error   *ErrorBody `json:"error,omitempty"`
}

// FeedEntry is one entry of the changes feed (§8.6.1); Sealed is present
// with include_docs while that revision is current.
type FeedEntry struct {
	Seq     uint64 `json:"seq"`
	Doctype string `json:"doctype"`
	ID      string `json:"id"`
	Rev     uint64 `json:"rev"`
	Deleted bool   `json:"deleted"`
	Digest  []byte `json:"digest"`
	Chain   []byte `json:"chain"`
	Sealed  []byte `json:"sealed,omitempty"`
}

// FeedPage is an answer of GET /v1/changes (§8.6.1).
type FeedPage struct {
	Since      uint64      `json:"since"`
	SinceChain []byte      `json:"since_chain"`
	Changes    []FeedEntry `json:"changes"`
	LastSeq    uint64      `json:"last_seq"`
	More       bool        `json:"more"`
}
