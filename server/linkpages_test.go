package server_test

import (
	"net/http"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/hearthcloud/hearth/server"
	"github.com/hearthcloud/hearth/server/site"
)

// TestLinkPagesRouting: the base domain serves the share page at /s/<id>
// and the drop page at /d/<id> for any well-formed link id (the page reads
// the id and the key from its own address: the server never checks one),
// and their assets at /s/assets/, with the link pages' CSP, no-referrer,
// nosniff and no framing; a malformed id, another path under /s/ or /d/,
// a page asked as an asset, and every one of these at Home's host or an
// app's host are 404 (spec/web.md §1, §7.1).
func TestLinkPagesRouting(t *testing.T) {
	st := originsStatic()
	f := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	st[site.SharePage] = f(`<!doctype html><title>Shared</title><p>share page`)
	st[site.DropPage] = f(`<!doctype html><title>Drop</title><p>drop page`)
	st[site.LinkAssets+"link.css"] = f(`body { color: black }`)
	st[site.LinkAssets+"share.js"] = f(`console.log("share")`)
	l := startLive(t, t.TempDir(), server.Config{Web: site.Config{Domain: "cloud.example.org", Static: st, Dist: fstest.MapFS{}}})
	port := l.url[strings.LastIndexByte(l.url, ':')+1:]
	base, home, app := "cloud.example.org:"+port, "home.cloud.example.org:"+port, "notes.alice.cloud.example.org:"+port

	const id = "k3v7dq2xmwzr5a6b4nepfhyjua"
	pages := map[string]string{
		"/s/" + id:                      "share page",
		"/d/" + id:                      "drop page",
		"/s/" + strings.ToUpper(id):     "", // ids are lower-case base32
		"/s/aaaaaaaaaaaaaaaaaaaaaaaaaa": "share page",
		"/s/assets/link.css":            "color: black",
		"/s/assets/share.js":            `console.log("share")`,
	}
	for _, host := range []string{base, "127.0.0.1:" + port} {
		for path, want := range pages {
			for _, method := range []string{"GET", "HEAD"} {
				res, body := l.hostGet(method, host, path)
				if want == "" {
					if res.StatusCode != 404 {
						t.Errorf("%s %s%s: %d, want 404", method, host, path, res.StatusCode)
					}
					continue
				}
				h := res.Header
				if res.StatusCode != 200 || method == "GET" && !strings.Contains(body, want) {
					t.Errorf("%s %s%s: %d %q", method, host, path, res.StatusCode, body)
					continue
				}
				csp := h.Get("Content-Security-Policy")
				for _, d := range []string{"default-src 'none'", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'none'"} {
					if !strings.Contains(csp, d) {
						t.Errorf("%s%s: CSP %q lacks %q", host, path, csp, d)
					}
				}
				if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "*") {
					t.Errorf("%s%s: CSP %q", host, path, csp)
				}
				if h.Get("Referrer-Policy") != "no-referrer" || h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Location") != "" ||
					h.Get("Cross-Origin-Opener-Policy") != "same-origin" || !strings.Contains(h.Get("Permissions-Policy"), "camera=()") {
					t.Errorf("%s%s: headers %v", host, path, h)
				}
			}
		}
		// Not pages: 404, never a redirect to Home.
		for _, path := range []string{"/s/", "/d/", "/s/short", "/d/" + id + "x", "/s/" + id + "/more", "/s/assets/", "/s/assets/share.html",
			"/s/assets/drop.html", "/s/assets/missing.js", "/s/share.html", "/d/assets/link.css", "/s/%2e%2e/index.html", "/s/" + id[:25] + "%00"} {
			if res, _ := l.hostGet("GET", host, path); res.StatusCode != 404 || res.Header.Get("Location") != "" {
				t.Errorf("GET %s%s: %d %q, want 404", host, path, res.StatusCode, res.Header.Get("Location"))
			}
		}
		// An unclean path is cleaned by net/http (a redirect on the same
		// host), and what it cleans to is no page either.
		if res, _ := l.hostGet("GET", host, "/s/assets/../share.html"); res.StatusCode/100 != 3 || res.Header.Get("Location") != "/s/share.html" {
			t.Errorf("GET %s/s/assets/../share.html: %d %q", host, res.StatusCode, res.Header.Get("Location"))
		}
		if res, _ := l.hostGet("POST", host, "/s/"+id); res.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("POST %s/s/%s: %d", host, id, res.StatusCode)
		}
	}
	// Home's host and an app's host do not serve the link pages or assets.
	for _, host := range []string{home, app} {
		for path := range pages {
			if res, body := l.hostGet("GET", host, path); res.StatusCode != 404 {
				t.Errorf("GET %s%s: %d %q, want 404", host, path, res.StatusCode, body)
			}
		}
	}
}
