package wire

import "net/http"

// A Code is one of the protocol's error codes (spec/protocol.md §9), the
// "code" of an error answer. The client matches the server's answers
// against these names, and the server answers with them; statusOf below is
// the only place that gives each its HTTP status.
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
