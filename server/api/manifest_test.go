package api_test

import (
	"bytes"
	"crypto/rand"
	"net/http"
	"strings"
	"testing"
)

const notesManifest = "/v1/index/io.hearth.notes/manifest"

// wantRev checks a write's answer: status and {"rev":rev}, nothing else.
func (e *env) wantRev(r resp, status int, rev uint64) {
	e.t.Helper()
	e.want(r, status, "")
	if m := r.json(e.t); len(m) != 1 || m["rev"] != float64(rev) {
		e.t.Fatalf("write answer %s, want {\"rev\":%d}", r.body, rev)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		e.t.Fatalf("write answer Content-Type %q", ct)
	}
}

// wantConflict checks a 412 conflict carrying the current revision.
func (e *env) wantConflict(r resp, current uint64) {
	e.t.Helper()
	e.want(r, 412, "conflict")
	if got, ok := r.json(e.t)["error"].(map[string]any)["rev"]; !ok || got != float64(current) {
		e.t.Fatalf("conflict %s, want the current revision %d", r.body, current)
	}
}

// wantManifest checks a GET of the manifest: the raw bytes and the
// revision headers.
func (e *env) wantManifest(path, token string, rev string, body []byte) {
	e.t.Helper()
	r := e.do("GET", path, token, nil)
	e.want(r, 200, "")
	h := r.header
	if !bytes.Equal(r.body, body) || h.Get("ETag") != `"`+rev+`"` || h.Get("Hearth-Revision") != rev ||
		h.Get("Content-Type") != "application/octet-stream" || h.Get("Cache-Control") != "no-store" ||
		h.Get("Content-Disposition") != "attachment" || h.Get("Access-Control-Allow-Origin") != "*" {
		e.t.Fatalf("GET manifest: %d bytes (want %d), headers %v, want revision %s", len(r.body), len(body), h, rev)
	}
}

