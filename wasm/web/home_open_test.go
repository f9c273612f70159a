package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hearthcloud/hearth/wasm/web/browsertest"
)

// TestWebHomeFirstOpen: Home opens on "Create account" in a browser that
// remembers no account (a new server has none to sign in to), leads from
// there to "Sign in" (an account made on another device), and opens on
// "Sign in" once the browser knows an account, after its sign-out; a
// second device, which knows none, opens on "Create account" again and
// signs in through the tab.
func TestWebHomeFirstOpen(t *testing.T) {
	env := browsertest.Start(t, browsertest.Options{})
	const user, password = "wren", "a first open password"
	tab := env.NewTab(t)
	tab.Open(env.HomeURL() + "/")
	waitView(t, tab, "signup", "#signup-msg")
	if browsertest.Eval[bool](tab, `!document.querySelector("[data-view=signin]").hidden`) {
		t.Fatal("both forms show")
	}
	tab.Screenshots("first-open")

	// The line under the form goes to "Sign in", its user name focused.
	click(tab, `[data-go-tab=signin]`)
	waitView(t, tab, "signin", "#signin-msg")
	tab.WaitTrue(`document.activeElement === document.querySelector("#signin-form [name=user]")`)
	tab.Screenshots("first-open-signin")

	// Back, and an account made.
	homeForm(t, tab, "signup")
	typeInto(tab, "#signup-form [name=user]", user)
	typeInto(tab, "#signup-form [name=password]", password)
	typeInto(tab, "#signup-form [name=password2]", password)
	tab.Do(chromedp.Click(chromedp.CSS("#signup-form button[type=submit]")))
	saveRecoveryKey(t, tab)
	waitView(t, tab, "dashboard", "#signup-msg")

	// Signed out, the browser knows the account: Home opens on "Sign in",
	// after a reload too.
	signOut(env, tab)
	tab.Open(env.HomeURL() + "/")
	waitView(t, tab, "signin", "#signin-msg")

	// Another device knows no account: "Create account", and "Sign in" a
	// tab away.
	other := env.NewDevice(t).NewTab(t)
	other.Open(env.HomeURL() + "/")
	waitView(t, other, "signup", "#signup-msg")
	signInHome(t, env, other, user, password)
	signOut(env, other)
	other.Open(env.HomeURL() + "/")
	waitView(t, other, "signin", "#signin-msg")
}

// TestWebVaultBlocked: two tabs of Home's origin. The first holds the
// database "hearth" open without its store, as other script of the
// origin might, and never closes it (no versionchange handler). The
// second tab's worker must not wait for ever to repair the database:
// Home shows its form within seconds, says why nothing can be kept, and
// still signs up (in memory). Once the first tab lets go, the repair the
// worker started completes, and a sign-in is kept across a reload.
func TestWebVaultBlocked(t *testing.T) {
	env := browsertest.Start(t, browsertest.Options{})
	const user, password = "moss", "a blocked vault password"

	holder := env.NewTab(t)
	holder.Open(env.HomeURL() + "/favicon.svg") // Home's origin, no worker
	stores := browsertest.Eval[string](holder, `new Promise(r => { const q = indexedDB.open("hearth");
		q.onsuccess = () => { window.held = q.result; r(q.result.version + ":" + q.result.objectStoreNames.length); };
		q.onerror = () => r("error"); })`)
	if stores != "1:0" {
		t.Fatalf("the held database: version:stores %s", stores)
	}

	home := env.NewTab(t)
	// What the worker logs while it cannot store (each tab of a test
	// collects the messages of every worker).
	for _, tab := range []*browsertest.Tab{holder, home} {
		tab.Allow(`held open by another tab|saving the session failed|keeping what this device verified failed`)
	}
	start := time.Now()
	home.Open(env.HomeURL() + "/")
	waitView(t, home, "signin", "#signin-msg")
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("Home showed its form after %v", took)
	}
	waitText(t, home, "#signin-msg", "held open by another tab")
	home.Screenshots("storage-blocked")

	// Signing up works without the storage: the session lives in memory.
	homeForm(t, home, "signup")
	typeInto(home, "#signup-form [name=user]", user)
	typeInto(home, "#signup-form [name=password]", password)
	typeInto(home, "#signup-form [name=password2]", password)
	home.Do(chromedp.Click(chromedp.CSS("#signup-form button[type=submit]")))
	saveRecoveryKey(t, home)
	waitView(t, home, "dashboard", "#signup-msg")

	// The holder lets go: the upgrade the worker asked for completes, the
	// store is there, and a sign-in is kept.
	browsertest.Eval[bool](holder, `(window.held.close(), true)`)
	for deadline := time.Now().Add(browsertest.Timeout); !browsertest.Eval[bool](holder, `new Promise(r => { const q = indexedDB.open("hearth");
		q.onsuccess = () => { const ok = q.result.objectStoreNames.contains("vault"); q.result.close(); r(ok); }; q.onerror = () => r(false); })`); {
		if time.Now().After(deadline) {
			t.Fatal("the store was never made")
		}
		time.Sleep(100 * time.Millisecond)
	}
	signInHome(t, env, home, user, password)
	home.Open(env.HomeURL() + "/")
	waitView(t, home, "dashboard", "#signin-msg")
	if got := browsertest.Eval[string](home, `document.querySelector("#signin-msg").textContent`); strings.Contains(got, "held open") {
		t.Errorf("still blocked: %q", got)
	}
}
