//go:build hearthtest

package client_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/internal/webauthntest"
)

// homeOrigin is the origin the test server takes for Home's: home.localhost on
// its port.
func (e *env) homeOrigin() string {
	u, _ := url.Parse(e.url)
	return "http://home.localhost:" + u.Port()
}

// newPasskey begins adding a passkey to c's account and answers with a's.
func newPasskey(t *testing.T, c *client.Client, a *webauthntest.Authenticator) client.PasskeyAnswer {
	t.Helper()
	cer, err := c.BeginAddPasskey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cred, err := a.Create(cer.Options)
	if err != nil {
		t.Fatal(err)
	}
	return client.PasskeyAnswer{Ticket: cer.Ticket, Credential: cred, PRF: a.PRF(cer.PRFSalt)}
}

// addPasskey adds a's passkey to c's account.
func addPasskey(t *testing.T, c *client.Client, a *webauthntest.Authenticator, name string) *client.Passkey {
	t.Helper()
	pk, err := c.FinishAddPasskey(ctx, newPasskey(t, c, a), name)
	if err != nil {
		t.Fatal(err)
	}
	return pk
}

// passkeyAnswer is a's answer to a sign-in ceremony, with the PRF output
// prf gives (a's own when prf is nil).
func (e *env) passkeyAnswer(t *testing.T, a, prf *webauthntest.Authenticator) client.PasskeyAnswer {
	t.Helper()
	cer, err := client.BeginPasskeySignIn(ctx, e.url, opts)
	if err != nil {
		t.Fatal(err)
	}
	cred, err := a.Get(cer.Options)
	if err != nil {
		t.Fatal(err)
	}
	if prf == nil {
		prf = a
	}
	return client.PasskeyAnswer{Ticket: cer.Ticket, Credential: cred, PRF: prf.PRF(cer.PRFSalt)}
}

func (e *env) passkeyLogin(t *testing.T, a, prf *webauthntest.Authenticator) (*client.Client, error) {
	return client.PasskeyLogin(ctx, e.url, e.passkeyAnswer(t, a, prf), opts)
}

