//go:build hearthtest

package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/hearthcloud/hearth/wasm/web/browsertest"
)

// focusState names the focused element, and says when it is invisible
// or shows no focus ring (outline or box shadow).
const focusState = `(() => {
  const e = document.activeElement;
  if (!e || e === document.body) return "body";
  const s = getComputedStyle(e), r = e.getBoundingClientRect();
  const name = e.id ? "#" + e.id : e.tagName.toLowerCase() + (e.name ? "[name=" + e.name + "]" : "") + (e.textContent ? " " + JSON.stringify(e.textContent.trim().slice(0, 30)) : "");
  const ring = (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== "none";
  return (r.width > 0 && r.height > 0 ? "" : "invisible ") + (ring ? "" : "no-ring ") + name;
})()`

// tabTo presses Tab until the element sel has the focus, failing the test
// if it never does (unreachable, or a trap), and reporting every element
// on the way that is focused without showing it.
func tabTo(t *testing.T, tab *browsertest.Tab, sel string) {
	t.Helper()
	for i := 0; i < 80; i++ {
		tab.Do(chromedp.KeyEvent(kb.Tab))
		state := browsertest.Eval[string](tab, focusState)
		if strings.HasPrefix(state, "invisible ") || strings.HasPrefix(state, "no-ring ") {
			t.Errorf("keyboard focus not shown: %s", state)
		}
		if browsertest.Eval[bool](tab, `!!document.activeElement && document.activeElement.matches(`+jsString(sel)+`)`) {
			return
		}
	}
	t.Fatalf("Tab never reached %s (focus at %s)", sel, browsertest.Eval[string](tab, focusState))
}

// keys types text into the focused element, key by key.
func keys(tab *browsertest.Tab, text string) { tab.Do(chromedp.KeyEvent(text)) }

// TestWebKeyboard: Home's sign-up, the recovery key page, the consent to
// connect an app, signing out and "Forgot your password?" all work with
// the keyboard alone, every focused control showing its focus.
func TestWebKeyboard(t *testing.T) {
	env := browsertest.Start(t, browsertest.Options{})
	const user, password = "kira", "quartz meadow lantern"
	tab := env.NewTab(t)
	tab.Open(env.HomeURL() + "/")
	waitView(t, tab, "signup", "#signup-msg") // a browser that remembers no account
	tabTo(t, tab, `[data-view=signup] [data-tab=signin]`)
	keys(tab, kb.Enter)
	waitView(t, tab, "signin", "#signin-msg")
	tabTo(t, tab, `[data-view=signin] [data-tab=signup]`)
	keys(tab, kb.Enter)
	waitView(t, tab, "signup", "#signup-msg")
	tabTo(t, tab, "#signup-form [name=user]")
	keys(tab, user)
	tabTo(t, tab, "#signup-form [name=password]")
	keys(tab, password)
	tabTo(t, tab, "#signup-form [name=password2]")
	keys(tab, password)
	keys(tab, kb.Enter)

	rk := keepRecoveryKeyByKeys(t, tab)

	// Connecting Notes: the consent page, by keyboard.
	tab.Open(env.AppURL("notes", user) + "/")
	tab.WaitOrigin(env.HomeURL())
	tab.Do(chromedp.WaitVisible(chromedp.CSS("#connect-allow")))
	tabTo(t, tab, "#connect-allow")
	keys(tab, kb.Enter)
	tab.WaitOrigin(strings.TrimSuffix(env.AppURL("notes", user), "/"))
	tab.Do(chromedp.WaitVisible(chromedp.CSS("body[data-ready]")))

	// Signing out, then back in with the recovery key.
	tab.Open(env.HomeURL() + "/")
	waitView(t, tab, "dashboard", "#signin-msg")
	tabTo(t, tab, "#signout")
	keys(tab, kb.Enter)
	tab.WaitTrue(signedOutAtHome(env))
	tabTo(t, tab, "#forgot")
	keys(tab, kb.Enter)
	waitView(t, tab, "forgot", "#forgot-msg")
	tabTo(t, tab, "#forgot-form [name=user]")
	keys(tab, user)
	tabTo(t, tab, "#forgot-form [name=key]")
	keys(tab, rk)
	tabTo(t, tab, "#forgot-form [name=password]")
	keys(tab, "a brand new lantern meadow")
	tabTo(t, tab, "#forgot-form [name=password2]")
	keys(tab, "a brand new lantern meadow")
	keys(tab, kb.Enter)
	keepRecoveryKeyByKeys(t, tab)
}

// keepRecoveryKeyByKeys reads the recovery key Home shows, reaches its
// Copy button and then the confirmation with Tab, types the key's last
// group and Enter, and waits for the dashboard; it returns the key.
func keepRecoveryKeyByKeys(t *testing.T, tab *browsertest.Tab) string {
	t.Helper()
	tab.Do(chromedp.WaitVisible(chromedp.CSS("#recovery-key")))
	rk := browsertest.Eval[string](tab, `document.querySelector("#recovery-key").textContent`)
	tabTo(t, tab, "#recovery-copy")
	tabTo(t, tab, "#recovery-confirm [name=last]")
	keys(tab, rk[strings.LastIndexByte(rk, '-')+1:])
	keys(tab, kb.Enter)
	waitView(t, tab, "dashboard", "#recovery-msg")
	return rk
}
