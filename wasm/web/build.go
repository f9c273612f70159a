package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/hearthcloud/hearth/internal/appmanifest"
)

// Apps lists the bundled apps (spec/web.md §1): the app <slug> is served
// from static/<slug>/ at <slug>.<user>.<domain>.
var Apps = []string{"notes", "tasks", "contacts"}

// ManifestName is the manifest's file name in dist/.
const ManifestName = "manifest.json"

// WasmName is the WebAssembly client's file name in dist/.
const WasmName = "hearth.wasm"

// SearchWasmName is the WebAssembly client with search (bleve) in dist/,
// which Home loads when search is first used.
const SearchWasmName = "hearth-search.wasm"

// metaFiles maps the <meta> names a page leaves empty for the build to
// fill in (name-sri, name-url) to the file they describe.
var metaFiles = map[string]string{
	"hearth-wasm":        WasmName,
	"hearth-worker":      WorkerName,
	"hearth-search-wasm": SearchWasmName,
}

// WorkerName is the worker script's file name in static/; ExecName is Go's
// loader in dist/, which the build puts at the head of the worker script
// (in place of the worker's importScripts line) rather than serving it on
// its own, so that the worker's SHA-384 covers it.
const (
	WorkerName = "hearth-worker.js"
	ExecName   = "wasm_exec.js"
)

// execLine is the line of the worker script that the build replaces with
// wasm_exec.js (spec/web.md §2).
var execLine = regexp.MustCompile(`(?m)^importScripts\("/` + regexp.QuoteMeta(ExecName) + `"\);[^\n]*\n?`)

// workerMarkRE finds the build's marks in a script: /*@hearth-worker-sri*/""
// becomes the worker script's SHA-384, /*@hearth-worker-url*/"..." its
// immutable URL (/hearth-worker.js?v=<hash>).
var workerMarkRE = regexp.MustCompile(`/\*@hearth-worker-(sri|url)\*/\s*"[^"\n]*"`)

// Manifest describes every file served, by its path relative to static/
// (an app's files under <slug>/).
type Manifest struct {
	Version int               `json:"version"` // 1
	Files   map[string]*Entry `json:"files"`
}

// Entry describes one served file.
type Entry struct {
	Type      string   `json:"type"`                // Content-Type
	Size      int      `json:"size"`                // bytes, uncompressed
	SRI       string   `json:"sri"`                 // "sha384-" and the standard base64 of its SHA-384
	Hash      string   `json:"hash"`                // 24 hex digits of the same SHA-384: ETag and ?v=
	Encodings []string `json:"encodings,omitempty"` // precompressed copies: "br", "gzip"
}

// An Encoder compresses for one Content-Encoding.
type Encoder struct {
	Name     string // Content-Encoding: "br", "gzip"
	Ext      string // file suffix in dist/: ".br", ".gz"
	Compress func([]byte) ([]byte, error)
}

// Gzip is the gzip Encoder (best compression).
var Gzip = Encoder{Name: "gzip", Ext: ".gz", Compress: func(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}}

// BuildOptions tune Build.
type BuildOptions struct {
	// Encoders to produce, best first (the server prefers them in this
	// order). A copy is kept only when it saves at least 5%.
	Encoders []Encoder
	// MaxCompress: larger files are compressed only when dist already holds
	// a copy for the same content (zero: no limit).
	MaxCompress int
}

// Bundle is the built site: every file's bytes, its precompressed copies
// and the manifest.
type Bundle struct {
	Manifest Manifest
	files    map[string]*file
	encoders []Encoder
	// importMaps holds, by page, the CSP hash source of the import map
	// the build wrote into it.
	importMaps map[string]string
	// apps lists the apps whose files the bundle holds under <slug>/:
	// Apps for Build, the one app for WithApp.
	apps []string
	// policies holds each app's Permissions-Policy (policy.go), by slug;
	// names the bundled apps' names, by slug, from their manifests.
	policies map[string]string
	names    map[string]string
}

// keepInMemory: larger files (hearth.wasm and its copies) stay in their
// file system (the binary's embedded data) and are read at each request,
// rather than copied to the heap.
const keepInMemory = 256 << 10

// body is served bytes: in memory, or a file of a file system.
type body struct {
	data []byte
	fsys fs.FS
	name string
	size int
}

