package site

import (
	"bytes"
	"compress/gzip"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/hearthcloud/hearth/internal/appmanifest"
)

// Apps lists the bundled apps (spec/web.md §1): the app <slug> is served
// from static/<slug>/ at <slug>.<user>.<domain>.
var Apps = []string{"notes", "tasks", "contacts", "files"}

// ManifestName is the manifest's file name in dist/.
const ManifestName = "manifest.json"

// WasmName is the WebAssembly client's file name in dist/.
const WasmName = "hearth.wasm"

// SearchWasmName is the WebAssembly client with search (bleve) in dist/,
// which Home loads when search is first used.
const SearchWasmName = "hearth-search.wasm"

// PasswordWasmName is the password strength estimator in dist/
// (wasm/cmd/hearthpassword), which Home's worker loads when a password
// is chosen.
const PasswordWasmName = "hearth-password.wasm"

// SealName is the seal worker in static/ (libsodium and a little code),
// which the worker starts to seal large uploads (spec/web.md §3.7) on
// pages that have its metas.
const SealName = "hearth-seal.js"

// WorkerName is the worker script's file name in static/; ExecName is Go's
// loader in dist/, which the build puts at the head of the worker script
// (in place of the worker's importScripts line) rather than serving it on
// its own, so that the worker's SHA-384 covers it.
const (
	WorkerName = "hearth-worker.js"
	ExecName   = "wasm_exec.js"
)

// The link pages (spec/web.md §7) and their assets, served on the base
// domain only: LinkAssets is the folder of static/ and dist/ served at
// /s/assets/ (a path no link id takes: ids are 26 characters), SharePage
// and DropPage the pages of /s/<link-id> and /d/<link-id>, LinkWorkerName
// their worker (with wasm_exec.js at its head, as WorkerName) and
// LinkWasmName the small client it loads (wasm/cmd/hearthlink).
const (
	LinkAssets     = "s/assets/"
	SharePage      = LinkAssets + "share.html"
	DropPage       = LinkAssets + "drop.html"
	LinkWorkerName = LinkAssets + "link-worker.js"
	LinkWasmName   = LinkAssets + "hearthlink.wasm"
)

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
	// parts names the worker's parts (render.go partLine), served only
	// within it.
	parts map[string]bool
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
	for _, name := range []string{WorkerName, LinkWorkerName} {
		if _, ok := src[name]; ok {
			if err := b.addWorker(src, name); err != nil {
				return nil, fmt.Errorf("web: %s: %w", name, err)
			}
		}
	}
	var pages []string
	for p, fsys := range src {
		if path.Ext(p) == ".html" {
			pages = append(pages, p)
			continue
		}
		if _, done := b.files[p]; done || b.parts[p] || (p == ExecName && (b.files[WorkerName] != nil || b.files[LinkWorkerName] != nil)) {
			continue // the worker, and wasm_exec.js and its parts within it
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
