package api_test

import (
	"strings"
	"testing"
	"time"
)

// App tokens made by a session end with that session (§8.9.1); device
// tokens do not.

const boundDoc = "/v1/docs/io.hearth.notes/k3vq4zqg2vbf3lqf5xhm2m7n2e"

// newToken makes an app or device token from session with read and write
// on io.hearth.notes, and returns it with its id.
func (e *env) newToken(session, kind, name string) (token, id string) {
	e.t.Helper()
	r := e.do("POST", "/v1/tokens", session, map[string]any{"name": name, "kind": kind,
		"scopes": []any{map[string]any{"doctype": "io.hearth.notes", "verbs": []string{"read", "write"}}}})
	e.want(r, 201, "")
	m := r.json(e.t)
	if _, ok := m["session"]; ok {
		e.t.Fatalf("the token answer names its session: %s", r.body)
	}
	return m["token"].(string), m["id"].(string)
}

// works checks that token can read the notes doctype.
func (e *env) works(token string) {
	e.t.Helper()
	e.want(e.do("GET", "/v1/docs/io.hearth.notes", token, nil), 200, "")
}

// ended checks that token is refused as unauthenticated.
func (e *env) ended(token string) {
	e.t.Helper()
	e.want(e.do("GET", "/v1/docs/io.hearth.notes", token, nil), 401, "unauthenticated")
}

// loginSession logs user in again and returns the new session's token and id.
func (e *env) loginSession(user string, secret []byte) (token, id string) {
	e.t.Helper()
	r := e.login(user, secret, nil)
	e.want(r, 200, "")
	s := r.json(e.t)["session"].(map[string]any)
	return s["token"].(string), s["id"].(string)
}

