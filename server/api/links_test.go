package api_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hearthcloud/hearth/internal/wire"
)

// The link endpoints (spec/protocol.md §8.12), played with a made-up proof:
// the server sees only SHA-256 of it, which the owner gives.

type testLink struct {
	id    string
	proof string // base64, as Hearth-Link-Proof
}

func newTestLink() testLink {
	p := rnd32()
	return testLink{wire.NewID(), base64.StdEncoding.EncodeToString(p)}
}

func (l testLink) verifier() []byte {
	p, _ := base64.StdEncoding.DecodeString(l.proof)
	v := sha256.Sum256(p)
	return v[:]
}

// linkEnv signs alice up and stores one blob in io.hearth.files.
func linkEnv(t *testing.T) (*env, string, string) {
	e := newEnv(t)
	_, tok := e.signup("alice")
	e.want(e.do("PUT", "/v1/doctypes/io.hearth.files", tok, nil), 201, "")
	blob := wire.NewID()
	e.want(e.do("PUT", "/v1/blobs/io.hearth.files/"+blob, tok, []byte("sealed bytes")), 201, "")
	return e, tok, blob
}

func (e *env) share(tok string, l testLink, blob string, extra map[string]any) resp {
	body := map[string]any{"id": l.id, "kind": "share", "verifier": l.verifier(), "manifest": []byte("sealed manifest"), "version": 1, "blobs": []string{blob}}
	for k, v := range extra {
		body[k] = v
	}
	return e.do("POST", "/v1/links", tok, body)
}

func (e *env) open(l testLink) resp {
	return e.do("POST", "/v1/links/"+l.id+"/open", "", nil, "Hearth-Link-Proof", l.proof)
}

func TestLinkLifecycle(t *testing.T) {
	e, tok, blob := linkEnv(t)
	l := newTestLink()
	e.want(e.share(tok, l, wire.NewID(), nil), 404, "not_found") // a blob the account does not have
	e.want(e.share(tok, l, blob, map[string]any{"max_opens": 2}), 201, "")
	e.want(e.share(tok, l, blob, nil), 409, "exists") // ids are never reused
	info := e.do("GET", "/v1/links/"+l.id, "", nil)
	e.want(info, 200, "")
	if _, has := info.json(t)["password"]; has {
		t.Error("a link without a password shows one")
	}
	// A wrong proof: 403, nothing given.
	wrong := l
	wrong.proof = newTestLink().proof
	e.want(e.open(wrong), 403, "forbidden")
	r := e.open(l)
	e.want(r, 200, "")
	m := r.json(t)
	linkTok := m["token"].(string)
	if m["manifest"] != base64.StdEncoding.EncodeToString([]byte("sealed manifest")) || m["version"].(float64) != 1 {
		t.Fatalf("open answered %s", r.body)
	}
	got := e.do("GET", "/v1/links/"+l.id+"/blobs/"+blob, linkTok, nil)
	if got.status != 200 || string(got.body) != "sealed bytes" {
		t.Fatalf("blob through the link: %d %s", got.status, got.body)
	}
	e.want(e.do("GET", "/v1/links/"+l.id+"/blobs/"+wire.NewID(), linkTok, nil), 404, "not_found")
	e.want(e.do("GET", "/v1/blobs/io.hearth.files/"+blob, linkTok, nil), 401, "unauthenticated") // a link token is no account token
	e.want(e.do("GET", "/v1/links/"+newTestLink().id+"/blobs/"+blob, linkTok, nil), 401, "unauthenticated")
	// The second open is the last; a third is exhausted, the token lives on.
	e.want(e.open(l), 200, "")
	r = e.open(l)
	e.want(r, 410, "gone")
	if r.json(t)["error"].(map[string]any)["reason"] != "exhausted" {
		t.Errorf("reason: %s", r.body)
	}
	e.want(e.do("GET", "/v1/links/"+l.id+"/blobs/"+blob, linkTok, nil), 200, "")
	// The owner sees opens, failures; revoking ends the token at once.
	list := e.do("GET", "/v1/links", tok, nil)
	e.want(list, 200, "")
	ls := list.json(t)["links"].([]any)
	if len(ls) != 1 || ls[0].(map[string]any)["opens"].(float64) != 2 || ls[0].(map[string]any)["failures"].(float64) != 1 {
		t.Fatalf("listing %s", list.body)
	}
	e.want(e.do("DELETE", "/v1/links/"+l.id, tok, nil), 204, "")
	e.want(e.do("GET", "/v1/links/"+l.id+"/blobs/"+blob, linkTok, nil), 401, "unauthenticated")
	r = e.do("GET", "/v1/links/"+l.id, "", nil)
	e.want(r, 410, "gone")
	if r.json(t)["error"].(map[string]any)["reason"] != "revoked" {
		t.Errorf("reason: %s", r.body)
	}
	e.want(e.do("PATCH", "/v1/links/"+l.id, tok, map[string]any{"max_opens": 5}), 410, "gone")
	// Expiry, on the server's clock.
	l2 := newTestLink()
	e.want(e.share(tok, l2, blob, map[string]any{"expires": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}), 201, "")
	e.want(e.open(l2), 200, "")
	e.want(e.do("PATCH", "/v1/links/"+l2.id, tok, map[string]any{"manifest": []byte("m3"), "version": 3, "blobs": []string{blob}}), 412, "conflict")
	e.want(e.do("PATCH", "/v1/links/"+l2.id, tok, map[string]any{"manifest": []byte("m2"), "version": 2, "blobs": []string{blob}}), 200, "")
	e.advance(2 * time.Hour)
	r = e.open(l2)
	e.want(r, 410, "gone")
	if r.json(t)["error"].(map[string]any)["reason"] != "expired" {
		t.Errorf("reason: %s", r.body)
	}
	// Far too long, or in the past.
	e.want(e.share(tok, newTestLink(), blob, map[string]any{"expires": time.Now().Add(400 * 24 * time.Hour).UTC().Format(time.RFC3339)}), 400, "bad_request")
	// Nothing of the links reaches the log: no id, no proof.
	for _, s := range []string{l.id, l.proof, l2.id, linkTok} {
		if strings.Contains(e.log.String(), s) {
			t.Errorf("the log names %q", s)
		}
	}
}

