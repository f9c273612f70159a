//go:build hearthtest

package wasm

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"testing"

	"github.com/hearthcloud/hearth/internal/webauthntest"
)

// TestAPIPasskeys drives the passkey methods through the browser API's
// JSON, as Home's page calls them, with a software authenticator in place
// of navigator.credentials.
func TestAPIPasskeys(t *testing.T) {
	s := newServer(t)
	u, _ := url.Parse(s.url)
	origin := "http://home.localhost:" + u.Port()
	home, _ := newAPI(t, s)
	user, _ := signup(t, home)
	call := func(a *API, method string, args ...any) json.RawMessage {
		t.Helper()
		in, _ := json.Marshal(args)
		out, e := a.CallJSON(ctx, method, in)
		if e != nil {
			t.Fatalf("%s: %v", method, e)
		}
		return out
	}
	var cer struct {
		Ticket  string          `json:"ticket"`
		Options json.RawMessage `json:"options"`
		PRFSalt []byte          `json:"prfSalt"`
	}
	add := func(a *webauthntest.Authenticator, name string) {
		json.Unmarshal(call(home, "passkeyBegin"), &cer)
		cred, err := a.Create(cer.Options)
		if err != nil {
			t.Fatal(err)
		}
		in := map[string]any{"ticket": cer.Ticket, "credential": cred, "name": name}
		if prf := a.PRF(cer.PRFSalt); prf != nil {
			in["prf"] = base64.StdEncoding.EncodeToString(prf)
		}
		call(home, "passkeyAdd", in)
	}
	laptop, key := webauthntest.New(origin, true), webauthntest.New(origin, false)
	add(laptop, "Laptop")
	add(key, "Key")
	var list []struct {
		ID      string `json:"id"`
		Name    string `json:"name"`
		Unlocks bool   `json:"unlocks"`
	}
	json.Unmarshal(call(home, "passkeys"), &list)
	if len(list) != 2 || list[0].Name != "Laptop" || !list[0].Unlocks || list[1].Unlocks {
		t.Fatalf("passkeys: %+v", list)
	}
	call(home, "renamePasskey", list[1].ID, "Blue key")
	if _, e := home.CallJSON(ctx, "renamePasskey", []byte(`["`+list[1].ID+`","bell\u0007"]`)); e == nil || e.Code != CodeBadInput {
		t.Fatalf("a control character in a name: %v", e)
	}

	signIn := func(a *webauthntest.Authenticator) (json.RawMessage, *Error) {
		b, _ := newAPI(t, s) // another browser
		json.Unmarshal(call(b, "passkeySignInBegin"), &cer)
		cred, err := a.Get(cer.Options)
		if err != nil {
			t.Fatal(err)
		}
		in := map[string]any{"ticket": cer.Ticket, "credential": cred}
		if prf := a.PRF(cer.PRFSalt); prf != nil {
			in["prf"] = base64.StdEncoding.EncodeToString(prf)
		}
		args, _ := json.Marshal([]any{in})
		out, e := b.CallJSON(ctx, "passkeySignIn", args)
		if e == nil {
			call(b, "list", "io.hearth.notes") // it reads
		}
		return out, e
	}
	out, e := signIn(laptop)
	if e != nil || !json.Valid(out) {
		t.Fatalf("passkeySignIn: %s %v", out, e)
	}
	var r struct{ User string }
	if json.Unmarshal(out, &r); r.User != user {
		t.Fatalf("signed in as %q", r.User)
	}
	if _, e := signIn(key); e == nil || e.Code != CodePasskeyNoPRF {
		t.Fatalf("a passkey without PRF: %v", e)
	}
	call(home, "removePasskey", list[0].ID)
	if _, e := signIn(laptop); e == nil || e.Code != "bad_credentials" {
		t.Fatalf("a removed passkey: %v", e)
	}
}