func (b body) bytes() ([]byte, error) {
	if b.data != nil || b.fsys == nil {
		return b.data, nil
	}
	return fs.ReadFile(b.fsys, b.name)
}

func (b body) writeTo(w io.Writer) error {
	if b.data != nil || b.fsys == nil {
		_, err := w.Write(b.data)
		return err
	}
	f, err := b.fsys.Open(b.name)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}

// load makes the body of a file: its bytes if small, else a reference.
func load(fsys fs.FS, name string) (body, error) {
	fi, err := fs.Stat(fsys, name)
	if err != nil {
		return body{}, err
	}
	if fi.Size() > keepInMemory {
		return body{fsys: fsys, name: name, size: int(fi.Size())}, nil
	}
	data, err := fs.ReadFile(fsys, name)
	if data == nil {
		data = []byte{}
	}
	return body{data: data, size: len(data)}, err
}

type file struct {
	*Entry
	raw body
	enc map[string]body // by Content-Encoding
}

// Build renders the pages of static and collects every file to serve from
// static and dist (a file of dist hides one of static). Precompressed copies
// in dist whose manifest entry has the same hash are reused.
func Build(static, dist fs.FS, opt BuildOptions) (*Bundle, error) {
	b := &Bundle{Manifest: Manifest{Version: 1, Files: map[string]*Entry{}}, files: map[string]*file{}, encoders: opt.Encoders,
		importMaps: map[string]string{}, apps: slices.Clone(Apps), policies: map[string]string{}, names: map[string]string{}}
	src := map[string]fs.FS{}
	if err := listTree(static, src, nil); err != nil {
		return nil, fmt.Errorf("web: static: %w", err)
	}
	for _, slug := range b.apps {
		sub, err := fs.Sub(static, slug)
		m := (*appmanifest.Manifest)(nil)
		if err == nil {
			m = appManifest(sub)
		}
		b.policies[slug] = appPolicy(m)
		if m != nil {
			b.names[slug] = m.Name
		}
	}
	var prev Manifest
	if mb, err := fs.ReadFile(dist, ManifestName); err == nil {
		if err := json.Unmarshal(mb, &prev); err != nil {
			return nil, fmt.Errorf("web: dist/%s: %w", ManifestName, err)
		}
	}
	skipDist := func(p string) bool {
		return p == ManifestName || p == "README" || strings.HasSuffix(p, ".gz") || strings.HasSuffix(p, ".br")
	}
	if err := listTree(dist, src, skipDist); err != nil {
		return nil, fmt.Errorf("web: dist: %w", err)
	}
	// The worker first: scripts name its hash. Then the other assets:
	// pages name their hashes.
	if _, ok := src[WorkerName]; ok {
		if err := b.addWorker(src); err != nil {
			return nil, fmt.Errorf("web: %s: %w", WorkerName, err)
		}
	}
	var pages []string
	for p, fsys := range src {
		if path.Ext(p) == ".html" {
			pages = append(pages, p)
			continue
		}
		if _, done := b.files[p]; done || (p == ExecName && b.files[WorkerName] != nil) {
			continue // the worker, and wasm_exec.js within it
		}
		raw, err := load(fsys, p)
		if err == nil && raw.data != nil && path.Ext(p) == ".js" {
			raw.data = fillWorkerMarks(raw.data, b.files[WorkerName])
			raw.size = len(raw.data)
		}
		if err == nil {
			err = b.add(p, raw)
		}
		if err != nil {
			return nil, fmt.Errorf("web: %s: %w", p, err)
		}
	}
	sort.Strings(pages)
	for _, p := range pages {
		in, err := fs.ReadFile(src[p], p)
		if err != nil {
			return nil, fmt.Errorf("web: %s: %w", p, err)
		}
		out, hash, err := b.render(p, in)
		if err != nil {
			return nil, fmt.Errorf("web: %s: %w", p, err)
		}
		b.add(p, body{data: out, size: len(out)})
		if hash != "" {
			b.importMaps[p] = hash
		}
	}
	for p, f := range b.files {
		for _, e := range opt.Encoders {
			if pe := prev.Files[p]; pe != nil && pe.Hash == f.Hash && slices.Contains(pe.Encodings, e.Name) {
				if c, _ := load(dist, p+e.Ext); c.size > 0 {
					f.enc[e.Name] = c
					f.Encodings = append(f.Encodings, e.Name)
					continue
				}
			}
			if opt.MaxCompress == 0 || f.Size <= opt.MaxCompress {
				if err := f.compress(e); err != nil {
					return nil, fmt.Errorf("web: %s: %w", p, err)
				}
			}
		}
	}
	return b, nil
}

