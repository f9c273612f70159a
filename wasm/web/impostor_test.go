package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/chromedp/chromedp"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/wasm/web/browsertest"
)

// TestWebImpostorApps: an app may not pass for one that comes with Hearth,
// and Home names every app with its origin. An archive named "Notes." (or
// with a zero-width space) is refused by Home before anything is shown, and
// by the server when sent to it directly. An app asking for the camera
// shows it, in words with its reason, on the consent page, and its origin
// is served allowing the camera to itself only, while Home, Notes and an
// app asking for nothing deny it. The install, connect and intent pages
// and the list of apps show each app's origin.
func TestWebImpostorApps(t *testing.T) {
	env := browsertest.Start(t, browsertest.Options{})
	const user, password = "ivy", "an impostor password"
	ctx := context.Background()
	dev, _, err := client.Signup(ctx, env.ServerURL(), user, password, nil)
	if err != nil {
		t.Fatal(err)
	}
	host := func(app string) string { return strings.TrimPrefix(env.AppURL(app, user), "http://") }
	example := filepath.Join("..", "..", "spec", "example-app")
	named := func(name, extra string) string {
		return zipApp(t, example, func(m string) string {
			return strings.Replace(m, `"name": "Bookmarks"`, `"name": `+strings.TrimSpace(mustJSON(name))+extra, 1)
		})
	}
	if b, _ := os.ReadFile(filepath.Join(example, "hearth-app.json")); !bytes.Contains(b, []byte(`"name": "Bookmarks"`)) {
		t.Fatalf("the example app's manifest changed: %s", b)
	}

	tab := env.NewTab(t)
	signInHome(t, env, tab, user, password)
	waitText(t, tab, "#apps", "Notes")
	waitText(t, tab, "#apps", host("notes"))

	// Impostors, refused in Home before any consent page.
	for _, name := range []string{"Notes.", "No\u200btes", "ＴＡＳＫＳ"} {
		tab.Do(chromedp.SetUploadFiles(chromedp.CSS("#install-file"), []string{named(name, "")}))
		waitText(t, tab, "#store-msg", "passes for")
		if browsertest.Eval[bool](tab, `!document.querySelector("[data-view=install]").hidden`) {
			t.Fatalf("%q: the consent page showed", name)
		}
	}
	waitText(t, tab, "#store-msg", `This app cannot be installed: its name "ＴＡＳＫＳ" passes for "Tasks", an app that comes with Hearth`)
	tab.Screenshots("impostor-refused", "#store-msg")
	// And by the server, sent directly.
	b, _ := os.ReadFile(named("Notes.", ""))
	req, _ := http.NewRequest("PUT", env.HomeURL()+"/v1/apps/bookmarks", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+dev.State().Token)
	req.Header.Set("Content-Type", "application/zip")
	res, err := env.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 400 || !strings.Contains(string(body), "hearth-app.json: name") || !strings.Contains(string(body), "passes for") {
		t.Fatalf("the server, sent an impostor: %d %s", res.StatusCode, body)
	}
	if apps, err := dev.InstalledApps(ctx); err != nil || len(apps) != 0 {
		t.Fatalf("installed: %v %v", apps, err)
	}

	// An app asking for the camera: the consent page says so, with its
	// reason, and names its origin.
	tab.Do(chromedp.SetUploadFiles(chromedp.CSS("#install-file"), []string{named("Bookmarks", `,
  "features": {"camera": "To photograph a page you want to keep."}`)}))
	waitView(t, tab, "install", "#store-msg")
	waitText(t, tab, "#install-origin", host("bookmarks"))
	waitText(t, tab, "#install-features", "Use your camera — To photograph a page you want to keep.")
	if !browsertest.Eval[bool](tab, `!document.querySelector("#install-features").previousElementSibling.hidden`) {
		t.Fatal("the features' lead is hidden")
	}
	tab.Screenshots("install-features")
	tab.Do(chromedp.Click(chromedp.CSS("#install-allow")))
	tab.WaitOrigin(env.AppURL("bookmarks", user))
	tab.Do(chromedp.WaitVisible(chromedp.CSS("body[data-ready]")))

	// Permissions-Policy: the camera for the app that asked, nothing for
	// the others.
	const denied = allDenied
	for u, want := range map[string]string{
		env.HomeURL() + "/":                             homePolicy,
		env.AppURL("notes", user) + "/":                 denied,
		env.AppURL("tasks", user) + "/":                 denied,
		env.AppURL("bookmarks", user) + "/":             strings.Replace(denied, "camera=()", "camera=(self)", 1),
		env.AppURL("bookmarks", user) + "/bookmarks.js": strings.Replace(denied, "camera=()", "camera=(self)", 1),
	} {
		res, err := env.Client().Get(u)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if got := res.Header.Get("Permissions-Policy"); res.StatusCode != 200 || got != want {
			t.Errorf("%s: %d, Permissions-Policy %q, want %q", u, res.StatusCode, got, want)
		}
	}
	// The browser holds the page to it: the camera is allowed to the app's
	// own origin, and to nothing in Home.
	if got := browsertest.Eval[string](tab, `document.featurePolicy ? document.featurePolicy.allowedFeatures().filter(f => ["camera", "microphone", "geolocation", "usb", "serial", "hid", "payment", "clipboard-read"].includes(f)).sort().join(",") : "n/a"`); got != "camera" && got != "n/a" {
		t.Errorf("features allowed to the app's page: %q", got)
	}

	// The list of apps names each with its origin.
	tab.Open(env.HomeURL() + "/")
	waitView(t, tab, "dashboard", "#signin-msg")
	waitText(t, tab, "#apps", host("bookmarks"))
	if got := browsertest.Eval[string](tab, `document.featurePolicy ? document.featurePolicy.allowedFeatures().filter(f => ["camera", "microphone", "geolocation", "usb", "serial", "hid", "payment", "clipboard-read"].includes(f)).join(",") : ""`); got != "" {
		t.Errorf("features allowed to Home: %q", got)
	}
	tab.Screenshots("apps-origins")

	// A connect request made elsewhere: Home asks, naming the app's origin
	// and the feature it asks for.
	id, _ := age.GenerateX25519Identity()
	tab.Open(env.HomeURL() + "/#connect?app=bookmarks&user=" + user + "&recipient=" + url.QueryEscape(id.Recipient().String()) + "&state=elsewhere")
	waitView(t, tab, "connect", "#connect-msg")
	waitText(t, tab, "#connect-name", "Bookmarks")
	waitText(t, tab, "#connect-origin", host("bookmarks"))
	waitText(t, tab, "#connect-features", "Use your camera — To photograph a page you want to keep.")
	tab.Screenshots("connect-features")

	// An intent: who asks and who serves, each with its origin.
	if err := dev.PutConsent(ctx, &client.AppConsent{App: "tasks", Scopes: []client.Scope{{Doctype: "io.hearth.tasks", Verbs: []string{"read", "write", "delete"}}}}); err != nil {
		t.Fatal(err)
	}
	tab.Open(env.HomeURL() + "/#intent?from=notes&user=" + user + "&action=create&doctype=io.hearth.tasks&value=&state=s1")
	waitView(t, tab, "intent", "#intent-msg")
	waitText(t, tab, "#intent-lead", "A page claiming to be Notes ("+host("notes")+") asks Tasks ("+host("tasks")+") to create a task:")
	tab.Screenshots("intent-origins")
}

func mustJSON(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}
