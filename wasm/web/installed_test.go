package web_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/hearthcloud/hearth/server/site"
)

// fakeInstalled is an in-memory site.Installed: archives by user and slug.
type fakeInstalled struct {
	mu    sync.Mutex
	apps  map[string]fstest.MapFS // by "user/slug"
	err   error                   // InstalledApp fails with it when set
	calls atomic.Int32            // calls of files()
	// filesErr, when set, is returned by the next call of files().
	filesErr error
	// slow delays files() (concurrent first requests).
	slow time.Duration
}

func (f *fakeInstalled) install(user, slug string, files fstest.MapFS) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.apps == nil {
		f.apps = map[string]fstest.MapFS{}
	}
	f.apps[user+"/"+slug] = files
}

func (f *fakeInstalled) uninstall(user, slug string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.apps, user+"/"+slug)
}

// digest stands for the archive's SHA-256: a hash of the files' names and
// bytes.
func digest(files fstest.MapFS) [32]byte {
	h := sha256.New()
	for _, name := range slices.Sorted(maps.Keys(files)) {
		fmt.Fprintf(h, "%q %q\n", name, files[name].Data)
	}
	var d [32]byte
	h.Sum(d[:0])
	return d
}

func (f *fakeInstalled) InstalledApp(ctx context.Context, user, slug string) ([32]byte, func() (fs.FS, error), error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return [32]byte{}, nil, f.err
	}
	files, ok := f.apps[user+"/"+slug]
	if !ok {
		return [32]byte{}, nil, fmt.Errorf("app %s of %s: %w", slug, user, fs.ErrNotExist)
	}
	return digest(files), func() (fs.FS, error) {
		f.calls.Add(1)
		time.Sleep(f.slow)
		f.mu.Lock()
		err := f.filesErr
		f.filesErr = nil
		f.mu.Unlock()
		if err != nil {
			return nil, err
		}
		return files, nil
	}, nil
}

// installedStatic is testStatic with Hearth's shared scripts: hearth.js
// (which imports a module and names the worker) and the worker.
func installedStatic() fstest.MapFS {
	f := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	st := testStatic()
	st["hearth.js"] = f(`import "./shared.js";` + "\n" + `const WORKER_URL = /*@hearth-worker-url*/"/hearth-worker.js";` + "\n" +
		`const WORKER_SRI = /*@hearth-worker-sri*/"";` + "\n" + `export const Hearth = {};` + "\n")
	st[site.WorkerName] = f("\"use strict\";\nimportScripts(\"/wasm_exec.js\");\nonmessage = () => {};\n")
	return st
}

// todoApp is an app as an archive holds it.
func todoApp() fstest.MapFS {
	f := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	return fstest.MapFS{
		"hearth-app.json": f(`{"slug": "todo", "name": "Todo", "entry": "index.html"}`),
		"index.html": f(`<!doctype html><html><head><meta charset="utf-8">
<meta name="hearth-wasm-sri" content=""><meta name="hearth-worker-sri" content="">
<link rel="stylesheet" href="/style.css"><link rel="stylesheet" href="app.css">
<script type="module" src="/hearth.js"></script>
<script type="module" src="./js/app.js"></script>
</head><body><p>Todo</p></body></html>`),
		"lists/index.html": f(`<!doctype html><script type="module" src="/js/app.js"></script><p>Lists</p>`),
		"js/app.js": f(`import { x } from "./util.js"; import { Hearth } from "/hearth.js";` + "\n" +
			strings.Repeat("// padding so that compression pays\n", 50)),
		"js/util.js":       f(`export const x = 1;`),
		"app.css":          f(`p { color: green }`),
		"big.bin":          f(strings.Repeat("0123456789abcdef", 20000)), // over 256 KiB
		".hidden":          f(`secret`),
		"_private/note.js": f(`secret`),
	}
}

