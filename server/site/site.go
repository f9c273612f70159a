package site

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Config configures a Site.
type Config struct {
	// Domain is the base domain: Home at home.<domain>, apps at
	// <app>.<user>.<domain>, the API also at <domain> (spec/web.md §1).
	// Empty: "localhost".
	Domain string
	// Scheme by which browsers reach Home, for apps' connect-src: "https"
	// behind a TLS-terminating proxy. Empty: "https" for a request that came
	// over TLS, "http" otherwise.
	Scheme string
	// Static and Dist replace the registered static/ and dist/ (tests).
	Static, Dist fs.FS
	// Installed finds the apps users installed from archives; nil: the
	// bundled apps only.
	Installed Installed
	// Log receives the errors a 500 answer does not show (nil: discard).
	Log *slog.Logger
}

// Installed finds the apps users installed from archives (spec/apps.md §2).
type Installed interface {
	// InstalledApp returns the archive of app slug installed by user: its
	// SHA-256 (a cache key: same digest, same files) and its files. An app
	// not installed is fs.ErrNotExist (wrapped or not).
	InstalledApp(ctx context.Context, user, slug string) (digest [32]byte, files func() (fs.FS, error), err error)
}

// Site serves the web client.
type Site struct {
	cfg     Config
	bundle  *Bundle
	apps    appCache      // installed apps' bundles
	renders chan struct{} // installed apps being rendered at once
}

// maxCachedApps bounds the installed apps' bundles a Site keeps rendered.
const maxCachedApps = 16

// appCache holds the bundles of installed apps (Bundle.WithApp), by slug
// and archive digest, the most recently used first, at most maxCachedApps.
type appCache struct {
	mu    sync.Mutex
	order list.List // of *appEntry, the most recently used first
	byKey map[appKey]*list.Element
}

type appKey struct {
	slug   string
	digest [32]byte
}

// appEntry is one rendering: done is closed when b and err are set.
type appEntry struct {
	key  appKey
	done chan struct{}
	b    *Bundle
	err  error
}

var errRenderPanicked = errors.New("web: rendering the app panicked")

