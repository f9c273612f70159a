package api

import (
	"errors"
	"fmt"

	"github.com/hearthcloud/hearth/internal/wire"
	"github.com/hearthcloud/hearth/server/blob"
	"github.com/hearthcloud/hearth/server/meta"
)

// An Error is what a handler returns to answer with a protocol error. The
// message is for people and never holds user content.
type Error struct {
	Code    wire.Code
	Message string
	Rev     *uint64 // the current revision, on conflict (§8.1.7)
	Quota   bool    // on too_large: the account's quota, not a size limit (§8.1.10)
	Offset  *int64  // on offset_mismatch: the upload session's offset (§8.7.3)
	Limit   *int64  // on too_large: the limit passed, in bytes (§8.1.10)
	Left    *int64  // on too_large with Quota: the bytes left of the quota
	Retry   int     // Retry-After seconds, on rate_limited or unavailable
	Reason  string  // on gone: why the link is gone (§8.12)
	Err     error   // the cause, for the server's log only
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with a formatted message.
func Errorf(c wire.Code, format string, args ...any) *Error {
	return &Error{Code: c, Message: fmt.Sprintf(format, args...)}
}

// quotaMessage says that a write found the account full (§8.1.10).
const quotaMessage = "the account's storage quota is full: delete something, or ask the server's operator for more room"

// quotaDocsMessage says that a write would pass the account's document
// limit (§8.1.10).
const quotaDocsMessage = "the account holds as many documents as its limit allows: delete some, or ask the server's operator for a higher limit"

// sentinels maps the storage and name errors to codes, so handlers can
// return them as they come.
var sentinels = []struct {
	err   error
	code  wire.Code
	msg   string
	retry int // Retry-After seconds
}{
	{meta.ErrNotFound, wire.CodeNotFound, "not found", 0},
	{meta.ErrUnknownDoctype, wire.CodeUnknownDoctype, "the doctype is not registered", 0},
	{meta.ErrConflict, wire.CodeConflict, "the revision does not match", 0},
	{meta.ErrExists, wire.CodeExists, "already exists", 0},
	{meta.ErrTooMany, wire.CodeTooLarge, "the account has as many of these as one account may hold", 0},
	{meta.ErrReplay, wire.CodeTOTPReplayed, "this code was already used", 0},
	{meta.ErrLinkLimit, wire.CodeTooLarge, "this file does not fit in what the link still takes", 0},
	{blob.ErrNotFound, wire.CodeNotFound, "not found", 0},
	{blob.ErrTooLarge, wire.CodeTooLarge, "the body is larger than allowed", 0},
	{blob.ErrTruncated, wire.CodeTruncated, "the body ended before Content-Length bytes; nothing was stored", 0},
	{blob.ErrDigestMismatch, wire.CodeDigestMismatch, "the body does not match Hearth-Digest; nothing was stored", 0},
	{blob.ErrNoSpace, wire.CodeUnavailable, "the server's storage is full; nothing was stored", noSpaceRetry},
	{meta.ErrNoSpace, wire.CodeUnavailable, "the server's storage is full; nothing was stored", noSpaceRetry},
	{wire.ErrInvalidUser, wire.CodeInvalidName, wire.ErrInvalidUser.Error(), 0},
	{wire.ErrReservedUser, wire.CodeInvalidName, wire.ErrReservedUser.Error(), 0},
	{wire.ErrInvalidDoctype, wire.CodeInvalidName, wire.ErrInvalidDoctype.Error(), 0},
	{wire.ErrInvalidID, wire.CodeInvalidName, wire.ErrInvalidID.Error(), 0},
}

// noSpaceRetry is the Retry-After of a write refused for a full storage:
// the operator has to free space, which takes a while.
const noSpaceRetry = 10

// AsError turns any error a handler returns into an *Error: itself, a known
// sentinel's code, or internal (whose cause is logged, never sent).
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if errors.Is(err, meta.ErrQuotaDocs) {
		return &Error{Code: wire.CodeTooLarge, Message: quotaDocsMessage, Quota: true, Err: err}
	}
	var g *meta.GoneError
	if errors.As(err, &g) {
		return &Error{Code: wire.CodeGone, Message: goneMessage[g.Reason], Reason: g.Reason, Err: err}
	}
	if errors.Is(err, meta.ErrQuota) {
		return &Error{Code: wire.CodeTooLarge, Message: quotaMessage, Quota: true, Err: err}
	}
	for _, s := range sentinels {
		if errors.Is(err, s.err) {
			return &Error{Code: s.code, Message: s.msg, Retry: s.retry, Err: err}
		}
	}
	return &Error{Code: wire.CodeInternal, Message: "the server failed; a write may or may not have happened, so read again before retrying", Err: err}
}
