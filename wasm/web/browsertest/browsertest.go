// Package browsertest runs the web client in headless Chromium for tests
// (spec/web.md §6). Start serves hearthd in-process on a loopback port and
// starts a browser; each Tab collects console errors, uncaught exceptions,
// error entries of the browser log (failed loads, CSP reports) and CSP
// violations (a securitypolicyviolation listener the harness adds to every
// document), from the page and from its dedicated workers, and fails the
// test at its end if any arrived that Allow did not excuse.
//
// A browser test:
//
//	func TestSomething(t *testing.T) {
//		env := browsertest.Start(t, browsertest.Options{})
//		tab := env.NewTab(t)
//		tab.Open(env.HomeURL() + "/")
//		tab.Do(chromedp.WaitVisible(chromedp.CSS("#signin")))
//		title := browsertest.Eval[string](tab, `document.title`)
//		tab.Screenshots("home")          // <folder>/<TestName>/home-phone.png, home-desktop.png
//		notes := env.NewTab(t)           // same browser profile (one device)
//		notes.Open(env.AppURL("notes", "alice") + "/")
//		other := env.NewDevice(t).NewTab(t) // a separate profile (a second device)
//		...
//	}
//
// The tests skip only on systems other than Linux. On Linux, Chromium is
// installed with apt-get when /usr/bin/chromium is missing (as root), or
// the test fails saying how to install it. Screenshots go to
// $HEARTH_SCREENSHOTS/<TestName>/, by default
// $TMPDIR/hearth-screenshots/<TestName>/; the folder is logged.
package browsertest

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/hearthcloud/hearth/server"
	"github.com/hearthcloud/hearth/server/auth"
	"github.com/hearthcloud/hearth/server/site"

	// The web client the server serves (site.Register).
	_ "github.com/hearthcloud/hearth/wasm/web"
)

// Chromium is the browser the tests run.
const Chromium = "/usr/bin/chromium"

// Options configure Start.
type Options struct {
	// Domain is the base domain: "" for localhost (Home at
	// home.localhost). A subdomain of localhost (hearth.localhost) is a
	// registrable domain to the browser, as a deployment's would be (its
	// apps' origins are its subdomains, and Home's host too).
	Domain string
	// Web configures the site; its Domain is Options.Domain. Static and
	// Dist replace the registered files (a test's own pages).
	Web site.Config
	// Dir is the data folder; "" for a temporary one.
	Dir string
	// Log receives the server's log; nil discards it.
	Log *slog.Logger
	// Wrap, if set, wraps the server's handler (to record requests).
	Wrap func(http.Handler) http.Handler
	// Server, if set, changes the server's configuration (sign-up mode,
	// quotas) before it opens.
	Server func(*server.Config)
}

// Env is a running server and browser.
type Env struct {
	Server  *server.Server
	Port    int
	Domain  string // the base domain (Options.Domain); Home is at home.<Domain>
	Dir     string // data folder
	Shots   string // screenshot folder of this test
	t       testing.TB
	browser context.Context // the browser and its first (blank) tab
	cfg     server.Config
	wrap    func(http.Handler) http.Handler
	hs      *http.Server
}

var install struct {
	sync.Once
	err error
}

// EnsureChromium installs Chromium from Debian when it is missing (as root).
func EnsureChromium() error {
	install.Do(func() {
		if _, err := os.Stat(Chromium); err == nil {
			return
		}
		if os.Geteuid() != 0 {
			install.err = fmt.Errorf("%s is missing: apt-get install -y chromium (or make chromium)", Chromium)
			return
		}
		run := func(args ...string) error {
			cmd := exec.Command("apt-get", args...)
			cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
			if out, err := cmd.CombinedOutput(); err != nil {
				return fmt.Errorf("apt-get %s: %v\n%s", strings.Join(args, " "), err, out)
			}
			return nil
		}
		if err := run("install", "-y", "-qq", "chromium"); err != nil {
			if err := run("update", "-qq"); err != nil {
				install.err = err
				return
			}
			install.err = run("install", "-y", "-qq", "chromium")
		}
	})
	return install.err
}

