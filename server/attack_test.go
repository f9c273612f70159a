package server_test

import (
	"fmt"
	"testing"

	"github.com/hearthcloud/hearth/server"
	"github.com/hearthcloud/hearth/server/meta"
)

// Findings of the attack on issue 13's limits by an account holder, each
// a test named for it.

// TestQuotaGrants: a grant is up to 1 MiB of bytes the server cannot
// check, stored under a device token an account makes at will. Grants count
// in the account's bytes like everything else it stores: one past the
// quota is 413 too_large with "quota":true and stores nothing, deleting
// the token gives the room back, and a grant replaced by one of the same
// size is accepted even when full. Otherwise an account with a quota stores
// any amount in grants of tokens made for that purpose.
func TestQuotaGrants(t *testing.T) {
	l := startLive(t, t.TempDir(), server.Config{Quota: meta.Limits{Bytes: 200000}})
	tok := l.signup("alice")
	before, _, _ := l.usage(tok)
	device := func(i int) string {
		a := l.do("POST", "/v1/tokens", tok, map[string]any{"name": fmt.Sprintf("d%d", i), "kind": "device",
			"scopes": []map[string]any{{"doctype": "io.n", "verbs": []string{"read"}}}})
		a.is(t, 201, "", false)
		return a.member(t, "id").(string)
	}
	var ids []string
	for i := range 3 {
		id := device(i)
		ids = append(ids, id)
		l.do("PUT", "/v1/grants/"+id, tok, rnd(60000), "If-None-Match", "*").is(t, 201, "", false)
	}
	if b, _, _ := l.usage(tok); b != before+180000 {
		t.Fatalf("usage %v after three grants of 60000 bytes, want %v", b, before+180000)
	}
	extra := device(3)
	l.do("PUT", "/v1/grants/"+extra, tok, rnd(60000), "If-None-Match", "*").is(t, 413, "too_large", true)
	l.do("GET", "/v1/grants/"+extra, tok, nil).is(t, 404, "not_found", false)
	// Replacing a grant by one of the same size adds nothing: accepted.
	l.do("PUT", "/v1/grants/"+ids[0], tok, rnd(60000), "If-Match", `"1"`).is(t, 200, "", false)
	// Deleting the token (its grant with it) gives the room back.
	l.do("DELETE", "/v1/tokens/"+ids[1], tok, nil).is(t, 204, "", false)
	if b, _, _ := l.usage(tok); b != before+120000 {
		t.Fatalf("usage %v after deleting a token with its grant, want %v", b, before+120000)
	}
	l.do("PUT", "/v1/grants/"+extra, tok, rnd(60000), "If-None-Match", "*").is(t, 201, "", false)
	l.do("DELETE", "/v1/grants/"+extra, tok, nil).is(t, 204, "", false)
	if b, _, _ := l.usage(tok); b != before+120000 {
		t.Fatalf("usage %v after deleting a grant, want %v", b, before+120000)
	}
	// An app token ends with the session that made it, its grant too.
	body := signupBody("bob", "")
	su := l.do("POST", "/v1/accounts", "", body)
	su.is(t, 201, "", false)
	l.do("PUT", "/v1/doctypes/io.n", su.member(t, "session", "token").(string), nil).is(t, 201, "", false)
	login := l.do("POST", "/v1/login", "", map[string]any{"user": "bob", "login_secret": body["login_secret"], "device": "phone"})
	login.is(t, 200, "", false)
	bob, phone := su.member(t, "session", "token").(string), login.member(t, "session", "token").(string)
	a := l.do("POST", "/v1/tokens", phone, map[string]any{"name": "notes", "kind": "app",
		"scopes": []map[string]any{{"doctype": "io.n", "verbs": []string{"read"}}}})
	a.is(t, 201, "", false)
	l.do("PUT", "/v1/grants/"+a.member(t, "id").(string), phone, rnd(50000), "If-None-Match", "*").is(t, 201, "", false)
	if b, _, _ := l.usage(bob); b != 50000+meta.DoctypeBytes {
		t.Fatalf("bob's usage %v with an app's grant of 50000 bytes", b)
	}
	l.do("POST", "/v1/logout", phone, nil).is(t, 204, "", false)
	if b, _, _ := l.usage(bob); b != meta.DoctypeBytes {
		t.Fatalf("bob's usage %v after the session that made the app's token ended", b)
	}
}
