package api_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hearthcloud/hearth/server/api"
	"github.com/hearthcloud/hearth/server/blob"
	blobmem "github.com/hearthcloud/hearth/server/blob/memory"
	"github.com/hearthcloud/hearth/server/meta"
	metamem "github.com/hearthcloud/hearth/server/meta/memory"
)

// Upload sessions (§8.7.3).

const (
	upPath   = "/v1/uploads/io.hearth.notes/qc5c4kdgsx3iwzs2g2uy6mcxda"
	upBlob   = "/v1/blobs/io.hearth.notes/qc5c4kdgsx3iwzs2g2uy6mcxda"
	upBlobs  = "/v1/blobs/io.hearth.notes"
	upOffset = "Hearth-Upload-Offset"
)

// uploadEnv is an API over stores the test can look into, with alice
// signed up and io.hearth.notes registered.
type uploadEnv struct {
	*env
	blobs *blobmem.Store
	meta  *metamem.Store
	tok   string
}

func newUploadEnv(t *testing.T, opts ...func(*api.Config)) *uploadEnv {
	u := &uploadEnv{blobs: blobmem.New(1 << 30), meta: metamem.New()}
	u.env = newEnv(t, append([]func(*api.Config){func(c *api.Config) { c.Blobs, c.Meta = u.blobs, u.meta }}, opts...)...)
	_, u.tok = u.signup("alice")
	u.want(u.do("PUT", "/v1/doctypes/io.hearth.notes", u.tok, nil), 201, "")
	return u
}

// patch sends b at offset k, with a digest header if digest is not "".
func (u *uploadEnv) patch(path string, k int, b []byte, digest string) resp {
	u.t.Helper()
	hdr := []string{upOffset, strconv.Itoa(k)}
	if digest != "" {
		hdr = append(hdr, "Hearth-Digest", digest)
	}
	if b == nil {
		b = []byte{}
	}
	return u.do("PATCH", path, u.tok, b, hdr...)
}

// partials counts the partial bodies the blob store holds.
func (u *uploadEnv) partials() int {
	n := 0
	u.blobs.EnumeratePartials(context.Background(), func(string) error { n++; return nil })
	return n
}

// offset asks where the session at path stands.
func (u *uploadEnv) offset(path string) int {
	u.t.Helper()
	r := u.do("GET", path, u.tok, nil)
	u.want(r, 200, "")
	return int(r.json(u.t)["offset"].(float64))
}