func TestLinkProofLimited(t *testing.T) {
	e, tok, blob := linkEnv(t)
	l := newTestLink()
	e.want(e.share(tok, l, blob, nil), 201, "")
	wrong := l
	limited := 0
	for range 15 {
		wrong.proof = newTestLink().proof
		if r := e.open(wrong); r.status == http.StatusTooManyRequests {
			limited++
			if r.header.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
		} else if r.status != 403 {
			t.Fatalf("wrong proof: %d %s", r.status, r.body)
		}
	}
	if limited < 4 {
		t.Fatalf("%d of 15 wrong proofs limited; want the ones past the free 10 (and one)", limited)
	}
	// Even the right proof waits now; later it opens.
	e.want(e.open(l), 429, "rate_limited")
	e.advance(time.Hour)
	e.want(e.open(l), 200, "")
}

func TestDropLimits(t *testing.T) {
	e, tok, _ := linkEnv(t)
	l := newTestLink()
	e.want(e.do("POST", "/v1/links", tok, map[string]any{"id": l.id, "kind": "drop", "verifier": l.verifier(),
		"drop": map[string]any{"recipient": "age1qqqq", "tag": rnd32(), "max_files": 2, "max_file_size": 100, "max_total": 150}}), 201, "")
	info := e.do("GET", "/v1/links/"+l.id, "", nil).json(t)
	if info["drop"].(map[string]any)["recipient"] != "age1qqqq" {
		t.Fatalf("info %v", info)
	}
	e.want(e.open(l), 404, "not_found") // a drop link does not open
	put := func(id string, n int, proof string) resp {
		return e.do("PUT", "/v1/links/"+l.id+"/drops/"+id, "", make([]byte, n), "Hearth-Link-Proof", proof)
	}
	e.want(put("d1", 10, newTestLink().proof), 403, "forbidden")
	e.want(put("d1", 101, l.proof), 413, "too_large")
	e.want(put("d1", 100, l.proof), 201, "")
	e.want(put("d1", 10, l.proof), 409, "exists")
	e.want(put("d2", 60, l.proof), 413, "too_large")
	e.want(put("d2", 50, l.proof), 201, "")
	r := put("d3", 1, l.proof)
	e.want(r, 410, "gone")
	ds := e.do("GET", "/v1/links/"+l.id+"/drops", tok, nil)
	e.want(ds, 200, "")
	if n := len(ds.json(t)["drops"].([]any)); n != 2 {
		t.Fatalf("%d drops", n)
	}
	got := e.do("GET", "/v1/links/"+l.id+"/drops/d2", tok, nil)
	if got.status != 200 || len(got.body) != 50 {
		t.Fatalf("drop: %d", got.status)
	}
	e.want(e.do("DELETE", "/v1/links/"+l.id+"/drops/d2", tok, nil), 204, "")
	e.want(e.do("GET", "/v1/links/"+l.id+"/drops/d2", tok, nil), 404, "not_found")
	_, bob := e.signup("bob")
	e.want(e.do("GET", "/v1/links/"+l.id+"/drops", bob, nil), 404, "not_found")
}

