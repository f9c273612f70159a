//go:build hearthtest

package web_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/fxamacker/cbor/v2"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/crypto/keyring"
	"github.com/hearthcloud/hearth/wasm/web/browsertest"
)

// prfGet is a script that asks the passkeys of the relying party rp for an
// assertion with the protocol's PRF input (§4.8) from the window w, and
// answers "prf:<base64 output>", or the error's name and message.
func prfGet(rp string) string {
	salt := base64.StdEncoding.EncodeToString(keyring.PasskeyPRFSalt())
	return `(w) => w.navigator.credentials.get({ signal: AbortSignal.timeout(3000), publicKey: {
		challenge: crypto.getRandomValues(new Uint8Array(32)), rpId: "` + rp + `", timeout: 3000, userVerification: "preferred",
		extensions: { prf: { eval: { first: Uint8Array.from(atob("` + salt + `"), (c) => c.charCodeAt(0)) } } } } })
	  .then((c) => { const r = c.getClientExtensionResults().prf?.results?.first;
	                 return r ? "prf:" + btoa(String.fromCharCode(...new Uint8Array(r))) : "no prf"; },
	        (e) => e.name + ": " + e.message)`
}

// TestAppOriginCannotReadPasskeyPRF: the PRF output of a passkey opens
// its wrap (§4.8), so no app may read it. The passkeys' relying party is
// Home's host, home.<domain>, and an app's origin, <app>.<user>.<domain>,
// is not under it (spec/web.md §1): with the base domain a registrable
// one (hearth.localhost, as a deployment's), a passkey made in Home gives
// Home its PRF output, while a page of the app's origin cannot name
// Home's relying party at all. Permissions-Policy denies the app's own
// document WebAuthn; a document the app makes at its own origin (a blob:
// URL it navigates its tab to, or an about:blank popup) carries no
// Permissions-Policy, and there the browser refuses Home's relying party
// id as not its own (SecurityError), and the base domain's, which it may
// name, finds no passkey of the person's (Hearth's are not the base
// domain's).
func TestAppOriginCannotReadPasskeyPRF(t *testing.T) {
	const domain = "hearth.localhost"
	rp := "home." + domain
	env := browsertest.Start(t, browsertest.Options{Domain: domain})
	tab := env.NewTab(t)
	tab.VirtualAuthenticator(true)

	// Home's page makes a passkey and reads its PRF output, as
	// home-passkeys.js does.
	tab.Open(env.HomeURL() + "/hearth-kit.js")
	made := browsertest.Eval[string](tab, `navigator.credentials.create({ publicKey: {
		challenge: crypto.getRandomValues(new Uint8Array(32)), rp: { id: "`+rp+`", name: "Hearth" },
		user: { id: crypto.getRandomValues(new Uint8Array(32)), name: "petra", displayName: "petra" },
		pubKeyCredParams: [{ type: "public-key", alg: -7 }],
		authenticatorSelection: { residentKey: "required", userVerification: "preferred" },
		extensions: { prf: {} } } }).then(() => "made", (e) => e.name + ": " + e.message)`)
	if made != "made" {
		t.Fatalf("Home could not make a passkey: %s", made)
	}
	home := browsertest.Eval[string](tab, `(`+prfGet(rp)+`)(window)`)
	if !strings.HasPrefix(home, "prf:") {
		t.Fatalf("Home read no PRF output: %s", home)
	}

	// The app's own document is denied WebAuthn.
	tab.Open(env.AppURL("notes", "petra") + "/hearth-kit.js")
	denied := "NotAllowedError: The 'publickey-credentials-get' feature is not enabled"
	for _, id := range []string{rp, domain} {
		if got := browsertest.Eval[string](tab, `(`+prfGet(id)+`)(window)`); !strings.HasPrefix(got, denied) {
			t.Errorf("the app's own document, relying party %s: %s", id, got)
		}
	}
	// Home's relying party id is not the app's to name: refused before
	// any authenticator is asked. (Chromium then looks for Home's
	// /.well-known/webauthn, the related origins Home would allow; Home's
	// host serves none.)
	notOurs := "SecurityError: The relying party ID is not a registrable domain suffix of, nor equal to the current domain"
	check := func(where, id, got string) {
		t.Helper()
		switch {
		case strings.HasPrefix(got, "prf:"):
			t.Errorf("%s of the app's origin read a PRF output for %s (Home's: %v)", where, id, got == home)
		case id == rp && !strings.HasPrefix(got, notOurs):
			t.Errorf("%s of the app's origin, relying party %s: %s", where, id, got)
		}
	}
	// A popup it opens on about:blank (its origin); this test's
	// authenticator is its tab's alone, so the popup asking for the base
	// domain's passkeys waits for one, and is aborted.
	for _, id := range []string{rp, domain} {
		check("an about:blank popup", id, browsertest.Eval[string](tab, `(async () => { const w = open("about:blank"); await new Promise((r) => setTimeout(r, 300));
			try { return await (`+prfGet(id)+`)(w); } finally { w.close(); } })()`))
	}
	// A blob: document it navigates its own tab to, which runs the app's
	// scripts (its CSP, inherited, allows them: same origin).
	script := env.AppURL("notes", "petra") + "/hearth-kit.js"
	browsertest.Eval[bool](tab, `(location.href = URL.createObjectURL(new Blob(["<!doctype html><title>app</title><script type=module src=`+script+`></script><p>app"], { type: "text/html" })), true)`)
	tab.WaitTrue(`location.protocol === "blob:" && document.readyState === "complete"`)
	if got := browsertest.Eval[string](tab, `location.origin + " " + performance.getEntriesByType("resource").map((e) => e.name).join(" ")`); !strings.HasPrefix(got, env.AppURL("notes", "petra")+" "+script) {
		t.Fatalf("the blob: document's origin and scripts: %s", got)
	}
	// Here the authenticator is asked for the base domain's passkeys, and
	// has none: the person's passkey is Home's host's.
	for _, id := range []string{rp, domain} {
		check("a blob: document", id, browsertest.Eval[string](tab, `(`+prfGet(id)+`)(window)`))
	}
	if got := browsertest.Eval[string](tab, `(`+prfGet(domain)+`)(window)`); !strings.HasPrefix(got, "NotAllowedError") {
		t.Errorf("a blob: document of the app's origin, relying party %s: %s", domain, got)
	}
}