// TestPasskeys: a passkey with PRF unlocks the account without the
// password, through a password change and a recovery; one without PRF
// does not; passkeys are listed, renamed and removed.
func TestPasskeys(t *testing.T) {
	e := newEnv(t)
	c, user, rk := e.signup("an old test passphrase")
	id, _, err := c.Create(ctx, "io.hearth.notes", []byte("kept"))
	if err != nil {
		t.Fatal(err)
	}
	laptop := webauthntest.New(e.homeOrigin(), true)
	key := webauthntest.New(e.homeOrigin(), false)
	if pk := addPasskey(t, c, laptop, "  Laptop "); !pk.Unlocks || pk.Name != "Laptop" {
		t.Fatalf("added %+v", pk)
	}
	if pk := addPasskey(t, c, key, ""); pk.Unlocks || pk.Name != "Passkey" {
		t.Fatalf("added %+v", pk)
	}

	reads := func(what string, a *webauthntest.Authenticator) {
		t.Helper()
		c2, err := e.passkeyLogin(t, a, nil)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if c2.User() != user {
			t.Fatalf("%s: signed in as %q", what, c2.User())
		}
		if d, err := c2.Get(ctx, "io.hearth.notes", id); err != nil || string(d.Content) != "kept" {
			t.Fatalf("%s: %v %v", what, d, err)
		}
	}
	reads("the laptop's passkey", laptop)
	if _, err := e.passkeyLogin(t, key, nil); !errors.Is(err, client.ErrPasskeyCannotUnlock) {
		t.Fatalf("a passkey without PRF: %v", err)
	}
	// The right assertion with another PRF output (another passkey's, or
	// a host's guess) does not open the wrap: nothing is unlocked.
	if _, err := e.passkeyLogin(t, laptop, webauthntest.New(e.homeOrigin(), true)); !errors.Is(err, client.ErrIntegrity) {
		t.Fatalf("another PRF output: %v", err)
	}

	list, err := c.Passkeys(ctx)
	if err != nil || len(list) != 2 || list[0].Name != "Laptop" || !list[0].Unlocks || list[1].Unlocks || list[0].LastUsed == nil {
		t.Fatalf("passkeys: %+v %v", list, err)
	}
	if err := c.RenamePasskey(ctx, list[1].ID, "Blue key"); err != nil {
		t.Fatal(err)
	}
	if err := c.RenamePasskey(ctx, list[1].ID, "a\x1bname"); err == nil {
		t.Fatal("a name with a control character was taken")
	}
	if err := c.RenamePasskey(ctx, "bm9uZQ", "x"); !errors.Is(err, client.ErrNotFound) {
		t.Fatalf("renaming no passkey: %v", err)
	}

	// A password change gives the passkey its unlock under the new master key.
	if err := c.ChangePassword(ctx, "an old test passphrase", "a new test passphrase"); err != nil {
		t.Fatal(err)
	}
	reads("after a password change", laptop)
	// So does a recovery.
	if _, _, err := client.Recover(ctx, e.url, user, rk, "a third test passphrase", "", opts); err != nil {
		t.Fatal(err)
	}
	reads("after a recovery", laptop)

	c, err = client.Login(ctx, e.url, user, "a third test passphrase", "", opts)
	if err != nil {
		t.Fatal(err)
	}
	list, err = c.Passkeys(ctx)
	if err != nil || len(list) != 2 || list[1].Name != "Blue key" {
		t.Fatalf("passkeys: %+v %v", list, err)
	}
	if err := c.RemovePasskey(ctx, list[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.passkeyLogin(t, laptop, nil); !errors.Is(err, client.ErrBadCredentials) {
		t.Fatalf("a removed passkey: %v", err)
	}
	if list, err = c.Passkeys(ctx); err != nil || len(list) != 1 {
		t.Fatalf("passkeys: %+v %v", list, err)
	}
}

// TestPasskeySecondFactor: with two-factor authentication on, any passkey
// of the account (with PRF or not) serves in place of a code.
func TestPasskeySecondFactor(t *testing.T) {
	e := newEnv(t)
	c, user, _ := e.signup("a long test passphrase")
	key := webauthntest.New(e.homeOrigin(), false)
	addPasskey(t, c, key, "Key")
	uri, err := c.TOTPEnroll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	k, err := otp.NewKeyFromURL(uri)
	if err != nil {
		t.Fatal(err)
	}
	code, _ := totp.GenerateCode(k.Secret(), time.Now())
	if _, err := c.TOTPConfirm(ctx, code); err != nil {
		t.Fatal(err)
	}
	pw := "a long test passphrase"
	if _, err := client.LoginWith(ctx, e.url, user, pw, client.SecondFactor{Passkey: ptr(e.passkeyAnswer(t, key, nil))}, opts); err != nil {
		t.Fatalf("the passkey as a second factor: %v", err)
	}
	stranger := webauthntest.New(e.homeOrigin(), false)
	addPasskey(t, mustSignup(t, e), stranger, "")
	if _, err := client.LoginWith(ctx, e.url, user, pw, client.SecondFactor{Passkey: ptr(e.passkeyAnswer(t, stranger, nil))}, opts); !isAPICode(err, "totp_invalid") {
		t.Fatalf("another account's passkey: %v", err)
	}
}

func isAPICode(err error, code string) bool {
	var ae *client.APIError
	return errors.As(err, &ae) && string(ae.Code) == code
}

func ptr[T any](v T) *T { return &v }

func mustSignup(t *testing.T, e *env) *client.Client {
	c, _, _ := e.signup("another test passphrase")
	return c
}

// TestPasskeyUnlockForgedByHost: the host answers a passkey sign-in with
// an unlock of its own making (sealing a master key of its choosing under
// a secret it made up), or with another passkey's wrap. The device opens
// nothing, keeps no session, and reports an integrity error (§4.8).
func TestPasskeyUnlockForgedByHost(t *testing.T) {
	e := newEnv(t)
	c, _, _ := e.signup("a long test passphrase")
	a, b := webauthntest.New(e.homeOrigin(), true), webauthntest.New(e.homeOrigin(), true)
	addPasskey(t, c, a, "A")
	addPasskey(t, c, b, "B")
	// alter changes the answers to passkey sign-ins.
	alter := func(change func(ans map[string]any)) {
		e.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
			if r.URL.Path != "/v1/passkeys/login/finish" {
				return false
			}
			rec := capture(next, r)
			var ans map[string]any
			json.Unmarshal(rec.Body.Bytes(), &ans)
			change(ans)
			body, _ := json.Marshal(ans)
			replay(w, rec, body)
			return true
		})
	}
	var bWrap any
	alter(func(ans map[string]any) {
		if bWrap == nil {
			bWrap = ans["wrap"] // the first sign-in is b's
		} else {
			ans["wrap"] = bWrap
		}
	})
	if _, err := e.passkeyLogin(t, b, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.passkeyLogin(t, a, nil); !errors.Is(err, client.ErrIntegrity) {
		t.Fatalf("another passkey's wrap: %v", err)
	}
	forged := bytes.Repeat([]byte{1}, 72)
	alter(func(ans map[string]any) { ans["unlock"] = forged })
	if _, err := e.passkeyLogin(t, a, nil); !errors.Is(err, client.ErrIntegrity) {
		t.Fatalf("a forged unlock: %v", err)
	}
	e.tamper(nil)
	sessions, err := c.Sessions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The sign-up's and b's honest sign-in: the refused ones were ended.
	if len(sessions) != 2 {
		t.Fatalf("%d sessions after refused sign-ins", len(sessions))
	}
}
