package client

import (
	"errors"
	"fmt"
	"time"

	"github.com/hearthcloud/hearth/crypto/seal"
	"github.com/hearthcloud/hearth/internal/wire"
)

// Errors. Use errors.Is: the errors returned carry details.
var (
	// ErrIntegrity reports that something the server returned did not
	// authenticate, or went back in time: data altered, swapped, replayed or
	// withheld. Nothing of it was used. errors.Is(err, seal.ErrIntegrity)
	// holds as well.
	ErrIntegrity = errors.New("integrity check failed: the server returned data that was altered or replayed")
	// ErrNotFound: no such document (never written, or deleted), file, or
	// session.
	ErrNotFound = errors.New("not found")
	// ErrTOTPRequired: the account has two-factor authentication on; give
	// an authenticator code (or a recovery code).
	ErrTOTPRequired = errors.New("this account needs an authenticator code")
	// ErrKDFChanged: at a login or a password change, the server gave the
	// account other key-derivation parameters or another seed than this
	// device remembers, and nothing was sent. A password changed on
	// another device does that (Options.KDFChanged says so); otherwise the
	// server was changed. It is also ErrIntegrity.
	ErrKDFChanged = errors.New("the server gives this account other key-derivation parameters or another seed than this device knew")
	// ErrBadCredentials: wrong user name, password or recovery key.
	ErrBadCredentials = errors.New("wrong user name or password")
	// ErrSessionEnded: the session expired or was revoked; log in again.
	ErrSessionEnded = errors.New("the session expired or was revoked; log in again")
	// ErrAccountFull: the server refused a write because the account's
	// quota is full (§8.1.10); nothing was stored. Deleting frees room.
	ErrAccountFull = errors.New("the account is full (its storage or its number of documents, as 'hearth usage' shows): delete something, or ask the server's operator for more room")
)

// integrityError is an ErrIntegrity with a detail for people.
type integrityError struct {
	detail   string
	err      error
	rollback bool // a rollback or fork of what the device saw: it halts
}

func (e *integrityError) Error() string {
	return ErrIntegrity.Error() + " (" + e.detail + ")"
}
func (e *integrityError) Is(target error) bool {
	return target == ErrIntegrity || target == seal.ErrIntegrity
}
func (e *integrityError) Unwrap() error { return e.err }

func integrity(format string, args ...any) error {
	return &integrityError{detail: fmt.Sprintf(format, args...)}
}

// APIError is a refusal by the server (§8.1.8, §9) that has no sentinel of
// its own; errors.Is still maps not_found and unknown_doctype to
// ErrNotFound, totp_required to ErrTOTPRequired, bad_credentials to
// ErrBadCredentials and unauthenticated to ErrSessionEnded.
type APIError struct {
	Status     int
	Code       wire.Code
	Message    string
	Rev        uint64        // current revision, on conflict
	RetryAfter time.Duration // on rate_limited or unavailable
	Quota      bool          // on too_large: the account's quota was full (ErrAccountFull)
	Offset     int64         // on offset_mismatch: where the upload session stands (§8.7.3)
	// On too_large, when the server says: the limit passed, in bytes (0:
	// not said), and, with Quota, the bytes left of the quota.
	Limit, Left int64
}

func (e *APIError) Error() string {
	s := "server refused: " + e.Message + " (" + string(e.Code) + ")"
	if e.RetryAfter > 0 {
		s += "; try again in " + e.RetryAfter.String()
	}
	return s
}

func (e *APIError) Unwrap() error {
	switch e.Code {
	case wire.CodeNotFound, wire.CodeUnknownDoctype:
		return ErrNotFound
	case wire.CodeTOTPRequired:
		return ErrTOTPRequired
	case wire.CodeBadCredentials:
		return ErrBadCredentials
	case wire.CodeUnauthenticated:
		return ErrSessionEnded
	case wire.CodeTooLarge:
		if e.Quota {
			return ErrAccountFull
		}
	}
	return nil
}

// refusal is the APIError of an error member (§8.1.8), of an answer with
// the given status or of a bulk item (status 200).
func refusal(status int, b *wire.ErrorBody) *APIError {
	e := &APIError{Status: status, Code: b.Code, Message: b.Message, Quota: b.Quota}
	if b.Rev != nil {
		e.Rev = *b.Rev
	}
	if b.Offset != nil {
		e.Offset = *b.Offset
	}
	if b.Limit != nil && *b.Limit > 0 {
		e.Limit = *b.Limit
		if b.Left != nil {
			e.Left = *b.Left
		}
	}
	return e
}

func isCode(err error, code wire.Code) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Code == code
}