func TestUploadSession(t *testing.T) {
	u := newUploadEnv(t)
	b := bytes.Repeat([]byte("sealed bytes "), 10000) // 130000 bytes
	r := u.do("POST", upPath, u.tok, map[string]any{"size": len(b)})
	u.want(r, 201, "")
	m := r.json(t)
	wantExp := u.now.Add(24 * time.Hour).UTC().Truncate(time.Second).Format(time.RFC3339)
	if m["id"] != "qc5c4kdgsx3iwzs2g2uy6mcxda" || m["size"] != float64(len(b)) || m["offset"] != 0.0 || m["expires"] != wantExp {
		t.Fatalf("create: %s (expires want %s)", r.body, wantExp)
	}
	u.want(u.do("POST", upPath, u.tok, map[string]any{"size": len(b)}), 200, "") // a repeat
	u.want(u.do("POST", upPath, u.tok, map[string]any{"size": len(b) + 1}), 409, "exists")

	// Wrong offsets are refused with where the session stands.
	r = u.patch(upPath, 5, b[5:10], "")
	u.want(r, 409, "offset_mismatch")
	if r.json(t)["error"].(map[string]any)["offset"] != 0.0 {
		t.Fatalf("offset_mismatch without the offset: %s", r.body)
	}
	r = u.patch(upPath, 0, b[:50000], "")
	u.want(r, 204, "")
	if r.header.Get(upOffset) != "50000" {
		t.Fatalf("after a piece, %s: %q", upOffset, r.header.Get(upOffset))
	}
	r = u.patch(upPath, 0, b[:10], "")
	u.want(r, 409, "offset_mismatch")
	if r.json(t)["error"].(map[string]any)["offset"] != 50000.0 {
		t.Fatalf("offset_mismatch: %s", r.body)
	}
	if u.offset(upPath) != 50000 {
		t.Fatal("GET does not give the offset")
	}
	// Invisible until complete.
	u.want(u.do("GET", upBlob, u.tok, nil), 404, "not_found")
	if l := u.do("GET", upBlobs, u.tok, nil).json(t)["blobs"].([]any); len(l) != 0 {
		t.Fatalf("blob listing names an open session: %v", l)
	}
	// The completing piece must carry the digest.
	u.want(u.patch(upPath, 50000, b[50000:], ""), 400, "bad_request")
	u.want(u.patch(upPath, 50000, append(b[50000:], 'x'), digestHeader(b)), 400, "bad_request") // past the size
	u.want(u.patch(upPath, 50000, b[50000:100000], ""), 204, "")
	r = u.patch(upPath, 100000, b[100000:], digestHeader(b))
	u.want(r, 201, "")
	if m := r.json(t); m["size"] != float64(len(b)) || m["digest"] != digestHeader(b)[len("sha-256="):] {
		t.Fatalf("completion answer: %s", r.body)
	}
	got := u.do("GET", upBlob, u.tok, nil)
	if got.status != 200 || !bytes.Equal(got.body, b) {
		t.Fatalf("the blob after completion: %d, %d bytes", got.status, len(got.body))
	}
	u.want(u.do("GET", upPath, u.tok, nil), 404, "not_found")
	if u.partials() != 0 {
		t.Fatal("a partial body remains after completion")
	}
	// The id is used now.
	u.want(u.do("POST", upPath, u.tok, map[string]any{"size": len(b)}), 409, "exists")
}

func TestUploadDigestMismatchAndCancel(t *testing.T) {
	u := newUploadEnv(t)
	b := []byte("some sealed bytes")
	u.want(u.do("POST", upPath, u.tok, map[string]any{"size": len(b)}), 201, "")
	u.want(u.patch(upPath, 0, b, digestHeader([]byte("other bytes"))), 422, "digest_mismatch")
	u.want(u.do("GET", upPath, u.tok, nil), 404, "not_found")
	u.want(u.do("GET", upBlob, u.tok, nil), 404, "not_found")
	if u.partials() != 0 {
		t.Fatal("a discarded session left its bytes")
	}
	// The id was never stored: a new session may use it. Then cancel it.
	u.want(u.do("POST", upPath, u.tok, map[string]any{"size": len(b)}), 201, "")
	u.want(u.patch(upPath, 0, b[:4], ""), 204, "")
	u.want(u.do("DELETE", upPath, u.tok, nil), 204, "")
	u.want(u.do("DELETE", upPath, u.tok, nil), 404, "not_found")
	u.want(u.patch(upPath, 4, b[4:], digestHeader(b)), 404, "not_found")
	if u.partials() != 0 {
		t.Fatal("a cancelled session left its bytes")
	}
	// An empty PATCH at the end completes a session whose bytes all came.
	u.want(u.do("POST", upPath, u.tok, map[string]any{"size": len(b)}), 201, "")
	u.want(u.patch(upPath, 0, b, ""), 400, "bad_request") // would complete: needs the digest
	u.want(u.patch(upPath, 0, b[:len(b)-1], ""), 204, "")
	u.want(u.patch(upPath, len(b)-1, b[len(b)-1:], digestHeader(b)), 201, "")
}