func TestManifest(t *testing.T) {
	e := newEnv(t)
	_, tok := e.signup("alice")

	// Before the doctype is registered.
	e.want(e.do("GET", notesManifest, tok, nil), 404, "unknown_doctype")
	e.want(e.do("PUT", notesManifest, tok, []byte("m"), "If-None-Match", "*"), 404, "unknown_doctype")
	e.want(e.do("PUT", "/v1/doctypes/io.hearth.notes", tok, nil), 201, "")

	// Before the first write: 404, and an update of none is a conflict at 0.
	e.want(e.do("GET", notesManifest, tok, nil), 404, "not_found")
	e.wantConflict(e.do("PUT", notesManifest, tok, []byte("m"), "If-Match", `"1"`), 0)

	// A write needs exactly one well-formed precondition, as the keyring's.
	v1 := []byte{0, 0xff, 'm', '1', 0x80, '\n'} // binary, not base64 or UTF-8
	e.want(e.do("PUT", notesManifest, tok, v1), 428, "precondition_required")
	for _, h := range [][]string{
		{"If-Match", `"1"`, "If-None-Match", "*"},
		{"If-Match", "*"},
		{"If-Match", `W/"1"`},
		{"If-Match", `"1", "2"`},
		{"If-Match", "1"},
		{"If-Match", `"01"`},
		{"If-Match", `"0"`},
		{"If-None-Match", `"1"`},
	} {
		e.want(e.do("PUT", notesManifest, tok, v1, h...), 400, "bad_request")
	}
	e.want(e.do("GET", notesManifest, tok, nil), 404, "not_found")

	// The first write creates revision 1.
	e.wantRev(e.do("PUT", notesManifest, tok, v1, "If-None-Match", "*"), 201, 1)
	e.wantManifest(notesManifest, tok, "1", v1)
	e.wantConflict(e.do("PUT", notesManifest, tok, []byte("again"), "If-None-Match", "*"), 1)
	e.wantManifest(notesManifest, tok, "1", v1)

	// Updates at the current revision; a stale one is the keyring's conflict.
	e.wantRev(e.do("PUT", notesManifest, tok, []byte("manifest 2"), "If-Match", `"1"`), 200, 2)
	e.wantConflict(e.do("PUT", notesManifest, tok, []byte("stale"), "If-Match", `"1"`), 2)
	e.wantConflict(e.do("PUT", notesManifest, tok, []byte("ahead"), "If-Match", `"7"`), 2)
	e.wantManifest(notesManifest, tok, "2", []byte("manifest 2"))
	// GET ignores conditional headers (§8.1.7).
	e.want(e.do("GET", notesManifest, tok, nil, "If-None-Match", `"2"`), 200, "")

	// Bodies: raw sealed bytes only, not empty, at most 1 MiB.
	e.want(e.do("PUT", notesManifest, tok, `{"manifest":"AA=="}`, "If-Match", `"2"`), 415, "unsupported_media_type")
	e.want(e.do("PUT", notesManifest, tok, []byte{}, "If-Match", `"2"`), 400, "bad_request")
	big := make([]byte, 1<<20)
	rand.Read(big)
	e.want(e.do("PUT", notesManifest, tok, append(big, 0), "If-Match", `"2"`), 413, "too_large")
	e.wantRev(e.do("PUT", notesManifest, tok, big, "If-Match", `"2"`), 200, 3)
	e.wantManifest(notesManifest, tok, "3", big)
	req, _ := http.NewRequest("PUT", e.url+notesManifest, strings.NewReader("chunked"))
	req.ContentLength = -1
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("If-Match", `"3"`)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 411 {
		t.Fatalf("chunked manifest: %d, want 411", res.StatusCode)
	}
	// The size is checked from the header before the precondition.
	e.want(e.do("PUT", notesManifest, tok, append(big, 0)), 413, "too_large")

	// Names, parameters and authentication.
	e.want(e.do("GET", "/v1/index/Io.hearth.notes/manifest", tok, nil), 400, "invalid_name")
	e.want(e.do("PUT", "/v1/index/notes/manifest", tok, []byte("m"), "If-None-Match", "*"), 400, "invalid_name")
	e.want(e.do("GET", notesManifest+"?rev=1", tok, nil), 400, "bad_request")
	e.want(e.do("PUT", notesManifest+"?force=true", tok, []byte("m"), "If-Match", `"3"`), 400, "bad_request")
	e.want(e.do("GET", notesManifest, "", nil), 401, "unauthenticated")
	e.want(e.do("PUT", notesManifest, "", []byte("m"), "If-Match", `"3"`), 401, "unauthenticated")
	e.wantManifest(notesManifest, tok, "3", big)

	// A segment named "manifest" is a segment, not the manifest.
	e.want(e.do("PUT", "/v1/index/io.hearth.notes/segments/manifest", tok, []byte("segment")), 201, "")
	e.wantManifest(notesManifest, tok, "3", big)

	// Manifests are per doctype and per account.
	e.want(e.do("PUT", "/v1/doctypes/io.hearth.contacts", tok, nil), 201, "")
	e.want(e.do("GET", "/v1/index/io.hearth.contacts/manifest", tok, nil), 404, "not_found")
	_, bob := e.signup("bob")
	e.want(e.do("GET", notesManifest, bob, nil), 404, "unknown_doctype")
	e.want(e.do("PUT", "/v1/doctypes/io.hearth.notes", bob, nil), 201, "")
	e.want(e.do("GET", notesManifest, bob, nil), 404, "not_found")
	e.wantRev(e.do("PUT", notesManifest, bob, []byte("bob 1"), "If-None-Match", "*"), 201, 1)
	e.wantManifest(notesManifest, tok, "3", big)

	// The log names the route, never the doctype.
	if log := e.log.String(); !strings.Contains(log, "/v1/index/{doctype}/manifest") || strings.Contains(log, "io.hearth.notes") {
		t.Fatalf("log:\n%s", log)
	}
}

