package api_test

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"testing"

	"github.com/hearthcloud/hearth/internal/webauthntest"
	"github.com/hearthcloud/hearth/server/totp"
)

// authenticator is the software passkey of internal/webauthntest, with
// t for the helpers below.
type authenticator struct{ *webauthntest.Authenticator }

func newAuthenticator(t *testing.T, origin string) *authenticator {
	return &authenticator{webauthntest.New(origin, false)}
}

var b64u = base64.RawURLEncoding

// options reads the challenge (and, at registration, the user handle) of
// a begin answer.
func options(t *testing.T, body map[string]any) (challenge []byte, handle []byte) {
	t.Helper()
	o, _ := json.Marshal(body["options"])
	c, h, err := webauthntest.Options(o)
	if err != nil {
		t.Fatal(err)
	}
	return c, h
}

// clone is a copy of a's passkey: a cloned authenticator.
func (a *authenticator) clone() *authenticator {
	c := *a.Authenticator
	return &authenticator{&c}
}

func (a *authenticator) create(t *testing.T, challenge, handle []byte) json.RawMessage {
	return a.CreateFor(challenge, handle)
}

func (a *authenticator) get(t *testing.T, challenge []byte) json.RawMessage {
	return a.GetFor(challenge)
}

// homeOrigin is Home's origin as the server sees it: home.localhost, on the
// test server's port.
func (e *env) homeOrigin() string {
	u, _ := url.Parse(e.url)
	return "http://home.localhost:" + u.Port()
}

// register adds a passkey made by a to the session tok's account.
func (e *env) register(a *authenticator, tok string, wrap, unlock []byte) resp {
	e.t.Helper()
	r := e.do("POST", "/v1/passkeys/register/begin", tok, map[string]any{})
	e.want(r, 200, "")
	begin := r.json(e.t)
	c, h := options(e.t, begin)
	body := map[string]any{"ticket": begin["ticket"], "credential": a.create(e.t, c, h)}
	if wrap != nil {
		body["wrap"], body["unlock"] = wrap, unlock
	}
	return e.do("POST", "/v1/passkeys/register/finish", tok, body)
}

// signInWith signs in with a's passkey.
func (e *env) signInWith(a *authenticator) resp {
	e.t.Helper()
	r := e.do("POST", "/v1/passkeys/login/begin", "", map[string]any{})
	e.want(r, 200, "")
	begin := r.json(e.t)
	c, _ := options(e.t, begin)
	return e.do("POST", "/v1/passkeys/login/finish", "", map[string]any{"ticket": begin["ticket"], "credential": a.get(e.t, c), "device": "phone"})
}