func TestUploadChecks(t *testing.T) {
	var cfg *api.Config
	u := newUploadEnv(t, func(c *api.Config) { c.MaxBlobSize = 1 << 20; cfg = c })
	_ = cfg
	tok := u.tok
	for _, c := range []struct {
		body         any
		status       int
		code, reason string
	}{
		{`{}`, 400, "bad_request", "no size"},
		{`{"size":0}`, 400, "bad_request", "size 0"},
		{`{"size":-1}`, 400, "bad_request", "negative"},
		{`{"size":1.5}`, 400, "malformed_json", "fraction"},
		{`{"size":"1"}`, 400, "malformed_json", "string"},
		{`{"size":1,"x":1}`, 400, "malformed_json", "unknown member"},
		{`{"size":1048577}`, 413, "too_large", "over the blob limit"},
		{[]byte(`{"size":1}`), 415, "unsupported_media_type", "octet-stream"},
	} {
		r := u.do("POST", upPath, tok, c.body)
		if r.status != c.status || r.code() != c.code {
			t.Errorf("create, %s: %d %s, want %d %s", c.reason, r.status, r.code(), c.status, c.code)
		}
	}
	u.want(u.do("POST", "/v1/uploads/io.hearth.notes/_x", tok, map[string]any{"size": 1}), 400, "invalid_name")
	u.want(u.do("POST", "/v1/uploads/io.hearth.other/abc", tok, map[string]any{"size": 1}), 404, "unknown_doctype")
	u.want(u.do("GET", "/v1/uploads/io.hearth.other/abc", tok, nil), 404, "unknown_doctype")
	u.want(u.do("PUT", upPath, tok, nil), 405, "method_not_allowed")

	// A token without write on the doctype may do nothing with sessions.
	r := u.do("POST", "/v1/tokens", tok, map[string]any{"name": "reader", "kind": "app",
		"scopes": []any{map[string]any{"doctype": "io.hearth.notes", "verbs": []string{"read", "delete"}}}})
	u.want(r, 201, "")
	reader := r.json(t)["token"].(string)
	u.want(u.do("POST", upPath, tok, map[string]any{"size": 100}), 201, "")
	u.want(u.do("POST", upPath, reader, map[string]any{"size": 100}), 403, "forbidden")
	u.want(u.do("GET", upPath, reader, nil), 403, "forbidden")
	u.want(u.do("DELETE", upPath, reader, nil), 403, "forbidden")
	u.want(u.do("PATCH", upPath, reader, []byte("x"), upOffset, "0"), 403, "forbidden")
	// A token with write continues the session the session token made.
	writer, _ := u.newToken(tok, "app", "writer")
	u.want(u.do("PATCH", upPath, writer, []byte("x"), upOffset, "0"), 204, "")

	// PATCH headers.
	for _, off := range []string{"", "-1", "01", "+1", "1.0", "1 1", "9007199254740992", "0x1"} {
		r := u.do("PATCH", upPath, tok, []byte("x"), upOffset, off)
		if off == "" {
			r = u.do("PATCH", upPath, tok, []byte("x"))
		}
		if r.status != 400 || r.code() != "bad_request" {
			t.Errorf("%s %q: %d %s", upOffset, off, r.status, r.code())
		}
	}
	u.want(u.do("PATCH", upPath, tok, `"json"`, upOffset, "1"), 415, "unsupported_media_type")
	u.want(u.do("PATCH", upPath, tok, []byte("x"), upOffset, "1", "Hearth-Digest", "md5=x"), 400, "bad_request")
	// Declared lengths: none (chunked) is 411, over 64 MiB is 413, both
	// before the body is read.
	if st := u.raw("PATCH", upPath, tok, upOffset+": 1\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n", "1\r\nx\r\n0\r\n\r\n"); st != 411 {
		t.Errorf("a chunked PATCH: %d, want 411", st)
	}
	if st := u.raw("PATCH", upPath, tok, upOffset+": 1\r\nContent-Type: application/octet-stream\r\nContent-Length: 67108865\r\n", ""); st != 413 {
		t.Errorf("a PATCH of 64 MiB + 1: %d, want 413", st)
	}
	if u.offset(upPath) != 1 {
		t.Fatal("a refused PATCH moved the offset")
	}
}

