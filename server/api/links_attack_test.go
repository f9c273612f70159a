package api_test

import (
	"testing"

	"github.com/hearthcloud/hearth/internal/wire"
)

// Issue 16 played against the server: another account, a stranger with a
// link, and bad input on the link and upload-session endpoints.

// TestLinksAnotherAccount: bob can neither see, change, revoke nor read
// through alice's links, nor make a link that reaches alice's blobs.
func TestLinksAnotherAccount(t *testing.T) {
	e, alice, blob := linkEnv(t)
	_, bob := e.signup("bob")
	e.want(e.do("PUT", "/v1/doctypes/io.hearth.files", bob, nil), 201, "")
	share, drop := newTestLink(), newTestLink()
	e.want(e.share(alice, share, blob, nil), 201, "")
	e.want(e.do("POST", "/v1/links", alice, map[string]any{"id": drop.id, "kind": "drop", "verifier": drop.verifier(),
		"drop": map[string]any{"recipient": "age1qqqq", "tag": rnd32()}}), 201, "")
	e.want(e.do("PUT", "/v1/links/"+drop.id+"/drops/d1", "", []byte("sealed drop"), "Hearth-Link-Proof", drop.proof), 201, "")

	// bob's link naming alice's blob: not his.
	e.want(e.share(bob, newTestLink(), blob, nil), 404, "not_found")
	// bob's link reusing alice's link id (with a blob of his own).
	bobBlob := wire.NewID()
	e.want(e.do("PUT", "/v1/blobs/io.hearth.files/"+bobBlob, bob, []byte("bob's sealed bytes")), 201, "")
	e.want(e.share(bob, share, bobBlob, nil), 409, "exists")
	for _, id := range []string{share.id, drop.id} {
		e.want(e.do("PATCH", "/v1/links/"+id, bob, map[string]any{"max_opens": 1}), 404, "not_found")
		e.want(e.do("DELETE", "/v1/links/"+id, bob, nil), 404, "not_found")
		e.want(e.do("GET", "/v1/links/"+id+"/drops", bob, nil), 404, "not_found")
	}
	e.want(e.do("GET", "/v1/links/"+drop.id+"/drops/d1", bob, nil), 404, "not_found")
	e.want(e.do("DELETE", "/v1/links/"+drop.id+"/drops/d1", bob, nil), 404, "not_found")
	// bob's own blob of the same id as alice's drop is his own.
	e.want(e.do("GET", "/v1/blobs/io.hearth.files/"+blob, bob, nil), 404, "not_found")
	if ls := e.do("GET", "/v1/links", bob, nil).json(t)["links"].([]any); len(ls) != 0 {
		t.Fatalf("bob lists %d links", len(ls))
	}
	// alice's links are untouched.
	e.want(e.open(share), 200, "")
	if ds := e.do("GET", "/v1/links/"+drop.id+"/drops", alice, nil).json(t)["drops"].([]any); len(ds) != 1 {
		t.Fatalf("alice has %d drops", len(ds))
	}
}