// compress adds f's copy for e when it saves at least 5%.
func (f *file) compress(e Encoder) error {
	raw, err := f.raw.bytes()
	if err != nil {
		return err
	}
	data, err := e.Compress(raw)
	if err != nil {
		return fmt.Errorf("%s: %w", e.Name, err)
	}
	if len(data) > 0 && len(data) <= len(raw)-len(raw)/20 {
		f.enc[e.Name] = body{data: data, size: len(data)}
		f.Encodings = append(f.Encodings, e.Name)
	}
	return nil
}

// appMaxCompress bounds what WithApp compresses: larger files of an app
// are served as they are.
const appMaxCompress = 1 << 20

// WithApp returns a bundle that serves, at the origin of the app slug, the
// app's own files (files: the app's folder, its root the app's root) and,
// under them, b's shared files that are not pages (hearth.js, style.css,
// hearth-worker.js, hearth.wasm, ...; shared, not copied). The app's pages
// are rendered as the bundled apps' are (see the package documentation);
// an app file of the same path as a shared file shadows it. Names starting
// with "." or "_" are skipped. Files of the app over 256 KiB are read from
// files at each request, which must stay readable as long as the bundle
// serves. An error names the app's file and the rule it breaks.
func (b *Bundle) WithApp(slug string, files fs.FS) (*Bundle, error) {
	if len(slug) > 63 || !validLabel(slug) {
		return nil, fmt.Errorf("%q is not an app slug (a lower-case DNS label)", slug)
	}
	a := &Bundle{Manifest: Manifest{Version: b.Manifest.Version, Files: map[string]*Entry{}}, files: map[string]*file{},
		encoders: b.encoders, importMaps: map[string]string{}, apps: []string{slug},
		policies: map[string]string{slug: appPolicy(appManifest(files))}, names: b.names}
	if !slices.ContainsFunc(a.encoders, func(e Encoder) bool { return e.Name == Gzip.Name }) {
		a.encoders = append(slices.Clip(a.encoders), Gzip)
	}
	// b's shared files: neither its pages nor its apps' files (nor files
	// under <slug>/, which no app origin serves and whose names the app's
	// own files take).
	for p, f := range b.files {
		first, _, nested := strings.Cut(p, "/")
		if path.Ext(p) == ".html" || nested && (slices.Contains(b.apps, first) || first == slug) {
			continue
		}
		a.files[p] = f
		a.Manifest.Files[p] = f.Entry
	}
	src := map[string]fs.FS{}
	if err := listTree(files, src, nil); err != nil {
		return nil, fmt.Errorf("reading the app's files: %w", err)
	}
	var pages, others []string
	for p := range src {
		if path.Ext(p) == ".html" {
			pages = append(pages, p)
		} else {
			others = append(others, p)
		}
	}
	sort.Strings(pages)
	sort.Strings(others)
	// The worker the app's origin serves first (the app's own, when it
	// ships one): scripts name its hash.
	worker := a.files[WorkerName]
	if i := slices.Index(others, WorkerName); i >= 0 {
		others = slices.Concat([]string{WorkerName}, others[:i], others[i+1:])
	}
	for _, p := range others {
		raw, err := load(files, p)
		if err == nil && raw.data != nil && path.Ext(p) == ".js" && p != WorkerName {
			raw.data = fillWorkerMarks(raw.data, worker)
			raw.size = len(raw.data)
		}
		if err == nil {
			err = a.add(slug+"/"+p, raw)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		if p == WorkerName {
			worker = a.files[slug+"/"+p]
		}
	}
	for _, p := range pages {
		in, err := fs.ReadFile(files, p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		out, hash, err := a.render(slug+"/"+p, in)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		a.add(slug+"/"+p, body{data: out, size: len(out)})
		if hash != "" {
			a.importMaps[slug+"/"+p] = hash
		}
	}
	for p, f := range a.files {
		if own := strings.HasPrefix(p, slug+"/"); !own || f.Size > appMaxCompress {
			continue
		}
		if err := f.compress(Gzip); err != nil {
			return nil, fmt.Errorf("%s: %w", strings.TrimPrefix(p, slug+"/"), err)
		}
	}
	return a, nil
}

// addWorker adds the worker script: wasm_exec.js (when built) followed by
// static/hearth-worker.js without its importScripts("/wasm_exec.js") line,
// one script under one hash (spec/web.md §2).
func (b *Bundle) addWorker(src map[string]fs.FS) error {
	w, err := fs.ReadFile(src[WorkerName], WorkerName)
	if err != nil {
		return err
	}
	if n := len(execLine.FindAllIndex(w, -1)); n != 1 {
		return fmt.Errorf("has %d lines importScripts(\"/%s\"); (at the start of a line), not one", n, ExecName)
	}
	var out []byte
	if fsys, ok := src[ExecName]; ok {
		exec, err := fs.ReadFile(fsys, ExecName)
		if err != nil {
			return err
		}
		out = append(out, exec...)
		if len(out) > 0 && out[len(out)-1] != '\n' {
			out = append(out, '\n')
		}
	}
	out = append(out, execLine.ReplaceAll(w, nil)...)
	return b.add(WorkerName, body{data: out, size: len(out)})
}

// fillWorkerMarks writes the hash and URL of the worker script w into a
// script's marks (left as they are when there is no worker).
func fillWorkerMarks(js []byte, w *file) []byte {
	if w == nil {
		return js
	}
	return workerMarkRE.ReplaceAllFunc(js, func(m []byte) []byte {
		v := w.SRI
		if workerMarkRE.FindSubmatch(m)[1][0] == 'u' {
			v = "/" + WorkerName + "?v=" + w.Hash
		}
		return []byte(`/*@hearth-worker-` + string(workerMarkRE.FindSubmatch(m)[1]) + `*/"` + v + `"`)
	})
}

// listTree notes, for every regular file of fsys, that fsys holds it,
// skipping names that start with "." or "_" (as go:embed does) and those
// skip reports.
func listTree(fsys fs.FS, m map[string]fs.FS, skip func(string) bool) error {
	return fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != "." && (strings.HasPrefix(d.Name(), ".") || strings.HasPrefix(d.Name(), "_")) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() || !d.Type().IsRegular() || (skip != nil && skip(p)) {
			return nil
		}
		m[p] = fsys
		return nil
	})
}