// get returns the bundle of key, rendering it (once, however many ask at
// the same time) when not cached. A failed rendering is not kept.
func (c *appCache) get(ctx context.Context, key appKey, render func() (*Bundle, error)) (*Bundle, error) {
	c.mu.Lock()
	if c.byKey == nil {
		c.byKey = map[appKey]*list.Element{}
	}
	if el, ok := c.byKey[key]; ok {
		c.order.MoveToFront(el)
		c.mu.Unlock()
		e := el.Value.(*appEntry)
		select {
		case <-e.done:
			return e.b, e.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	e := &appEntry{key: key, done: make(chan struct{}), err: errRenderPanicked}
	c.byKey[key] = c.order.PushFront(e)
	for c.order.Len() > maxCachedApps {
		// Those still waiting for an evicted rendering keep it.
		delete(c.byKey, c.order.Remove(c.order.Back()).(*appEntry).key)
	}
	c.mu.Unlock()
	defer func() {
		close(e.done)
		if e.err != nil {
			c.mu.Lock()
			if el, ok := c.byKey[key]; ok && el.Value == e {
				c.order.Remove(el)
				delete(c.byKey, key)
			}
			c.mu.Unlock()
		}
	}()
	e.b, e.err = render()
	return e.b, e.err
}

// New builds the site from the registered files (Register), or those of
// cfg, rendering the pages (see the package documentation). The
// registered site is built once per process. With nothing registered and
// no cfg.Static, it logs so and answers 404 for every file.
func New(cfg Config) (*Site, error) {
	if cfg.Domain == "" {
		cfg.Domain = "localhost"
	}
	cfg.Domain = strings.ToLower(cfg.Domain)
	st, di, ok := registered()
	if !ok && cfg.Static == nil && cfg.Log != nil {
		cfg.Log.Warn("web: no web client built into this binary (hearthd links it by importing wasm/web): the site's paths answer 404")
	}
	var b *Bundle
	var err error
	if cfg.Static == nil && cfg.Dist == nil {
		b, err = registeredBundle()
	} else {
		if cfg.Static != nil {
			st = cfg.Static
		}
		if cfg.Dist != nil {
			di = cfg.Dist
		}
		b, err = Build(st, di, serveOptions)
	}
	if err != nil {
		return nil, err
	}
	return &Site{cfg: cfg, bundle: b, renders: make(chan struct{}, 2)}, nil
}

// Manifest returns the manifest of the served files.
func (s *Site) Manifest() Manifest { return s.bundle.Manifest }

// Bytes returns the served (uncompressed) bytes of a manifest path.
func (s *Site) Bytes(p string) ([]byte, bool) { return s.bundle.Bytes(p) }

// Bundled reports whether slug is a bundled app (Apps), served from
// Hearth's own files rather than from an archive.
func (s *Site) Bundled(slug string) bool { return slices.Contains(s.bundle.apps, slug) }

// CheckApp renders the app slug from its files as the site would serve it
// once installed (Bundle.WithApp), for checking an archive before it is
// stored, and refuses a manifest whose name passes for a bundled app's or
// Hearth's (appmanifest.CheckName). Its error names the app's file and
// the rule it breaks.
func (s *Site) CheckApp(slug string, files fs.FS) error {
	if err := s.bundle.checkName(files); err != nil {
		return err
	}
	_, err := s.bundle.WithApp(slug, files)
	return err
}

const cspFormat = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; " +
	"img-src 'self' data: blob:; media-src blob:; frame-src blob: data:; connect-src %s; worker-src 'self' blob:; base-uri 'none'; " +
	"form-action 'none'; frame-ancestors 'none'"

// CSP is the Content-Security-Policy of every response on o (spec/web.md §2).
func (s *Site) CSP(r *http.Request, o Origin) string {
	connect := "'self'"
	if o.App != "" {
		connect += " " + s.HomeOrigin(r, o)
	}
	return fmt.Sprintf(cspFormat, connect)
}

func commonHeaders(h http.Header) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Expose-Headers", "ETag, Hearth-Revision, Hearth-Seq, Hearth-Deleted, Hearth-Keyring-Revision, Content-Range, Retry-After")
}

// NotFound answers 404 in plain text with the common headers and a CSP
// that allows nothing.
func NotFound(w http.ResponseWriter, r *http.Request) {
	plainError(w, r, http.StatusNotFound, "404 not found")
}

// serverError answers 500 in plain text with the common headers, and
// without the error, which goes to the log with the app's slug but never
// the user's name (spec §8.1.12).
func (s *Site) serverError(w http.ResponseWriter, r *http.Request, o Origin, err error) {
	if s.cfg.Log != nil {
		s.cfg.Log.Error("web: serving an installed app", "app", o.App, "err", err)
	}
	plainError(w, r, http.StatusInternalServerError, "500 internal server error")
}

// plainError answers status with text, in plain text with the common
// headers and a CSP that allows nothing, never cached.
func plainError(w http.ResponseWriter, r *http.Request, status int, text string) {
	h := w.Header()
	commonHeaders(h)
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		fmt.Fprintln(w, text)
	}
}

// appBundle returns the bundle that serves the installed app of o (nil
// after answering 404 or 500): rendered from its archive once per digest,
// then cached.
func (s *Site) appBundle(w http.ResponseWriter, r *http.Request, o Origin) *Bundle {
	if s.cfg.Installed == nil {
		NotFound(w, r)
		return nil
	}
	digest, files, err := s.cfg.Installed.InstalledApp(r.Context(), o.User, o.App)
	if errors.Is(err, fs.ErrNotExist) {
		// Not installed (or uninstalled): whatever this origin kept in
		// the browser (storage, a service worker) goes too.
		w.Header().Set("Clear-Site-Data", `"storage"`)
		NotFound(w, r)
		return nil
	}
	if err == nil && files == nil {
		err = errors.New("no files")
	}
	if err != nil {
		s.serverError(w, r, o, err)
		return nil
	}
	b, err := s.apps.get(r.Context(), appKey{o.App, digest}, func() (*Bundle, error) {
		// Rendering reads the archive whole: a few at once at most, so
		// that requests for many apps cannot exhaust memory or CPU.
		select {
		case s.renders <- struct{}{}:
			defer func() { <-s.renders }()
		case <-r.Context().Done():
			return nil, r.Context().Err()
		}
		fsys, err := files()
		if err != nil {
			return nil, err
		}
		return s.bundle.WithApp(o.App, fsys)
	})
	if err != nil {
		s.serverError(w, r, o, err)
		return nil
	}
	return b
}

