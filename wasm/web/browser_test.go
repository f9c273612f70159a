package web_test

import (
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hearthcloud/hearth/wasm/web"
	"github.com/hearthcloud/hearth/wasm/web/browsertest"
)

// smokeSite is the harness test's own placeholder site (testdata/smoke)
// with the smallest WebAssembly module as hearth.wasm.
func smokeSite() web.Config {
	return web.Config{Static: os.DirFS("testdata/smoke"),
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
	dev.Open("http://todo.alice.localhost:" + strings.TrimPrefix(env.HomeURL(), "http://localhost:") + "/")
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline) && len(dev.Problems()) == 0; time.Sleep(100 * time.Millisecond) {
	}
	if p := dev.Problems(); len(p) == 0 || !strings.Contains(strings.Join(p, "\n"), "404") {
		t.Errorf("unknown app: problems %q", p)
	}
	tab.Allow(".")
	dev.Allow(".")
}
