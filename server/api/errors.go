package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/hearthcloud/hearth/internal/wire"
	"github.com/hearthcloud/hearth/server/blob"
	"github.com/hearthcloud/hearth/server/meta"
)

// A Code is one of the protocol's error codes (spec/protocol.md §9). The
// table below is the only place that gives each its HTTP status.
type Code string

const (
	CodeBadRequest           Code = "bad_request"
	CodeMalformedJSON        Code = "malformed_json"
	CodeInvalidName          Code = "invalid_name"
	CodeTruncated            Code = "truncated"
	CodeUnauthenticated      Code = "unauthenticated"
	CodeBadCredentials       Code = "bad_credentials"
	CodeTOTPRequired         Code = "totp_required"
	CodeTOTPInvalid          Code = "totp_invalid"
	CodeTOTPReplayed         Code = "totp_replayed"
	CodeForbidden            Code = "forbidden"
	CodeNotFound             Code = "not_found"
	CodeUnknownDoctype       Code = "unknown_doctype"
	CodeUserExists           Code = "user_exists"
	CodeExists               Code = "exists"
	CodeLengthRequired       Code = "length_required"
	CodeConflict             Code = "conflict"
	CodeTooLarge             Code = "too_large"
	CodeUnsupportedMediaType Code = "unsupported_media_type"
	CodeDigestMismatch       Code = "digest_mismatch"
	CodePreconditionRequired Code = "precondition_required"
	CodeRateLimited          Code = "rate_limited"
	CodeInternal             Code = "internal"
	CodeUnavailable          Code = "unavailable"
	CodeMethodNotAllowed     Code = "method_not_allowed"
	CodeRangeNotSatisfiable  Code = "range_not_satisfiable"
)

// statusOf is §9's table.
var statusOf = map[Code]int{
	CodeBadRequest:           http.StatusBadRequest,
	CodeMalformedJSON:        http.StatusBadRequest,
	CodeInvalidName:          http.StatusBadRequest,
	CodeTruncated:            http.StatusBadRequest,
	CodeUnauthenticated:      http.StatusUnauthorized,
	CodeBadCredentials:       http.StatusUnauthorized,
	CodeTOTPRequired:         http.StatusUnauthorized,
	CodeTOTPInvalid:          http.StatusUnauthorized,
	CodeTOTPReplayed:         http.StatusUnauthorized,
	CodeForbidden:            http.StatusForbidden,
	CodeNotFound:             http.StatusNotFound,
	CodeUnknownDoctype:       http.StatusNotFound,
	CodeUserExists:           http.StatusConflict,
	CodeExists:               http.StatusConflict,
	CodeLengthRequired:       http.StatusLengthRequired,
	CodeConflict:             http.StatusPreconditionFailed,
	CodeTooLarge:             http.StatusRequestEntityTooLarge,
	CodeUnsupportedMediaType: http.StatusUnsupportedMediaType,
	CodeDigestMismatch:       http.StatusUnprocessableEntity,
	CodePreconditionRequired: http.StatusPreconditionRequired,
	CodeRateLimited:          http.StatusTooManyRequests,
	CodeInternal:             http.StatusInternalServerError,
	CodeUnavailable:          http.StatusServiceUnavailable,
	CodeMethodNotAllowed:     http.StatusMethodNotAllowed,
	CodeRangeNotSatisfiable:  http.StatusRequestedRangeNotSatisfiable,
}

// Status returns the HTTP status of c (500 for a code not in the table).
func (c Code) Status() int {
	if s, ok := statusOf[c]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// An Error is what a handler returns to answer with a protocol error. The
// message is for people and never holds user content.
type Error struct {
	Code    Code
	Message string
	Rev     *uint64 // the current revision, on conflict (§8.1.7)
	Quota   bool    // on too_large: the account's quota, not a size limit (§8.1.10)
	Retry   int     // Retry-After seconds, on rate_limited or unavailable
	Err     error   // the cause, for the server's log only
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with a formatted message.
func Errorf(c Code, format string, args ...any) *Error {
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
	code  Code
	msg   string
	retry int // Retry-After seconds
}{
	{meta.ErrNotFound, CodeNotFound, "not found", 0},
	{meta.ErrUnknownDoctype, CodeUnknownDoctype, "the doctype is not registered", 0},
	{meta.ErrConflict, CodeConflict, "the revision does not match", 0},
	{meta.ErrExists, CodeExists, "already exists", 0},
	{meta.ErrTooMany, CodeTooLarge, "the account has as many of these as one account may hold", 0},
	{meta.ErrReplay, CodeTOTPReplayed, "this code was already used", 0},
	{blob.ErrNotFound, CodeNotFound, "not found", 0},
	{blob.ErrTooLarge, CodeTooLarge, "the body is larger than allowed", 0},
	{blob.ErrTruncated, CodeTruncated, "the body ended before Content-Length bytes; nothing was stored", 0},
	{blob.ErrDigestMismatch, CodeDigestMismatch, "the body does not match Hearth-Digest; nothing was stored", 0},
	{blob.ErrNoSpace, CodeUnavailable, "the server's storage is full; nothing was stored", noSpaceRetry},
	{meta.ErrNoSpace, CodeUnavailable, "the server's storage is full; nothing was stored", noSpaceRetry},
	{wire.ErrInvalidUser, CodeInvalidName, wire.ErrInvalidUser.Error(), 0},
	{wire.ErrInvalidDoctype, CodeInvalidName, wire.ErrInvalidDoctype.Error(), 0},
	{wire.ErrInvalidID, CodeInvalidName, wire.ErrInvalidID.Error(), 0},
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
		return &Error{Code: CodeTooLarge, Message: quotaDocsMessage, Quota: true, Err: err}
	}
	if errors.Is(err, meta.ErrQuota) {
		return &Error{Code: CodeTooLarge, Message: quotaMessage, Quota: true, Err: err}
	}
	for _, s := range sentinels {
		if errors.Is(err, s.err) {
			return &Error{Code: s.code, Message: s.msg, Retry: s.retry, Err: err}
		}
	}
	return &Error{Code: CodeInternal, Message: "the server failed; a write may or may not have happened, so read again before retrying", Err: err}
}
