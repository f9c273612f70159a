package web_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/hearthcloud/hearth/wasm/web/browsertest"
)

// requestRecorder keeps every request the server receives: method, URL,
// headers and body.
type requestRecorder struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (rr *requestRecorder) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		rr.mu.Lock()
		rr.buf.WriteString(r.Method + " " + r.URL.String() + "\n")
		r.Header.Write(&rr.buf)
		rr.buf.Write(body)
		rr.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

func (rr *requestRecorder) bytes() []byte {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	return bytes.Clone(rr.buf.Bytes())
}

// holdsMarker reports whether b holds marker in the clear, hex-encoded or
// base64-encoded at any alignment.
func holdsMarker(b []byte, marker string) bool {
	forms := [][]byte{[]byte(marker), []byte(hex.EncodeToString([]byte(marker)))}
	for pad := 0; pad < 3; pad++ {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
			e := enc.EncodeToString(append(bytes.Repeat([]byte{'x'}, pad), marker...))
			forms = append(forms, []byte(e[4:len(e)-4]))
		}
	}
	for _, f := range forms {
		if bytes.Contains(b, f) {
			return true
		}
	}
	return false
}

func code(t *testing.T, uri string, at time.Time) string {
	t.Helper()
	key, err := otp.NewKeyFromURL(uri)
	if err != nil {
		t.Fatal(err)
	}
	c, err := totp.GenerateCodeCustom(key.Secret(), at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func waitText(t testing.TB, tab *browsertest.Tab, sel, want string) {
	t.Helper()
	deadline := time.Now().Add(browsertest.Timeout)
	for {
		got := browsertest.Eval[string](tab, `(document.querySelector(`+jsString(sel)+`)||{}).textContent||""`)
		if strings.Contains(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %q never appeared (last %q; problems %q)", sel, want, got, tab.Problems())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func jsString(s string) string {
	return "`" + strings.NewReplacer("`", "\\`", "\\", "\\\\", "$", "\\$").Replace(s) + "`"
}

// waitView waits for a view of Home to show, reporting the text of msg if
// it does not.
func waitView(t testing.TB, tab *browsertest.Tab, view, msg string) {
	t.Helper()
	deadline := time.Now().Add(browsertest.Timeout)
	for !browsertest.Eval[bool](tab, `!!document.querySelector("[data-view=`+view+`]") && !document.querySelector("[data-view=`+view+`]").hidden`) {
		if time.Now().After(deadline) {
			t.Fatalf("view %s never showed; %s says %q; problems %q", view, msg,
				browsertest.Eval[string](tab, `(document.querySelector(`+jsString(msg)+`)||{}).textContent||""`), tab.Problems())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// signInHome signs in at Home in tab and waits for its dashboard.
func signInHome(t testing.TB, env *browsertest.Env, tab *browsertest.Tab, user, password string) {
	t.Helper()
	tab.Open(env.HomeURL() + "/")
	homeForm(t, tab, "signin")
	typeInto(tab, "#signin-form [name=user]", user)
	typeInto(tab, "#signin-form [name=password]", password)
	tab.Do(chromedp.Click(chromedp.CSS("#signin-form button[type=submit]")))
	waitView(t, tab, "dashboard", "#signin-msg")
}

// homeForm waits for Home's sign-in or sign-up form and shows the one
// named view ("signin" or "signup"), by its tab if the other shows: Home
// opens on the sign-up form in a browser that remembers no account.
func homeForm(t testing.TB, tab *browsertest.Tab, view string) {
	t.Helper()
	tab.WaitTrue(`!!document.querySelector("[data-view=signin]:not([hidden]), [data-view=signup]:not([hidden])")`)
	browsertest.Eval[bool](tab, `(() => { const b = document.querySelector("[data-view]:not([hidden]) [data-tab=`+view+`]"); if (b && b.getAttribute("aria-selected") !== "true") b.click(); return true; })()`)
	tab.Do(chromedp.WaitVisible(chromedp.CSS("#" + view + "-form")))
}

// saveRecoveryKey waits for Home's recovery key page, reads the key, types
// its last group as the page asks, and goes on; it returns the key.
func saveRecoveryKey(t testing.TB, tab *browsertest.Tab) string {
	t.Helper()
	tab.Do(chromedp.WaitVisible(chromedp.CSS("#recovery-key")))
	rk := browsertest.Eval[string](tab, `document.querySelector("#recovery-key").textContent`)
	if !strings.HasPrefix(rk, "HEARTH-") || len(rk) < 20 {
		t.Fatalf("recovery key %q", rk)
	}
	typeInto(tab, "#recovery-confirm [name=last]", rk[strings.LastIndexByte(rk, '-')+1:])
	tab.Do(chromedp.Click(chromedp.CSS("#recovery-done")))
	return rk
}

// answerYes answers yes to the question the page asks in its dialog
// (hearth-kit.js ask).
func answerYes(t testing.TB, tab *browsertest.Tab) {
	t.Helper()
	tab.WaitTrue(`(() => { const b = document.querySelector("dialog[open] [data-ask-yes]"); if (!b) return false; b.click(); return true; })()`)
}

// typeInto sets an input's value as a person would (input events fire).
func typeInto(tab *browsertest.Tab, sel, text string) {
	tab.Do(chromedp.WaitVisible(chromedp.CSS(sel)))
	browsertest.Eval[bool](tab, `(() => { const el = document.querySelector(`+jsString(sel)+`); el.focus(); el.value = `+jsString(text)+`; el.dispatchEvent(new Event("input", { bubbles: true })); return true; })()`)
}

// TestWebFlow walks spec/web.md §6 in headless Chromium: sign-up, TOTP
// enrolment, sign-out, a wrong code, sign-in with the code, a note written
// in Notes (on its own origin, connected through Home), reload, a second
// device that sees the note and then a new one arrive without reload, the
// origins kept apart, and the zero-knowledge check from the browser side.
func TestWebFlow(t *testing.T) {
	rec := &requestRecorder{}
	env := browsertest.Start(t, browsertest.Options{Wrap: rec.wrap})
	mk := make([]byte, 12)
	rand.Read(mk)
	marker := "WEBMARKER" + strings.ToUpper(hex.EncodeToString(mk))
	const user, password = "alice", "correct horse battery"

	home := env.NewTab(t)
	home.Open(env.HomeURL() + "/")
	waitView(t, home, "signup", "#signup-msg") // a browser that remembers no account
	homeForm(t, home, "signin")
	home.Screenshots("signin")
	homeForm(t, home, "signup")
	typeInto(home, "#signup-form [name=user]", user)
	typeInto(home, "#signup-form [name=password]", password)
	typeInto(home, "#signup-form [name=password2]", password)
	home.Screenshots("signup")
	home.Do(chromedp.Click(chromedp.CSS("#signup-form button[type=submit]")))
	home.Do(chromedp.WaitVisible(chromedp.CSS("#recovery-key")))
	home.Screenshots("recovery-key")
	saveRecoveryKey(t, home)
	home.Do(chromedp.WaitVisible(chromedp.CSS("[data-view=dashboard]")))
	waitText(t, home, "#totp-status", "Off")
	waitText(t, home, "#apps", "Notes")
	waitText(t, home, "#sessions", "this browser")
	home.Screenshots("dashboard")

	// TOTP: enrol with the QR code's URI, confirm with a computed code.
	home.Do(chromedp.Click(chromedp.CSS("#totp-enable")))
	home.Do(chromedp.WaitVisible(chromedp.CSS("#totp-qr")))
	uri := browsertest.Eval[string](home, `document.querySelector("#totp-uri").textContent`)
	if !strings.HasPrefix(uri, "otpauth://totp/") || !browsertest.Eval[bool](home, `document.querySelector("#totp-qr").src.startsWith("data:image/png")`) {
		t.Fatalf("enrolment: %q", uri)
	}
	home.Screenshots("totp-enroll")
	typeInto(home, "#totp-confirm-form [name=code]", code(t, uri, time.Now()))
	home.Do(chromedp.Click(chromedp.CSS("#totp-confirm-form button")))
	home.Do(chromedp.WaitVisible(chromedp.CSS("#totp-codes")))
	codes := strings.Fields(browsertest.Eval[string](home, `[...document.querySelectorAll("#totp-codes span")].map(s => s.textContent).join(" ")`))
	if len(codes) != 10 {
		t.Fatalf("recovery codes: %q", codes)
	}
	waitText(t, home, "#totp-status", "On")
	// Download gives a file with every code in it, as the recovery key's does.
	dl := browsertest.Eval[string](home, `new Promise(r => {
		let name = "";
		const click = HTMLAnchorElement.prototype.click, make = URL.createObjectURL;
		HTMLAnchorElement.prototype.click = function () { HTMLAnchorElement.prototype.click = click; name = this.download; };
		URL.createObjectURL = (b) => { URL.createObjectURL = make; b.text().then(text => r(name + "\n" + text)); return make(b); };
		document.querySelector("#totp-download").click(); })`)
	if !strings.HasPrefix(dl, "hearth-2fa-recovery-codes.txt\n") {
		t.Fatalf("download of the codes: %q", dl)
	}
	for _, c := range codes {
		if !strings.Contains(dl, "\n"+c+"\n") {
			t.Fatalf("the downloaded codes lack %s: %q", c, dl)
		}
	}
	home.Screenshots("totp-codes", "#totp-codes")

	// Keys at rest: a non-extractable key, and a sealed state that holds
	// neither the session token nor anything readable.
	atRest := browsertest.Eval[string](home, `new Promise(r => { const q = indexedDB.open("hearth"); q.onsuccess = () => {
		const st = q.result.transaction("vault").objectStore("vault"); const k = st.get("key"), s = st.get("state");
		s.onsuccess = () => { q.result.close(); const bytes = new Uint8Array(s.result.data); const text = new TextDecoder("latin1").decode(bytes);
			r(JSON.stringify({ type: k.result.type, extractable: k.result.extractable, algo: k.result.algorithm.name,
				size: bytes.length, token: text.includes("hst_"), user: text.includes("alice") })); }; }; })`)
	if atRest != `{"type":"secret","extractable":false,"algo":"AES-GCM","size":`+atRestSize(atRest)+`,"token":false,"user":false}` {
		t.Fatalf("keys at rest: %s", atRest)
	}
	// The worker refuses a WebAssembly module whose SHA-384 is not the one asked for.
	if got := browsertest.Eval[string](home, `import("/hearth.js").then(m => m.Hearth.open({ server: location.origin, sri: "sha384-" + "A".repeat(64) })).then(() => "opened", e => e.code)`); got != "integrity" {
		t.Fatalf("a wrong wasm hash: %s", got)
	}

	// Sign out: keys leave memory and storage, in every tab.
	other := env.NewTab(t)
	other.Open(env.HomeURL() + "/")
	other.Do(chromedp.WaitVisible(chromedp.CSS("[data-view=dashboard]")))
	home.Do(chromedp.Click(chromedp.CSS("#signout")))
	home.Do(chromedp.WaitVisible(chromedp.CSS("#signin-form")))
	other.Do(chromedp.WaitVisible(chromedp.CSS("#signin-form")))
	// What remains is Home's memory of the account's history, sealed
	// (spec/web.md §4): no session, key or cached segment.
	// The worker writes the memory on its storage queue, which may still
	// be running when the sign-in form shows: wait for it to settle.
	settle := time.Now().Add(5 * time.Second)
	for keys := browsertest.Eval[string](home, vaultKeys); keys != "memkey,memory"; keys = browsertest.Eval[string](home, vaultKeys) {
		if time.Now().After(settle) {
			t.Fatalf("after sign-out, IndexedDB holds %q", keys)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := browsertest.Eval[int](home, `localStorage.length`); n != 0 {
		t.Fatalf("localStorage holds %d items", n)
	}

	// A wrong code is refused with a clear message; the right one works.
	typeInto(home, "#signin-form [name=user]", user)
	typeInto(home, "#signin-form [name=password]", password)
	typeInto(home, "#signin-form [name=totp]", "000000")
	home.Do(chromedp.Click(chromedp.CSS("#signin-form button[type=submit]")))
	waitText(t, home, "#signin-msg", "code is not right")
	home.Screenshots("signin-wrong-code")
	typeInto(home, "#signin-form [name=totp]", code(t, uri, time.Now().Add(30*time.Second)))
	home.Do(chromedp.Click(chromedp.CSS("#signin-form button[type=submit]")))
	waitView(t, home, "dashboard", "#signin-msg")

	// Notes, on its own origin: connecting goes through Home's consent.
	notesURL := env.AppURL("notes", user) + "/"
	home.Open(notesURL)
	home.Do(chromedp.WaitVisible(chromedp.CSS("#connect-allow")))
	waitText(t, home, "#connect-scopes", "notes")
	home.Screenshots("connect")
	home.Do(chromedp.Click(chromedp.CSS("#connect-allow")))
	home.Do(chromedp.WaitVisible(chromedp.CSS("body[data-ready]")))
	home.Screenshots("notes-empty")
	home.Do(chromedp.Click(chromedp.CSS("#new-note")))
	typeInto(home, "#title", "Plans "+marker)
	typeInto(home, "#body", "# Heading\n\nSome *secret* text "+marker+"\n\n- one\n- two")
	waitText(t, home, "#status", "Saved")
	home.Do(chromedp.Click(chromedp.CSS(`[data-mode=preview]`)))
	waitText(t, home, "#preview h1", "Heading")
	home.Screenshots("notes-preview")
	home.Open(notesURL) // reload: the note is there, without connecting again
	home.Do(chromedp.WaitVisible(chromedp.CSS("body[data-ready]")))
	waitText(t, home, "#note-list", "Plans "+marker)
	home.Screenshots("notes-list")

	// Origins: Notes cannot read Home's storage.
	home.Open(env.HomeURL() + "/")
	home.Do(chromedp.WaitVisible(chromedp.CSS("[data-view=dashboard]")))
	browsertest.Eval[bool](home, `(localStorage.setItem("probe", "home"), true)`)
	home.Open(notesURL)
	home.Do(chromedp.WaitVisible(chromedp.CSS("body[data-ready]")))
	waitText(t, home, "#note-list", "Plans")
	if v := browsertest.Eval[string](home, `String(localStorage.getItem("probe"))`); v != "null" {
		t.Fatalf("Notes read Home's localStorage: %q", v)
	}

	// A second device: sign in with a recovery code, open Notes, see the note.
	second := env.NewDevice(t)
	dev := second.NewTab(t)
	dev.Open(env.HomeURL() + "/")
	homeForm(t, dev, "signin")
	typeInto(dev, "#signin-form [name=user]", user)
	typeInto(dev, "#signin-form [name=password]", password)
	typeInto(dev, "#signin-form [name=totp]", codes[0])
	dev.Do(chromedp.Click(chromedp.CSS("#signin-form button[type=submit]")))
	dev.Do(chromedp.WaitVisible(chromedp.CSS("[data-view=dashboard]")))
	// Home remembers that the user let Notes connect: no consent asked.
	dev.Open(notesURL)
	dev.Do(chromedp.WaitVisible(chromedp.CSS("body[data-ready]")))
	if v := browsertest.Eval[string](dev, `location.origin`); !strings.HasPrefix(v, "http://notes.") {
		t.Fatalf("the second device's Notes is at %s", v)
	}
	waitText(t, dev, "#note-list", "Plans "+marker)

	// A note written on the first device arrives on the second without reload.
	home.Do(chromedp.Click(chromedp.CSS("#new-note")))
	typeInto(home, "#title", "Arrives live")
	waitText(t, home, "#status", "Saved")
	waitText(t, dev, "#note-list", "Arrives live")
	dev.Screenshots("notes-second-device")

	// A connect link anyone can make (here with a recipient of the
	// maker's), opened while signed in: Home remembers Notes, but the
	// request does not come from Notes' page, so it asks.
	crafter, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	home.Open(env.HomeURL() + "/#connect?app=notes&user=" + user + "&recipient=" + crafter.Recipient().String() + "&state=crafted")
	home.Do(chromedp.WaitVisible(chromedp.CSS("#connect-allow")))
	home.Do(chromedp.Click(chromedp.CSS("#connect-deny")))
	home.Do(chromedp.WaitVisible(chromedp.CSS("[data-view=dashboard]")))

	// Home lists both browsers' Notes connections.
	home.Open(env.HomeURL() + "/")
	home.Do(chromedp.WaitVisible(chromedp.CSS("[data-view=dashboard]")))
	waitText(t, home, "#connections", "this browser")
	if n := browsertest.Eval[int](home, `document.querySelectorAll("#connections li").length`); n != 2 {
		t.Fatalf("%d connections listed, want 2", n)
	}
	home.Screenshots("connections")
	home.Open(notesURL)
	home.Do(chromedp.WaitVisible(chromedp.CSS("body[data-ready]")))

	// Deleting on the second device removes the note on the first.
	dev.Do(chromedp.Click(chromedp.CSS("#note-list li:first-child button")))
	waitText(t, dev, "#status", "Saved")
	dev.Do(chromedp.Click(chromedp.CSS("#delete")))
	answerYes(t, dev)
	deadline := time.Now().Add(browsertest.Timeout)
	for strings.Contains(browsertest.Eval[string](home, `document.querySelector("#note-list").textContent`), "Arrives live") {
		if time.Now().After(deadline) {
			t.Fatal("the deletion did not reach the first device")
		}
		time.Sleep(100 * time.Millisecond)
	}
	waitText(t, home, "#count", "1 note")

	// Zero knowledge: the marker reached no request and no stored byte.
	if holdsMarker(rec.bytes(), marker) {
		t.Error("the marker reached the server in a request")
	}
	if !bytes.Contains(rec.bytes(), []byte("/v1/docs/io.hearth.notes")) {
		t.Fatal("the recorder saw no note being written")
	}
	files := 0
	filepath.WalkDir(env.Dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || !e.Type().IsRegular() {
			return err
		}
		files++
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if holdsMarker(b, marker) {
			t.Errorf("the marker is in %s", p)
		}
		return nil
	})
	if files < 3 {
		t.Fatalf("only %d files in the data folder", files)
	}
	// Signing out at Home wipes the apps' storage too. On the second
	// device, with no Notes tab open (nothing else touches Notes' origin),
	// a probe page of that origin (a stylesheet, which runs no Notes) sees
	// the key and sealed state before, and nothing after.
	probe := second.NewTab(t)
	probe.Open(strings.TrimSuffix(notesURL, "/") + "/style.css")
	const readVault = `new Promise((resolve, reject) => { const q = indexedDB.open("hearth");
		q.onupgradeneeded = () => q.transaction.abort(); // no database: make none
		q.onerror = () => q.error && q.error.name === "AbortError" ? resolve({}) : reject(q.error);
		q.onsuccess = () => { const db = q.result; if (!db.objectStoreNames.contains("vault")) { db.close(); return resolve({}); }
			const st = db.transaction("vault").objectStore("vault"); const k = st.get("key"), s = st.get("state");
			s.onsuccess = () => { db.close(); resolve({ key: !!k.result, state: !!s.result }); }; }; })`
	if v := browsertest.Eval[string](probe, `(`+readVault+`).then(JSON.stringify)`); v != `{"key":true,"state":true}` {
		t.Fatalf("Notes stored %s before the sign-out", v)
	}
	dev.Open(env.HomeURL() + "/")
	dev.Do(chromedp.WaitVisible(chromedp.CSS("[data-view=dashboard]")))
	dev.Do(chromedp.Click(chromedp.CSS("#signout")))
	dev.WaitTrue(signedOutAtHome(env))
	waitText(t, dev, "#signin-msg", "Signed out")
	dev.Screenshots("signed-out")
	if v := browsertest.Eval[string](probe, `(`+readVault+`).then(JSON.stringify)`); v != `{}` && v != `{"key":false,"state":false}` {
		t.Fatalf("after sign-out, Notes' origin keeps %s", v)
	}
	dev.Open(notesURL) // signed out, Notes sends the person to Home
	dev.WaitTrue(signedOutAtHome(env) + ` && document.querySelector("#signin-msg").textContent.includes("Notes")`)

	// On the first device, a Notes tab left open loses its keys at the
	// sign-out and goes to Home to sign in.
	firstHome := env.NewTab(t)
	firstHome.Open(env.HomeURL() + "/")
	firstHome.Do(chromedp.WaitVisible(chromedp.CSS("[data-view=dashboard]")))
	firstHome.Do(chromedp.Click(chromedp.CSS("#signout")))
	firstHome.WaitTrue(signedOutAtHome(env))
	home.WaitTrue(signedOutAtHome(env) + ` && document.querySelector("#signin-msg").textContent.includes("Notes")`)

	t.Logf("screenshots in %s", env.Shots)
	home.Check()
	dev.Check()
	firstHome.Check()
}

// signedOutAtHome is true in a page showing Home's sign-in form.
func signedOutAtHome(env *browsertest.Env) string {
	return `location.origin === ` + jsString(env.HomeURL()) + ` && !document.querySelector("[data-view=signin]").hidden`
}

// TestMarkdownRenderer: in a real page, hostile Markdown yields no script,
// no event handler and no javascript: or data: link, and a note of 100,000
// unclosed brackets renders quickly.
func TestMarkdownRenderer(t *testing.T) {
	env := browsertest.Start(t, browsertest.Options{})
	tab := env.NewTab(t)
	tab.Open(env.HomeURL() + "/")
	homeForm(t, tab, "signup")
	got := browsertest.Eval[string](tab, `(async () => {
		const { renderMarkdown } = await import("/markdown.js");
		const div = document.createElement("div");
		div.append(renderMarkdown([
			"<script>window.pwned = 1</script>",
			"<img src=x onerror=\"window.pwned = 2\">",
			"[click](javascript:window.pwned=3) [data](data:text/html,hi) [ok](https://example.org/a?b=c)",
			"> > > > > deep",
			"**bold *and em* \u0060code\u0060** _under_ [**nested**](mailto:a@b.c)",
		].join("\n\n")));
		const start = performance.now();
		renderMarkdown("[".repeat(100000) + "*".repeat(50000) + "\u0060 ".repeat(20000));
		const ms = performance.now() - start;
		const hrefs = [...div.querySelectorAll("a")].map(a => a.getAttribute("href")).join(" ");
		return JSON.stringify({ scripts: div.querySelectorAll("script,img,iframe").length,
			handlers: [...div.querySelectorAll("*")].filter(e => [...e.attributes].some(a => a.name.startsWith("on"))).length,
			hrefs, strong: div.querySelectorAll("strong em, strong code").length, pwned: window.pwned || 0, slow: ms > 1000 });
	})()`)
	want := `{"scripts":0,"handlers":0,"hrefs":"https://example.org/a?b=c mailto:a@b.c","strong":2,"pwned":0,"slow":false}`
	if got != want {
		t.Fatalf("rendered %s\nwant     %s", got, want)
	}
}

// atRestSize returns the size member of the keys-at-rest report, which
// varies with the state's length.
func atRestSize(report string) string {
	_, after, _ := strings.Cut(report, `"size":`)
	n, _, _ := strings.Cut(after, ",")
	return n
}

// vaultKeys lists, comma-separated, the records of Hearth's IndexedDB
// vault at a page's origin, without making the
// database when there is none (indexedDB.open would, with no store, and
// the worker would then delete and make it again), and closing what it
// opened (an open connection blocks the worker's upgrades and deletes).
const vaultKeys = `(async () => { const dbs = await indexedDB.databases(); if (!dbs.some(d => d.name === "hearth")) return "";
	return new Promise(r => { const q = indexedDB.open("hearth"); q.onsuccess = () => { const db = q.result;
	if (!db.objectStoreNames.contains("vault")) { db.close(); return r(""); } const c = db.transaction("vault").objectStore("vault").getAllKeys();
	c.onsuccess = () => { db.close(); r(c.result.map(String).sort().join(",")); }; }; q.onerror = () => r("error"); }); })()`