// TestLinksStranger: a link token reaches its own link's blobs only, a drop
// proof reads nothing, a share link takes no drop.
func TestLinksStranger(t *testing.T) {
	e, alice, blob := linkEnv(t)
	other := wire.NewID()
	e.want(e.do("PUT", "/v1/blobs/io.hearth.files/"+other, alice, []byte("another sealed blob")), 201, "")
	a, b, drop := newTestLink(), newTestLink(), newTestLink()
	e.want(e.share(alice, a, blob, nil), 201, "")
	e.want(e.share(alice, b, other, nil), 201, "")
	e.want(e.do("POST", "/v1/links", alice, map[string]any{"id": drop.id, "kind": "drop", "verifier": drop.verifier(),
		"drop": map[string]any{"recipient": "age1qqqq", "tag": rnd32()}}), 201, "")
	tokA := e.open(a).json(t)["token"].(string)
	// A's token: not B's blob through A, not B's blob through B.
	e.want(e.do("GET", "/v1/links/"+a.id+"/blobs/"+other, tokA, nil), 404, "not_found")
	e.want(e.do("GET", "/v1/links/"+b.id+"/blobs/"+other, tokA, nil), 401, "unauthenticated")
	// A share link takes no drop, even with its right proof.
	e.want(e.do("PUT", "/v1/links/"+a.id+"/drops/d1", "", []byte("x"), "Hearth-Link-Proof", a.proof), 404, "not_found")
	// A drop link's proof opens nothing and reads nothing.
	e.want(e.open(drop), 404, "not_found")
	e.want(e.do("PUT", "/v1/links/"+drop.id+"/drops/d1", "", []byte("sealed drop"), "Hearth-Link-Proof", drop.proof), 201, "")
	e.want(e.do("GET", "/v1/links/"+drop.id+"/drops/d1", "", nil, "Hearth-Link-Proof", drop.proof), 401, "unauthenticated")
	e.want(e.do("GET", "/v1/links/"+drop.id+"/drops", "", nil, "Hearth-Link-Proof", drop.proof), 401, "unauthenticated")
	e.want(e.do("GET", "/v1/links/"+drop.id+"/drops/d1", tokA, nil), 401, "unauthenticated")
	e.want(e.do("GET", "/v1/links/"+drop.id+"/blobs/"+blob, tokA, nil), 401, "unauthenticated")
	// A link token is no session.
	e.want(e.do("GET", "/v1/links", tokA, nil), 401, "unauthenticated")
	// Expired by PATCH: the token ends with the link.
	_ = e.do("PATCH", "/v1/links/"+a.id, alice, map[string]any{"expires": e.now.Add(60e9).UTC().Format("2006-01-02T15:04:05Z")})
	e.advance(2 * 60e9)
	e.want(e.do("GET", "/v1/links/"+a.id+"/blobs/"+blob, tokA, nil), 410, "gone")
}

// TestDropsDoctypeReserved: io.hearth.drops is the server's (§8.12.5): no
// account or app reaches drops through the blob API, where they would
// escape the link's endpoints (and an app granted it could delete them).
func TestDropsDoctypeReserved(t *testing.T) {
	e, alice, _ := linkEnv(t)
	drop := newTestLink()
	e.want(e.do("POST", "/v1/links", alice, map[string]any{"id": drop.id, "kind": "drop", "verifier": drop.verifier(),
		"drop": map[string]any{"recipient": "age1qqqq", "tag": rnd32()}}), 201, "")
	e.want(e.do("PUT", "/v1/links/"+drop.id+"/drops/d1", "", []byte("sealed drop"), "Hearth-Link-Proof", drop.proof), 201, "")
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{"PUT", "/v1/doctypes/io.hearth.drops", nil},
		{"GET", "/v1/blobs/io.hearth.drops", nil},
		{"GET", "/v1/blobs/io.hearth.drops/d1", nil},
		{"HEAD", "/v1/blobs/io.hearth.drops/d1", nil},
		{"DELETE", "/v1/blobs/io.hearth.drops/d1", nil},
		{"PUT", "/v1/blobs/io.hearth.drops/d2", []byte("x")},
		{"POST", "/v1/uploads/io.hearth.drops/d3", map[string]any{"size": 10}},
		{"GET", "/v1/docs/io.hearth.drops", nil},
		{"PUT", "/v1/docs/io.hearth.drops/d4", []byte("x")},
		{"GET", "/v1/index/io.hearth.drops/segments", nil},
	} {
		r := e.do(c.method, c.path, alice, c.body)
		if r.status != 400 || c.method != "HEAD" && r.code() != "invalid_name" {
			t.Errorf("%s %s: %d %s, want 400 invalid_name", c.method, c.path, r.status, r.body)
		}
	}
	if ds := e.do("GET", "/v1/links/"+drop.id+"/drops", alice, nil).json(t)["drops"].([]any); len(ds) != 1 {
		t.Errorf("the drop is gone from its link: %d drops", len(ds))
	}
}