func newInstalledSite(t *testing.T, inst site.Installed) *site.Site {
	t.Helper()
	dist := testDist(t)
	dist[site.ExecName] = &fstest.MapFile{Data: []byte("\"use strict\";\n(() => { globalThis.Go = class {}; })();\n")}
	s, err := site.New(site.Config{Static: installedStatic(), Dist: dist, Installed: inst})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestInstalledApp: an app installed from an archive is served at its
// origin for the user who installed it, its pages rendered as bundled
// pages are, with the shared files under its own.
func TestInstalledApp(t *testing.T) {
	inst := &fakeInstalled{}
	inst.install("alice", "todo", todoApp())
	s := newInstalledSite(t, inst)
	const host = "todo.alice.localhost:8080"

	checkPageSRI(t, s, host, "/")
	checkPageSRI(t, s, host, "/lists/")
	checkWorker(t, s, host)
	page := get(s, host, "/")
	body := page.Body.String()
	if !strings.Contains(body, "<p>Todo</p>") {
		t.Fatalf("page: %s", body)
	}
	hearthJS, _ := s.Bytes("hearth.js")
	style, _ := s.Bytes("style.css")
	for _, want := range []string{
		`<script type="module" src="/hearth.js" integrity="` + sri(hearthJS) + `">`,
		`<link rel="stylesheet" href="/style.css" integrity="` + sri(style) + `">`,
		`<link rel="stylesheet" href="app.css" integrity="` + sri([]byte(todoApp()["app.css"].Data)) + `">`,
		`<script type="module" src="./js/app.js" integrity="` + sri(todoApp()["js/app.js"].Data) + `">`,
		`<meta name="hearth-wasm-sri" content="` + sri(emptyWasm) + `">`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s:\n%s", want, body)
		}
	}
	im := checkImportMap(t, s, host, "/", page)
	for _, u := range []string{"/js/util.js", "/hearth.js", "/shared.js"} {
		if im[u] == "" {
			t.Errorf("import map lacks %s: %v", u, im)
		}
	}
	if got := get(s, host, "/hearth.js").Body.Bytes(); !bytes.Equal(got, hearthJS) {
		t.Errorf("hearth.js at the app: %q", got)
	}

	// Headers as for a bundled app.
	for _, p := range []string{"/", "/js/app.js", "/hearth.js", "/style.css", "/hearth.wasm", "/hearth-app.json"} {
		res := get(s, host, p)
		csp := importMapHashRE.ReplaceAllString(res.Header().Get("Content-Security-Policy"), "")
		if res.Code != 200 || csp != appCSP || res.Header().Get("X-Content-Type-Options") != "nosniff" ||
			res.Header().Get("Cross-Origin-Opener-Policy") != "same-origin" || res.Header().Get("ETag") == "" ||
			res.Header().Get("Cache-Control") != "no-cache" || res.Header().Get("Vary") != "Accept-Encoding" {
			t.Errorf("%s: %d %v", p, res.Code, res.Header())
		}
	}
	if ct := get(s, host, "/js/app.js").Header().Get("Content-Type"); ct != "text/javascript; charset=utf-8" {
		t.Errorf("app.js: %s", ct)
	}

	// Paths.
	for _, c := range []struct {
		host, path string
		code       int
	}{
		{host, "/index.html", 200},
		{host, "/app.css", 200},
		{host, "/js/util.js", 200},
		{host, "/big.bin", 200},
		{host, "/home.js", 200},             // shared
		{host, "/about.html", 404},          // Home's pages stay Home's
		{host, "/notes/", 404},              // nor a bundled app's
		{host, "/notes/notes.js", 404},      //
		{host, "/todo/index.html", 404},     // no nesting
		{host, "/.hidden", 404},             // skipped
		{host, "/_private/note.js", 404},    //
		{host, "/v1/accounts", 404},         //
		{host, "/wasm_exec.js", 404},        // within the worker
		{"home.localhost", "/app.css", 404}, // the app's files stay the app's
		{"home.localhost", "/todo/", 404},   //
		{"notes.alice.localhost", "/app.css", 404},
		{"todo.bob.localhost", "/", 404}, // bob has not installed it
		{"todo.bob.localhost", "/hearth.js", 404},
		{"nope.alice.localhost", "/", 404}, // not installed at all
	} {
		if got := get(s, c.host, c.path).Code; got != c.code {
			t.Errorf("%s%s: %d, want %d", c.host, c.path, got, c.code)
		}
	}
	if got := get(s, host, "/").Body.String(); strings.Contains(got, "<p>Home</p>") {
		t.Error("Home's index.html at the app")
	}
	if !bytes.Equal(get(s, host, "/big.bin").Body.Bytes(), todoApp()["big.bin"].Data) {
		t.Error("big.bin differs")
	}
	// Gzip for the app's files, 304 with the ETag, immutable ?v= URLs.
	res := get(s, host, "/js/app.js", "Accept-Encoding", "gzip, br")
	if res.Header().Get("Content-Encoding") != "gzip" {
		t.Errorf("app.js: Content-Encoding %q", res.Header().Get("Content-Encoding"))
	} else if zr, err := gzip.NewReader(res.Body); err != nil {
		t.Error(err)
	} else if b, err := io.ReadAll(zr); err != nil || !bytes.Equal(b, todoApp()["js/app.js"].Data) {
		t.Errorf("app.js gzip: %v", err)
	}
	for _, p := range []string{"/", "/js/app.js", "/hearth.js"} {
		tag := get(s, host, p, "Accept-Encoding", "gzip").Header().Get("ETag")
		if res := get(s, host, p, "If-None-Match", tag); res.Code != 304 || res.Body.Len() != 0 || res.Header().Get("ETag") == "" {
			t.Errorf("%s If-None-Match %s: %d", p, tag, res.Code)
		}
	}
	utilHash := strings.Trim(get(s, host, "/js/util.js").Header().Get("ETag"), `"`)
	if got := get(s, host, "/js/util.js?v="+utilHash).Header().Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
		t.Errorf("?v=: %q", got)
	}
	// Other methods.
	for method, code := range map[string]int{"HEAD": 200, "OPTIONS": 204, "POST": 405} {
		r := httptest.NewRequest(method, "http://"+host+"/", nil)
		w := httptest.NewRecorder()
		o, _ := s.Origin(host)
		s.Serve(w, r, o)
		if w.Code != code || (method == "HEAD" && w.Body.Len() != 0) {
			t.Errorf("%s: %d", method, w.Code)
		}
	}
	if !s.Bundled("notes") || s.Bundled("todo") {
		t.Error("Bundled")
	}
	// Rendered once for all these requests.
	if n := inst.calls.Load(); n != 1 {
		t.Errorf("files() called %d times", n)
	}

	// An update (a new digest) serves the new files; uninstalling, nothing.
	app := todoApp()
	app["app.css"] = &fstest.MapFile{Data: []byte(`p { color: red }`)}
	inst.install("alice", "todo", app)
	if got := get(s, host, "/app.css").Body.String(); got != `p { color: red }` {
		t.Errorf("after the update: %q", got)
	}
	checkPageSRI(t, s, host, "/")
	if !strings.Contains(get(s, host, "/").Body.String(), sri([]byte(`p { color: red }`))) {
		t.Error("the page names the old app.css")
	}
	if n := inst.calls.Load(); n != 2 {
		t.Errorf("files() called %d times after the update", n)
	}
	inst.uninstall("alice", "todo")
	for _, p := range []string{"/", "/app.css", "/hearth.js"} {
		res := get(s, host, p)
		if res.Code != 404 || res.Header().Get("Content-Security-Policy") != "default-src 'none'; frame-ancestors 'none'" {
			t.Errorf("%s after uninstalling: %d", p, res.Code)
		}
	}
	// The bundled app is served as before.
	checkPageSRI(t, s, "notes.alice.localhost:8080", "/")
}