func (b *Bundle) add(p string, raw body) error {
	h := sha512.New384()
	if err := raw.writeTo(h); err != nil {
		return err
	}
	sum := h.Sum(nil)
	e := &Entry{Type: ContentType(p), Size: raw.size,
		SRI: "sha384-" + base64.StdEncoding.EncodeToString(sum), Hash: hex.EncodeToString(sum[:12])}
	b.Manifest.Files[p] = e
	b.files[p] = &file{Entry: e, raw: raw, enc: map[string]body{}}
	return nil
}

// Files returns the bytes to write to dist/: manifest.json and every
// precompressed copy, by path relative to dist/.
func (b *Bundle) Files() (map[string][]byte, error) {
	out := map[string][]byte{}
	for p, f := range b.files {
		for _, e := range b.encoders {
			if c, ok := f.enc[e.Name]; ok {
				data, err := c.bytes()
				if err != nil {
					return nil, err
				}
				out[p+e.Ext] = data
			}
		}
	}
	mb, err := json.MarshalIndent(b.Manifest, "", "  ")
	if err != nil {
		return nil, err
	}
	out[ManifestName] = append(mb, '\n')
	return out, nil
}

// Bytes returns the served bytes of the file at p (a manifest path).
func (b *Bundle) Bytes(p string) ([]byte, bool) {
	f, ok := b.files[p]
	if !ok {
		return nil, false
	}
	data, err := f.raw.bytes()
	return data, err == nil
}

var contentTypes = map[string]string{
	".html":        "text/html; charset=utf-8",
	".js":          "text/javascript; charset=utf-8",
	".mjs":         "text/javascript; charset=utf-8",
	".css":         "text/css; charset=utf-8",
	".json":        "application/json",
	".webmanifest": "application/manifest+json",
	".wasm":        "application/wasm",
	".svg":         "image/svg+xml",
	".png":         "image/png",
	".jpg":         "image/jpeg",
	".jpeg":        "image/jpeg",
	".webp":        "image/webp",
	".gif":         "image/gif",
	".ico":         "image/x-icon",
	".woff2":       "font/woff2",
	".txt":         "text/plain; charset=utf-8",
	".map":         "application/json",
}