// Serve answers a request for a file of the origin o: Home, a bundled app,
// or an app its user installed (Config.Installed). On the base domain it
// answers as serveBase says.
func (s *Site) Serve(w http.ResponseWriter, r *http.Request, o Origin) {
	if o.Base {
		s.serveBase(w, r, o)
		return
	}
	// Hearth registers no service worker; none may be registered from its
	// files (one would outlive an app's uninstalling).
	if r.Header.Get("Service-Worker") != "" {
		NotFound(w, r)
		return
	}
	b := s.bundle
	if o.App != "" && !s.Bundled(o.App) {
		if b = s.appBundle(w, r, o); b == nil {
			return
		}
	}
	k, ok := b.lookup(o.App, r.URL.Path)
	if !ok || strings.HasPrefix(k, "s/") {
		// The link pages' files are the base domain's alone.
		NotFound(w, r)
		return
	}
	s.serveFile(w, r, b, k, s.CSP(r, o), b.policy(o.App))
}

// serveFile answers with the file k of b, under the policy csp (to which
// the page's import map is added) and the Permissions-Policy policy.
func (s *Site) serveFile(w http.ResponseWriter, r *http.Request, b *Bundle, k, csp, policy string) {
	h := w.Header()
	commonHeaders(h)
	if src := b.importMaps[k]; src != "" {
		// The one inline script allowed: the import map the build wrote.
		csp = strings.Replace(csp, "script-src 'self'", "script-src 'self' "+src, 1)
	}
	h.Set("Content-Security-Policy", csp)
	h.Set("Permissions-Policy", policy)
	// Home and every user's apps are one site: ask for a process and a
	// browsing-context group of their own per origin (Spectre-class
	// leaks between origins of one site), and keep other origins from
	// embedding these files.
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Origin-Agent-Cluster", "?1")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	switch r.Method {
	case http.MethodGet, http.MethodHead:
	case http.MethodOptions:
		h.Set("Allow", "GET, HEAD, OPTIONS")
		w.WriteHeader(http.StatusNoContent)
		return
	default:
		h.Set("Allow", "GET, HEAD, OPTIONS")
		h.Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusMethodNotAllowed)
		fmt.Fprintln(w, "405 method not allowed")
		return
	}
	f := b.files[k]
	h.Set("Content-Type", f.Type)
	h.Set("Vary", "Accept-Encoding")
	if f.Type != contentTypes[".html"] && r.URL.Query().Get("v") == f.Hash {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	out, tag := f.raw, f.Hash
	if enc := b.pickEncoding(r.Header.Get("Accept-Encoding"), f); enc != nil {
		out, tag = f.enc[enc.Name], f.Hash+"-"+strings.TrimPrefix(enc.Ext, ".")
		h.Set("Content-Encoding", enc.Name)
	}
	h.Set("ETag", `"`+tag+`"`)
	if etagMatch(r.Header.Get("If-None-Match"), f.Hash) {
		h.Del("Content-Encoding")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Length", strconv.Itoa(out.size))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		out.writeTo(w)
	}
}

// pickEncoding returns the best encoder (in the bundle's order) that the
// request accepts with q > 0 and the file has a copy for.
func (b *Bundle) pickEncoding(accept string, f *file) *Encoder {
	if accept == "" || len(f.enc) == 0 {
		return nil
	}
	q := map[string]float64{}
	for _, part := range strings.Split(accept, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		v := 1.0
		for _, p := range strings.Split(params, ";") {
			if k, val, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.TrimSpace(k) == "q" {
				if x, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil {
					v = x
				}
			}
		}
		q[strings.ToLower(strings.TrimSpace(name))] = v
	}
	for i := range b.encoders {
		e := &b.encoders[i]
		if _, ok := f.enc[e.Name]; !ok {
			continue
		}
		v, ok := q[e.Name]
		if !ok {
			v, ok = q["*"]
		}
		if ok && v > 0 {
			return e
		}
	}
	return nil
}

// etagMatch reports whether an If-None-Match header names any
// representation of the content hash (weak or strong, any encoding).
func etagMatch(header, hash string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" {
			return true
		}
		t = strings.Trim(t, `"`)
		if t == hash || strings.HasPrefix(t, hash+"-") {
			return true
		}
	}
	return false
}