func TestPasskeys(t *testing.T) {
	e := newEnv(t)
	_, tok := e.signup("alice")
	a := newAuthenticator(t, e.homeOrigin())
	e.want(e.register(a, tok, []byte("wrap"), []byte("unlock")), 201, "")

	// Signing in with it: a session, the keyring's revision, and what
	// unlocks the account.
	r := e.signInWith(a)
	e.want(r, 200, "")
	got := r.json(t)
	if got["user"] != "alice" || got["wrap"] != b64("wrap") || got["unlock"] != b64("unlock") {
		t.Fatalf("sign-in answer: %s", r.body)
	}
	sess := got["session"].(map[string]any)["token"].(string)
	e.want(e.do("GET", "/v1/account", sess, nil), 200, "")

	// Listed, with its last use.
	r = e.do("GET", "/v1/passkeys", tok, nil)
	e.want(r, 200, "")
	var list []map[string]any
	json.Unmarshal(r.body, &list)
	if len(list) != 1 || list[0]["id"] != b64u.EncodeToString(a.ID) || list[0]["unlock"] != true || list[0]["last_used"] == nil {
		t.Fatalf("list: %s", r.body)
	}

	// A replayed assertion, another origin, an unknown credential: refused alike.
	begin := e.do("POST", "/v1/passkeys/login/begin", "", map[string]any{}).json(t)
	c, _ := options(t, begin)
	cred := a.get(t, c)
	e.want(e.do("POST", "/v1/passkeys/login/finish", "", map[string]any{"ticket": begin["ticket"], "credential": cred, "device": "x"}), 200, "")
	e.want(e.do("POST", "/v1/passkeys/login/finish", "", map[string]any{"ticket": begin["ticket"], "credential": cred, "device": "x"}), 400, "bad_request")
	phish := a.clone()
	phish.Origin = "http://localhost.evil.example:1"
	e.want(e.signInWith(phish), 401, "bad_credentials")
	stranger := newAuthenticator(t, e.homeOrigin())
	stranger.Handle = []byte("nobody")
	e.want(e.signInWith(stranger), 401, "bad_credentials")

	// A signature by another key is refused.
	forged := newAuthenticator(t, e.homeOrigin())
	forged.ID, forged.Handle, forged.Count = a.ID, a.Handle, a.Count+5
	e.want(e.signInWith(forged), 401, "bad_credentials")

	// A cloned authenticator (its counter goes back) is refused.
	clone := a.clone()
	clone.Count = 0
	e.want(e.signInWith(clone), 401, "bad_credentials")

	// Another account cannot list, unlock or delete it.
	_, bob := e.signup("bob")
	id := b64u.EncodeToString(a.ID)
	e.want(e.do("DELETE", "/v1/passkeys/"+id, bob, nil), 404, "not_found")
	e.want(e.do("PUT", "/v1/passkeys/"+id+"/unlock", bob, map[string]any{"unlock": []byte("x")}), 404, "not_found")
	// The same credential for another account is refused.
	e.want(e.register(a, bob, nil, nil), 409, "exists")
	// A passkey without PRF is a second factor only: alone, no session.
	plain := newAuthenticator(t, e.homeOrigin())
	e.want(e.register(plain, bob, nil, nil), 201, "")
	e.want(e.signInWith(plain), 403, "forbidden")

	// Deleted, it signs in to nothing.
	e.want(e.do("PUT", "/v1/passkeys/"+id+"/unlock", tok, map[string]any{"unlock": []byte("unlock 2")}), 204, "")
	e.want(e.do("DELETE", "/v1/passkeys/"+id, tok, nil), 204, "")
	e.want(e.signInWith(a), 401, "bad_credentials")
}