// Start serves hearthd (server.Open, its Handler on 127.0.0.1:0) and starts
// headless Chromium with a fresh profile. Everything stops when the test
// ends. It skips the test on systems other than Linux.
func Start(t testing.TB, opt Options) *Env {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("browser tests run on Linux (Chromium from Debian)")
	}
	if err := EnsureChromium(); err != nil {
		t.Fatal(err)
	}
	e := &Env{t: t, Dir: opt.Dir}
	if e.Dir == "" {
		e.Dir = t.TempDir()
	}
	log := opt.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	e.Domain = opt.Domain
	if e.Domain == "" {
		e.Domain = "localhost"
	}
	opt.Web.Domain = e.Domain
	cfg := server.Config{Dir: e.Dir, Log: log, Web: opt.Web, Hash: auth.HashParams{Memory: 64, Time: 1, Threads: 1}}
	if opt.Server != nil {
		opt.Server(&cfg)
	}
	e.cfg, e.wrap = cfg, opt.Wrap
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.Port = ln.Addr().(*net.TCPAddr).Port
	if err := e.serve(ln); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		e.hs.Shutdown(ctx)
		e.Server.Close()
	})

	base := os.Getenv("HEARTH_SCREENSHOTS")
	if base == "" {
		base = filepath.Join(os.TempDir(), "hearth-screenshots")
	}
	e.Shots = filepath.Join(base, regexp.MustCompile(`[^A-Za-z0-9_.-]+`).ReplaceAllString(t.Name(), "_"))

	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(Chromium),
			chromedp.NoSandbox,
			chromedp.Flag("disable-quic", true),
			chromedp.Flag("no-proxy-server", true),
			chromedp.Flag("disable-gpu", true),
			chromedp.UserDataDir(t.TempDir()),
			chromedp.WindowSize(1280, 800),
		)...)
	browser, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc() })
	if err := chromedp.Do(browser); err != nil { // starts the browser
		t.Fatalf("starting %s: %v", Chromium, err)
	}
	e.browser = browser
	return e
}

// serve opens the server on the data folder and serves it on ln.
func (e *Env) serve(ln net.Listener) error {
	srv, err := server.Open(context.Background(), e.cfg)
	if err != nil {
		ln.Close()
		return err
	}
	e.Server = srv
	h := srv.Handler()
	if e.wrap != nil {
		h = e.wrap(h)
	}
	e.hs = server.HTTPServer(h, e.cfg.Log)
	e.hs.RegisterOnShutdown(srv.API.Close)
	go e.hs.Serve(ln)
	return nil
}

// Kill stops the server at once, as a crash would to its clients: every
// connection is cut, nothing more is answered. Restart brings it back.
func (e *Env) Kill() {
	e.t.Helper()
	e.hs.Close()
	e.Server.API.Close()
	if err := e.Server.Close(); err != nil {
		e.t.Logf("closing the server: %v", err)
	}
}

// Restart opens the server again on the same data folder and port, after
// Kill.
func (e *Env) Restart() {
	e.t.Helper()
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", e.Port))
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.serve(ln); err != nil {
		e.t.Fatal(err)
	}
}

// HomeURL is Home's origin: http://home.localhost:PORT (or
// home.<Options.Domain>), for the browser; Go does not resolve it
// (ServerURL).
func (e *Env) HomeURL() string {
	return fmt.Sprintf("http://%s.%s:%d", site.HomeLabel, e.Domain, e.Port)
}

// ServerURL is the server's address for Go-side clients: the loopback
// literal http://127.0.0.1:PORT, where the API answers as at Home's host
// (spec/web.md §1), and which Go reaches without resolving a name.
func (e *Env) ServerURL() string { return fmt.Sprintf("http://127.0.0.1:%d", e.Port) }

// AppURL is the origin of a user's app: http://APP.USER.localhost:PORT.
func (e *Env) AppURL(app, user string) string {
	return fmt.Sprintf("http://%s.%s.%s:%d", app, user, e.Domain, e.Port)
}

// Client is an HTTP client for Go-side requests to the server under any of
// its host names (Go does not resolve *.localhost: it dials the loopback
// port whatever the host).
func (e *Env) Client() *http.Client {
	addr := fmt.Sprintf("127.0.0.1:%d", e.Port)
	var d net.Dialer
	return &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return d.DialContext(ctx, "tcp", addr)
	}}, Timeout: 30 * time.Second}
}

// Device is a browser profile of its own (a separate browser context: its
// own storage, as a second device would have).
type Device struct {
	env *Env
	ctx context.Context // a tab in the new browser context
}

