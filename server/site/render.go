package site

import (
	"bytes"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
)

// Rendering (see the package documentation, "Integrity"): the worker
// script with Go's loader at its head, the integrity attributes and
// hearth-* metas of the pages, and the import maps of their modules.

// metaFiles maps the <meta> names a page leaves empty for the build to
// fill in (name-sri, name-url) to the file they describe.
var metaFiles = map[string]string{
	"hearth-wasm":          WasmName,
	"hearth-worker":        WorkerName,
	"hearth-search-wasm":   SearchWasmName,
	"hearth-password-wasm": PasswordWasmName,
	"hearth-seal":          SealName,
	"hearth-link-worker":   LinkWorkerName,
	"hearth-link-wasm":     LinkWasmName,
}

// execLine is the line of the worker script that the build replaces with
// wasm_exec.js (spec/web.md §2).
var execLine = regexp.MustCompile(`(?m)^importScripts\("/` + regexp.QuoteMeta(ExecName) + `"\);[^\n]*\n?`)

// partLine is a line of the worker script that the build replaces with a
// part of it kept in a file of its own, hearth-worker-<concept>.js in
// static/ (served only within the worker).
var partLine = regexp.MustCompile(`(?m)^importScripts\("/(hearth-worker-[a-z0-9-]+\.js)"\);[^\n]*\n?`)

// workerMarkRE finds the build's marks in a script: /*@hearth-worker-sri*/""
// becomes the worker script's SHA-384, /*@hearth-worker-url*/"..." its
// immutable URL (/hearth-worker.js?v=<hash>).
var workerMarkRE = regexp.MustCompile(`/\*@hearth-worker-(sri|url)\*/\s*"[^"\n]*"`)

// addWorker adds the worker script: wasm_exec.js (when built) followed by
// static/hearth-worker.js without its importScripts("/wasm_exec.js") line,
// and with each of its parts in place of its importScripts line, one
// script under one hash (spec/web.md §2).
func (b *Bundle) addWorker(src map[string]fs.FS, name string) error {
	w, err := fs.ReadFile(src[name], name)
	if err != nil {
		return err
	}
	var failed error
	w = partLine.ReplaceAllFunc(w, func(line []byte) []byte {
		part := string(partLine.FindSubmatch(line)[1])
		fsys, ok := src[part]
		if !ok {
			failed = fmt.Errorf("no %s in static/ for its importScripts line", part)
			return nil
		}
		p, err := fs.ReadFile(fsys, part)
		if err != nil {
			failed = err
			return nil
		}
		if b.parts == nil {
			b.parts = map[string]bool{}
		}
		b.parts[part] = true
		if len(p) > 0 && p[len(p)-1] != '\n' {
			p = append(p, '\n')
		}
		return p
	})
	if failed != nil {
		return failed
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
	return b.add(name, body{data: out, size: len(out)})
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

var (
	// A tag's name ends at white space, "/" (<script/src=…>, as browsers
	// read it) or ">".
	tagRE  = regexp.MustCompile(`(?is)<(script|link|meta)([\s/][^>]*)?>`)
	attrRE = regexp.MustCompile(`([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>` + "`" + `]+)))?`)
)

type attr struct{ name, value string }

// render fills in the integrity attributes and hearth-wasm metas of a page
// (see the package documentation).
func (b *Bundle) render(p string, src []byte) ([]byte, string, error) {
	src, err := expandPage(src)
	if err != nil {
		return nil, "", err
	}
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
				"hearth-search-wasm-sri", "hearth-search-wasm-url",
				"hearth-password-wasm-sri", "hearth-password-wasm-url",
				"hearth-seal-sri", "hearth-seal-url",
				"hearth-link-worker-sri", "hearth-link-worker-url", "hearth-link-wasm-sri", "hearth-link-wasm-url":
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
