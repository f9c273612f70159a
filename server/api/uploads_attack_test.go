package api_test

import (
	"crypto/sha256"
	"encoding/base64"
	"testing"
)

// TestUploadSessionAnotherAccount: sessions are the account's (§8.7.3):
// bob, with alice's session id in hand, neither sees, appends to, cancels
// nor completes it; his own session of that id is his, and alice's bytes
// are untouched. Bad offsets and lengths change nothing stored.
func TestUploadSessionAnotherAccount(t *testing.T) {
	u := newUploadEnv(t)
	body := []byte("sealed bytes of alice's blob, twenty-odd")
	sum := sha256.Sum256(body)
	digest := "sha-256=" + base64.StdEncoding.EncodeToString(sum[:])
	u.want(u.do("POST", upPath, u.tok, map[string]any{"size": len(body)}), 201, "")
	u.want(u.patch(upPath, 0, body[:10], ""), 204, "")

	_, bob := u.signup("bob")
	u.want(u.do("PUT", "/v1/doctypes/io.hearth.notes", bob, nil), 201, "")
	u.want(u.do("GET", upPath, bob, nil), 404, "not_found")
	u.want(u.do("PATCH", upPath, bob, body[10:], upOffset, "10", "Hearth-Digest", digest), 404, "not_found")
	u.want(u.do("DELETE", upPath, bob, nil), 404, "not_found")
	// bob's own session of the same id, another size: his, not a conflict.
	u.want(u.do("POST", upPath, bob, map[string]any{"size": 3}), 201, "")
	u.want(u.do("PATCH", upPath, bob, []byte("bob"), upOffset, "0", "Hearth-Digest", b64sha([]byte("bob"))), 201, "")

	// Bad input on alice's session: nothing she stored moves.
	for _, c := range []struct {
		hdr    []string
		b      []byte
		status int
	}{
		{[]string{upOffset, "9"}, body[9:12], 409},
		{[]string{upOffset, "11"}, body[11:12], 409},
		{[]string{upOffset, "010"}, body[10:12], 400},
		{[]string{upOffset, "-0"}, body[10:12], 400},
		{[]string{upOffset, "+10"}, body[10:12], 400},
		{[]string{upOffset, "10"}, append(body[10:], 'x'), 400},             // past the size
		{[]string{upOffset, "10", "Hearth-Digest", "AAAA"}, body[10:], 400}, // a malformed digest
		{[]string{upOffset, "10"}, body[10:], 400},                          // completing without a digest
		{[]string{upOffset, "99999999999999999"}, body[10:12], 400},
	} {
		r := u.do("PATCH", upPath, u.tok, c.b, c.hdr...)
		if r.status != c.status {
			t.Errorf("PATCH %v: %d %s, want %d", c.hdr, r.status, r.body, c.status)
		}
		if got := u.offset(upPath); got != 10 {
			t.Fatalf("after PATCH %v the session stands at %d", c.hdr, got)
		}
	}
	u.want(u.patch(upPath, 10, body[10:], digest), 201, "")
	if r := u.do("GET", upBlob, u.tok, nil); r.status != 200 || string(r.body) != string(body) {
		t.Fatalf("alice's blob: %d %q", r.status, r.body)
	}
	if r := u.do("GET", upBlob, bob, nil); r.status != 200 || string(r.body) != "bob" {
		t.Fatalf("bob's blob: %d %q", r.status, r.body)
	}
	if n := u.partials(); n != 0 {
		t.Errorf("%d partial bodies left", n)
	}
}

func b64sha(b []byte) string {
	s := sha256.Sum256(b)
	return "sha-256=" + base64.StdEncoding.EncodeToString(s[:])
}