// raw sends a request with the given extra header lines and body over a
// fresh connection and returns the status of the answer, which may come
// before the body was sent.
func (u *uploadEnv) raw(method, path, tok, hdr, body string) int {
	u.t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(u.url, "http://"))
	if err != nil {
		u.t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n%s\r\n%s", method, path, tok, hdr, body)
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		u.t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// TestUploadCutShort: a PATCH whose connection drops mid-body keeps the
// prefix that arrived; the client resumes from the offset GET gives.
func TestUploadCutShort(t *testing.T) {
	u := newUploadEnv(t)
	b := make([]byte, 3<<20)
	for i := range b {
		b[i] = byte(i * 7)
	}
	u.want(u.do("POST", upPath, u.tok, map[string]any{"size": len(b)}), 201, "")
	conn, err := net.Dial("tcp", strings.TrimPrefix(u.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "PATCH %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/octet-stream\r\n"+
		"Content-Length: %d\r\n%s: 0\r\nHearth-Digest: %s\r\n\r\n", upPath, u.tok, len(b), upOffset, digestHeader(b))
	const sent = 1<<20 + 12345
	conn.Write(b[:sent])
	conn.Close()
	// GET waits for the cut PATCH to be done with the session.
	deadline := time.Now().Add(10 * time.Second)
	for u.offset(upPath) != sent {
		if time.Now().After(deadline) {
			t.Fatalf("offset %d after a PATCH cut after %d bytes", u.offset(upPath), sent)
		}
		time.Sleep(10 * time.Millisecond)
	}
	u.want(u.patch(upPath, sent, b[sent:], digestHeader(b)), 201, "")
	if got := u.do("GET", upBlob, u.tok, nil); !bytes.Equal(got.body, b) {
		t.Fatal("the blob differs after a resumed upload")
	}
}

// TestUploadConcurrentPatches: PATCHes of one session are carried out one
// after the other; of two at one offset, one is appended and the other
// told where the session then stands.
func TestUploadConcurrentPatches(t *testing.T) {
	u := newUploadEnv(t)
	b := bytes.Repeat([]byte{7}, 4<<20)
	u.want(u.do("POST", upPath, u.tok, map[string]any{"size": len(b) + 1}), 201, "")
	var wg sync.WaitGroup
	statuses := make([]resp, 4)
	for i := range statuses {
		wg.Add(1)
		go func() { defer wg.Done(); statuses[i] = u.patch(upPath, 0, b, "") }()
	}
	wg.Wait()
	ok := 0
	for _, r := range statuses {
		switch {
		case r.status == 204:
			ok++
		case r.status == 409 && r.code() == "offset_mismatch" && r.json(t)["error"].(map[string]any)["offset"] == float64(len(b)):
		default:
			t.Errorf("concurrent PATCH: %d %s", r.status, r.body)
		}
	}
	if ok != 1 || u.offset(upPath) != len(b) {
		t.Fatalf("%d concurrent PATCHes appended, offset %d", ok, u.offset(upPath))
	}
}

// TestUploadLimits: 32 sessions at most, and the quota counts open
// sessions, both when making one and for PUT.
func TestUploadLimits(t *testing.T) {
	u := newUploadEnv(t)
	for i := range meta.MaxUploads {
		u.want(u.do("POST", fmt.Sprintf("/v1/uploads/io.hearth.notes/s%d", i), u.tok, map[string]any{"size": 10}), 201, "")
	}
	r := u.do("POST", "/v1/uploads/io.hearth.notes/more", u.tok, map[string]any{"size": 10})
	u.want(r, 413, "too_large")
	if r.json(t)["error"].(map[string]any)["quota"] != nil {
		t.Fatalf("too many sessions is not the quota: %s", r.body)
	}
	u.want(u.do("DELETE", "/v1/uploads/io.hearth.notes/s0", u.tok, nil), 204, "")
	u.want(u.do("POST", "/v1/uploads/io.hearth.notes/more", u.tok, map[string]any{"size": 10}), 201, "")

	v := newUploadEnv(t)
	q, _ := v.meta.Quota(context.Background(), "alice")
	v.meta.SetDefaultLimits(meta.Limits{Bytes: q.Used.Bytes + 100000})
	v.want(v.do("POST", upPath, v.tok, map[string]any{"size": 60000}), 201, "")
	r = v.do("POST", "/v1/uploads/io.hearth.notes/two", v.tok, map[string]any{"size": 50000})
	v.want(r, 413, "too_large")
	if r.json(t)["error"].(map[string]any)["quota"] != true {
		t.Fatalf("a session past the quota: %s", r.body)
	}
	v.want(v.do("PUT", "/v1/blobs/io.hearth.notes/put1", v.tok, make([]byte, 50000)), 413, "too_large")
	v.want(v.do("PUT", "/v1/blobs/io.hearth.notes/put1", v.tok, make([]byte, 30000)), 201, "")
}

// TestUploadExpiry: a session 24 h without a PATCH is gone: invisible at
// once, its bytes removed by the sweeper (or by the next request on it).
func TestUploadExpiry(t *testing.T) {
	u := newUploadEnv(t)
	u.want(u.do("POST", upPath, u.tok, map[string]any{"size": 100}), 201, "")
	other := "/v1/uploads/io.hearth.notes/other"
	u.want(u.do("POST", other, u.tok, map[string]any{"size": 100}), 201, "")
	u.advance(23 * time.Hour)
	u.want(u.patch(upPath, 0, make([]byte, 10), ""), 204, "") // moves its expiry on
	u.advance(2 * time.Hour)
	if n, err := u.srv.SweepUploads(context.Background()); err != nil || n != 1 {
		t.Fatalf("SweepUploads = %d, %v; want 1", n, err)
	}
	u.want(u.do("GET", other, u.tok, nil), 404, "not_found")
	if u.partials() != 1 || u.offset(upPath) != 10 {
		t.Fatalf("after the sweep: %d partials", u.partials())
	}
	// Expired, not yet swept: gone all the same.
	u.advance(24 * time.Hour)
	u.want(u.do("GET", upPath, u.tok, nil), 404, "not_found")
	if u.partials() != 0 {
		t.Fatal("an expired session's bytes remain")
	}
	if l := u.do("GET", upBlobs, u.tok, nil).json(t)["blobs"].([]any); len(l) != 0 {
		t.Fatalf("blobs after expiry: %v", l)
	}
	u.want(u.do("POST", upPath, u.tok, map[string]any{"size": 100}), 201, "") // the id was never used
}

// TestUploadCompletionQuota: a completion that finds the account full
// keeps its session; once there is room, an empty PATCH completes it.
func TestUploadCompletionQuota(t *testing.T) {
	u := newUploadEnv(t)
	b := bytes.Repeat([]byte{1}, 50000)
	u.want(u.do("POST", upPath, u.tok, map[string]any{"size": len(b)}), 201, "")
	u.want(u.patch(upPath, 0, b[:40000], ""), 204, "")
	q, _ := u.meta.Quota(context.Background(), "alice")
	u.meta.SetDefaultLimits(meta.Limits{Bytes: q.Used.Bytes + 30000})
	r := u.patch(upPath, 40000, b[40000:], digestHeader(b))
	u.want(r, 413, "too_large")
	if u.offset(upPath) != len(b) {
		t.Fatal("the last piece was not kept")
	}
	u.meta.SetDefaultLimits(meta.Limits{})
	u.want(u.patch(upPath, len(b), nil, digestHeader(b)), 201, "")
	// A PUT of the same id and bytes beside a session: the session then
	// completes as a repeat.
	two := "/v1/uploads/io.hearth.notes/two"
	u.want(u.do("POST", two, u.tok, map[string]any{"size": 3}), 201, "")
	u.want(u.do("PUT", "/v1/blobs/io.hearth.notes/two", u.tok, []byte("abc")), 201, "")
	u.want(u.patch(two, 0, []byte("abc"), digestHeader([]byte("abc"))), 200, "")
	u.want(u.do("POST", "/v1/uploads/io.hearth.notes/three", u.tok, map[string]any{"size": 3}), 201, "")
	u.want(u.do("PUT", "/v1/blobs/io.hearth.notes/three", u.tok, []byte("abc")), 201, "")
	u.want(u.patch("/v1/uploads/io.hearth.notes/three", 0, []byte("xyz"), digestHeader([]byte("xyz"))), 409, "exists")
	if u.partials() != 0 {
		t.Fatal("partial bodies remain")
	}
}

var _ blob.Partials = (*blobmem.Store)(nil)

// FuzzUploads drives one session with arbitrary create bodies, offsets,
// digests and pieces. Whatever arrives, the server answers no 5xx, only
// known codes, and where the session stands moves exactly by the pieces it
// acknowledged; a completion gives exactly the bytes acknowledged.
func FuzzUploads(f *testing.F) {
	f.Add(`{"size":10}`, "0", "", []byte("01234"), "5", true, []byte("56789"))
	f.Add(`{"size":3}`, "0", "sha-256=bad", []byte("abc"), "3", false, []byte(""))
	f.Add(`{"size":1e2}`, "01", "", []byte("x"), "-1", true, []byte("y"))
	f.Add(`{"size":4,"size":5}`, "0", "", []byte("abcd"), "4", true, []byte(""))
	f.Fuzz(func(t *testing.T, create, off1, digest1 string, piece1 []byte, off2 string, digest2ok bool, piece2 []byte) {
		if len(create) > 200 || len(piece1) > 1<<16 || len(piece2) > 1<<16 {
			return
		}
		for _, h := range []string{off1, digest1, off2} {
			if strings.ContainsFunc(h, func(r rune) bool { return r < 0x20 || r >= 0x7f }) {
				return // not a header net/http sends
			}
		}
		u := newUploadEnv(t)
		r := u.do("POST", upPath, u.tok, create)
		if r.status >= 500 {
			t.Fatalf("create %q: %d %s", create, r.status, r.body)
		}
		if r.status != 201 {
			return
		}
		size := int(r.json(t)["size"].(float64))
		var sent []byte
		send := func(off string, body []byte, digest string) {
			hdr := []string{upOffset, off}
			if digest != "" {
				hdr = append(hdr, "Hearth-Digest", digest)
			}
			r := u.do("PATCH", upPath, u.tok, body, hdr...)
			switch {
			case r.status >= 500:
				t.Fatalf("PATCH at %q: %d %s", off, r.status, r.body)
			case r.status == 204:
				sent = append(sent, body...)
				if r.header.Get(upOffset) != strconv.Itoa(len(sent)) {
					t.Fatalf("PATCH acknowledged to %s, want %d", r.header.Get(upOffset), len(sent))
				}
			case r.status == 201:
				sent = append(sent, body...)
				if got := u.do("GET", upBlob, u.tok, nil); len(sent) != size || !bytes.Equal(got.body, sent) {
					t.Fatalf("completed with %d bytes of %d, stored %d", len(sent), size, len(got.body))
				}
			case r.status >= 400 && r.code() == "":
				t.Fatalf("PATCH: %d without a code", r.status)
			}
		}
		send(off1, piece1, digest1)
		d2 := ""
		if digest2ok {
			d2 = digestHeader(append(append([]byte{}, sent...), piece2...))
		}
		send(off2, piece2, d2)
		if g := u.do("GET", upPath, u.tok, nil); g.status == 200 && int(g.json(t)["offset"].(float64)) != len(sent) {
			t.Fatalf("GET offset %s, acknowledged %d", g.body, len(sent))
		}
	})
}