// TestInstalledAppShadows: an app file of the same path as a shared file
// is served in its place at that app's origin only, and its pages name it.
func TestInstalledAppShadows(t *testing.T) {
	inst := &fakeInstalled{}
	app := todoApp()
	app["style.css"] = &fstest.MapFile{Data: []byte(`body { color: purple }`)}
	inst.install("alice", "todo", app)
	s := newInstalledSite(t, inst)
	if got := get(s, "todo.alice.localhost", "/style.css").Body.String(); got != `body { color: purple }` {
		t.Errorf("todo: style.css %q", got)
	}
	shared, _ := s.Bytes("style.css")
	for _, host := range []string{"home.localhost", "notes.alice.localhost", "todo.bob.localhost"} {
		res := get(s, host, "/style.css")
		if host == "todo.bob.localhost" {
			if res.Code != 404 {
				t.Errorf("%s: %d", host, res.Code)
			}
			continue
		}
		if !bytes.Equal(res.Body.Bytes(), shared) {
			t.Errorf("%s: style.css %q", host, res.Body.String())
		}
	}
	checkPageSRI(t, s, "todo.alice.localhost", "/")
	if page := get(s, "todo.alice.localhost", "/").Body.String(); !strings.Contains(page, `href="/style.css" integrity="`+sri(app["style.css"].Data)+`"`) {
		t.Errorf("page: %s", page)
	}
	checkPageSRI(t, s, "notes.alice.localhost", "/")
}