// ContentType is the Content-Type served for a file name.
func ContentType(name string) string {
	if t, ok := contentTypes[strings.ToLower(path.Ext(name))]; ok {
		return t
	}
	return "application/octet-stream"
}

// appOf splits a manifest path into its app (or "" for Home) and the URL
// path at that origin.
func (b *Bundle) appOf(p string) (app, urlPath string) {
	first, rest, ok := strings.Cut(p, "/")
	if ok && slices.Contains(b.apps, first) {
		return first, "/" + rest
	}
	return "", "/" + p
}

// lookup maps a URL path at an origin (app "" for Home) to a manifest
// path: an app's own files first, then shared files that are not pages.
func (b *Bundle) lookup(app, urlPath string) (string, bool) {
	if !strings.HasPrefix(urlPath, "/") || strings.Contains(urlPath, "\\") || strings.Contains(urlPath, "\x00") {
		return "", false
	}
	if strings.HasSuffix(urlPath, "/") {
		urlPath += "index.html"
	}
	if path.Clean(urlPath) != urlPath {
		return "", false
	}
	rel := urlPath[1:]
	first, _, _ := strings.Cut(rel, "/")
	if app != "" {
		if _, ok := b.files[app+"/"+rel]; ok {
			return app + "/" + rel, true
		}
	}
	if slices.Contains(b.apps, first) || (app != "" && path.Ext(rel) == ".html") {
		return "", false
	}
	if _, ok := b.files[rel]; ok {
		return rel, true
	}
	return "", false
}

var (
	tagRE  = regexp.MustCompile(`(?is)<(script|link|meta)(\s[^>]*)?>`)
	attrRE = regexp.MustCompile(`([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>` + "`" + `]+)))?`)
)

type attr struct{ name, value string }

// render fills in the integrity attributes and hearth-wasm metas of a page
// (see the package documentation).
func (b *Bundle) render(p string, src []byte) ([]byte, string, error) {
	app, base := b.appOf(p)
	var failed error
	var roots []string // URLs of the page's scripts and preloaded modules
	out := tagRE.ReplaceAllFunc(src, func(tag []byte) []byte {
		if failed != nil {
			return tag
		}
		m := tagRE.FindSubmatch(tag)
		name := strings.ToLower(string(m[1]))
		body := string(m[2])
		selfClose := strings.HasSuffix(strings.TrimSpace(body), "/")
		if selfClose {
			body = strings.TrimSuffix(strings.TrimSpace(body), "/")
		}
		var attrs []attr
		get := func(n string) (string, int) {
			for i, a := range attrs {
				if a.name == n {
					return a.value, i
				}
			}
			return "", -1
		}
		set := func(n, v string) {
			if _, i := get(n); i >= 0 {
				attrs[i].value = v
			} else {
				attrs = append(attrs, attr{n, v})
			}
		}
		for _, am := range attrRE.FindAllStringSubmatch(body, -1) {
			attrs = append(attrs, attr{strings.ToLower(am[1]), html.UnescapeString(am[2] + am[3] + am[4])})
		}
		var ref string
		switch name {
		case "script":
			src, i := get("src")
			if i < 0 {
				failed = errors.New("inline <script> (the CSP allows none): give it a src")
				return tag
			}
			ref = src
			roots = append(roots, urlOf(base, ref))
		case "link":
			rel, _ := get("rel")
			rels := strings.Fields(strings.ToLower(rel))
			if !slices.Contains(rels, "stylesheet") && !slices.Contains(rels, "modulepreload") {
				return tag
			}
			ref, _ = get("href")
			if slices.Contains(rels, "modulepreload") {
				roots = append(roots, urlOf(base, ref))
			}
		case "meta":
			n, _ := get("name")
			switch strings.ToLower(n) {
			case "hearth-wasm-sri", "hearth-wasm-url", "hearth-worker-sri", "hearth-worker-url",
				"hearth-search-wasm-sri", "hearth-search-wasm-url":
				// <meta name="<prefix>-sri"> and "<prefix>-url": the file's
				// SHA-384, and its immutable URL.
				file := metaFiles[strings.TrimSuffix(strings.TrimSuffix(strings.ToLower(n), "-sri"), "-url")]
				v := ""
				if k, ok := b.lookup(app, "/"+file); ok {
					if strings.HasSuffix(strings.ToLower(n), "-sri") {
						v = b.files[k].SRI
					} else {
						v = "/" + file + "?v=" + b.files[k].Hash
					}
				}
				set("content", v)
				return writeTag(name, attrs, selfClose)
			}
			return tag
		}
		k, err := b.resolve(app, base, ref)
		if err != nil {
			failed = fmt.Errorf("<%s> %q: %w", name, ref, err)
			return tag
		}
		set("integrity", b.files[k].SRI)
		return writeTag(name, attrs, selfClose)
	})
	if failed != nil {
		return nil, "", failed
	}
	integrity, err := b.checkImports(app, roots)
	if err != nil || len(integrity) == 0 {
		return out, "", err
	}
	// The import map goes before the first module the page loads: the
	// browser applies it to the fetches that follow.
	im, _ := json.Marshal(map[string]any{"integrity": integrity})
	at := firstModuleRE.FindIndex(out)
	if at == nil {
		return nil, "", errors.New("modules to import but no module script")
	}
	tag := `<script type="importmap">` + string(im) + `</script>`
	sum := sha512.Sum384(im)
	line := at[0] - bytes.LastIndexByte(out[:at[0]], '\n') - 1
	indent := out[at[0]-line : at[0]]
	if len(bytes.TrimSpace(indent)) > 0 {
		indent = nil
	}
	out = slices.Concat(out[:at[0]], []byte(tag+"\n"), indent, out[at[0]:])
	return out, "'sha384-" + base64.StdEncoding.EncodeToString(sum[:]) + "'", nil
}