// TestWebPasskeyPRFNeverSent: the PRF output of a passkey opens its wrap,
// which the host keeps (§4.8), so it must never reach the host. Every
// request Home's page and its worker make while a passkey is added and
// then signs in is recorded; the PRF output that passkey gives Home's
// origin appears in none of them, in any encoding, nor do the
// credentials sent carry extension results.
func TestWebPasskeyPRFNeverSent(t *testing.T) {
	rec := &requestRecorder{}
	env := browsertest.Start(t, browsertest.Options{Wrap: rec.wrap})
	home := signUpWithPasskey(t, env, "opens your data without the password")
	signOut(env, home)
	home.Do(chromedp.Click(chromedp.CSS("#signin-passkey")))
	waitView(t, home, "dashboard", "#signin-msg")

	got := browsertest.Eval[string](home, `(`+prfGet("home.localhost")+`)(window)`)
	prf, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(got, "prf:"))
	if !strings.HasPrefix(got, "prf:") || err != nil || len(prf) != 32 {
		t.Fatalf("the passkey's PRF output in Home: %s", got)
	}
	sent := rec.bytes()
	for _, path := range []string{"/v1/passkeys/register/finish", "/v1/passkeys/login/finish"} {
		if !bytes.Contains(sent, []byte("POST "+path)) {
			t.Fatalf("no %s was recorded", path)
		}
	}
	if holdsMarker(sent, string(prf)) {
		t.Error("the PRF output reached the server")
	}
	if n := bytes.Count(sent, []byte(`"clientExtensionResults":{}`)); n != 2 {
		t.Errorf("%d credentials sent without extension results, want 2", n)
	}
}