// TestManifestScopes: read and write are separate verbs, and a token
// without the doctype in scope gets 403 whether or not the manifest (or
// the doctype) exists, before any header or body check.
func TestManifestScopes(t *testing.T) {
	e := newEnv(t)
	_, tok := e.signup("alice")
	for _, d := range []string{"io.hearth.notes", "io.hearth.contacts"} {
		e.want(e.do("PUT", "/v1/doctypes/"+d, tok, nil), 201, "")
	}
	contactsManifest := "/v1/index/io.hearth.contacts/manifest"
	e.wantRev(e.do("PUT", contactsManifest, tok, []byte("contacts 1"), "If-None-Match", "*"), 201, 1)
	newApp := func(scopes ...any) string {
		r := e.do("POST", "/v1/tokens", tok, map[string]any{"name": "app", "kind": "app", "scopes": scopes})
		e.want(r, 201, "")
		return r.json(t)["token"].(string)
	}
	scope := func(d string, verbs ...string) any { return map[string]any{"doctype": d, "verbs": verbs} }
	reader := newApp(scope("io.hearth.notes", "read"), scope("io.hearth.other", "read", "write"))
	writer := newApp(scope("io.hearth.notes", "write"))

	// Nothing written yet: the reader gets 404, the writer creates it.
	e.want(e.do("GET", notesManifest, reader, nil), 404, "not_found")
	e.want(e.do("PUT", notesManifest, reader, []byte("m"), "If-None-Match", "*"), 403, "forbidden")
	e.wantRev(e.do("PUT", notesManifest, writer, []byte("notes 1"), "If-None-Match", "*"), 201, 1)
	e.wantManifest(notesManifest, reader, "1", []byte("notes 1"))
	e.want(e.do("GET", notesManifest, writer, nil), 403, "forbidden") // write does not imply read
	e.want(e.do("PUT", notesManifest, reader, []byte("m"), "If-Match", `"1"`), 403, "forbidden")
	// 403 comes before the headers: no precondition, another media type,
	// an oversized body.
	e.want(e.do("PUT", notesManifest, reader, []byte("m")), 403, "forbidden")
	e.want(e.do("PUT", notesManifest, reader, "{}", "If-Match", `"1"`), 403, "forbidden")
	e.want(e.do("PUT", notesManifest, reader, make([]byte, 2<<20), "If-Match", `"1"`), 403, "forbidden")
	e.wantRev(e.do("PUT", notesManifest, writer, []byte("notes 2"), "If-Match", `"1"`), 200, 2)
	e.wantManifest(notesManifest, tok, "2", []byte("notes 2"))

	// Another doctype: 403 whether the manifest exists (contacts), does not
	// (files, registered later) or the doctype is not even registered.
	for _, d := range []string{"io.hearth.contacts", "io.hearth.files", "io.hearth.nothere"} {
		p := "/v1/index/" + d + "/manifest"
		for _, app := range []string{reader, writer} {
			e.want(e.do("GET", p, app, nil), 403, "forbidden")
			e.want(e.do("PUT", p, app, []byte("m"), "If-None-Match", "*"), 403, "forbidden")
			e.want(e.do("PUT", p, app, []byte("m"), "If-Match", `"1"`), 403, "forbidden")
		}
	}
	e.wantManifest(contactsManifest, tok, "1", []byte("contacts 1"))

	// In scope but not registered: unknown_doctype, after the scope check.
	other := "/v1/index/io.hearth.other/manifest"
	e.want(e.do("GET", other, reader, nil), 404, "unknown_doctype")
	e.want(e.do("PUT", other, reader, []byte("m"), "If-None-Match", "*"), 404, "unknown_doctype")
}

// TestManifestAllowAndCORS: the route takes GET and PUT only, answers
// other methods 405 with Allow, and has the CORS headers of every route.
func TestManifestAllowAndCORS(t *testing.T) {
	e := newEnv(t)
	_, tok := e.signup("alice")
	for _, m := range []string{"DELETE", "POST", "PATCH", "HEAD"} {
		r := e.do(m, notesManifest, tok, nil)
		allow := r.header.Get("Allow")
		if r.status != 405 || allow != "GET, PUT" || r.header.Get("Access-Control-Allow-Origin") != "*" {
			t.Fatalf("%s manifest: %d, Allow %q, headers %v", m, r.status, allow, r.header)
		}
		if m != "HEAD" && r.code() != "method_not_allowed" {
			t.Fatalf("%s manifest: %s", m, r.body)
		}
	}
	r := e.do("OPTIONS", notesManifest, "", nil, "Origin", "http://notes.alice.localhost", "Access-Control-Request-Method", "PUT",
		"Access-Control-Request-Headers", "authorization, content-type, if-none-match")
	h := r.header
	if r.status != 204 || h.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(h.Get("Access-Control-Allow-Methods"), "PUT") ||
		!strings.Contains(h.Get("Access-Control-Allow-Headers"), "If-None-Match") || h.Get("Access-Control-Allow-Credentials") != "" {
		t.Fatalf("preflight: %d %v", r.status, h)
	}
	e.want(e.do("PUT", "/v1/doctypes/io.hearth.notes", tok, nil), 201, "")
	r = e.do("PUT", notesManifest, tok, []byte("m"), "If-None-Match", "*")
	e.want(r, 201, "")
	for _, rr := range []resp{r, e.do("GET", notesManifest, tok, nil), e.do("PUT", notesManifest, tok, []byte("m"), "If-Match", `"9"`)} {
		h := rr.header
		if h.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(h.Get("Access-Control-Expose-Headers"), "Hearth-Revision") ||
			!strings.Contains(h.Get("Access-Control-Expose-Headers"), "ETag") || h.Get("X-Content-Type-Options") != "nosniff" ||
			h.Get("Content-Security-Policy") == "" || h.Get("Cache-Control") != "no-store" {
			t.Fatalf("%d answer lacks the headers of §8.1.9: %v", rr.status, h)
		}
	}
}
