//go:build hearthtest

package web_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/wasm/web/browsertest"
)

// TestWebAccount: the password rule said as one types and at sign-up; the
// recovery key shown in groups, with Copy and Download, kept only once its
// last group is typed back; a password change in Home (a wrong current
// password, a weak new one, then the other session signed out); and a
// person locked out with only the recovery key gets back in from the web,
// with a new key, and finds their notes.
func TestWebAccount(t *testing.T) {
	env := browsertest.Start(t, browsertest.Options{})
	ctx := context.Background()
	const user, password = "rosa", "tomato eclipse ladder"

	home := env.NewTab(t)
	home.Open(env.HomeURL() + "/")
	homeForm(t, home, "signup")
	// A user name the rule refuses (capitals, accents) is refused with the
	// rule, which the browser shows under its "match the requested format".
	typeInto(home, "#signup-form [name=user]", "Zoë")
	if !browsertest.Eval[bool](home, `(u => u.validity.patternMismatch && u.title.includes("lowercase letters"))(document.querySelector("#signup-form [name=user]"))`) {
		t.Fatal("a refused user name does not come with the rule it breaks")
	}
	typeInto(home, "#signup-form [name=user]", user)
	typeInto(home, "#signup-form [name=password]", "password123")
	waitText(t, home, "#signup-strength", "Too weak: it is a very common password")
	typeInto(home, "#signup-form [name=password2]", "password123")
	home.Screenshots("signup-weak")
	home.Do(chromedp.Click(chromedp.CSS("#signup-form button[type=submit]")))
	waitText(t, home, "#signup-msg", "too weak: it is a very common password")

	typeInto(home, "#signup-form [name=password]", password)
	waitText(t, home, "#signup-strength", "Strong enough.")
	typeInto(home, "#signup-form [name=password2]", password)
	home.Do(chromedp.Click(chromedp.CSS("#signup-form button[type=submit]")))
	home.Do(chromedp.WaitVisible(chromedp.CSS("#recovery-key")))
	// The key's groups never break inside (each is one unbreakable span).
	if n := browsertest.Eval[int](home, `[...document.querySelectorAll("#recovery-key span")].filter(s => getComputedStyle(s).whiteSpace === "nowrap").length`); n < 5 {
		t.Fatalf("the recovery key shows in %d unbreakable groups", n)
	}
	home.Screenshots("recovery-key")
	typeInto(home, "#recovery-confirm [name=last]", "XXXXX")
	home.Do(chromedp.Click(chromedp.CSS("#recovery-done")))
	waitText(t, home, "#recovery-msg", "not the key's last group")
	home.Screenshots("recovery-key-wrong-group")
	// Download gives a file with the key in it.
	dl := browsertest.Eval[string](home, `new Promise(r => {
		let name = "";
		const click = HTMLAnchorElement.prototype.click, make = URL.createObjectURL;
		HTMLAnchorElement.prototype.click = function () { HTMLAnchorElement.prototype.click = click; name = this.download; };
		URL.createObjectURL = (b) => { URL.createObjectURL = make; b.text().then(text => r(JSON.stringify({ name, text }))); return make(b); };
		document.querySelector("#recovery-download").click(); })`)
	var file struct{ Name, Text string }
	if err := json.Unmarshal([]byte(dl), &file); err != nil {
		t.Fatal(err)
	}
	rk := saveRecoveryKey(t, home)
	if file.Name != "hearth-recovery-key.txt" || !strings.Contains(file.Text, rk) {
		t.Fatalf("download %q holds %q, want the key %s", file.Name, file.Text, rk)
	}
	waitView(t, home, "dashboard", "#recovery-msg")
	if got := browsertest.Eval[string](home, `document.querySelector("#recovery-key").textContent`); got != "" {
		t.Fatalf("the recovery key stays in the page: %q", got)
	}
	// A sign-out made before this sign-up, told late (another tab's, or the
	// one this page reloaded for), does not end the new session: the page
	// is not reloaded to the sign-in form.
	browsertest.Eval[bool](home, `(window.stillHere = true, new BroadcastChannel("hearth-session").postMessage({ wiped: true, at: Date.now() - 60000 }), true)`)
	time.Sleep(1500 * time.Millisecond)
	if !browsertest.Eval[bool](home, `window.stillHere === true && !document.querySelector("[data-view=dashboard]").hidden`) {
		t.Fatal("a sign-out older than the sign-up ended the new session")
	}

	// A note from another device, to be found after the recovery.
	dev, err := client.Login(ctx, env.ServerURL(), user, password, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := dev.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := dev.Create(ctx, "io.hearth.notes", []byte(`{"title":"Written before the recovery","body":"still here"}`)); err != nil {
		t.Fatal(err)
	}

	// A password change: a wrong current password, a weak new one, then one
	// that works; the other device's session ends.
	home.Do(chromedp.Click(chromedp.CSS("#password-open")))
	typeInto(home, "#password-form [name=current]", "not my password")
	typeInto(home, "#password-form [name=password]", "another fine passphrase")
	typeInto(home, "#password-form [name=password2]", "another fine passphrase")
	home.Do(chromedp.Click(chromedp.CSS("#password-form button[type=submit]")))
	waitText(t, home, "#password-msg", "The current password is not right.")
	typeInto(home, "#password-form [name=current]", password)
	typeInto(home, "#password-form [name=password]", "qwertyuiop")
	waitText(t, home, "#password-strength", "Too weak")
	typeInto(home, "#password-form [name=password2]", "qwertyuiop")
	home.Do(chromedp.Click(chromedp.CSS("#password-form button[type=submit]")))
	waitText(t, home, "#password-msg", "too weak")
	home.ScreenshotsOf("password-weak", "#password-card")
	typeInto(home, "#password-form [name=password]", "another fine passphrase")
	typeInto(home, "#password-form [name=password2]", "another fine passphrase")
	home.Do(chromedp.Click(chromedp.CSS("#password-form button[type=submit]")))
	waitText(t, home, "#password-done", "Password changed.")
	home.ScreenshotsOf("password-changed", "#password-card")
	if _, err := dev.List(ctx, "io.hearth.notes"); err == nil {
		t.Fatal("the other device's session goes on after the password change")
	}

	// Locked out: sign out, forget the password, come back with the key.
	home.Do(chromedp.Click(chromedp.CSS("#signout")))
	home.Do(chromedp.WaitVisible(chromedp.CSS("#signin-form")))
	typeInto(home, "#signin-form [name=user]", user)
	home.Do(chromedp.Click(chromedp.CSS("#forgot")))
	waitView(t, home, "forgot", "#signin-msg")
	if got := browsertest.Eval[string](home, `document.querySelector("#forgot-form [name=user]").value`); got != user {
		t.Fatalf("the forgot form's user name is %q, want %q from the sign-in form", got, user)
	}
	typeInto(home, "#forgot-form [name=key]", "HEARTH-AAAAA-AAAAA-AAAAA-AAAAA-AAAAA-AAAAA-AAAAA-AAAAA-AAAAA-AAAAA")
	typeInto(home, "#forgot-form [name=password]", "a recovered passphrase here")
	typeInto(home, "#forgot-form [name=password2]", "a recovered passphrase here")
	home.Do(chromedp.Click(chromedp.CSS("#forgot-form button[type=submit]")))
	waitText(t, home, "#forgot-msg", "not a valid recovery key")
	home.Screenshots("forgot")
	typeInto(home, "#forgot-form [name=key]", rk)
	home.Do(chromedp.Click(chromedp.CSS("#forgot-form button[type=submit]")))
	home.Do(chromedp.WaitVisible(chromedp.CSS("#recovery-key")))
	waitText(t, home, "#recovery-title", "Your new recovery key")
	home.Screenshots("recovered-key")
	rk2 := saveRecoveryKey(t, home)
	if rk2 == rk {
		t.Fatal("the recovery key was not replaced")
	}
	waitView(t, home, "dashboard", "#recovery-msg")

	// Everything is there: Notes lists the note.
	home.Open(env.AppURL("notes", user) + "/")
	home.Do(chromedp.WaitVisible(chromedp.CSS("#connect-allow")))
	home.Do(chromedp.Click(chromedp.CSS("#connect-allow")))
	home.Do(chromedp.WaitVisible(chromedp.CSS("body[data-ready]")))
	waitText(t, home, "#note-list", "Written before the recovery")
	home.Screenshots("notes-after-recovery")
	// The old key opens nothing now.
	if _, _, err := client.Recover(ctx, env.ServerURL(), user, rk, "yet another passphrase", "", nil); err == nil {
		t.Fatal("the used recovery key still works")
	}
}