var firstModuleRE = regexp.MustCompile(`(?i)<script[\s>]|<link\s[^>]*modulepreload`)

// urlOf is the URL path (and query) at which a page at base loads ref, as
// the browser's module map knows it.
func urlOf(base, ref string) string {
	if i := strings.IndexByte(ref, '#'); i >= 0 {
		ref = ref[:i]
	}
	q := ""
	if i := strings.IndexByte(ref, '?'); i >= 0 {
		ref, q = ref[:i], ref[i:]
	}
	if !strings.HasPrefix(ref, "/") {
		ref = path.Join(path.Dir(base), ref)
	}
	return ref + q
}

// checkImports walks the module graph of a page's scripts and returns the
// SHA-384 of every module they import (statically, or by import() of a
// string literal), by URL, for the page's import map: the browser checks
// each import against it (spec/web.md §2). An import() of anything but a
// string literal, a bare specifier, a URL of another site or a missing file
// fails.
func (b *Bundle) checkImports(app string, roots []string) (map[string]string, error) {
	seen := map[string]bool{}
	integrity := map[string]string{}
	for len(roots) > 0 {
		u := roots[0]
		roots = roots[1:]
		if seen[u] {
			continue
		}
		seen[u] = true
		k, err := b.resolve(app, u, u)
		if err != nil {
			return nil, fmt.Errorf("module %s: %w", u, err)
		}
		if path.Ext(k) != ".js" && path.Ext(k) != ".mjs" {
			continue
		}
		js, err := b.files[k].raw.bytes()
		if err != nil {
			return nil, err
		}
		specs, err := importsOf(js)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", u, err)
		}
		for _, spec := range specs {
			if !strings.HasPrefix(spec, "/") && !strings.HasPrefix(spec, "./") && !strings.HasPrefix(spec, "../") {
				return nil, fmt.Errorf("%s imports %q: only URLs of this site (/, ./, ../) are allowed", u, spec)
			}
			if strings.HasPrefix(spec, "//") {
				return nil, fmt.Errorf("%s imports %q: not a file of this site", u, spec)
			}
			v := urlOf(u, spec)
			kv, err := b.resolve(app, v, v)
			if err != nil {
				return nil, fmt.Errorf("%s imports %q: %w", u, spec, err)
			}
			integrity[v] = b.files[kv].SRI
			roots = append(roots, v)
		}
	}
	return integrity, nil
}