// NewDevice makes a separate browser context.
func (e *Env) NewDevice(t testing.TB) *Device {
	t.Helper()
	ctx, cancel := chromedp.NewContext(e.browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	return &Device{env: e, ctx: ctx}
}

// NewTab opens a tab in the device's browser context.
func (d *Device) NewTab(t testing.TB) *Tab { return d.env.newTab(t, d.ctx) }

// NewTab opens a tab in the default browser context.
func (e *Env) NewTab(t testing.TB) *Tab { return e.newTab(t, e.browser) }

// Tab is one browser tab; Ctx runs chromedp actions on it.
type Tab struct {
	Ctx context.Context
	env *Env
	t   testing.TB

	mu       sync.Mutex
	problems []string
	allowed  []*regexp.Regexp
	workers  map[target.ID]bool
}

// Timeout bounds each Open and Do of a Tab.
var Timeout = 60 * time.Second

// cspReporter runs in every document before its own scripts (the CSP does
// not apply to scripts the DevTools protocol adds).
const cspReporter = `addEventListener("securitypolicyviolation", (e) =>
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline") +
    " at " + e.sourceFile + ":" + e.lineNumber));`

func (e *Env) newTab(t testing.TB, parent context.Context) *Tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(parent)
	tab := &Tab{Ctx: ctx, env: e, t: t, workers: map[target.ID]bool{},
		// The browser asks for /favicon.ico by itself; a page without an
		// icon is not an error of the page.
		allowed: []*regexp.Regexp{regexp.MustCompile(`status of 404 .* http://[^ ]*/favicon\.ico$`)}}
	if err := chromedp.Listen(ctx, tab.collect("page")); err != nil {
		cancel()
		t.Fatal(err)
	}
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: cspReporter})
		return err
	}))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	// Dedicated workers are targets of their own: attach to each and
	// collect its messages too (those of its first instants may be missed;
	// a worker should also report failures to its page).
	chromedp.ListenBrowser(ctx, func(ev any) {
		created, ok := ev.(*target.EventTargetCreated)
		if !ok || created.TargetInfo.Type != "worker" {
			return
		}
		tab.mu.Lock()
		seen := tab.workers[created.TargetInfo.TargetID]
		tab.workers[created.TargetInfo.TargetID] = true
		tab.mu.Unlock()
		if !seen {
			go tab.attachWorker(created.TargetInfo.TargetID, created.TargetInfo.URL)
		}
	})
	t.Cleanup(func() {
		tab.Check()
		cancel()
	})
	return tab
}

func (tab *Tab) attachWorker(id target.ID, url string) {
	wctx, _ := chromedp.NewContext(tab.Ctx, chromedp.WithTargetID(id))
	if err := chromedp.Listen(wctx, tab.collect("worker "+url)); err != nil {
		return // the worker may have ended (or belongs to another tab)
	}
	// chromedp enables the Network domain of each target it attaches to,
	// which has the browser keep and send over the protocol what the
	// worker's requests carry (each piece of an upload): not what a
	// person's browser does, and many times slower (BENCHMARKS.md, Issue 16
	// in the browser). Nothing here listens to network events.
	chromedp.Run(wctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, network.Disable, cdp.Empty{})
		return err
	}))
}

// collect turns console errors, exceptions, error log entries and CSP
// reports into problems.
func (tab *Tab) collect(where string) func(ev any) {
	return func(ev any) {
		var msg string
		switch ev := ev.(type) {
		case *cdpruntime.EventConsoleAPICalled:
			if ev.Type != cdpruntime.ConsoleAPICalledTypeError && ev.Type != cdpruntime.ConsoleAPICalledTypeAssert {
				return
			}
			var parts []string
			for _, a := range ev.Args {
				switch {
				case len(a.Value) > 0:
					parts = append(parts, strings.Trim(string(a.Value), `"`))
				case a.Description != "":
					parts = append(parts, a.Description)
				default:
					parts = append(parts, string(a.Type))
				}
			}
			msg = "console." + string(ev.Type) + ": " + strings.Join(parts, " ")
		case *cdpruntime.EventExceptionThrown:
			d := ev.ExceptionDetails
			msg = "uncaught: " + d.Text
			if d.Exception != nil && d.Exception.Description != "" {
				msg += " " + d.Exception.Description
			}
			if d.URL != "" {
				msg += fmt.Sprintf(" (%s:%d)", d.URL, d.LineNumber+1)
			}
		case *cdplog.EventEntryAdded:
			if ev.Entry.Level != cdplog.EntryLevelError {
				return
			}
			msg = "log (" + string(ev.Entry.Source) + "): " + ev.Entry.Text
			if ev.Entry.URL != "" {
				msg += " " + ev.Entry.URL
			}
		default:
			return
		}
		tab.mu.Lock()
		tab.problems = append(tab.problems, where+": "+msg)
		tab.mu.Unlock()
	}
}

// Allow excuses problems matching the regular expression (a test that
// provokes an error on purpose).
func (tab *Tab) Allow(pattern string) {
	tab.mu.Lock()
	tab.allowed = append(tab.allowed, regexp.MustCompile(pattern))
	tab.mu.Unlock()
}

// Problems returns the problems collected so far that Allow does not excuse.
func (tab *Tab) Problems() []string {
	tab.mu.Lock()
	defer tab.mu.Unlock()
	var out []string
next:
	for _, p := range tab.problems {
		for _, re := range tab.allowed {
			if re.MatchString(p) {
				continue next
			}
		}
		out = append(out, p)
	}
	return out
}