// TestInstalledAppErrors: no Installed, another error than not installed,
// and a failure to read the files.
func TestInstalledAppErrors(t *testing.T) {
	s := newSite(t, testStatic(), testDist(t))
	if res := get(s, "todo.alice.localhost", "/"); res.Code != 404 {
		t.Errorf("without Installed: %d", res.Code)
	}
	inst := &fakeInstalled{}
	inst.install("alice", "todo", todoApp())
	s = newInstalledSite(t, inst)
	inst.err = errors.New("disk on fire at /var/lib/hearth")
	res := get(s, "todo.alice.localhost", "/")
	if res.Code != 500 || strings.Contains(res.Body.String(), "disk") ||
		res.Header().Get("Content-Type") != "text/plain; charset=utf-8" || res.Header().Get("X-Content-Type-Options") != "nosniff" ||
		res.Header().Get("Access-Control-Allow-Origin") != "*" || res.Header().Get("Content-Security-Policy") == "" {
		t.Errorf("InstalledApp failing: %d %q %v", res.Code, res.Body, res.Header())
	}
	inst.err = nil
	inst.filesErr = errors.New("archive unreadable")
	if res := get(s, "todo.alice.localhost", "/"); res.Code != 500 || strings.Contains(res.Body.String(), "archive") {
		t.Errorf("files() failing: %d %q", res.Code, res.Body)
	}
	// A failure is not cached.
	if res := get(s, "todo.alice.localhost", "/"); res.Code != 200 {
		t.Errorf("after files() failed once: %d", res.Code)
	}
	// An archive the site cannot render (stored before a rule changed).
	bad := todoApp()
	bad["index.html"] = &fstest.MapFile{Data: []byte(`<script>alert(1)</script>`)}
	inst.install("alice", "todo", bad)
	if res := get(s, "todo.alice.localhost", "/"); res.Code != 500 || strings.Contains(res.Body.String(), "script") {
		t.Errorf("unrenderable: %d %q", res.Code, res.Body)
	}
}

