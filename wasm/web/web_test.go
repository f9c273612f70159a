package web_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/andybalholm/brotli"

	"github.com/hearthcloud/hearth/server"
	"github.com/hearthcloud/hearth/server/auth"
	"github.com/hearthcloud/hearth/server/site"

	// The web client these tests serve (site.Register).
	_ "github.com/hearthcloud/hearth/wasm/web"
)

// emptyWasm is the smallest valid WebAssembly module.
var emptyWasm = []byte("\x00asm\x01\x00\x00\x00")

func testStatic() fstest.MapFS {
	f := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	return fstest.MapFS{
		"index.html": f(`<!doctype html><html><head><meta charset="utf-8">
<meta name="hearth-wasm-sri" content="">
<meta name=hearth-wasm-url>
<link rel="stylesheet" href="/style.css">
<link rel="icon" href="/icon.svg">
<link rel="modulepreload" href="/shared.js">
<script type="module" src="home.js" integrity="sha384-wrong"></script>
<script type="module" src="/big.js"></script>
</head><body><p>Home</p></body></html>`),
		"home.js":    f(`import "./shared.js"; console.log("home");` + strings.Repeat("// padding so that compression pays\n", 50)),
		"shared.js":  f(`export const x = 1;`),
		"big.js":     f(strings.Repeat("globalThis.a = 1;\n", 20000)), // served from its file system, not memory
		"style.css":  f(`body { color: black; }` + strings.Repeat("\n/* padding */", 100)),
		"icon.svg":   f(`<svg xmlns="http://www.w3.org/2000/svg"/>`),
		"logo.png":   f("\x89PNG\r\n\x1a\n"),
		"about.html": f(`<!doctype html><title>About</title>`),
		"notes/index.html": f(`<!doctype html><html><head><meta name="hearth-wasm-sri" content="">
<link rel=stylesheet href="./style.css"><link rel="stylesheet" href="notes.css">
<script src="./notes.js" type=module defer></script></head><body>Notes</body></html>`),
		"notes/notes.js":  f(`console.log("notes")`),
		"notes/notes.css": f(`p { margin: 0 }`),
		".hidden":         f(`secret`),
	}
}

func testDist(t testing.TB) fstest.MapFS {
	return fstest.MapFS{"hearth.wasm": &fstest.MapFile{Data: emptyWasm}, "README": &fstest.MapFile{Data: []byte("x")}}
}