// Check reports each problem as a test error and forgets it. It runs when
// the test ends; call it earlier to pin a problem to a step.
func (tab *Tab) Check() {
	tab.t.Helper()
	for _, p := range tab.Problems() {
		tab.t.Errorf("browser: %s", p)
	}
	tab.mu.Lock()
	tab.problems = nil
	tab.mu.Unlock()
}

// Open navigates to url and waits for its load event.
func (tab *Tab) Open(url string) {
	tab.t.Helper()
	ctx, cancel := context.WithTimeout(tab.Ctx, Timeout)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		tab.t.Fatalf("open %s: %v", url, err)
	}
}

// WaitOrigin waits until the tab's page is at origin (after a click that
// navigates, possibly through other pages): a wait for an element started
// while the old page is still up can miss the new one.
func (tab *Tab) WaitOrigin(origin string) {
	tab.t.Helper()
	deadline := time.Now().Add(Timeout)
	for {
		ctx, cancel := context.WithTimeout(tab.Ctx, time.Second)
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.readyState === "loading" ? "" : location.origin`))
		cancel()
		if err == nil && v == origin {
			return
		}
		if time.Now().After(deadline) {
			tab.t.Fatalf("the page never reached %s (last at %q, %v; problems so far: %q)", origin, v, err, tab.Problems())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// WaitTrue waits until the JavaScript expression is true in the tab's
// page, through navigations (an evaluation that fails while a page goes
// counts as false).
func (tab *Tab) WaitTrue(expr string) {
	tab.t.Helper()
	deadline := time.Now().Add(Timeout)
	for {
		ctx, cancel := context.WithTimeout(tab.Ctx, time.Second)
		v, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { try { return !!(`+expr+`); } catch { return false; } })()`))
		cancel()
		if err == nil && v {
			return
		}
		if time.Now().After(deadline) {
			tab.t.Fatalf("never true: %s (%v; problems so far: %q)", expr, err, tab.Problems())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Do runs actions, failing the test on an error.
func (tab *Tab) Do(actions ...chromedp.Action[chromedp.Void]) {
	tab.t.Helper()
	ctx, cancel := context.WithTimeout(tab.Ctx, Timeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tab.t.Fatalf("browser: %v (problems so far: %q)", err, tab.Problems())
	}
}

// Eval evaluates a JavaScript expression in the tab (awaiting a promise)
// and returns its value, failing the test on an error.
func Eval[T any](tab *Tab, expr string) T {
	tab.t.Helper()
	ctx, cancel := context.WithTimeout(tab.Ctx, Timeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		tab.t.Fatalf("eval %s: %v (problems so far: %q)", expr, err, tab.Problems())
	}
	return v
}

// Sizes of the screenshots (spec/web.md §6).
var (
	Phone   = [2]int64{390, 844}
	Desktop = [2]int64{1280, 800}
)

// Screenshots saves the tab at phone and desktop sizes as
// <Shots>/<name>-phone.png and <name>-desktop.png, leaving it at the
// desktop size. With a CSS selector, the element it selects is scrolled
// into view at each size first.
func (tab *Tab) Screenshots(name string, scrollTo ...string) {
	tab.t.Helper()
	if err := os.MkdirAll(tab.env.Shots, 0o755); err != nil {
		tab.t.Fatal(err)
	}
	for _, s := range []struct {
		kind string
		size [2]int64
		opts []chromedp.EmulateViewportOption
	}{
		{"phone", Phone, []chromedp.EmulateViewportOption{chromedp.EmulateScale(2), chromedp.EmulateMobile}},
		{"desktop", Desktop, nil},
	} {
		var png []byte
		tab.Do(chromedp.EmulateViewport(s.size[0], s.size[1], s.opts...),
			chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				// Let layout settle after the resize.
				time.Sleep(150 * time.Millisecond)
				for _, sel := range scrollTo {
					js := `(() => { const e = document.querySelector(` + strconv.Quote(sel) + `); if (e) e.scrollIntoView({ block: "center" }); return true; })()`
					if _, err := chromedp.Evaluate[bool](js)(ctx, tg); err != nil {
						return err
					}
					time.Sleep(50 * time.Millisecond)
				}
				var err error
				png, err = chromedp.CaptureScreenshot()(ctx, tg)
				return err
			}))
		p := filepath.Join(tab.env.Shots, name+"-"+s.kind+".png")
		if err := os.WriteFile(p, png, 0o644); err != nil {
			tab.t.Fatal(err)
		}
	}
	tab.t.Logf("screenshots: %s/%s-{phone,desktop}.png", tab.env.Shots, name)
	tab.Axe(name)
}

// ScreenshotsOf is Screenshots with the element sel (a CSS selector; ""
// for none) scrolled into view at each size.
func (tab *Tab) ScreenshotsOf(name, sel string) {
	tab.t.Helper()
	if sel == "" {
		tab.Screenshots(name)
		return
	}
	tab.Screenshots(name, sel)
}
