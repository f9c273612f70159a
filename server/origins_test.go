package server_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/hearthcloud/hearth/server"
	"github.com/hearthcloud/hearth/server/site"
)

// originsStatic is a web client of two pages: Home's and a bundled app's.
func originsStatic() fstest.MapFS {
	f := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	return fstest.MapFS{
		"index.html":       f(`<!doctype html><title>Home</title><p>Home`),
		"home.js":          f(`console.log("home")`),
		"notes/index.html": f(`<!doctype html><title>Notes</title><p>Notes`),
	}
}

// hostGet sends method path to the live server under host (the server
// listens on 127.0.0.1: the Host header names the origin), without
// following redirects.
func (l *live) hostGet(method, host, path string) (*http.Response, string) {
	l.t.Helper()
	req, err := http.NewRequest(method, l.url+path, nil)
	if err != nil {
		l.t.Fatal(err)
	}
	req.Host = host
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Do(req)
	if err != nil {
		l.t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	return res, string(b)
}

// TestOriginsHomeHasItsOwnHost: Home is served at home.<domain>; the base
// domain and the loopback literals answer the API and send a browser on to
// Home, path and query kept (302, no-store), but for the paths reserved
// for share links (404); the user name home is refused at sign-up and
// names no app's origin (spec/web.md §1, protocol §8.1.2).
func TestOriginsHomeHasItsOwnHost(t *testing.T) {
	for _, domain := range []string{"", "cloud.example.org"} {
		l := startLive(t, t.TempDir(), server.Config{Web: site.Config{Domain: domain, Static: originsStatic(), Dist: fstest.MapFS{}}})
		if domain == "" {
			domain = "localhost"
		}
		s := l.srv.Site
		for host, want := range map[string]site.Origin{
			"home." + domain + ":8080":       {Port: "8080"},
			"HOME." + domain:                 {},
			domain + ":8080":                 {Port: "8080", Base: true},
			"127.0.0.1:8080":                 {Port: "8080", Base: true},
			"[::1]:8080":                     {Port: "8080", Base: true},
			"notes.alice." + domain + ":443": {App: "notes", User: "alice", Port: "443"},
			"home.alice." + domain:           {App: "home", User: "alice"}, // an app slug home: not under Home's host
			"notes.homes." + domain:          {App: "notes", User: "homes"},
		} {
			if got, ok := s.Origin(host); !ok || got != want {
				t.Errorf("%s: %+v %v, want %+v", host, got, ok, want)
			}
		}
		for _, host := range []string{"notes.home." + domain, "NOTES.Home." + domain + ":8080", "home.home." + domain, "x.home." + domain, "home." + domain + ".evil.example"} {
			if o, ok := s.Origin(host); ok {
				t.Errorf("%s accepted as %+v", host, o)
			}
		}

		port := l.url[strings.LastIndexByte(l.url, ':')+1:]
		homeOrigin := "http://home." + domain + ":" + port
		// Home's host serves Home's page and the API.
		if res, body := l.hostGet("GET", "home."+domain+":"+port, "/"); res.StatusCode != 200 || !strings.Contains(body, "<p>Home") {
			t.Errorf("%s: Home's page: %d %q", domain, res.StatusCode, body)
		}
		// No related origins share Home's relying party (a browser
		// fetches this when an app's page names Home's host).
		if res, _ := l.hostGet("GET", "home."+domain+":"+port, "/.well-known/webauthn"); res.StatusCode != 404 {
			t.Errorf("%s: /.well-known/webauthn: %d", domain, res.StatusCode)
		}
		// The base domain and the loopback literal send pages on to Home,
		// keeping path and query.
		for _, host := range []string{domain + ":" + port, "127.0.0.1:" + port, "[::1]:" + port} {
			for path, to := range map[string]string{
				"/":                         "/",
				"/home.js?v=1":              "/home.js?v=1",
				"/about.html?a=%2F&b=x%20y": "/about.html?a=%2F&b=x%20y",
				"/x%2Fy/":                   "/x%2Fy/",
			} {
				for _, method := range []string{"GET", "HEAD"} {
					res, _ := l.hostGet(method, host, path)
					if res.StatusCode != http.StatusFound || res.Header.Get("Location") != homeOrigin+to ||
						res.Header.Get("Cache-Control") != "no-store" || res.Header.Get("X-Content-Type-Options") != "nosniff" {
						t.Errorf("%s %s%s: %d Location %q Cache-Control %q, want 302 to %s", method, host, path, res.StatusCode,
							res.Header.Get("Location"), res.Header.Get("Cache-Control"), homeOrigin+to)
					}
				}
			}
			// An unclean path is cleaned first (net/http), never sent to
			// another host.
			if res, _ := l.hostGet("GET", host, "//evil.example/"); res.StatusCode/100 != 3 || res.Header.Get("Location") != "/evil.example/" {
				t.Errorf("%s//evil.example/: %d %q", host, res.StatusCode, res.Header.Get("Location"))
			}
			if res, _ := l.hostGet("POST", host, "/"); res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Location") != "" {
				t.Errorf("POST %s/: %d", host, res.StatusCode)
			}
			// Reserved for share links: not redirected.
			for _, path := range []string{"/s/x", "/d/x", "/s/", "/d/abc?k=1"} {
				if res, _ := l.hostGet("GET", host, path); res.StatusCode != 404 || res.Header.Get("Location") != "" {
					t.Errorf("%s%s: %d %q, want 404", host, path, res.StatusCode, res.Header.Get("Location"))
				}
			}
		}
		// The API answers at Home's host and at the base domain alike.
		for _, host := range []string{"home." + domain + ":" + port, domain + ":" + port, "127.0.0.1:" + port} {
			res, body := l.hostGet("GET", host, "/v1/server")
			if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") || !strings.Contains(body, "signup") {
				t.Errorf("%s/v1/server: %d %q", host, res.StatusCode, body)
			}
		}
		// An app's host serves the app, not the API; <app>.home.<domain>
		// serves nothing.
		if res, body := l.hostGet("GET", "notes.alice."+domain+":"+port, "/"); res.StatusCode != 200 || !strings.Contains(body, "<p>Notes") ||
			!strings.Contains(res.Header.Get("Content-Security-Policy"), "connect-src 'self' "+homeOrigin+";") {
			t.Errorf("notes.alice: %d %q %s", res.StatusCode, body, res.Header.Get("Content-Security-Policy"))
		}
		if res, _ := l.hostGet("GET", "notes.alice."+domain+":"+port, "/v1/server"); res.StatusCode != 404 {
			t.Errorf("notes.alice /v1/server: %d", res.StatusCode)
		}
		for _, path := range []string{"/", "/v1/server", "/home.js"} {
			if res, _ := l.hostGet("GET", "notes.home."+domain+":"+port, path); res.StatusCode != 404 {
				t.Errorf("notes.home%s: %d", path, res.StatusCode)
			}
		}
	}

	// Sign-up refuses the reserved name, and takes names around it.
	l := startLive(t, t.TempDir(), server.Config{})
	a := l.do("POST", "/v1/accounts", "", signupBody("home", ""))
	a.is(t, 400, "invalid_name", false)
	if msg, _ := a.member(t, "error", "message").(string); !strings.Contains(msg, "reserved") {
		t.Errorf("sign-up as home: %s", a.body)
	}
	l.do("POST", "/v1/prelogin", "", map[string]any{"user": "home"}).is(t, 200, "", false)
	for _, user := range []string{"homes", "my-home"} {
		l.signup(user)
	}
}

// TestOriginsWithoutHomePage: a build without Home's page answers / at the
// base domain and at Home's host with how to use the command line client,
// naming the base domain (a program does not resolve *.localhost).
func TestOriginsWithoutHomePage(t *testing.T) {
	st := originsStatic()
	delete(st, "index.html")
	l := startLive(t, t.TempDir(), server.Config{Web: site.Config{Static: st, Dist: fstest.MapFS{}}})
	for _, host := range []string{"localhost:8080", "home.localhost:8080"} {
		res, body := l.hostGet("GET", host, "/")
		if res.StatusCode != 200 || !strings.Contains(body, "hearth signup --server http://localhost:8080 ") {
			t.Errorf("%s: %d %q", host, res.StatusCode, body)
		}
	}
	if res, _ := l.hostGet("GET", "localhost:8080", "/home.js"); res.StatusCode != 302 || res.Header.Get("Location") != "http://home.localhost:8080/home.js" {
		t.Errorf("localhost:8080/home.js: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
}
