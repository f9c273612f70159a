package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/hearthcloud/hearth/internal/wire"
	"github.com/hearthcloud/hearth/server/meta"
)

// The request and response helpers every handler uses: bodies (§8.1.3,
// §8.1.10), query parameters (§8.1.1), preconditions, revisions and entity
// tags (§8.1.7), conflict answers, and sealed bytes sent as attachments
// (§8.1.9).

// Body limits (§8.1.10).
const (
	maxJSON     = 1 << 20
	maxBulkJSON = 32 << 20
	maxDocument = 1 << 20
	maxManifest = 1 << 20 // an index manifest, as a sealed document
)

// Media types of bodies.
const (
	typeJSON   = "application/json"
	typeSealed = "application/octet-stream"
	typeZip    = "application/zip"
)

// readJSON decodes one JSON object from the body into v, strictly: the
// right content type, a Content-Length, at most max bytes, no unknown
// members, nothing after the object.
func readJSON(r *http.Request, max int64, v any) error {
	if err := jsonHead(r, max); err != nil {
		return err
	}
	b, err := readBody(r, max)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &Error{Code: wire.CodeMalformedJSON, Message: "the body is not the JSON object this endpoint takes: " + jsonProblem(err), Err: err}
	}
	if dec.More() {
		return Errorf(wire.CodeMalformedJSON, "the body has data after the JSON object")
	}
	return nil
}

// jsonHead checks what readJSON checks before reading: the content type
// and the announced length.
func jsonHead(r *http.Request, max int64) error {
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != typeJSON {
		return Errorf(wire.CodeUnsupportedMediaType, "send Content-Type: application/json")
	}
	if r.ContentLength < 0 {
		return errNoLength
	}
	if r.ContentLength > max {
		return Errorf(wire.CodeTooLarge, "the body is larger than %d bytes", max)
	}
	return nil
}

// jsonProblem names what was wrong without echoing the body.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return "syntax error at byte " + strconv.FormatInt(se.Offset, 10)
	case errors.As(err, &te):
		return "member " + strconv.Quote(te.Field) + " has the wrong type"
	case errors.Is(err, io.EOF):
		return "empty body"
	}
	if strings.HasPrefix(err.Error(), "json: unknown field") {
		return "an unknown member" // its name is not echoed (§8.1.8)
	}
	return "malformed"
}

var errNoLength = Errorf(wire.CodeLengthRequired, "send Content-Length")

// readBody reads a whole small body, which must announce its length.
func readBody(r *http.Request, max int64) ([]byte, error) {
	if r.ContentLength < 0 {
		return nil, errNoLength
	}
	if r.ContentLength > max {
		return nil, Errorf(wire.CodeTooLarge, "the body is larger than %d bytes", max)
	}
	b := make([]byte, r.ContentLength)
	if _, err := io.ReadFull(r.Body, b); err != nil {
		return nil, &Error{Code: wire.CodeTruncated, Message: "the body ended before Content-Length bytes", Err: err}
	}
	return b, nil
}

// readSealed reads a whole sealed body (§8.1.3) of 1 to max bytes.
func readSealed(r *http.Request, max int64) ([]byte, error) {
	b, err := readBody(r, max)
	if err == nil && len(b) == 0 {
		return nil, errEmpty
	}
	return b, err
}

var errEmpty = Errorf(wire.CodeBadRequest, "the body is empty")

// readEmptyBody refuses a body on endpoints that take none.
func readEmptyBody(r *http.Request) error {
	if r.ContentLength > 0 {
		return Errorf(wire.CodeBadRequest, "this endpoint takes no body")
	}
	return nil
}

// mediaType refuses a body whose Content-Type is not ct; what names the
// body in the answer ("the sealed document").
func mediaType(r *http.Request, ct, what string) error {
	if r.Header.Get("Content-Type") != ct {
		return Errorf(wire.CodeUnsupportedMediaType, "send %s as %s", what, ct)
	}
	return nil
}

// uploadHead checks the headers of an upload read or streamed whole, in
// the order of §8.1.6: a length (411), the media type (415), then the
// declared size, at most max (413, answered with tooLarge).
func uploadHead(r *http.Request, ct, what string, max int64, tooLarge string) error {
	if r.ContentLength < 0 {
		return errNoLength
	}
	if err := mediaType(r, ct, what); err != nil {
		return err
	}
	if r.ContentLength > max {
		return &Error{Code: wire.CodeTooLarge, Message: tooLarge, Limit: &max}
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", typeJSON)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
	return nil
}

// onlyParams refuses query parameters the endpoint does not know (§8.1.1).
func onlyParams(r *http.Request, names ...string) error {
	for k := range r.URL.Query() {
		ok := false
		for _, n := range names {
			ok = ok || k == n
		}
		if !ok {
			return Errorf(wire.CodeBadRequest, "a query parameter this endpoint does not know was sent")
		}
	}
	return nil
}

// intParam reads an optional integer query parameter within [lo, hi].
func intParam(r *http.Request, name string, def, lo, hi uint64) (uint64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, Errorf(wire.CodeBadRequest, "%s: give a whole number from %d to %d", name, lo, hi)
	}
	return n, nil
}

func boolParam(r *http.Request, name string) (bool, error) {
	switch r.URL.Query().Get(name) {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	}
	return false, Errorf(wire.CodeBadRequest, "%s: give true or false", name)
}

