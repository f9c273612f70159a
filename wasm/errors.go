package wasm

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/client/pwrule"
	"github.com/hearthcloud/hearth/crypto/keyring"
	"github.com/hearthcloud/hearth/internal/wire"
)

// Error is what every method of API returns on failure: a code from
// spec/web.md §3 (integrity, bad_credentials, totp_required, totp_invalid,
// totp_replayed, not_found, rate_limited, session_ended, network,
// bad_input, not_implemented, forbidden, account_full, halted,
// weak_password, kdf_changed, passkey_no_unlock) or a protocol error code (§9), and a message
// for people. The JavaScript glue turns it into an Error with .code.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// RetryAfter is the number of seconds to wait, on rate_limited or
	// unavailable (0: not given).
	RetryAfter int `json:"retryAfter,omitempty"`
	// Rev is the current revision, on conflict.
	Rev uint64 `json:"rev,omitempty"`
	// Size, Limit and Left, in bytes, on too_large for a file the server
	// does not take (the file's length and the longest it takes) and on
	// account_full when they are known (what the upload needs, the quota
	// and what is left of it), for a page to say in its own units.
	Size  int64 `json:"size,omitempty"`
	Limit int64 `json:"limit,omitempty"`
	Left  int64 `json:"left,omitempty"`

	err error
}

func (e *Error) Error() string { return e.Message }
func (e *Error) Unwrap() error { return e.err }

// The codes of the browser API's own errors (spec/web.md §3). The others
// are the protocol's, internal/wire's Code constants, passed on as they are.
const (
	CodeIntegrity      = "integrity"         // the server's answer failed verification
	CodeSessionEnded   = "session_ended"     // signed out, revoked or expired
	CodeNetwork        = "network"           // the server cannot be reached
	CodeBadInput       = "bad_input"         // the caller's arguments are wrong
	CodeNotImplemented = "not_implemented"   // not in this build
	CodeAccountFull    = "account_full"      // too_large because of the quota
	CodeHalted         = "halted"            // the session stopped saving (protocol §4.7)
	CodeWeakPassword   = "weak_password"     // the password rule refused it (protocol §3.5); the message says why
	CodeKDFChanged     = "kdf_changed"       // login: the account's seed changed since this browser knew it (a password changed elsewhere, or the server)
	CodePasskeyNoPRF   = "passkey_no_unlock" // passkeySignIn: this passkey is a second factor only; sign in with the password
)

// badInput is an Error for an argument the caller got wrong.
func badInput(format string, args ...any) *Error {
	return &Error{Code: CodeBadInput, Message: fmt.Sprintf(format, args...)}
}

// accountFull is the message of account_full, for people.
const accountFull = "Your Hearth is full: it holds all that its storage quota allows, so this was not saved. Delete something you no longer need, or ask the server's operator for more room."

var (
	errNotLoggedIn    = &Error{Code: CodeSessionEnded, Message: "not signed in"}
	errNotImplemented = &Error{Code: CodeNotImplemented, Message: "not implemented yet in this version"}
)

// toError maps an error of package client (or of this package) to an
// *Error. nil stays nil.
func toError(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	e = &Error{Message: err.Error(), err: err}
	var ae *client.APIError
	var big *client.FileTooLargeError
	var room *client.NoRoomError
	var we *pwrule.WeakError
	var ue *url.Error
	var ne net.Error
	switch {
	case errors.As(err, &we):
		e.Code, e.Message = CodeWeakPassword, "This password is too weak: "+we.Reason+"."
	case errors.Is(err, client.ErrKDFChanged):
		e.Code = CodeKDFChanged
	case errors.Is(err, client.ErrPasskeyCannotUnlock):
		e.Code = CodePasskeyNoPRF
	case errors.Is(err, client.ErrHalted):
		e.Code = CodeHalted
	case errors.Is(err, client.ErrIntegrity):
		e.Code = CodeIntegrity
	case errors.As(err, &big):
		e.Code, e.Message, e.Size, e.Limit = string(wire.CodeTooLarge), big.Error(), big.Size, big.Max
	case errors.As(err, &room):
		e.Code, e.Message, e.Size, e.Limit, e.Left = CodeAccountFull, room.Error(), room.Need, room.Quota, room.Left
	case errors.As(err, &ae):
		e.Code, e.Message, e.Rev = string(ae.Code), ae.Message, ae.Rev
		e.RetryAfter = int(ae.RetryAfter.Seconds())
		switch ae.Code {
		case wire.CodeUnauthenticated:
			e.Code, e.Message = CodeSessionEnded, client.ErrSessionEnded.Error()
		case wire.CodeUnknownDoctype:
			e.Code = string(wire.CodeNotFound)
		case wire.CodeBadCredentials:
			e.Message = client.ErrBadCredentials.Error()
		case wire.CodeTOTPRequired:
			e.Message = client.ErrTOTPRequired.Error()
		case wire.CodeTooLarge:
			if ae.Quota {
				e.Code, e.Message = CodeAccountFull, accountFull
			}
		}
	case errors.Is(err, client.ErrNotCaughtUp):
		// The feed loop's first pass is still verifying the account's
		// history: try again in a moment.
		e.Code, e.RetryAfter = string(wire.CodeUnavailable), 1
	case errors.Is(err, client.ErrNotGranted):
		e.Code = string(wire.CodeForbidden)
	case errors.Is(err, client.ErrNotFound):
		e.Code = string(wire.CodeNotFound)
	case errors.Is(err, client.ErrSessionEnded):
		e.Code = CodeSessionEnded
	case errors.Is(err, client.ErrBadCredentials):
		e.Code = string(wire.CodeBadCredentials)
	case errors.Is(err, client.ErrTOTPRequired):
		e.Code = string(wire.CodeTOTPRequired)
	case errors.Is(err, wire.ErrInvalidUser), errors.Is(err, wire.ErrReservedUser), errors.Is(err, wire.ErrInvalidDoctype), errors.Is(err, wire.ErrInvalidID),
		errors.Is(err, keyring.ErrBadRecoveryKey), errors.Is(err, client.ErrPasskeyName), errors.Is(err, client.ErrSamePassword):
		e.Code = CodeBadInput
	case errors.As(err, &ue), errors.As(err, &ne), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		e.Code = CodeNetwork
	default:
		// Arguments are checked before package client sees them, so what is
		// left is the server answering something the client refuses.
		e.Code = string(wire.CodeInternal)
	}
	return e
}
