package web_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/crypto/seal"
	"github.com/hearthcloud/hearth/internal/appmanifest"
	"github.com/hearthcloud/hearth/wasm/web/browsertest"
)

// appHost stands between the browser and hearthd: it notes the token the
// example app sends, and can answer one path with what the server answers
// for another (a host handing the app ciphertext it should not open).
type appHost struct {
	mu      sync.Mutex
	origin  string // the app's origin: its requests are the ones noted
	token   string // the last token the app sent
	swapFor string // a path the app asks for
	swapTo  string // the path whose answer it gets
	swapTok string // sent with that request
}

func (h *appHost) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		if o := r.Header.Get("Origin"); o != "" && o == h.origin && strings.HasPrefix(r.Header.Get("Authorization"), "Bearer hat_") {
			h.token = strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		}
		if h.swapFor != "" && r.Method == "GET" && r.URL.Path == h.swapFor {
			r = r.Clone(r.Context())
			r.URL.Path = h.swapTo
			r.Header.Set("Authorization", "Bearer "+h.swapTok)
		}
		h.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

func (h *appHost) appToken() string { h.mu.Lock(); defer h.mu.Unlock(); return h.token }

// zipApp makes an archive of a folder, its manifest changed by edit.
func zipApp(t *testing.T, dir string, edit func(string) string) string {
	t.Helper()
	var files []appmanifest.File
	err := fs.WalkDir(os.DirFS(dir), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(filepath.Join(dir, p))
		if p == appmanifest.ManifestName {
			b = []byte(edit(string(b)))
		}
		files = append(files, appmanifest.File{Path: p, Data: b})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err := appmanifest.Zip(files)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "bookmarks.zip")
	if err := os.WriteFile(out, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// status sends a request with token and returns the status code.
func status(t *testing.T, env *browsertest.Env, method, path, token string, body []byte, hdr ...string) int {
	t.Helper()
	req, _ := http.NewRequest(method, env.HomeURL()+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/octet-stream")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := env.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// TestWebApps: a person installs the example app (spec/example-app) from
// its archive in Home, sees what it asks for, declines (nothing is
// installed), accepts, and uses it on its own origin. The app holds one
// doctype: every attempt at another fails at the server (403) and in its
// client, and a note's ciphertext handed to it opens nothing. It cannot read
// Notes' storage. An update asking for more shows the difference and needs
// consent; uninstalling ends its token at once.
func TestWebApps(t *testing.T) {
	host := &appHost{}
	env := browsertest.Start(t, browsertest.Options{Wrap: host.wrap})
	const user, password = "carol", "an apps password"
	host.origin = strings.TrimSuffix(env.AppURL("bookmarks", user), "/")
	mk := make([]byte, 8)
	rand.Read(mk)
	marker := "APPMARKER" + hex.EncodeToString(mk)

	ctx := context.Background()
	dev, _, err := client.Signup(ctx, env.ServerURL(), user, password, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dev.Put(ctx, "io.hearth.notes", "secretnote", []byte(`{"title":"Secret","body":"`+marker+`"}`)); err != nil {
		t.Fatal(err)
	}
	session := dev.State().Token
	example := filepath.Join("..", "..", "spec", "example-app")
	v1 := zipApp(t, example, func(m string) string { return m })

	home := env.NewTab(t)
	signInHome(t, env, home, user, password)
	waitText(t, home, "#apps", "Notes")
	waitText(t, home, "#store", "Tasks")
	home.Screenshots("dashboard-store")

	pick := func(archive string) {
		t.Helper()
		home.Do(chromedp.SetUploadFiles(chromedp.CSS("#install-file"), []string{archive}))
		waitView(t, home, "install", "#store-msg")
	}
	// Declining installs nothing.
	pick(v1)
	waitText(t, home, "#install-title", "Install Bookmarks?")
	waitText(t, home, "#install-about", "Version 1.0.0")
	waitText(t, home, "#install-scopes", "Read, write and delete the data of type org.example.bookmarks — Your bookmarks: to list, add and remove them.")
	home.Screenshots("install-consent")
	home.Do(chromedp.Click(chromedp.CSS("#install-deny")))
	waitView(t, home, "dashboard", "#store-msg")
	if apps, err := dev.InstalledApps(ctx); err != nil || len(apps) != 0 {
		t.Fatalf("declined, yet installed: %v %v", apps, err)
	}
	if k, err := dev.Consent(ctx, "bookmarks"); err != nil || k != nil {
		t.Fatalf("declined, yet agreed: %+v %v", k, err)
	}
	if res := statusOf(env, host.origin+"/"); res != 404 {
		t.Fatalf("the app's origin answers %d before it is installed", res)
	}

	// Accepting installs it and opens it; it connects without asking again.
	pick(v1)
	home.Do(chromedp.Click(chromedp.CSS("#install-allow")))
	home.WaitOrigin(host.origin)
	home.Do(chromedp.WaitVisible(chromedp.CSS("body[data-ready]")))
	typeInto(home, "#add [name=title]", "Hearth spec")
	typeInto(home, "#add [name=url]", "https://example.org/spec")
	home.Do(chromedp.Click(chromedp.CSS("#add button")))
	waitText(t, home, "#list", "Hearth spec")
	home.Open(host.origin + "/")
	home.Do(chromedp.WaitVisible(chromedp.CSS("body[data-ready]")))
	waitText(t, home, "#list", "Hearth spec")
	home.Screenshots("bookmarks")

	// Other doctypes: refused by its client, and by the server (403) even
	// with its token in a request of the test's own making.
	tok := host.appToken()
	if !strings.HasPrefix(tok, "hat_") {
		t.Fatalf("no app token seen (%q)", tok)
	}
	if code := browsertest.Eval[string](home, `bookmarks.list("io.hearth.notes").then(() => "listed", (e) => e.code)`); code != "forbidden" {
		t.Fatalf("the app's client listed notes: %q", code)
	}
	home.Allow(`403 \(Forbidden\) http://home.localhost:\d+/v1/docs/io.hearth.notes/secretnote`)
	if s := browsertest.Eval[int](home, `fetch(bookmarks.home + "/v1/docs/io.hearth.notes/secretnote", { headers: { Authorization: "Bearer `+tok+`" } }).then(r => r.status)`); s != 403 {
		t.Fatalf("the app's token read a note from its page: %d", s)
	}
	for _, c := range []struct {
		method, path string
		body         []byte
		hdr          []string
		want         int
	}{
		{"GET", "/v1/docs/io.hearth.notes", nil, nil, 403},
		{"GET", "/v1/docs/io.hearth.notes/secretnote", nil, nil, 403},
		{"PUT", "/v1/docs/io.hearth.notes/planted", bytes.Repeat([]byte{1}, 300), []string{"If-None-Match", "*"}, 403},
		{"DELETE", "/v1/docs/io.hearth.notes/secretnote", nil, []string{"If-Match", `"1"`}, 403},
		{"GET", "/v1/changes?doctype=io.hearth.notes", nil, nil, 403},
		{"GET", "/v1/index/io.hearth.notes/manifest", nil, nil, 403},
		{"GET", "/v1/blobs/io.hearth.notes", nil, nil, 403},
		{"GET", "/v1/keyring", nil, nil, 403},
		{"GET", "/v1/apps", nil, nil, 403},
		{"POST", "/v1/tokens", nil, nil, 403},
		{"GET", "/v1/docs/org.example.bookmarks", nil, nil, 200},
	} {
		if got := status(t, env, c.method, c.path, tok, c.body, c.hdr...); got != c.want {
			t.Errorf("%s %s with the app's token: %d, want %d", c.method, c.path, got, c.want)
		}
	}
	// The host hands the app the note's ciphertext as one of its own
	// documents: it opens nothing, and the note's text never reaches the page.
	host.mu.Lock()
	host.swapFor, host.swapTo, host.swapTok = "/v1/docs/org.example.bookmarks/handedover", "/v1/docs/io.hearth.notes/secretnote", session
	host.mu.Unlock()
	if code := browsertest.Eval[string](home, `bookmarks.get("org.example.bookmarks", "handedover").then((d) => "opened " + JSON.stringify(d), (e) => e.code)`); code != "integrity" {
		t.Fatalf("the app, handed a note's ciphertext: %q", code)
	}
	host.mu.Lock()
	host.swapFor = ""
	host.mu.Unlock()
	if strings.Contains(browsertest.Eval[string](home, `document.documentElement.outerHTML`), marker) {
		t.Fatal("the note's text reached the app's page")
	}

	// Origins: the app cannot read Notes' storage.
	notesURL := env.AppURL("notes", user) + "/"
	home.Open(notesURL)
	home.Do(chromedp.WaitVisible(chromedp.CSS("#connect-allow")), chromedp.Click(chromedp.CSS("#connect-allow")))
	home.WaitOrigin(strings.TrimSuffix(env.AppURL("notes", user), "/"))
	home.Do(chromedp.WaitVisible(chromedp.CSS("body[data-ready]")))
	browsertest.Eval[bool](home, `(localStorage.setItem("probe", "notes"), true)`)
	notesDBs := browsertest.Eval[string](home, `indexedDB.databases().then(l => l.map(d => d.name).sort().join(","))`)
	home.Open(host.origin + "/")
	home.Do(chromedp.WaitVisible(chromedp.CSS("body[data-ready]")))
	if v := browsertest.Eval[string](home, `String(localStorage.getItem("probe"))`); v != "null" {
		t.Fatalf("the app read Notes' localStorage: %q", v)
	}
	// Its own database has its own name-space: the same name, other data.
	if n := browsertest.Eval[int](home, `new Promise(r => { const q = indexedDB.open("hearth"); q.onsuccess = () => {
		const db = q.result; if (!db.objectStoreNames.contains("vault")) return r(0);
		const c = db.transaction("vault").objectStore("vault").getAllKeys(); c.onsuccess = () => r(c.result.filter(k => String(k).startsWith("seg:")).length); }; })`); n != 0 {
		t.Fatalf("the app's storage holds %d of Home's search segments", n)
	}
	t.Logf("Notes' databases: %s", notesDBs)

	// An update that asks for more shows the difference and needs consent.
	v2 := zipApp(t, example, func(m string) string {
		m = strings.Replace(m, `"version": "1.0.0"`, `"version": "1.1.0"`, 1)
		return strings.Replace(m, `"permissions": [`, `"permissions": [
    {"doctype": "io.hearth.notes", "verbs": ["read"], "reason": "To link a bookmark to a note."},`, 1)
	})
	home.Open(env.HomeURL() + "/")
	waitView(t, home, "dashboard", "#signin-msg")
	waitText(t, home, "#apps", "Bookmarks")
	// The same version again is a reinstall, said so, not an update.
	pick(v1)
	waitText(t, home, "#install-title", "Reinstall Bookmarks?")
	waitText(t, home, "#install-about", "Version 1.0.0, installed already")
	waitText(t, home, "#install-allow", "Reinstall")
	home.Screenshots("reinstall-consent")
	home.Do(chromedp.Click(chromedp.CSS("#install-deny")))
	waitView(t, home, "dashboard", "#store-msg")
	pick(v2)
	waitText(t, home, "#install-title", "Update Bookmarks?")
	waitText(t, home, "#install-about", "Version 1.0.0 → 1.1.0")
	waitText(t, home, "#install-added", "Asks for the first time: Read your notes")
	waitText(t, home, "#install-scopes", "Read your notes — To link a bookmark to a note. new")
	home.Screenshots("update-consent")
	home.Do(chromedp.Click(chromedp.CSS("#install-allow")))
	home.WaitOrigin(host.origin)
	home.Do(chromedp.WaitVisible(chromedp.CSS("body[data-ready]")))
	waitText(t, home, "#list", "Hearth spec")
	// The old token was revoked; the app connected again with the new scopes.
	if got := status(t, env, "GET", "/v1/docs/org.example.bookmarks", tok, nil); got != 401 {
		t.Fatalf("the token from before the update: %d, want 401", got)
	}
	if got := browsertest.Eval[string](home, `bookmarks.get("io.hearth.notes", "secretnote").then(d => d.value.body, e => e.code)`); got != marker {
		t.Fatalf("after the update, the app reading the note it was granted: %q", got)
	}
	tok2 := host.appToken()
	// A second tab keeps the app open, its keys in its worker's memory;
	// it does not go to Home when its access ends, so that the test can
	// hand it what is written afterwards.
	appTab := env.NewTab(t)
	appTab.Open(host.origin + "/")
	appTab.Do(chromedp.WaitVisible(chromedp.CSS("body[data-ready]")))
	browsertest.Eval[bool](appTab, `(bookmarks.onsessionended = () => {}, true)`)
	appTab.Allow(`401 \(Unauthorized\)`)
	for _, d := range []string{"org.example.bookmarks", "io.hearth.notes"} {
		if g := generation(t, env, session, d, firstID(t, dev, d)); g != 1 {
			t.Fatalf("%s sealed with generation %d before the revocation", d, g)
		}
	}

	// Uninstalling: the token dies at once, the origin is gone, the keys
	// the app held are rotated and the documents sealed again, with
	// progress shown in Home.
	home.Open(env.HomeURL() + "/")
	waitView(t, home, "dashboard", "#signin-msg")
	home.Do(chromedp.WaitVisible(chromedp.CSS(`[data-uninstall=bookmarks]`)), chromedp.Click(chromedp.CSS(`[data-uninstall=bookmarks]`)))
	home.Do(chromedp.WaitVisible(chromedp.CSS(`dialog[open] [data-ask-yes]`)))
	home.Screenshots("uninstall-ask")
	answerYes(t, home)
	home.WaitTrue(`!document.querySelector("[data-uninstall=bookmarks]")`)
	if got := status(t, env, "GET", "/v1/docs/org.example.bookmarks", tok2, nil); got != 401 {
		t.Fatalf("the token after uninstalling: %d, want 401", got)
	}
	if res := statusOf(env, host.origin+"/"); res != 404 {
		t.Fatalf("the app's origin answers %d after uninstalling", res)
	}
	if k, err := dev.Consent(ctx, "bookmarks"); err != nil || k != nil {
		t.Fatalf("the agreement outlived the app: %+v %v", k, err)
	}
	home.WaitTrue(`document.querySelector("#reseal").dataset.done === "true"`)
	waitText(t, home, "#reseal-text", "sealed with new keys")
	home.Screenshots("resealed")
	for _, d := range []string{"org.example.bookmarks", "io.hearth.notes"} {
		if g := generation(t, env, session, d, firstID(t, dev, d)); g != 2 {
			t.Fatalf("%s sealed with generation %d after the re-seal", d, g)
		}
	}

	// Written after the revocation: sealed with a key the app never had.
	// The host hands it to the app's tab, which still holds its old keys:
	// it opens nothing.
	after := "AFTERREVOKE" + hex.EncodeToString(mk)
	if _, err := dev.Put(ctx, "org.example.bookmarks", "afterrevoke", []byte(`{"title":"`+after+`","url":"https://example.org/after"}`)); err != nil {
		t.Fatal(err)
	}
	if g := generation(t, env, session, "org.example.bookmarks", "afterrevoke"); g != 2 {
		t.Fatalf("a bookmark written after the revocation is sealed with generation %d", g)
	}
	host.mu.Lock()
	host.swapFor, host.swapTo, host.swapTok = "/v1/docs/org.example.bookmarks/afterrevoke", "/v1/docs/org.example.bookmarks/afterrevoke", session
	host.mu.Unlock()
	if got := browsertest.Eval[string](appTab, `bookmarks.get("org.example.bookmarks", "afterrevoke").then(d => "opened " + JSON.stringify(d), e => e.code)`); strings.HasPrefix(got, "opened") {
		t.Fatalf("the revoked app opened a bookmark written after: %s", got)
	} else {
		t.Logf("the revoked app, handed a bookmark written after its revocation: %s", got)
	}
	host.mu.Lock()
	host.swapFor = ""
	host.mu.Unlock()
	if strings.Contains(browsertest.Eval[string](appTab, `document.documentElement.outerHTML`), after) {
		t.Fatal("a bookmark written after the revocation reached the revoked app's page")
	}
	home.Screenshots("uninstalled")
}

// firstID returns the id of one document of doctype.
func firstID(t *testing.T, c *client.Client, doctype string) string {
	t.Helper()
	ids, err := c.List(context.Background(), doctype)
	if err != nil || len(ids) == 0 {
		t.Fatalf("%s: %v %v", doctype, ids, err)
	}
	return ids[0]
}

// generation reads, with the session, the key generation a document's
// sealed header names.
func generation(t *testing.T, env *browsertest.Env, session, doctype, id string) uint32 {
	t.Helper()
	req, _ := http.NewRequest("GET", env.HomeURL()+"/v1/docs/"+doctype+"/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+session)
	res, err := env.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	g, err := seal.DocumentGen(b)
	if res.StatusCode != 200 || err != nil {
		t.Fatalf("%s/%s: %d %v", doctype, id, res.StatusCode, err)
	}
	return g
}

// statusOf fetches url (at the test server, whatever its host name) and returns
// the status.
func statusOf(env *browsertest.Env, url string) int {
	res, err := env.Client().Get(url)
	if err != nil {
		return -1
	}
	res.Body.Close()
	return res.StatusCode
}
