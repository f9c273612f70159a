package site

import (
	"net"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/hearthcloud/hearth/internal/wire"
)

// HomeLabel is the label before the base domain in Home's host:
// home.<domain> (spec/web.md §1).
const HomeLabel = "home"

// Origin is what a Host header names: Home, an app, or the base domain.
type Origin struct {
	App  string // "" for Home and the base domain
	User string // with App
	Port string // "" when the host named none
	// Base: the base domain or a loopback IP literal, which serve the API
	// and send the browser on to Home.
	Base bool
}

// Home reports whether o is Home's host.
func (o Origin) Home() bool { return o.App == "" && !o.Base }

// Origin parses a Host header: home.<domain>[:port] is Home;
// <domain>[:port] or a loopback IP literal (127.0.0.1:8080, [::1]:8080) is
// the base domain; <app>.<user>.<domain>[:port] with a valid user name
// (wire.CheckUser) other than the reserved one (wire.ReservedUser: that
// app would sit under Home's host) and the app slug a lower-case DNS
// label is that app, bundled or not (Serve answers 404 for an app the
// user has not installed). Anything else reports false (404). Host names
// are case-insensitive.
func (s *Site) Origin(host string) (Origin, bool) {
	name, port := host, ""
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.HasSuffix(host, "]") {
		name, port = host[:i], host[i+1:]
		if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 || len(port) > 5 || port[0] == '+' {
			return Origin{}, false
		}
	}
	base := Origin{Port: port, Base: true}
	if strings.HasPrefix(name, "[") && strings.HasSuffix(name, "]") {
		if ip := net.ParseIP(name[1 : len(name)-1]); ip != nil && ip.To4() == nil && ip.IsLoopback() {
			return base, true
		}
		return Origin{}, false
	}
	if ip := net.ParseIP(name); ip != nil {
		if ip.To4() != nil && ip.IsLoopback() && !strings.Contains(name, ":") {
			return base, true
		}
		return Origin{}, false
	}
	name = strings.ToLower(name)
	if name == s.cfg.Domain {
		return base, true
	}
	rest, ok := strings.CutSuffix(name, "."+s.cfg.Domain)
	if !ok {
		return Origin{}, false
	}
	if rest == HomeLabel {
		return Origin{Port: port}, true
	}
	app, user, ok := strings.Cut(rest, ".")
	if !ok || strings.Contains(user, ".") || len(app) > 63 || !validLabel(app) ||
		wire.CheckUser(user) != nil || user == wire.ReservedUser {
		return Origin{}, false
	}
	return Origin{App: app, User: user, Port: port}, true
}

func validLabel(s string) bool {
	if s == "" || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// HomeOrigin is the origin of Home as a browser on o sees it:
// <scheme>://home.<domain>[:port], with o's port.
func (s *Site) HomeOrigin(r *http.Request, o Origin) string {
	scheme := s.cfg.Scheme
	if scheme == "" {
		scheme = "http"
		if r.TLS != nil {
			scheme = "https"
		}
	}
	h := scheme + "://" + HomeLabel + "." + s.cfg.Domain
	if o.Port != "" {
		h += ":" + o.Port
	}
	return h
}

// reservedBase reports whether path is one the base domain keeps for
// the link pages (spec/web.md §1, §7): never a redirect to Home.
func reservedBase(path string) bool {
	return strings.HasPrefix(path, "/s/") || strings.HasPrefix(path, "/d/")
}

// linkCSP is the Content-Security-Policy of the link pages and their
// assets (spec/web.md §7.1): the scripts and styles of the build, the
// worker from a blob: URL of checked bytes, the API of the same origin,
// and previews (images, media, a PDF's frame) from blob: URLs of
// verified plaintext.
const linkCSP = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; " +
	"img-src 'self' blob:; media-src blob:; frame-src blob:; connect-src 'self'; worker-src blob:; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// linkPolicy is the link pages' Permissions-Policy: no powerful feature.
const linkPolicy = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), " +
	"publickey-credentials-get=(), publickey-credentials-create=(), clipboard-read=(), clipboard-write=(self)"

// linkFile returns the file of the bundle that a link path names:
// /s/<link-id> the share page, /d/<link-id> the drop page (any link id: the
// page reads it from its URL), /s/assets/<file> an asset of the pages.
func (b *Bundle) linkFile(p string) (string, bool) {
	if rest, ok := strings.CutPrefix(p, "/"+LinkAssets); ok {
		k := LinkAssets + rest
		if _, ok := b.files[k]; ok && rest != "" && path.Clean(k) == k && path.Ext(k) != ".html" {
			return k, true
		}
		return "", false
	}
	page := SharePage
	id, ok := strings.CutPrefix(p, "/s/")
	if !ok {
		page = DropPage
		id, _ = strings.CutPrefix(p, "/d/")
	}
	if wire.CheckLinkID(id) != nil {
		return "", false
	}
	_, ok = b.files[page]
	return page, ok
}

// serveBase answers a request to the base domain that is not for the API:
// the link pages and their assets (linkFile), 404 for another path under
// /s/ or /d/; for any other path, GET or HEAD is sent on to the same path
// and query on Home (302; the browser keeps the fragment), another method
// is 405.
func (s *Site) serveBase(w http.ResponseWriter, r *http.Request, o Origin) {
	p := r.URL.EscapedPath()
	if strings.HasPrefix(p, "/") && reservedBase(r.URL.Path) {
		k, ok := s.bundle.linkFile(p)
		if !ok || r.Header.Get("Service-Worker") != "" {
			NotFound(w, r)
			return
		}
		s.serveFile(w, r, s.bundle, k, linkCSP, linkPolicy)
		return
	}
	if !strings.HasPrefix(p, "/") {
		NotFound(w, r)
		return
	}
	h := w.Header()
	commonHeaders(h)
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	h.Set("Cache-Control", "no-store")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		plainError(w, r, http.StatusMethodNotAllowed, "405 method not allowed: Home is at "+s.HomeOrigin(r, o))
		return
	}
	to := s.HomeOrigin(r, o) + p
	if r.URL.RawQuery != "" {
		to += "?" + r.URL.RawQuery
	}
	h.Set("Location", to)
	h.Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusFound)
	if r.Method != http.MethodHead {
		w.Write([]byte("302 found: Home is at " + s.HomeOrigin(r, o) + "\n"))
	}
}