// TestPasskeyRegisterRefusals: a registration whose answer does not verify,
// a ticket of another account, half a slot.
func TestPasskeyRegisterRefusals(t *testing.T) {
	e := newEnv(t)
	_, tok := e.signup("carol")
	_, dave := e.signup("dave")
	a := newAuthenticator(t, e.homeOrigin())
	begin := e.do("POST", "/v1/passkeys/register/begin", tok, map[string]any{}).json(t)
	c, h := options(t, begin)
	cred := a.create(t, c, h)
	e.want(e.do("POST", "/v1/passkeys/register/finish", dave, map[string]any{"ticket": begin["ticket"], "credential": cred}), 400, "bad_request")
	e.want(e.do("POST", "/v1/passkeys/register/finish", tok, map[string]any{"ticket": "nope", "credential": cred}), 400, "bad_request")
	e.want(e.do("POST", "/v1/passkeys/register/finish", tok, map[string]any{"ticket": begin["ticket"], "credential": cred, "wrap": []byte("w")}), 400, "bad_request")
	wrong := newAuthenticator(t, "http://elsewhere.example")
	e.want(e.register(wrong, tok, nil, nil), 400, "bad_request")
	e.want(e.do("POST", "/v1/passkeys/register/begin", "", map[string]any{}), 401, "unauthenticated")
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// TestPasskeyUnlocksFollowThePassword: a password change gives each passkey
// the unlock it brings, and takes it from those it leaves out (their old
// one would open the old master key, which opens nothing now).
func TestPasskeyUnlocksFollowThePassword(t *testing.T) {
	e := newEnv(t)
	secret, tok := e.signup("erin")
	a, b := newAuthenticator(t, e.homeOrigin()), newAuthenticator(t, e.homeOrigin())
	e.want(e.register(a, tok, []byte("wrap a"), []byte("unlock a")), 201, "")
	e.want(e.register(b, tok, []byte("wrap b"), []byte("unlock b")), 201, "")
	newLogin := map[string]any{"kdf": defaultKDF, "seed": rnd32(), "login_secret": rnd32(),
		"keyring": []byte("sealed keyring 2"), "recovery_keyring": []byte("sealed recovery 2"), "keyring_if_match": 1,
		"passkey_unlocks": map[string][]byte{b64u.EncodeToString(a.ID): []byte("unlock a, 2")}}
	e.want(e.do("POST", "/v1/account/password", tok, map[string]any{"login_secret": secret, "new": newLogin}), 200, "")
	r := e.signInWith(a)
	e.want(r, 200, "")
	if got := r.json(t); got["unlock"] != b64("unlock a, 2") || got["wrap"] != b64("wrap a") {
		t.Fatalf("a passkey given a new unlock: %s", r.body)
	}
	// Left out, it no longer unlocks, and alone opens no session.
	e.want(e.signInWith(b), 403, "forbidden")
	// Malformed unlocks are refused before anything changes.
	newLogin["keyring_if_match"] = 2
	newLogin["passkey_unlocks"] = map[string]any{"not base64url!": []byte("x")}
	e.want(e.do("POST", "/v1/account/password", tok, map[string]any{"login_secret": rnd32(), "new": newLogin}), 400, "bad_request")
}

// TestPasskeySecondFactor: with two-factor authentication on, a passkey of
// the account serves in place of an authenticator code at a password
// login; another account's passkey, a replayed answer or a forged one do
// not.
func TestPasskeySecondFactor(t *testing.T) {
	e := newEnv(t)
	secret, tok := e.signup("fred")
	uri := e.do("POST", "/v1/totp/enroll", tok, nil).json(t)["uri"].(string)
	e.want(e.do("POST", "/v1/totp/confirm", tok, map[string]string{"code": totp.Code(totpSecret(t, uri), *e.now)}), 200, "")
	a := newAuthenticator(t, e.homeOrigin())
	e.want(e.register(a, tok, nil, nil), 201, "") // no PRF: a second factor only
	_, gail := e.signup("gail")
	other := newAuthenticator(t, e.homeOrigin())
	e.want(e.register(other, gail, nil, nil), 201, "")

	answer := func(by *authenticator) map[string]any {
		begin := e.do("POST", "/v1/passkeys/login/begin", "", map[string]any{}).json(t)
		c, _ := options(t, begin)
		return map[string]any{"ticket": begin["ticket"], "credential": by.get(t, c)}
	}
	e.want(e.login("fred", secret, nil), 401, "totp_required")
	ok := answer(a)
	e.want(e.login("fred", secret, map[string]any{"passkey": ok}), 200, "")
	e.want(e.login("fred", secret, map[string]any{"passkey": ok}), 401, "totp_invalid") // the ticket is used
	e.want(e.login("fred", secret, map[string]any{"passkey": answer(other)}), 401, "totp_invalid")
	forged := newAuthenticator(t, e.homeOrigin())
	forged.ID, forged.Handle, forged.Count = a.ID, a.Handle, a.Count+5
	e.want(e.login("fred", secret, map[string]any{"passkey": answer(forged)}), 401, "totp_invalid")
	e.want(e.login("fred", secret, map[string]any{"passkey": answer(a), "totp": "123456"}), 400, "bad_request")
	// The password is still checked first.
	e.want(e.login("fred", rnd32(), map[string]any{"passkey": answer(a)}), 401, "bad_credentials")
}

// TestPasskeyUnlockNeedsUserVerification: a passkey whose assertion says
// only that someone touched it (a security key without a PIN) opens no
// session in place of the password, though it unlocks otherwise; it still
// serves as the second factor of a password login.
func TestPasskeyUnlockNeedsUserVerification(t *testing.T) {
	e := newEnv(t)
	secret, tok := e.signup("hana")
	a := newAuthenticator(t, e.homeOrigin())
	e.want(e.register(a, tok, []byte("wrap"), []byte("unlock")), 201, "")
	a.NoUV = true
	e.want(e.signInWith(a), 403, "forbidden")
	a.NoUV = false
	e.want(e.signInWith(a), 200, "")

	uri := e.do("POST", "/v1/totp/enroll", tok, nil).json(t)["uri"].(string)
	e.want(e.do("POST", "/v1/totp/confirm", tok, map[string]string{"code": totp.Code(totpSecret(t, uri), *e.now)}), 200, "")
	a.NoUV = true
	begin := e.do("POST", "/v1/passkeys/login/begin", "", map[string]any{}).json(t)
	c, _ := options(t, begin)
	e.want(e.login("hana", secret, map[string]any{"passkey": map[string]any{"ticket": begin["ticket"], "credential": a.get(t, c)}}), 200, "")
}