// pageParams reads the parameters of a listing (§8.5.2), which takes after
// (an id), limit (1 to 1000, default 100) and the extra parameters named,
// and refuses any other.
func pageParams(r *http.Request, extra ...string) (after string, limit int, err error) {
	if err := onlyParams(r, append([]string{"after", "limit"}, extra...)...); err != nil {
		return "", 0, err
	}
	n, err := intParam(r, "limit", 100, 1, 1000)
	if err != nil {
		return "", 0, err
	}
	after = r.URL.Query().Get("after")
	if after != "" && wire.CheckID(after) != nil {
		return "", 0, Errorf(wire.CodeInvalidName, "after: %s", wire.ErrInvalidID.Error())
	}
	return after, int(n), nil
}

// nextAfter is the "next" member of a listing (§8.5.2): the id of the
// last item of a full page, else "" (the end).
func nextAfter[T any](page []T, limit int, id func(T) string) string {
	if len(page) == 0 || len(page) < limit {
		return ""
	}
	return id(page[len(page)-1])
}

// precondition reads If-Match / If-None-Match: it returns the expected
// revision, 0 for a create (If-None-Match: *).
func precondition(r *http.Request) (uint64, error) {
	im, inm := r.Header.Get("If-Match"), r.Header.Get("If-None-Match")
	switch {
	case im != "" && inm != "":
		return 0, Errorf(wire.CodeBadRequest, "send either If-Match or If-None-Match, not both")
	case inm != "":
		return 0, ifNoneMatchAll(inm)
	case im != "":
		v, ok := strings.CutPrefix(im, `"`)
		v, ok2 := strings.CutSuffix(v, `"`)
		n, err := strconv.ParseUint(v, 10, 64)
		if !ok || !ok2 || err != nil || n == 0 || strconv.FormatUint(n, 10) != v {
			return 0, Errorf(wire.CodeBadRequest, `If-Match: give the revision as "N"`)
		}
		return n, nil
	}
	return 0, Errorf(wire.CodePreconditionRequired, `send If-Match: "N" (update) or If-None-Match: * (create)`)
}

// createOnly reads the optional precondition of a write that replaces a
// whole item by name: If-None-Match: * (create it only) or nothing.
func createOnly(r *http.Request) (bool, error) {
	if r.Header.Get("If-Match") != "" {
		return false, Errorf(wire.CodeBadRequest, "If-Match: not supported here (send If-None-Match: * or nothing)")
	}
	inm := r.Header.Get("If-None-Match")
	return inm != "", ifNoneMatchAll(inm)
}

// ifNoneMatchAll refuses an If-None-Match other than * (or none).
func ifNoneMatchAll(v string) error {
	if v != "" && v != "*" {
		return Errorf(wire.CodeBadRequest, "If-None-Match: only * is supported")
	}
	return nil
}

// revETag is the entity tag of a mutable item at revision rev (§8.1.7).
func revETag(rev uint64) string { return `"` + strconv.FormatUint(rev, 10) + `"` }

// digestETag is the entity tag of an immutable body: its digest (§8.7).
func digestETag(d [32]byte) string { return `"` + base64.StdEncoding.EncodeToString(d[:]) + `"` }

// setRevision gives a mutable item's revision as ETag and Hearth-Revision.
func setRevision(h http.Header, rev uint64) {
	h.Set("ETag", revETag(rev))
	h.Set("Hearth-Revision", strconv.FormatUint(rev, 10))
}

// setAttachment marks a stored body sent as it is: its media type, never
// rendered (§8.1.9), and its entity tag.
func setAttachment(h http.Header, ct, etag string) {
	h.Set("Content-Type", ct)
	h.Set("Content-Disposition", "attachment")
	h.Set("ETag", etag)
}

// writeSealed answers sealed bytes with their revision (§8.1.7).
func writeSealed(w http.ResponseWriter, rev uint64, b []byte) error {
	h := w.Header()
	setAttachment(h, typeSealed, revETag(rev))
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("Hearth-Revision", strconv.FormatUint(rev, 10))
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(b)
	return err
}

// conflict is the answer to a write whose precondition failed: the item's
// current revision, 0 when there is none (§8.1.7).
func conflict(current uint64, msg string) *Error {
	return &Error{Code: wire.CodeConflict, Message: msg, Rev: &current}
}

func isConflict(err error) bool { return AsError(err).Code == wire.CodeConflict }

// answerPut answers a write of a sealed item under a revision
// precondition (ifRev; 0 for a create) that the store took (rev) or
// refused (err). A refusal the caller judged a conflict answers the
// current revision, as current reads it (0 when there is none); a taken
// write answers 201 for a create, else 200, with {"rev": rev}.
func answerPut(w http.ResponseWriter, ifRev, rev uint64, err error, conflicted bool, current func() (uint64, error), msg string) error {
	if conflicted {
		cur, e2 := current()
		if e2 != nil && !errors.Is(e2, meta.ErrNotFound) {
			return e2
		}
		return conflict(cur, msg)
	}
	if err != nil {
		return err
	}
	return writeJSON(w, createdOr(ifRev == 0), map[string]uint64{"rev": rev})
}

// createdOr is 201 for a write that created its item, else 200.
func createdOr(created bool) int {
	if created {
		return http.StatusCreated
	}
	return http.StatusOK
}