func newSite(t testing.TB, static, dist fstest.MapFS) *site.Site {
	t.Helper()
	s, err := site.New(site.Config{Static: static, Dist: dist})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// get serves one request for host and path through s.
func get(s *site.Site, host, path string, hdr ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("GET", "http://"+host+path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	o, ok := s.Origin(host)
	if !ok {
		site.NotFound(w, r)
	} else {
		s.Serve(w, r, o)
	}
	return w
}

func sri(b []byte) string {
	sum := sha512.Sum384(b)
	return "sha384-" + base64.StdEncoding.EncodeToString(sum[:])
}

var (
	refRE   = regexp.MustCompile(`<(?:script|link)[^>]*?(?:src|href)="([^"]+)"[^>]*>`)
	integRE = regexp.MustCompile(`integrity="([^"]*)"`)
	metaRE  = regexp.MustCompile(`<meta name="(hearth-(?:wasm|worker)-[a-z]+)" content="([^"]*)"`)
)

// checkPageSRI fetches the page at host and path, and checks that each
// script and stylesheet carries an integrity attribute matching the bytes
// the same origin serves at its URL, and that the hearth-wasm metas match.
func checkPageSRI(t *testing.T, s *site.Site, host, path string) {
	t.Helper()
	res := get(s, host, path)
	if res.Code != 200 {
		t.Fatalf("%s%s: %d", host, path, res.Code)
	}
	page := res.Body.String()
	n := 0
	for _, m := range refRE.FindAllStringSubmatch(page, -1) {
		tag, ref := m[0], m[1]
		if strings.Contains(tag, "<link") && !strings.Contains(tag, "stylesheet") && !strings.Contains(tag, "modulepreload") {
			if strings.Contains(tag, "integrity") {
				t.Errorf("%s: integrity on %s", path, tag)
			}
			continue
		}
		im := integRE.FindStringSubmatch(tag)
		if im == nil {
			t.Errorf("%s%s: no integrity: %s", host, path, tag)
			continue
		}
		u := ref
		if !strings.HasPrefix(u, "/") {
			u = path[:strings.LastIndex(path, "/")+1] + strings.TrimPrefix(u, "./")
		}
		a := get(s, host, u)
		if a.Code != 200 {
			t.Fatalf("%s%s: %d", host, u, a.Code)
		}
		if got := sri(a.Body.Bytes()); got != im[1] {
			t.Errorf("%s%s: integrity %s, served bytes %s", host, u, im[1], got)
		}
		n++
	}
	checkImportMap(t, s, host, path, res)
	if n == 0 && strings.Contains(page, "<script") {
		t.Errorf("%s%s: no script checked", host, path)
	}
	for _, m := range metaRE.FindAllStringSubmatch(page, -1) {
		w := get(s, host, "/hearth.wasm")
		if strings.HasPrefix(m[1], "hearth-worker-") {
			w = get(s, host, "/"+site.WorkerName)
			m[1] = strings.Replace(m[1], "worker", "wasm", 1)
			if w.Code != 200 || m[2] == "" {
				t.Errorf("%s: %s %q, worker script: %d", path, m[0], m[2], w.Code)
			}
		}
		switch m[1] {
		case "hearth-wasm-sri":
			if m[2] != sri(w.Body.Bytes()) {
				t.Errorf("%s: hearth-wasm-sri %q, served %s", path, m[2], sri(w.Body.Bytes()))
			}
		case "hearth-wasm-url":
			v := get(s, host, m[2])
			if v.Code != 200 || !bytes.Equal(v.Body.Bytes(), w.Body.Bytes()) ||
				v.Header().Get("Cache-Control") != "public, max-age=31536000, immutable" {
				t.Errorf("%s: hearth-wasm-url %q: %d %q", path, m[2], v.Code, v.Header().Get("Cache-Control"))
			}
		}
	}
}

func TestPagesCarryIntegrity(t *testing.T) {
	s := newSite(t, testStatic(), testDist(t))
	checkPageSRI(t, s, "home.localhost:8080", "/")
	checkPageSRI(t, s, "notes.alice.localhost:8080", "/")
	page := get(s, "home.localhost", "/").Body.String()
	for _, want := range []string{
		`<meta name="hearth-wasm-sri" content="` + sri(emptyWasm) + `">`,
		`<link rel="icon" href="/icon.svg">`, // untouched
		`<p>Home</p>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s:\n%s", want, page)
		}
	}
	if strings.Contains(page, "sha384-wrong") {
		t.Error("a stale integrity attribute survived")
	}
	if !strings.Contains(get(s, "notes.bob.localhost", "/").Body.String(), " defer") {
		t.Error("a boolean attribute was lost")
	}
}

// TestEmbeddedSite: the real pages (whatever static/ holds) build, and
// their integrity attributes match what is served.
func TestEmbeddedSite(t *testing.T) {
	s, err := site.New(site.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for p := range s.Manifest().Files {
		if !strings.HasSuffix(p, ".html") {
			continue
		}
		host, url := "home.localhost", "/"+p
		if first, rest, ok := strings.Cut(p, "/"); ok && slices.Contains(site.Apps, first) {
			host, url = first+".alice.localhost", "/"+rest
		}
		// The link pages, on the base domain, for any link id.
		switch p {
		case "s/assets/share.html":
			host, url = "localhost", "/s/"+strings.Repeat("a", 26)
		case "s/assets/drop.html":
			host, url = "localhost", "/d/"+strings.Repeat("a", 26)
		}
		url = strings.TrimSuffix(url, "index.html")
		checkPageSRI(t, s, host, url)
	}
	checkWorker(t, s, "home.localhost")
	checkWorker(t, s, "notes.alice.localhost")
	if e := s.Manifest().Files[site.WasmName]; e != nil {
		if e.Type != "application/wasm" {
			t.Errorf("hearth.wasm: %s", e.Type)
		}
	} else {
		t.Log("no hearth.wasm embedded (make web builds it)")
	}
}

var importMapHashRE = regexp.MustCompile(` 'sha384-[A-Za-z0-9+/=]+'`)

var importMapRE = regexp.MustCompile(`<script type="importmap">([^<]*)</script>`)

// checkImportMap: the import map of a page names, for every module it
// lists, the SHA-384 of the bytes served at that URL, comes before the
// first module, and the page's CSP allows it (and no other inline script)
// by its hash.
func checkImportMap(t *testing.T, s *site.Site, host, path string, res *httptest.ResponseRecorder) map[string]string {
	t.Helper()
	page := res.Body.String()
	csp := res.Header().Get("Content-Security-Policy")
	m := importMapRE.FindAllStringSubmatch(page, -1)
	if len(m) == 0 {
		if strings.Contains(csp, "sha384-") {
			t.Errorf("%s%s: a hash in the CSP and no import map", host, path)
		}
		return nil
	}
	if len(m) > 1 {
		t.Fatalf("%s%s: %d import maps", host, path, len(m))
	}
	if i := strings.Index(page, m[0][0]); i > strings.Index(page, "<script type=\"module\"") || i > max(strings.Index(page, "modulepreload"), len(page)) {
		t.Errorf("%s%s: the import map comes after a module", host, path)
	}
	var im struct{ Integrity map[string]string }
	if err := json.Unmarshal([]byte(m[0][1]), &im); err != nil || len(im.Integrity) == 0 {
		t.Fatalf("%s%s: import map %s: %v", host, path, m[0][1], err)
	}
	for u, want := range im.Integrity {
		a := get(s, host, u)
		if a.Code != 200 || sri(a.Body.Bytes()) != want {
			t.Errorf("%s%s: import map: %s %s, served %d %s", host, path, u, want, a.Code, sri(a.Body.Bytes()))
		}
	}
	if want := "script-src 'self' '" + sri([]byte(m[0][1])) + "' 'wasm-unsafe-eval';"; !strings.Contains(csp, want) {
		t.Errorf("%s%s: CSP %q lacks %q", host, path, csp, want)
	}
	return im.Integrity
}

// TestImportMap: a page gets an import map naming the SHA-384 of every
// module its scripts import, directly or not, statically or by import();
// a page whose scripts import nothing gets none.
func TestImportMap(t *testing.T) {
	f := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	st := testStatic()
	st["mods.html"] = f(`<!doctype html><meta charset="utf-8"><link rel="modulepreload" href="/a.js">` +
		`<script type="module" src="/main.js"></script><script src="/classic.js"></script>`)
	st["main.js"] = f(`import { a } from "./a.js"; export { b } from "/b.js?x=1";`)
	st["a.js"] = f(`import "./shared.js"; export const a = 1;`)
	st["b.js"] = f(`export const b = 2;`)
	st["classic.js"] = f(`import("./dyn.js").then(() => {});`)
	st["dyn.js"] = f(`export default 3;`)
	s := newSite(t, st, testDist(t))
	res := get(s, "home.localhost", "/mods.html")
	got := checkImportMap(t, s, "home.localhost", "/mods.html", res)
	want := map[string]string{}
	for _, u := range []string{"/a.js", "/b.js?x=1", "/shared.js", "/dyn.js"} {
		want[u] = sri([]byte(st[strings.TrimPrefix(strings.TrimSuffix(u, "?x=1"), "/")].Data))
	}
	if !maps.Equal(got, want) {
		t.Errorf("import map %q, want %q", got, want)
	}
	if !strings.HasPrefix(res.Body.String(), `<!doctype html><meta charset="utf-8"><script type="importmap">`) {
		t.Errorf("page: %s", res.Body.String())
	}
	checkPageSRI(t, s, "home.localhost", "/mods.html")
	checkPageSRI(t, s, "home.localhost", "/")
	if res := get(s, "home.localhost", "/about.html"); strings.Contains(res.Body.String(), "importmap") || strings.Contains(res.Header().Get("Content-Security-Policy"), "sha384") {
		t.Error("an import map on a page without modules")
	}
	if csp := get(s, "home.localhost", "/main.js").Header().Get("Content-Security-Policy"); strings.Contains(csp, "sha384") {
		t.Errorf("a script's CSP allows an inline script: %s", csp)
	}
}

var workerMarkRE = regexp.MustCompile(`/\*@hearth-worker-(sri|url)\*/"([^"]*)"`)

// checkWorker: hearth.js at host names the worker script by the SHA-384
// and immutable URL of the bytes the host serves, which hold wasm_exec.js
// and no importScripts; wasm_exec.js is not served on its own.
func checkWorker(t *testing.T, s *site.Site, host string) {
	t.Helper()
	js := get(s, host, "/hearth.js").Body.String()
	marks := map[string]string{}
	for _, m := range workerMarkRE.FindAllStringSubmatch(js, -1) {
		marks[m[1]] = m[2]
	}
	w := get(s, host, "/"+site.WorkerName)
	if w.Code != 200 || marks["sri"] != sri(w.Body.Bytes()) || len(marks) != 2 {
		t.Fatalf("%s: hearth.js names the worker %q, served %d %s", host, marks, w.Code, sri(w.Body.Bytes()))
	}
	v := get(s, host, marks["url"])
	if v.Code != 200 || !bytes.Equal(v.Body.Bytes(), w.Body.Bytes()) || v.Header().Get("Cache-Control") != "public, max-age=31536000, immutable" {
		t.Errorf("%s: worker URL %q: %d %q", host, marks["url"], v.Code, v.Header().Get("Cache-Control"))
	}
	if strings.Contains(w.Body.String(), "importScripts(") {
		t.Errorf("%s: the worker script still calls importScripts", host)
	}
	if _, built := s.Manifest().Files[site.WasmName]; built && !strings.Contains(w.Body.String(), "globalThis.Go = class") {
		t.Errorf("%s: the worker script lacks wasm_exec.js", host)
	}
	if c := get(s, host, "/"+site.ExecName).Code; c != 404 {
		t.Errorf("%s: wasm_exec.js served on its own: %d", host, c)
	}
}

// TestWorkerIntegrity: the build puts wasm_exec.js at the head of the
// worker script in place of its importScripts line, writes the worker's
// hash and URL into scripts' marks and pages' hearth-worker metas, and a
// page's check of both passes; without a worker the marks stay as written.
func TestWorkerIntegrity(t *testing.T) {
	f := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	st := testStatic()
	st["index.html"] = f(`<!doctype html><meta name="hearth-worker-sri" content=""><meta name="hearth-worker-url" content="">
<meta name="hearth-wasm-sri" content=""><script type="module" src="/hearth.js"></script>`)
	st["hearth.js"] = f(`const WORKER_URL = /*@hearth-worker-url*/"/hearth-worker.js";` + "\n" +
		`const WORKER_SRI = /*@hearth-worker-sri*/"";` + "\n")
	st[site.WorkerName] = f("// the worker\n\"use strict\";\nimportScripts(\"/wasm_exec.js\"); // replaced\nonmessage = () => {};\n")
	dist := testDist(t)
	exec := "\"use strict\";\n(() => { globalThis.Go = class {}; })();" // no final newline
	dist[site.ExecName] = f(exec)
	s := newSite(t, st, dist)
	w := get(s, "home.localhost", "/"+site.WorkerName).Body.String()
	if want := exec + "\n// the worker\n\"use strict\";\nonmessage = () => {};\n"; w != want {
		t.Errorf("worker script:\n%s\nwant:\n%s", w, want)
	}
	checkWorker(t, s, "home.localhost")
	checkWorker(t, s, "notes.alice.localhost")
	checkPageSRI(t, s, "home.localhost", "/")
	page := get(s, "home.localhost", "/").Body.String()
	if want := `<meta name="hearth-worker-sri" content="` + sri([]byte(w)) + `">`; !strings.Contains(page, want) {
		t.Errorf("page lacks %s:\n%s", want, page)
	}
	if e := s.Manifest().Files[site.WorkerName]; e == nil || e.SRI != sri([]byte(w)) {
		t.Errorf("manifest: %+v", e)
	}

	// No worker script: marks and metas stay empty, wasm_exec.js is served.
	delete(st, site.WorkerName)
	s = newSite(t, st, dist)
	if js := get(s, "home.localhost", "/hearth.js").Body.String(); !strings.Contains(js, `/*@hearth-worker-sri*/"";`) {
		t.Errorf("hearth.js without a worker: %s", js)
	}
	if !strings.Contains(get(s, "home.localhost", "/").Body.String(), `<meta name="hearth-worker-sri" content="">`) {
		t.Error("hearth-worker-sri filled without a worker")
	}
	if c := get(s, "home.localhost", "/"+site.ExecName).Code; c != 200 {
		t.Errorf("wasm_exec.js without a worker: %d", c)
	}
}

func TestBuildRefuses(t *testing.T) {
	for name, page := range map[string]string{
		"inline script":     `<script>alert(1)</script>`,
		"remote script":     `<script src="https://cdn.example/x.js"></script>`,
		"protocol-relative": `<script src="//cdn.example/x.js"></script>`,
		"missing script":    `<script src="/nope.js"></script>`,
		"missing style":     `<link rel="stylesheet" href="nope.css">`,
		"page as script":    `<script src="/about.html"></script>`,
		"app file":          `<script src="/notes/notes.js"></script>`,
		// Every module a page's scripts import must be one the build can
		// name in the page's import map.
		"computed import": `<script type="module" src="/dyncomp.js"></script>`,
		"bare specifier":  `<script type="module" src="/bare.js"></script>`,
		"remote import":   `<script type="module" src="/remote.js"></script>`,
		"missing import":  `<script type="module" src="/missing.js"></script>`,
	} {
		st := testStatic()
		for name, js := range map[string]string{
			"imp.js":     "// a module\nimport { x } from './shared.js';\n",
			"main2.js":   `import "/imp.js";`,
			"reexp.js":   `export { x as y } from "./shared.js";`,
			"dyn.js":     `const m = await import("/shared.js");`,
			"dyncomp.js": "const m = await import(`/${'shared'}.js`);",
			"bare.js":    `import { h } from "preact";`,
			"remote.js":  `import "https://cdn.example/x.js";`,
			"missing.js": `import "./gone.js";`,
		} {
			st[name] = &fstest.MapFile{Data: []byte(js)}
		}
		st["bad.html"] = &fstest.MapFile{Data: []byte(page)}
		_, err := site.New(site.Config{Static: st, Dist: testDist(t)})
		if err == nil || !strings.Contains(err.Error(), "bad.html") {
			t.Errorf("%s: %v", name, err)
		}
		t.Logf("%s: %v", name, err)
	}
}

const (
	homeCSP = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data: blob:; " +
		"media-src blob:; frame-src blob: data:; connect-src 'self'; worker-src 'self' blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
	appCSP = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data: blob:; " +
		"media-src blob:; frame-src blob: data:; connect-src 'self' http://home.localhost:8080; worker-src 'self' blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

func TestHeaders(t *testing.T) {
	s := newSite(t, testStatic(), testDist(t))
	for _, c := range []struct{ host, path, ctype, csp string }{
		{"home.localhost:8080", "/", "text/html; charset=utf-8", homeCSP},
		{"home.localhost:8080", "/about.html", "text/html; charset=utf-8", homeCSP},
		{"home.localhost:8080", "/home.js", "text/javascript; charset=utf-8", homeCSP},
		{"home.localhost:8080", "/style.css", "text/css; charset=utf-8", homeCSP},
		{"home.localhost:8080", "/icon.svg", "image/svg+xml", homeCSP},
		{"home.localhost:8080", "/logo.png", "image/png", homeCSP},
		{"home.localhost:8080", "/hearth.wasm", "application/wasm", homeCSP},
		{"HOME.localhost:8080", "/", "text/html; charset=utf-8", homeCSP},
		{"notes.alice.localhost:8080", "/", "text/html; charset=utf-8", appCSP},
		{"notes.alice.localhost:8080", "/notes.js", "text/javascript; charset=utf-8", appCSP},
		{"notes.alice.localhost:8080", "/home.js", "text/javascript; charset=utf-8", appCSP}, // shared
		{"notes.alice.localhost:8080", "/hearth.wasm", "application/wasm", appCSP},
	} {
		res := get(s, c.host, c.path)
		h := res.Header()
		if res.Code != 200 {
			t.Errorf("%s%s: %d", c.host, c.path, res.Code)
			continue
		}
		for k, want := range map[string]string{
			"Content-Type":                c.ctype,
			"Content-Security-Policy":     c.csp,
			"X-Content-Type-Options":      "nosniff",
			"Referrer-Policy":             "no-referrer",
			"Access-Control-Allow-Origin": "*",
			"Cache-Control":               "no-cache",
			"Vary":                        "Accept-Encoding",
		} {
			got := h.Get(k)
			if k == "Content-Security-Policy" && strings.HasPrefix(c.ctype, "text/html") {
				got = importMapHashRE.ReplaceAllString(got, "") // checkImportMap checks it
			}
			if got != want {
				t.Errorf("%s%s: %s: %q, want %q", c.host, c.path, k, got, want)
			}
		}
		if h.Get("ETag") == "" || h.Get("Access-Control-Allow-Credentials") != "" {
			t.Errorf("%s%s: ETag %q, credentials %q", c.host, c.path, h.Get("ETag"), h.Get("Access-Control-Allow-Credentials"))
		}
	}
	// https behind a proxy: the configured scheme names Home's origin.
	ps, _ := site.New(site.Config{Static: testStatic(), Dist: testDist(t), Scheme: "https", Domain: "hearth.example"})
	if got := get(ps, "notes.alice.hearth.example", "/").Header().Get("Content-Security-Policy"); !strings.Contains(got, "connect-src 'self' https://home.hearth.example;") {
		t.Errorf("proxied app CSP: %s", got)
	}
	// Hashed URLs are immutable; a stale hash is not.
	m := s.Manifest()
	for _, c := range []struct{ path, want string }{
		{"/home.js?v=" + m.Files["home.js"].Hash, "public, max-age=31536000, immutable"},
		{"/home.js?v=000000000000000000000000", "no-cache"},
		{"/?v=" + m.Files["index.html"].Hash, "no-cache"},
	} {
		if got := get(s, "home.localhost", c.path).Header().Get("Cache-Control"); got != c.want {
			t.Errorf("%s: Cache-Control %q, want %q", c.path, got, c.want)
		}
	}
	// Other methods.
	r := httptest.NewRequest("POST", "http://home.localhost/", nil)
	w := httptest.NewRecorder()
	s.Serve(w, r, site.Origin{})
	if w.Code != 405 {
		t.Errorf("POST: %d", w.Code)
	}
	r = httptest.NewRequest("HEAD", "http://home.localhost/home.js", nil)
	w = httptest.NewRecorder()
	s.Serve(w, r, site.Origin{})
	if w.Code != 200 || w.Body.Len() != 0 || w.Header().Get("Content-Length") != "0" && w.Header().Get("Content-Length") == "" {
		t.Errorf("HEAD: %d, %d bytes", w.Code, w.Body.Len())
	}
}

func brotliEncoder() site.Encoder {
	return site.Encoder{Name: "br", Ext: ".br", Compress: func(b []byte) ([]byte, error) {
		var buf bytes.Buffer
		w := brotli.NewWriterLevel(&buf, 5)
		w.Write(b)
		err := w.Close()
		return buf.Bytes(), err
	}}
}

// builtDist is what make web writes: the generator's output over testDist.
func builtDist(t *testing.T, static fstest.MapFS) fstest.MapFS {
	dist := testDist(t)
	b, err := site.Build(static, dist, site.BuildOptions{Encoders: []site.Encoder{brotliEncoder(), site.Gzip}})
	if err != nil {
		t.Fatal(err)
	}
	files, err := b.Files()
	if err != nil {
		t.Fatal(err)
	}
	for p, data := range files {
		dist[p] = &fstest.MapFile{Data: data}
	}
	return dist
}

func TestCompression(t *testing.T) {
	st := testStatic()
	s := newSite(t, st, builtDist(t, st))
	raw := get(s, "home.localhost", "/home.js").Body.Bytes()
	if !bytes.HasPrefix(raw, []byte("import")) {
		t.Fatalf("identity: %q", raw)
	}
	for _, c := range []struct{ accept, want string }{
		{"gzip, deflate, br, zstd", "br"},
		{"gzip", "gzip"},
		{"br;q=0, gzip;q=0.5", "gzip"},
		{"br;q=0, gzip;q=0", ""},
		{"identity", ""},
		{"*", "br"},
		{"*;q=0", ""},
		{"", ""},
	} {
		res := get(s, "home.localhost", "/home.js", "Accept-Encoding", c.accept)
		h := res.Header()
		if got := h.Get("Content-Encoding"); got != c.want {
			t.Errorf("%q: Content-Encoding %q, want %q", c.accept, got, c.want)
			continue
		}
		if h.Get("Vary") != "Accept-Encoding" {
			t.Errorf("%q: Vary %q", c.accept, h.Get("Vary"))
		}
		var rd io.Reader = res.Body
		switch c.want {
		case "br":
			rd = brotli.NewReader(res.Body)
		case "gzip":
			zr, err := gzip.NewReader(res.Body)
			if err != nil {
				t.Fatal(err)
			}
			rd = zr
		}
		body, err := io.ReadAll(rd)
		if err != nil || !bytes.Equal(body, raw) {
			t.Errorf("%q: body differs (%v)", c.accept, err)
		}
		if c.want != "" && !strings.HasSuffix(h.Get("ETag"), `-`+map[string]string{"br": "br", "gzip": "gz"}[c.want]+`"`) {
			t.Errorf("%q: ETag %s", c.accept, h.Get("ETag"))
		}
	}
	// Pages are compressed at start-up (gzip) even without make web.
	ns := newSite(t, st, testDist(t))
	if got := get(ns, "home.localhost", "/home.js", "Accept-Encoding", "gzip, br").Header().Get("Content-Encoding"); got != "gzip" {
		t.Errorf("without precompressed copies: %q", got)
	}
	// A large file: its bytes and its compressed copies.
	bigRaw := get(s, "home.localhost", "/big.js").Body.Bytes()
	if len(bigRaw) != 20000*18 {
		t.Errorf("big.js: %d bytes", len(bigRaw))
	}
	for _, s := range []*site.Site{s, ns} {
		res := get(s, "home.localhost", "/big.js", "Accept-Encoding", "gzip")
		n := res.Body.Len()
		zr, err := gzip.NewReader(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		if b, err := io.ReadAll(zr); err != nil || !bytes.Equal(b, bigRaw) || res.Header().Get("Content-Length") != strconv.Itoa(n) || n > 1000 {
			t.Errorf("big.js gzip: %v", err)
		}
	}
	// A PNG that would not shrink is served as it is.
	if got := get(s, "home.localhost", "/logo.png", "Accept-Encoding", "gzip, br").Header().Get("Content-Encoding"); got != "" {
		t.Errorf("png: %q", got)
	}
}

func TestNotModified(t *testing.T) {
	st := testStatic()
	s := newSite(t, st, builtDist(t, st))
	for _, path := range []string{"/", "/style.css", "/hearth.wasm"} {
		first := get(s, "home.localhost", path, "Accept-Encoding", "gzip")
		tag := first.Header().Get("ETag")
		for _, inm := range []string{tag, "W/" + tag, `"x", ` + tag, "*", `"` + s.Manifest().Files[strings.TrimPrefix(path, "/")+map[bool]string{true: "index.html"}[path == "/"]].Hash + `"`} {
			res := get(s, "home.localhost", path, "If-None-Match", inm, "Accept-Encoding", "br")
			if res.Code != 304 || res.Body.Len() != 0 {
				t.Errorf("%s If-None-Match %s: %d, %d bytes", path, inm, res.Code, res.Body.Len())
			}
			if res.Header().Get("ETag") == "" || res.Header().Get("Content-Security-Policy") == "" {
				t.Errorf("%s: 304 without headers", path)
			}
		}
		if res := get(s, "home.localhost", path, "If-None-Match", `"0123"`); res.Code != 200 {
			t.Errorf("%s: stale tag: %d", path, res.Code)
		}
	}
}

func TestPaths(t *testing.T) {
	s := newSite(t, testStatic(), testDist(t))
	for _, c := range []struct {
		host, path string
		code       int
	}{
		{"home.localhost", "/", 200},
		{"home.localhost", "/index.html", 200},
		{"home.localhost", "/about.html", 200},
		{"home.localhost", "/notes/", 404},          // an app's pages are not Home's
		{"home.localhost", "/notes/notes.js", 404},  // nor its files
		{"home.localhost", "/.hidden", 404},         // not embedded
		{"home.localhost", "/manifest.json", 404},   // the build's, not served
		{"home.localhost", "/hearth.wasm.gz", 404},  // copies only by Accept-Encoding
		{"home.localhost", "/README", 404},          // dist placeholder
		{"home.localhost", "/x/../index.html", 404}, // unclean
		{"home.localhost", "//index.html", 404},
		{"home.localhost", "/nope.js", 404},
		{"notes.alice.localhost", "/", 200},
		{"notes.alice.localhost", "/index.html", 200},
		{"notes.alice.localhost", "/notes.js", 200},
		{"notes.alice.localhost", "/style.css", 200},   // shared asset
		{"notes.alice.localhost", "/hearth.wasm", 200}, // shared asset
		{"notes.alice.localhost", "/about.html", 404},  // Home's pages stay Home's
		{"notes.alice.localhost", "/notes/", 404},      // no nesting
		{"notes.alice.localhost", "/v1/accounts", 404}, // the API lives at Home
		{"notes.alice.localhost", "/../home.js", 404},
	} {
		if got := get(s, c.host, c.path).Code; got != c.code {
			t.Errorf("%s%s: %d, want %d", c.host, c.path, got, c.code)
		}
	}
}

func TestOrigins(t *testing.T) {
	s := newSite(t, testStatic(), testDist(t))
	for host, want := range map[string]site.Origin{
		"home.localhost":             {},
		"home.localhost:8080":        {Port: "8080"},
		"Home.LocalHost:8080":        {Port: "8080"},
		"localhost":                  {Base: true},
		"LocalHost:8080":             {Port: "8080", Base: true},
		"127.0.0.1:8080":             {Port: "8080", Base: true},
		"127.0.0.1":                  {Base: true},
		"[::1]:8080":                 {Port: "8080", Base: true},
		"notes.alice.localhost:8080": {App: "notes", User: "alice", Port: "8080"},
		"notes.a-1.localhost":        {App: "notes", User: "a-1"},
		"NOTES.Alice.localhost":      {App: "notes", User: "alice"},
		"todo.alice.localhost":       {App: "todo", User: "alice"}, // installed or not: Serve decides
	} {
		got, ok := s.Origin(host)
		if !ok || got != want {
			t.Errorf("%s: %+v %v, want %+v", host, got, ok, want)
		}
	}
	for _, host := range []string{
		"", "evil.example", "evil.example:8080", "localhost.", "localhost:", "localhost:x", "localhost:0",
		"localhost:99999", "localhost:+80", "10.0.0.1:8080", "192.168.1.1", "[2001:db8::1]:8080", "[::1", "::1",
		"alice.localhost", "notes.alice.bob.localhost", "notes..localhost",
		"notes.-alice.localhost", "notes.alice-.localhost", "notes.a_b.localhost", "-notes.alice.localhost",
		"notes.alice.localhost.evil.example", "notes.alicelocalhost", "xlocalhost",
		"notes." + strings.Repeat("a", 33) + ".localhost", "notes.alice.localhost:8080:80",
		strings.Repeat("a", 64) + ".alice.localhost", "to_do.alice.localhost", "Todo-.alice.localhost",
		"notes.home.localhost", "home.home.localhost", "homelocalhost", "home.localhost.", // the user name home is reserved
	} {
		if o, ok := s.Origin(host); ok {
			t.Errorf("%q accepted as %+v", host, o)
		}
	}
	// Another domain.
	ds, _ := site.New(site.Config{Static: testStatic(), Dist: testDist(t), Domain: "Hearth.Example"})
	if o, ok := ds.Origin("hearth.example"); !ok || !o.Base {
		t.Error("domain refused")
	}
	if o, ok := ds.Origin("home.hearth.example"); !ok || !o.Home() {
		t.Error("Home on domain refused")
	}
	if o, ok := ds.Origin("notes.alice.hearth.example:443"); !ok || o.App != "notes" {
		t.Error("app on domain refused")
	}
	for _, host := range []string{"localhost", "home.localhost", "notes.alice.localhost"} {
		if _, ok := ds.Origin(host); ok {
			t.Errorf("%s accepted with another domain", host)
		}
	}
}

// TestServerRoutesByHost: server.Handler sends Home's host to the API and
// Home, an app's host to the app, and anything else to 404.
func TestServerRoutesByHost(t *testing.T) {
	srv, err := server.Open(context.Background(), server.Config{Dir: t.TempDir(),
		Hash: auth.HashParams{Memory: 64, Time: 1, Threads: 1},
		Web:  site.Config{Static: testStatic(), Dist: testDist(t)}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	do := func(host, path string) *http.Response {
		req, _ := http.NewRequest("GET", ts.URL+path, nil)
		if host != "" {
			req.Host = host
		}
		noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		res, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res
	}
	isAPI := func(res *http.Response) bool {
		return res.Header.Get("Cache-Control") == "no-store" && strings.HasPrefix(res.Header.Get("Content-Type"), "application/json")
	}
	// Home's host serves Home and the API.
	if res := do("home.localhost:1234", "/"); res.StatusCode != 200 || importMapHashRE.ReplaceAllString(res.Header.Get("Content-Security-Policy"), "") != homeCSP {
		t.Errorf("home.localhost /: %d %s", res.StatusCode, res.Header.Get("Content-Security-Policy"))
	}
	if res := do("home.localhost:1234", "/v1/accounts/nobody"); !isAPI(res) {
		t.Errorf("home.localhost /v1: %d %v", res.StatusCode, res.Header)
	}
	// The loopback address the tests and the CLI use, and the base
	// domain, serve the API and send pages on to Home.
	if res := do("", "/v1/accounts/nobody"); !isAPI(res) {
		t.Errorf("127.0.0.1 /v1: %d %v", res.StatusCode, res.Header)
	}
	if res := do("localhost:1234", "/v1/accounts/nobody"); !isAPI(res) {
		t.Errorf("localhost /v1: %d %v", res.StatusCode, res.Header)
	}
	for _, host := range []string{"", "localhost:1234"} {
		port := "1234"
		if host == "" {
			port = ts.URL[strings.LastIndexByte(ts.URL, ':')+1:]
		}
		if res := do(host, "/about.html?x=1"); res.StatusCode != 302 || res.Header.Get("Location") != "http://home.localhost:"+port+"/about.html?x=1" {
			t.Errorf("%q /about.html: %d %q", host, res.StatusCode, res.Header.Get("Location"))
		}
	}
	if res := do("notes.alice.localhost:1234", "/"); res.StatusCode != 200 ||
		!strings.Contains(res.Header.Get("Content-Security-Policy"), "connect-src 'self' http://home.localhost:1234;") {
		t.Errorf("notes /: %d %s", res.StatusCode, res.Header.Get("Content-Security-Policy"))
	}
	if res := do("notes.alice.localhost:1234", "/v1/accounts/nobody"); res.StatusCode != 404 || isAPI(res) {
		t.Errorf("notes /v1: %d", res.StatusCode)
	}
	for _, host := range []string{"evil.example", "todo.alice.localhost", "notes.Al_ce.localhost", "10.1.2.3", "notes.home.localhost"} {
		for _, path := range []string{"/", "/v1/accounts/nobody", "/home.js"} {
			if res := do(host, path); res.StatusCode != 404 || isAPI(res) || res.Header.Get("Content-Security-Policy") != "default-src 'none'; frame-ancestors 'none'" {
				t.Errorf("%s%s: %d", host, path, res.StatusCode)
			}
		}
	}
}

// TestServerWithoutHomePage: a build whose static/ has no index.html still
// answers / with how to use the command line.
func TestServerWithoutHomePage(t *testing.T) {
	st := testStatic()
	delete(st, "index.html")
	srv, err := server.Open(context.Background(), server.Config{Dir: t.TempDir(),
		Hash: auth.HashParams{Memory: 64, Time: 1, Threads: 1}, Web: site.Config{Static: st, Dist: testDist(t)}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	w := httptest.NewRecorder()
	srv.Handler().ServeHTTP(w, httptest.NewRequest("GET", "http://localhost:8080/", nil))
	if w.Code != 200 || !strings.Contains(w.Body.String(), "hearth signup --server http://localhost:8080") {
		t.Errorf("%d %s", w.Code, w.Body)
	}
	w = httptest.NewRecorder()
	srv.Handler().ServeHTTP(w, httptest.NewRequest("GET", "http://home.localhost:8080/home.js", nil))
	if w.Code != 200 {
		t.Errorf("home.js: %d", w.Code)
	}
}
