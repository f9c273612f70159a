//go:build hearthtest

package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/wasm/web/browsertest"
)

// TestWebPasskeys, with Chromium's virtual authenticator: a passkey with
// the PRF extension is added in Home, renamed, and then signs in to Notes
// with no password typed, the notes listed; a passkey without PRF is added
// as a second step only, refuses to sign in alone, and serves in place of
// the authenticator code at a password sign-in; a passkey is removed
// after a question that says what removing does not undo.
func TestWebPasskeys(t *testing.T) {
	env := browsertest.Start(t, browsertest.Options{})
	ctx := context.Background()
	const user, password = "petra", "granite orchard lantern"
	dev, _, err := client.Signup(ctx, env.ServerURL(), user, password, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := dev.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := dev.Create(ctx, "io.hearth.notes", []byte(`{"title":"Opened by a passkey","body":"no password typed"}`)); err != nil {
		t.Fatal(err)
	}

	home := env.NewTab(t)
	home.VirtualAuthenticator(true)
	signInHome(t, env, home, user, password)
	waitText(t, home, "#passkeys", "No passkeys yet.")
	home.Screenshots("passkeys-none", "#passkeys-card")
	typeInto(home, "#passkey-form [name=name]", "Laptop with a rather long name for a passkey, to see it wrap")
	home.Do(chromedp.Click(chromedp.CSS("#passkey-form button[type=submit]")))
	waitText(t, home, "#passkeys-msg", "it signs you in and opens your data without the password")
	waitText(t, home, "#passkeys", "opens your data")
	home.Screenshots("passkeys-added", "#passkeys-card")

	// Renamed in place.
	home.Do(chromedp.Click(chromedp.CSS("#passkeys li.passkey button.secondary")))
	typeInto(home, "#passkeys li form [name=name]", "Laptop")
	home.Screenshots("passkeys-rename", "#passkeys-card")
	home.Do(chromedp.Click(chromedp.CSS("#passkeys li form button[type=submit]")))
	waitText(t, home, "#passkeys li.passkey .name", "Laptop")
	if got := browsertest.Eval[string](home, `document.querySelector("#passkeys li.passkey .name").textContent`); got != "Laptop" {
		t.Fatalf("renamed to %q", got)
	}

	// Notes, connected once; then signed out, Notes sends the person to
	// Home, where the passkey signs in with no password typed, and Notes
	// lists the note.
	home.Open(env.AppURL("notes", user) + "/")
	home.WaitOrigin(env.HomeURL())
	home.Do(chromedp.WaitVisible(chromedp.CSS("#connect-allow")), chromedp.Click(chromedp.CSS("#connect-allow")))
	home.WaitOrigin(strings.TrimSuffix(env.AppURL("notes", user), "/"))
	home.Do(chromedp.WaitVisible(chromedp.CSS("body[data-ready]")))
	home.Open(env.HomeURL() + "/")
	signOut(env, home)
	home.WaitTrue(signedOutAtHome(env))
	home.Open(env.AppURL("notes", user) + "/")
	home.WaitOrigin(env.HomeURL())
	home.Do(chromedp.WaitVisible(chromedp.CSS("#signin-passkey")))
	home.Screenshots("signin-passkey")
	home.Do(chromedp.Click(chromedp.CSS("#signin-passkey")))
	home.WaitOrigin(strings.TrimSuffix(env.AppURL("notes", user), "/"))
	home.Do(chromedp.WaitVisible(chromedp.CSS("body[data-ready]")))
	home.WaitTrue(`document.body.textContent.includes("Opened by a passkey")`)

	// A second device whose authenticator has no PRF.
	other := env.NewDevice(t).NewTab(t)
	other.VirtualAuthenticator(false)
	signInHome(t, env, other, user, password)
	typeInto(other, "#passkey-form [name=name]", "Old key")
	other.Do(chromedp.Click(chromedp.CSS("#passkey-form button[type=submit]")))
	waitText(t, other, "#passkeys-msg", "added as a second step")
	waitText(t, other, "#passkeys", "second step only")
	other.Screenshots("passkeys-two", "#passkeys-card")
	signOut(env, other)
	other.WaitTrue(signedOutAtHome(env))
	other.Do(chromedp.Click(chromedp.CSS("#signin-passkey")))
	waitText(t, other, "#signin-msg", "cannot open your data by itself")
	other.Screenshots("signin-passkey-second-step-only")

	// With two-factor authentication on, the passkey without PRF stands in
	// for the code.
	uri, err := dev.TOTPEnroll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dev.TOTPConfirm(ctx, code(t, uri, time.Now())); err != nil {
		t.Fatal(err)
	}
	typeInto(other, "#signin-form [name=user]", user)
	typeInto(other, "#signin-form [name=password]", password)
	other.Do(chromedp.Click(chromedp.CSS("#signin-form button[type=submit]")))
	waitText(t, other, "#signin-msg", "two-factor authentication")
	other.Do(chromedp.WaitVisible(chromedp.CSS("#signin-passkey-2fa")))
	other.Screenshots("signin-passkey-step")
	other.Do(chromedp.Click(chromedp.CSS("#signin-passkey-2fa")))
	waitView(t, other, "dashboard", "#signin-msg")

	// Removing one asks first, and says what it does not undo.
	other.Do(chromedp.WaitVisible(chromedp.CSS("#passkeys li.passkey button.danger")))
	other.WaitTrue(`document.querySelectorAll("#passkeys li.passkey").length === 2`)
	other.Do(chromedp.Click(chromedp.CSS("#passkeys li.passkey button.danger")))
	other.Do(chromedp.WaitVisible(chromedp.CSS("dialog[open]")))
	waitText(t, other, "dialog[open]", "removing it is not enough")
	other.Screenshots("passkeys-remove")
	answerYes(t, other)
	waitText(t, other, "#passkeys-msg", "removed")
	other.WaitTrue(`document.querySelectorAll("#passkeys li.passkey").length === 1`)
	list, err := dev.Passkeys(ctx)
	if err != nil || len(list) != 1 || list[0].Name != "Old key" {
		t.Fatalf("passkeys left: %+v %v", list, err)
	}

	// The device was lost: a new password, recovery key and data keys.
	other.Do(chromedp.Click(chromedp.CSS("#password-open")))
	typeInto(other, "#password-form [name=current]", password)
	typeInto(other, "#password-form [name=password]", "copper thistle harbour")
	typeInto(other, "#password-form [name=password2]", "copper thistle harbour")
	other.Do(chromedp.Click(chromedp.CSS("#password-form [name=lost]")))
	waitText(t, other, "#password-form button[type=submit]", "Replace password and keys")
	other.Screenshots("password-lost-device", "#password-card")
	other.Do(chromedp.Click(chromedp.CSS("#password-form button[type=submit]")))
	waitView(t, other, "recovery", "#password-msg")
	rk := saveRecoveryKey(t, other)
	waitView(t, other, "dashboard", "#recovery-msg")
	waitText(t, other, "#password-done", "recovery key and the keys of your data replaced")
	// The new recovery key is the account's (a code of the next step: the
	// sign-in above used this one).
	if _, _, err := client.Recover(ctx, env.ServerURL(), user, rk, "granite orchard lantern two", code(t, uri, time.Now().Add(30*time.Second)), nil); err != nil {
		t.Fatalf("the new recovery key: %v", err)
	}
	t.Logf("screenshots in %s", env.Shots)
}