var (
	staticImportRE  = regexp.MustCompile(`(?:^|[^\w$.])(?:import\s*(?:[\w$*{}\s,]+?\s*from\s*)?|export\s*(?:\*(?:\s*as\s+[\w$]+)?|\{[^}]*\})\s*from\s*)(["'])([^"'\n]*)["']`)
	dynamicImportRE = regexp.MustCompile(`(?:^|[^\w$.])import\s*\(`)
	dynamicLitRE    = regexp.MustCompile(`^\s*(["'])([^"'\n]*)["']\s*[,)]`)
)

// importsOf lists the module specifiers a script imports, comments aside
// (text in strings that looks like an import counts too: the check errs on
// the side of asking for a preload).
func importsOf(js []byte) ([]string, error) {
	code := stripComments(js)
	var out []string
	for _, m := range staticImportRE.FindAllSubmatch(code, -1) {
		out = append(out, string(m[2]))
	}
	for _, loc := range dynamicImportRE.FindAllIndex(code, -1) {
		m := dynamicLitRE.FindSubmatch(code[loc[1]:])
		if m == nil {
			return nil, errors.New("import() of something other than a string literal: the build cannot check what it loads")
		}
		out = append(out, string(m[2]))
	}
	return out, nil
}

// stripComments blanks the comments and the bodies of regular expression
// literals (told from division by the token before them) of a script,
// keeping strings and template literals as they are.
func stripComments(js []byte) []byte {
	out := slices.Clone(js)
	prev := byte(0) // last significant byte outside comments
	for i := 0; i < len(out); i++ {
		c := out[i]
		switch {
		case c == '/' && i+1 < len(out) && out[i+1] == '/':
			for ; i < len(out) && out[i] != '\n'; i++ {
				out[i] = ' '
			}
		case c == '/' && i+1 < len(out) && out[i+1] == '*':
			j := i + 2
			for j+1 < len(out) && !(out[j] == '*' && out[j+1] == '/') {
				j++
			}
			for k := i; k < len(out) && k <= j+1; k++ {
				if out[k] != '\n' {
					out[k] = ' '
				}
			}
			i = j + 1
		case c == '"' || c == '\'' || c == '`':
			for i++; i < len(out) && out[i] != c; i++ {
				if out[i] == '\\' {
					i++
				} else if c != '`' && out[i] == '\n' {
					break
				}
			}
			prev = c
		case c == '/' && (prev == 0 || strings.IndexByte("(,=:[!&|?{};+-*%<>~^", prev) >= 0):
			inClass := false
			for i++; i < len(out) && out[i] != '\n'; i++ {
				if out[i] == '\\' {
					out[i] = ' '
					if i++; i < len(out) && out[i] != '\n' {
						out[i] = ' '
					}
					continue
				}
				if out[i] == '[' {
					inClass = true
				} else if out[i] == ']' {
					inClass = false
				} else if out[i] == '/' && !inClass {
					break
				}
				out[i] = ' ' // a pattern imports nothing
			}
			prev = 'a'
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
		default:
			prev = c
		}
	}
	return out
}

// resolve maps a reference in a page (at URL path base of its origin) to
// a manifest path.
func (b *Bundle) resolve(app, base, ref string) (string, error) {
	if ref == "" {
		return "", errors.New("empty URL")
	}
	if strings.HasPrefix(ref, "//") || strings.Contains(strings.SplitN(ref, "/", 2)[0], ":") {
		return "", errors.New("not a file of this site (the CSP allows only 'self')")
	}
	if i := strings.IndexAny(ref, "?#"); i >= 0 {
		ref = ref[:i]
	}
	if !strings.HasPrefix(ref, "/") {
		ref = path.Join(path.Dir(base), ref)
	}
	k, ok := b.lookup(app, ref)
	if !ok || path.Ext(k) == ".html" {
		return "", errors.New("no such file")
	}
	return k, nil
}

func writeTag(name string, attrs []attr, selfClose bool) []byte {
	var buf bytes.Buffer
	buf.WriteString("<" + name)
	for _, a := range attrs {
		buf.WriteString(" " + a.name)
		if a.value != "" || a.name == "content" || a.name == "integrity" {
			buf.WriteString(`="` + html.EscapeString(a.value) + `"`)
		}
	}
	if selfClose {
		buf.WriteString(" /")
	}
	buf.WriteString(">")
	return buf.Bytes()
}