// TestInstalledAppRendersOnce: concurrent first requests render the app
// once; the cache keeps the 16 most recently used.
func TestInstalledAppRendersOnce(t *testing.T) {
	inst := &fakeInstalled{slow: 50 * time.Millisecond}
	inst.install("alice", "todo", todoApp())
	inst.install("bob", "todo", todoApp()) // the same archive: the same bundle
	s := newInstalledSite(t, inst)
	start := make(chan struct{})
	var wg sync.WaitGroup
	codes := make([]int, 20)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			host := "todo.alice.localhost"
			if i%2 == 1 {
				host = "todo.bob.localhost"
			}
			codes[i] = get(s, host, "/js/app.js").Code
		}()
	}
	close(start)
	wg.Wait()
	for i, c := range codes {
		if c != 200 {
			t.Errorf("request %d: %d", i, c)
		}
	}
	if n := inst.calls.Load(); n != 1 {
		t.Errorf("files() called %d times", n)
	}

	inst.slow = 0
	inst.calls.Store(0)
	var hosts []string
	for i := range 16 {
		slug := fmt.Sprintf("app%d", i)
		inst.install("alice", slug, todoApp())
		hosts = append(hosts, slug+".alice.localhost")
	}
	for _, h := range hosts { // todo is the least recently used: evicted
		if c := get(s, h, "/").Code; c != 200 {
			t.Errorf("%s: %d", h, c)
		}
	}
	get(s, hosts[0], "/")
	if n := inst.calls.Load(); n != 16 {
		t.Errorf("files() called %d times for 16 apps", n)
	}
	get(s, "todo.alice.localhost", "/") // evicts app1
	get(s, hosts[0], "/")
	if n := inst.calls.Load(); n != 17 {
		t.Errorf("files() called %d times, want 17", n)
	}
	get(s, hosts[1], "/")
	if n := inst.calls.Load(); n != 18 {
		t.Errorf("files() called %d times, want 18", n)
	}
}

// TestCheckApp: the errors of an archive whose pages break the rules of
// spec/web.md §2 name the file and the rule.
func TestCheckApp(t *testing.T) {
	s := newInstalledSite(t, nil)
	if err := s.CheckApp("todo", todoApp()); err != nil {
		t.Fatal(err)
	}
	f := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	for name, c := range map[string]struct {
		files fstest.MapFS
		want  []string
	}{
		"inline script": {fstest.MapFS{"pages/a.html": f(`<script>alert(1)</script>`)},
			[]string{"pages/a.html", "inline <script>"}},
		"remote script": {fstest.MapFS{"index.html": f(`<script src="https://cdn.example/x.js"></script>`)},
			[]string{"index.html", "https://cdn.example/x.js", "not a file of this site"}},
		"missing import": {fstest.MapFS{"index.html": f(`<script type="module" src="js/main.js"></script>`),
			"js/main.js": f(`import "./gone.js";`)},
			[]string{"index.html", "/js/main.js", "./gone.js", "no such file"}},
		"missing stylesheet": {fstest.MapFS{"index.html": f(`<link rel="stylesheet" href="/nope.css">`)},
			[]string{"index.html", "/nope.css", "no such file"}},
		"bare specifier": {fstest.MapFS{"index.html": f(`<script type="module" src="/m.js"></script>`),
			"m.js": f(`import { h } from "preact";`)},
			[]string{"index.html", "/m.js", "preact", "only URLs of this site"}},
		"Home's page": {fstest.MapFS{"index.html": f(`<script src="/about.html"></script>`)},
			[]string{"index.html", "/about.html", "no such file"}},
		"a bundled app's file": {fstest.MapFS{"index.html": f(`<script src="/notes/notes.js"></script>`)},
			[]string{"index.html", "/notes/notes.js", "no such file"}},
		"a skipped file": {fstest.MapFS{"index.html": f(`<script src="/_x.js"></script>`), "_x.js": f(`1`)},
			[]string{"index.html", "/_x.js", "no such file"}},
	} {
		app := todoApp()
		for p, file := range c.files {
			app[p] = file
		}
		err := s.CheckApp("todo", app)
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %v lacks %q", name, err, w)
			}
		}
		t.Logf("%s: %v", name, err)
	}
	for _, slug := range []string{"", "Todo", "-x", strings.Repeat("a", 64)} {
		if err := s.CheckApp(slug, todoApp()); err == nil {
			t.Errorf("slug %q accepted", slug)
		}
	}
}