// TestDropSessions: a drop through an upload session (§8.12.5): the proof
// on every request, the link's limits at creation with the declared size
// and again at completion, the session invisible until it completes, and
// revocation ending it.
func TestDropSessions(t *testing.T) {
	e, tok, _ := linkEnv(t)
	l := newTestLink()
	e.want(e.do("POST", "/v1/links", tok, map[string]any{"id": l.id, "kind": "drop", "verifier": l.verifier(),
		"drop": map[string]any{"recipient": "age1qqqq", "tag": rnd32(), "max_files": 3, "max_file_size": 100, "max_total": 150}}), 201, "")
	path := func(id string) string { return "/v1/links/" + l.id + "/uploads/" + id }
	create := func(id string, size int, proof string) resp {
		return e.do("POST", path(id), "", map[string]any{"size": size}, "Hearth-Link-Proof", proof)
	}
	body := bytes.Repeat([]byte{7}, 90)
	patch := func(id string, at int, b []byte, proof string, digest bool) resp {
		h := []string{"Hearth-Link-Proof", proof, "Hearth-Upload-Offset", strconv.Itoa(at)}
		if digest {
			h = append(h, "Hearth-Digest", digestHeader(body[:at+len(b)]))
		}
		return e.do("PATCH", path(id), "", b, h...)
	}
	e.want(create("d1", 10, newTestLink().proof), 403, "forbidden")
	e.want(e.do("POST", path("d1"), tok, map[string]any{"size": 10}), 400, "bad_request") // no proof: an account's token is no proof
	e.want(create("d1", 101, l.proof), 413, "too_large")
	e.want(create("d1", 90, l.proof), 201, "")
	e.want(create("d1", 90, l.proof), 200, "") // a repeated create
	e.want(patch("d1", 0, body[:40], l.proof, false), 204, "")
	e.want(patch("d1", 10, body[10:], l.proof, false), 409, "offset_mismatch")
	st := e.do("GET", path("d1"), "", nil, "Hearth-Link-Proof", l.proof)
	e.want(st, 200, "")
	if st.json(t)["offset"].(float64) != 40 {
		t.Fatalf("session %s", st.body)
	}
	// Invisible until complete.
	if n := len(e.do("GET", "/v1/links/"+l.id+"/drops", tok, nil).json(t)["drops"].([]any)); n != 0 {
		t.Fatalf("%d drops before completion", n)
	}
	e.want(patch("d1", 40, body[40:], l.proof, true), 201, "")
	// The link's open sessions count with its drops: together they hold
	// no more of the owner's quota than the link takes.
	e.want(create("d2", 61, l.proof), 413, "too_large")
	e.want(create("d2", 50, l.proof), 201, "")
	e.want(create("d3", 50, l.proof), 413, "too_large")
	e.want(create("d3", 10, l.proof), 201, "")
	e.want(create("d4", 1, l.proof), 413, "too_large") // 3 files: one done, two open
	// Declared within the limits at creation, no longer fitting at
	// completion (a drop in one PUT took the room): refused then, and the
	// session is gone.
	e.want(e.do("PUT", "/v1/links/"+l.id+"/drops/p1", "", make([]byte, 50), "Hearth-Link-Proof", l.proof), 201, "")
	e.want(patch("d2", 0, body[:50], l.proof, true), 413, "too_large")
	e.want(e.do("GET", path("d2"), "", nil, "Hearth-Link-Proof", l.proof), 404, "not_found")
	e.want(patch("d3", 0, body[:10], l.proof, true), 201, "")
	ds := e.do("GET", "/v1/links/"+l.id+"/drops", tok, nil).json(t)["drops"].([]any)
	if len(ds) != 3 {
		t.Fatalf("%d drops", len(ds))
	}
	// Revocation ends an open session at once.
	l2 := newTestLink()
	e.want(e.do("POST", "/v1/links", tok, map[string]any{"id": l2.id, "kind": "drop", "verifier": l2.verifier(),
		"drop": map[string]any{"recipient": "age1qqqq", "tag": rnd32()}}), 201, "")
	p2 := "/v1/links/" + l2.id + "/uploads/e1"
	e.want(e.do("POST", p2, "", map[string]any{"size": 20}, "Hearth-Link-Proof", l2.proof), 201, "")
	e.want(e.do("DELETE", "/v1/links/"+l2.id, tok, nil), 204, "")
	e.want(e.do("PATCH", p2, "", body[:20], "Hearth-Link-Proof", l2.proof, "Hearth-Upload-Offset", "0"), 410, "gone")
}
