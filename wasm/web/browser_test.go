package web_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hearthcloud/hearth/server/site"
	"github.com/hearthcloud/hearth/wasm/web/browsertest"
)

// smokeSite is the harness test's own placeholder site (testdata/smoke)
// with the smallest WebAssembly module as hearth.wasm.
func smokeSite() site.Config {
	return site.Config{Static: os.DirFS("testdata/smoke"),
		Dist: fstest.MapFS{"hearth.wasm": &fstest.MapFile{Data: emptyWasm}}}
}

// TestBrowserSmoke: Home and an app page load in Chromium with their
// integrity attributes, CSPs and worker; the worker checks and instantiates
// hearth.wasm; both call the API (the app cross-origin); no console error
// and no CSP violation; screenshots at both sizes.
func TestBrowserSmoke(t *testing.T) {
	env := browsertest.Start(t, browsertest.Options{Web: smokeSite()})
	for _, c := range []struct{ name, url string }{
		{"home", env.HomeURL() + "/"},
		{"notes", env.AppURL("notes", "alice") + "/"},
	} {
		tab := env.NewTab(t)
		tab.Open(c.url)
		tab.Do(chromedp.WaitVisible(chromedp.CSS("body[data-result]")))
		if got := browsertest.Eval[string](tab, `document.body.dataset.result`); got != "wasm 0 exports; api 200" {
			t.Errorf("%s: %s", c.name, got)
		}
		if got := browsertest.Eval[string](tab, `getComputedStyle(document.body).backgroundColor`); got != "rgb(246, 245, 242)" {
			t.Errorf("%s: the stylesheet did not apply: %s", c.name, got)
		}
		tab.Screenshots(c.name)
		tab.Check()
	}
	for _, kind := range []string{"phone", "desktop"} {
		if fi, err := os.Stat(env.Shots + "/notes-" + kind + ".png"); err != nil || fi.Size() < 1000 {
			t.Errorf("screenshot %s: %v", kind, err)
		}
	}
}

// TestBrowserBaseDomainGoesHome: in Chromium, the base domain and the
// loopback address lead to Home's host with the path, the query and the
// fragment (a #connect?… link made for the old address keeps working),
// and the page that loads there is Home's (spec/web.md §1).
func TestBrowserBaseDomainGoesHome(t *testing.T) {
	env := browsertest.Start(t, browsertest.Options{Web: smokeSite()})
	port := strings.TrimPrefix(env.ServerURL(), "http://127.0.0.1:")
	for _, base := range []string{"http://localhost:" + port, env.ServerURL()} {
		tab := env.NewTab(t)
		tab.Open(base + "/?q=a%20b#connect?app=notes&user=alice")
		tab.WaitTrue(`location.href === ` + jsString(env.HomeURL()+"/?q=a%20b#connect?app=notes&user=alice") + ` && !!document.body.dataset.result`)
		if got := browsertest.Eval[string](tab, `document.body.dataset.result`); got != "wasm 0 exports; api 200" {
			t.Errorf("%s: %s", base, got)
		}
		tab.Check()
	}
}

// TestBrowserHarnessCatches: a CSP violation in a page and a console error
// in a worker are reported.
func TestBrowserHarnessCatches(t *testing.T) {
	env := browsertest.Start(t, browsertest.Options{Web: smokeSite()})
	tab := env.NewTab(t)
	tab.Open(env.HomeURL() + "/bad.html")
	tab.Do(chromedp.WaitReady(chromedp.CSS("body[data-done]")))
	var problems []string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		problems = tab.Problems()
		all := strings.Join(problems, "\n")
		if strings.Contains(all, "CSP violation: style-src-attr") && strings.Contains(all, "worker boom") {
			break
		}
	}
	all := strings.Join(problems, "\n")
	if !strings.Contains(all, "CSP violation: style-src-attr") || !strings.Contains(all, "worker boom") {
		t.Errorf("problems: %q", problems)
	}
	// The second device, and a page of an unknown app: a 404 is a problem.
	dev := env.NewDevice(t).NewTab(t)
	dev.Open(env.AppURL("todo", "alice") + "/")
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline) && len(dev.Problems()) == 0; time.Sleep(100 * time.Millisecond) {
	}
	if p := dev.Problems(); len(p) == 0 || !strings.Contains(strings.Join(p, "\n"), "404") {
		t.Errorf("unknown app: problems %q", p)
	}
	tab.Allow(".")
	dev.Allow(".")
}