// TestLinkPatchBadInput: a drop link takes no manifest, blobs or open
// limit by PATCH (as at creation), and a new manifest reaches only the
// blobs it names, from every token at once.
func TestLinkPatchBadInput(t *testing.T) {
	e, alice, blob := linkEnv(t)
	other := wire.NewID()
	e.want(e.do("PUT", "/v1/blobs/io.hearth.files/"+other, alice, []byte("another sealed blob")), 201, "")
	drop := newTestLink()
	e.want(e.do("POST", "/v1/links", alice, map[string]any{"id": drop.id, "kind": "drop", "verifier": drop.verifier(),
		"drop": map[string]any{"recipient": "age1qqqq", "tag": rnd32()}}), 201, "")
	e.want(e.do("PATCH", "/v1/links/"+drop.id, alice, map[string]any{"manifest": []byte("m"), "version": 1, "blobs": []string{blob}}), 400, "bad_request")
	e.want(e.do("PATCH", "/v1/links/"+drop.id, alice, map[string]any{"max_opens": 3}), 400, "bad_request")
	for _, body := range []string{`{"max_opens":`, `{"expires":"yesterday"}`, `{"manifest":"!!"}`, `[]`, `{"max_opens":-1}`,
		`{"manifest":"bQ==","version":2}`, `{"manifest":"","version":2,"blobs":["` + blob + `"]}`} {
		r := e.do("PATCH", "/v1/links/"+drop.id, alice, []byte(body), "Content-Type", "application/json")
		if r.status != 400 {
			t.Errorf("PATCH %s: %d %s", body, r.status, r.body)
		}
	}
	share := newTestLink()
	e.want(e.share(alice, share, blob, nil), 201, "")
	tok := e.open(share).json(t)["token"].(string)
	e.want(e.do("PATCH", "/v1/links/"+share.id, alice, map[string]any{"manifest": []byte("m2"), "version": 2, "blobs": []string{other}}), 200, "")
	e.want(e.do("GET", "/v1/links/"+share.id+"/blobs/"+blob, tok, nil), 404, "not_found")
	e.want(e.do("GET", "/v1/links/"+share.id+"/blobs/"+other, tok, nil), 200, "")
}

// TestLinksAppScope: the owner's link endpoints take a token holding read
// and write on io.hearth.files (§8.12): an app with read only, or with
// read and write on another doctype, neither makes, lists, changes nor
// revokes a link, nor reads or deletes a drop.
func TestLinksAppScope(t *testing.T) {
	e, alice, blob := linkEnv(t)
	e.want(e.do("PUT", "/v1/doctypes/io.hearth.notes", alice, nil), 201, "")
	app := func(doctype string, verbs ...string) string {
		r := e.do("POST", "/v1/tokens", alice, map[string]any{"name": "app", "kind": "app",
			"scopes": []any{map[string]any{"doctype": doctype, "verbs": verbs}}})
		e.want(r, 201, "")
		return r.json(t)["token"].(string)
	}
	drop := newTestLink()
	e.want(e.do("POST", "/v1/links", alice, map[string]any{"id": drop.id, "kind": "drop", "verifier": drop.verifier(),
		"drop": map[string]any{"recipient": "age1qqqq", "tag": rnd32()}}), 201, "")
	e.want(e.do("PUT", "/v1/links/"+drop.id+"/drops/d1", "", []byte("sealed drop"), "Hearth-Link-Proof", drop.proof), 201, "")
	for _, tok := range []string{app("io.hearth.files", "read"), app("io.hearth.files", "read", "delete"), app("io.hearth.notes", "read", "write", "delete")} {
		e.want(e.share(tok, newTestLink(), blob, nil), 403, "forbidden")
		e.want(e.do("GET", "/v1/links", tok, nil), 403, "forbidden")
		e.want(e.do("PATCH", "/v1/links/"+drop.id, tok, map[string]any{"expires": e.now.Add(3600e9).UTC().Format("2006-01-02T15:04:05Z")}), 403, "forbidden")
		e.want(e.do("DELETE", "/v1/links/"+drop.id, tok, nil), 403, "forbidden")
		e.want(e.do("GET", "/v1/links/"+drop.id+"/drops", tok, nil), 403, "forbidden")
		e.want(e.do("GET", "/v1/links/"+drop.id+"/drops/d1", tok, nil), 403, "forbidden")
		e.want(e.do("DELETE", "/v1/links/"+drop.id+"/drops/d1", tok, nil), 403, "forbidden")
	}
	rw := app("io.hearth.files", "read", "write")
	e.want(e.share(rw, newTestLink(), blob, nil), 201, "")
	e.want(e.do("GET", "/v1/links/"+drop.id+"/drops/d1", rw, nil), 200, "")
}
