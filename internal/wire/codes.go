package wire

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
	CodeGone                 Code = "gone"
	CodeOffsetMismatch       Code = "offset_mismatch"
)

// statusOf is §9's table. (Numbers, not net/http's names: the browser's
// client links no net/http, which would add 600 KB to hearth.wasm.)
var statusOf = map[Code]int{
	CodeBadRequest:           400,
	CodeMalformedJSON:        400,
	CodeInvalidName:          400,
	CodeTruncated:            400,
	CodeUnauthenticated:      401,
	CodeBadCredentials:       401,
	CodeTOTPRequired:         401,
	CodeTOTPInvalid:          401,
	CodeTOTPReplayed:         401,
	CodeForbidden:            403,
	CodeNotFound:             404,
	CodeUnknownDoctype:       404,
	CodeUserExists:           409,
	CodeExists:               409,
	CodeLengthRequired:       411,
	CodeConflict:             412,
	CodeTooLarge:             413,
	CodeUnsupportedMediaType: 415,
	CodeDigestMismatch:       422,
	CodePreconditionRequired: 428,
	CodeRateLimited:          429,
	CodeInternal:             500,
	CodeUnavailable:          503,
	CodeMethodNotAllowed:     405,
	CodeRangeNotSatisfiable:  416,
	CodeGone:                 410,
	CodeOffsetMismatch:       409,
}

// Status returns the HTTP status of c (500 for a code not in the table).
func (c Code) Status() int {
	if s, ok := statusOf[c]; ok {
		return s
	}
	return 500
}