// tamper wraps a handler so that the file at urlPath (any query) is served
// with other bytes than those its hash names.
func tamper(urlPath string, change func([]byte) []byte) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != urlPath {
				next.ServeHTTP(w, r)
				return
			}
			r.Header.Del("Accept-Encoding")
			r.Header.Del("If-None-Match")
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.Header().Del("Content-Length")
			w.Header().Del("ETag")
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(rec.Code)
			w.Write(change(rec.Body.Bytes()))
		})
	}
}

// TestBrowserModuleIntegrity: a module reached only through import runs
// only if its bytes match the integrity of the page's modulepreload; one
// that does not is refused, and neither it nor the module importing it
// runs.
func TestBrowserModuleIntegrity(t *testing.T) {
	f := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	page := func(dep string) string {
		return `<!doctype html><html><head><meta charset="utf-8"><title>Modules</title>
<link rel="modulepreload" href="/` + dep + `.js"><script type="module" src="/` + dep + `-main.js"></script>
</head><body></body></html>`
	}
	main := func(dep string) string {
		return `import { mark } from "./` + dep + `.js"; document.body.dataset.result = "main ran with " + mark;`
	}
	const dep = `export const mark = "genuine"; document.body.dataset.dep = mark;`
	st := fstest.MapFS{
		"index.html": f(page("dep")), "dep-main.js": f(main("dep")), "dep.js": f(dep),
		"ok.html": f(page("ok")), "ok-main.js": f(main("ok")), "ok.js": f(dep),
	}
	env := browsertest.Start(t, browsertest.Options{Web: site.Config{Static: st, Dist: fstest.MapFS{}},
		Wrap: tamper("/dep.js", func(b []byte) []byte { return bytes.ReplaceAll(b, []byte("genuine"), []byte("tampered")) })})

	tab := env.NewTab(t)
	tab.Open(env.HomeURL() + "/ok.html")
	tab.Do(chromedp.WaitReady(chromedp.CSS("body[data-result]")))
	if got := browsertest.Eval[string](tab, `document.body.dataset.result + "; " + document.body.dataset.dep`); got != "main ran with genuine; genuine" {
		t.Errorf("untampered: %s", got)
	}
	tab.Check()

	tab.Open(env.HomeURL() + "/")
	var all string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline) && !strings.Contains(all, "integrity"); time.Sleep(100 * time.Millisecond) {
		all = strings.Join(tab.Problems(), "\n")
	}
	if !strings.Contains(all, "integrity") {
		t.Errorf("no integrity error reported: %q", all)
	}
	t.Logf("reported: %s", all)
	tab.Allow("integrity|dep.js")
	time.Sleep(300 * time.Millisecond)
	if got := browsertest.Eval[string](tab, `JSON.stringify(document.body.dataset)`); got != "{}" {
		t.Errorf("tampered module ran: %s", got)
	}
}

// TestBrowserWorkerTampered: a worker script whose bytes do not match the
// SHA-384 hearth.js holds is not started; Hearth.open rejects with code
// "integrity", and Home says so.
func TestBrowserWorkerTampered(t *testing.T) {
	env := browsertest.Start(t, browsertest.Options{
		Wrap: tamper("/"+site.WorkerName, func(b []byte) []byte { return append(b, "\nconsole.log('tampered');\n"...) })})
	tab := env.NewTab(t)
	tab.Open(env.HomeURL() + "/")
	tab.Do(chromedp.WaitVisible(chromedp.CSS(".message.error")))
	if got := browsertest.Eval[string](tab, `document.querySelector(".message.error").textContent`); !strings.Contains(got, "Integrity check failed") {
		t.Errorf("Home says: %s", got)
	}
	got := browsertest.Eval[string](tab, `import("/hearth.js").then(m => m.Hearth.open({ server: location.origin })).then(() => "opened", e => e.code + ": " + e.message)`)
	if got != "integrity: the Hearth worker script does not match its SHA-384: not started" {
		t.Errorf("Hearth.open: %s", got)
	}
	// The page fetches hearth.wasm while it checks the worker (Hearth.open
	// hands the bytes over), at most once a call; a worker that never
	// started fetches it no more.
	if n := browsertest.Eval[int](tab, `performance.getEntriesByType("resource").filter(e => e.name.includes("hearth.wasm")).length`); n > 2 {
		t.Errorf("hearth.wasm was fetched %d times for two opens", n)
	}
}