func TestAppTokenEndsWithLogout(t *testing.T) {
	e := newEnv(t)
	secret, tok := e.signup("alice")
	e.want(e.do("PUT", "/v1/doctypes/io.hearth.notes", tok, nil), 201, "")
	app, appID := e.newToken(tok, "app", "notes")
	dev, devID := e.newToken(tok, "device", "backup")
	e.want(e.do("PUT", boundDoc, app, []byte("sealed"), "If-None-Match", "*"), 201, "")
	e.works(app)
	e.works(dev)
	e.want(e.do("PUT", "/v1/grants/"+appID, tok, []byte("grant"), "If-None-Match", "*"), 201, "")

	e.want(e.do("POST", "/v1/logout", tok, nil), 204, "")
	r := e.do("GET", boundDoc, app, nil)
	e.want(r, 401, "unauthenticated")
	e.want(e.do("GET", "/v1/grants/self", app, nil), 401, "unauthenticated")
	e.works(dev) // device tokens outlive sessions
	e.want(e.do("GET", boundDoc, dev, nil), 200, "")

	// The app is gone from the account's token list, with its grant; the
	// device token stays.
	again, _ := e.loginSession("alice", secret)
	list := e.do("GET", "/v1/tokens", again, nil).json(t)["tokens"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["id"] != devID {
		t.Fatalf("tokens after logout: %v", list)
	}
	e.want(e.do("GET", "/v1/grants/"+appID, again, nil), 404, "not_found")
}

func TestAppTokenEndsWithRevokedSession(t *testing.T) {
	e := newEnv(t)
	secret, tok := e.signup("alice")
	e.want(e.do("PUT", "/v1/doctypes/io.hearth.notes", tok, nil), 201, "")
	other, otherID := e.loginSession("alice", secret)
	app, _ := e.newToken(other, "app", "notes")
	mine, _ := e.newToken(tok, "app", "files")
	dev, _ := e.newToken(other, "device", "backup")
	e.works(app)

	// Revoked from another device: its apps end, the revoker's do not.
	e.want(e.do("DELETE", "/v1/sessions/"+otherID, tok, nil), 204, "")
	e.ended(other)
	e.ended(app)
	e.works(mine)
	e.works(dev)
}

func TestAppTokenEndsWithPasswordChange(t *testing.T) {
	e := newEnv(t)
	secret, tok := e.signup("alice")
	e.want(e.do("PUT", "/v1/doctypes/io.hearth.notes", tok, nil), 201, "")
	other, _ := e.loginSession("alice", secret)
	app, _ := e.newToken(other, "app", "notes")
	mine, _ := e.newToken(tok, "app", "files")
	dev, _ := e.newToken(other, "device", "backup")

	// A long-poll of the app is answered 401 when its session ends.
	polled := make(chan resp, 1)
	go func() { polled <- e.do("GET", "/v1/changes?wait=20", app, nil) }()
	time.Sleep(200 * time.Millisecond)

	newLogin := map[string]any{"kdf": defaultKDF, "seed": rnd32(), "login_secret": rnd32(),
		"keyring": []byte("k2"), "recovery_keyring": []byte("r2"), "keyring_if_match": 1}
	e.want(e.do("POST", "/v1/account/password", tok, map[string]any{"login_secret": secret, "new": newLogin}), 200, "")
	select {
	case r := <-polled:
		e.want(r, 401, "unauthenticated")
	case <-time.After(10 * time.Second):
		t.Fatal("the long-poll of an app whose session ended was not woken")
	}
	e.ended(other)
	e.ended(app)
	e.works(mine) // the session that changed the password stays, and so do its apps
	e.works(dev)
}

// TestAppTokenKeepsSessionAlive: using an app moves its session's expiry;
// when the session expires, the app ends with it.
func TestAppTokenKeepsSessionAlive(t *testing.T) {
	e := newEnv(t)
	_, tok := e.signup("alice")
	e.want(e.do("PUT", "/v1/doctypes/io.hearth.notes", tok, nil), 201, "")
	app, _ := e.newToken(tok, "app", "notes")
	dev, _ := e.newToken(tok, "device", "backup")

	// Only the app is used for 60 days: the session lives on.
	for range 3 {
		e.advance(20 * 24 * time.Hour)
		e.works(app)
	}
	e.want(e.do("GET", "/v1/sessions", tok, nil), 200, "")

	// Neither is used for 31 days: both end; the device token does not.
	e.advance(31 * 24 * time.Hour)
	r := e.do("GET", "/v1/docs/io.hearth.notes", app, nil)
	e.want(r, 401, "unauthenticated")
	if !strings.Contains(r.json(t)["error"].(map[string]any)["message"].(string), "session") {
		t.Errorf("message %s does not say the session ended", r.body)
	}
	e.want(e.do("GET", "/v1/sessions", tok, nil), 401, "unauthenticated")
	e.works(dev)
}

// TestAppTokenEndsWithSessionExpiry: the session expires while the app is
// not used; a long-poll of the app woken after that is answered 401.
func TestAppTokenEndsWithSessionExpiry(t *testing.T) {
	e := newEnv(t)
	_, tok := e.signup("alice")
	e.want(e.do("PUT", "/v1/doctypes/io.hearth.notes", tok, nil), 201, "")
	app, _ := e.newToken(tok, "app", "notes")
	dev, _ := e.newToken(tok, "device", "backup")
	e.works(app)

	polled := make(chan resp, 1)
	go func() { polled <- e.do("GET", "/v1/changes?wait=20", app, nil) }()
	time.Sleep(200 * time.Millisecond)
	e.advance(31 * 24 * time.Hour)
	// A write through the device token wakes the long-poll.
	e.want(e.do("PUT", boundDoc, dev, []byte("sealed"), "If-None-Match", "*"), 201, "")
	select {
	case r := <-polled:
		e.want(r, 401, "unauthenticated")
	case <-time.After(10 * time.Second):
		t.Fatal("the long-poll of an app whose session expired was not answered")
	}
	e.ended(app)
	e.ended(tok)
	e.works(dev)
}