// TestAppDocumentDeniedWebAuthn: in Chromium (not only in the header), an
// app's page, and a frame in it, are denied WebAuthn: neither can ask for
// an assertion nor make a passkey, for any relying party.
func TestAppDocumentDeniedWebAuthn(t *testing.T) {
	env := browsertest.Start(t, browsertest.Options{})
	tab := env.NewTab(t)
	tab.VirtualAuthenticator(true)
	tab.Open(env.AppURL("notes", "petra") + "/hearth-kit.js")
	create := `(w) => w.navigator.credentials.create({ publicKey: {
		challenge: new Uint8Array(32), rp: { id: "localhost", name: "Hearth" },
		user: { id: new Uint8Array(32), name: "petra", displayName: "petra" },
		pubKeyCredParams: [{ type: "public-key", alg: -7 }], extensions: { prf: {} } } }).then(() => "made", (e) => e.name + ": " + e.message)`
	frame := `(async () => { const f = document.createElement("iframe"); document.documentElement.append(f);
		await new Promise((r) => setTimeout(r, 100)); return f.contentWindow; })()`
	for what, expr := range map[string]string{
		"get":             `(` + prfGet("localhost") + `)(window)`,
		"create":          `(` + create + `)(window)`,
		"get in a frame":  `(async () => (` + prfGet("localhost") + `)(await ` + frame + `))()`,
		"make in a frame": `(async () => (` + create + `)(await ` + frame + `))()`,
	} {
		feature := "get"
		if strings.Contains(what, "make") || what == "create" {
			feature = "create"
		}
		want := "NotAllowedError: The 'publickey-credentials-" + feature + "' feature is not enabled in this document"
		if got := browsertest.Eval[string](tab, expr); !strings.HasPrefix(got, want) {
			t.Errorf("%s: %s", what, got)
		}
	}
}

// TestWebPasskeyModelNotSentToHost: the host does not learn a passkey's
// authenticator model (§1.2). It answers the registration's options
// asking for direct attestation, which would hand it the authenticator's
// attestation certificate; Home's page asks for none all the same, and
// zeroes the AAGUID (which Chromium passes on even without attestation):
// what reaches the server names no model.
func TestWebPasskeyModelNotSentToHost(t *testing.T) {
	var mu sync.Mutex
	var finish []byte
	env := browsertest.Start(t, browsertest.Options{Wrap: func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/v1/passkeys/register/begin":
				rec := httptest.NewRecorder()
				next.ServeHTTP(rec, r)
				var ans map[string]any
				json.Unmarshal(rec.Body.Bytes(), &ans)
				ans["options"].(map[string]any)["publicKey"].(map[string]any)["attestation"] = "direct"
				b, _ := json.Marshal(ans)
				maps.Copy(w.Header(), rec.Header())
				w.Header().Del("Content-Length")
				w.WriteHeader(rec.Code)
				w.Write(b)
				return
			case "/v1/passkeys/register/finish":
				b, _ := io.ReadAll(r.Body)
				r.Body = io.NopCloser(bytes.NewReader(b))
				mu.Lock()
				finish = b
				mu.Unlock()
			}
			next.ServeHTTP(w, r)
		})
	}})
	signUpWithPasskey(t, env, "added")

	mu.Lock()
	defer mu.Unlock()
	var req struct {
		Credential struct {
			Response struct {
				AttestationObject string `json:"attestationObject"`
			} `json:"response"`
		} `json:"credential"`
	}
	json.Unmarshal(finish, &req)
	raw, err := base64.RawURLEncoding.DecodeString(req.Credential.Response.AttestationObject)
	if err != nil {
		t.Fatalf("register/finish: %s", finish)
	}
	var att struct {
		Fmt      string         `cbor:"fmt"`
		AttStmt  map[string]any `cbor:"attStmt"`
		AuthData []byte         `cbor:"authData"`
	}
	if err := cbor.Unmarshal(raw, &att); err != nil || len(att.AuthData) < 37+16 {
		t.Fatalf("attestation object: %v", err)
	}
	aaguid := att.AuthData[37 : 37+16]
	if att.Fmt != "none" || len(att.AttStmt) != 0 || !bytes.Equal(aaguid, make([]byte, 16)) {
		t.Errorf("the host learns the authenticator's model: format %q, statement %d members, AAGUID %x", att.Fmt, len(att.AttStmt), aaguid)
	}
}

// signUpWithPasskey makes the account quill, signs in at Home in a tab
// with a virtual authenticator with PRF, adds a passkey "Laptop" and waits
// for Home to say what it says when added (added).
func signUpWithPasskey(t *testing.T, env *browsertest.Env, added string) *browsertest.Tab {
	t.Helper()
	const user, password = "quill", "granite orchard lantern"
	if _, _, err := client.Signup(context.Background(), env.ServerURL(), user, password, nil); err != nil {
		t.Fatal(err)
	}
	home := env.NewTab(t)
	home.VirtualAuthenticator(true)
	signInHome(t, env, home, user, password)
	typeInto(home, "#passkey-form [name=name]", "Laptop")
	home.Do(chromedp.Click(chromedp.CSS("#passkey-form button[type=submit]")))
	waitText(t, home, "#passkeys-msg", added)
	return home
}
