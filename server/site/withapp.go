package site

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
)

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
