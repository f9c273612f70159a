// Package web embeds the web client and serves it (spec/web.md §1, §2).
//
// # Layout
//
//	wasm/web/static/          sources: pages (.html), scripts, styles, images
//	wasm/web/static/<app>/    the pages and files of a bundled app (Apps)
//	wasm/web/dist/            build output of make web (git ignores it):
//	    hearth.wasm           the client, GOOS=js GOARCH=wasm ./wasm/cmd/hearthwasm
//	    hearth-search.wasm    the same with search (bleve): -tags search
//	    wasm_exec.js          Go's loader, copied from $(go env GOROOT)/lib/wasm
//	                          (served within hearth-worker.js, see Integrity)
//	    <path>.gz, <path>.br  precompressed copies (kept only when smaller)
//	    manifest.json         per path: SHA-384 (SRI), content hash, encodings
//	wasm/web/gen              the generator make web runs (go run ./wasm/web/gen)
//
// Both static/ and dist/ are embedded in every binary that imports the
// package (hearthd). A file in dist/ hides one of the same path in static/.
//
// # Paths and origins
//
// Home (<domain>) serves static/ at its root, except the folders of the
// bundled apps. A bundled app <app> of any user (<app>.<user>.<domain>)
// serves static/<app>/ at its root and, under it, the shared files of
// static/ that are not pages (scripts, styles, images, hearth.wasm), so an
// app page loads /hearth.js and /style.css from its own origin. A path
// ending in / serves its index.html. Any other path is 404.
//
// Any other app slug is an app installed from an archive (spec/apps.md §2):
// Config.Installed gives, for the user of the origin, the archive's digest
// and files, which are served likewise (Bundle.WithApp: the app's files at
// the root, its pages rendered as the bundled apps' are, and under them
// the shared files; an app file shadows a shared file of the same path on
// that origin only). The origin of a user who did not install the app is
// 404. A rendered app is cached by slug and digest (the 16 most recently
// used), so an update (a new digest) is rendered anew and each version
// once; Site.CheckApp renders an app the same way to check an archive
// before it is stored.
//
// # Integrity
//
// Page authors write plain HTML; the integrity attributes are filled in, not
// written by hand. Pages are rendered by this package from static/*.html,
// by the same code at build time (make web: the generator records every
// hash in dist/manifest.json and precompresses the result) and again when
// hearthd starts (New), from the embedded bytes, so a page can never name a
// hash other than that of the bytes the same binary serves, even after a
// plain go build that skipped make web. Rendering:
//
//   - every <script src=...> and every <link rel=stylesheet href=...> (also
//     rel=modulepreload) naming a local file gets integrity="sha384-..."
//     (an existing integrity attribute is replaced). A remote URL, an inline
//     <script> or a local file that does not exist fails the build (and New).
//   - every module that the page's scripts import (import ... from, export
//     ... from, import() of a string literal; transitively) is named with
//     its SHA-384 in an import map, <script type="importmap">{"integrity":
//     {...}}</script>, written before the page's first script or
//     modulepreload; the browser checks each import against it, and the
//     page's CSP allows that one inline script by its hash. An import the
//     build cannot name (a bare specifier, another site, import() of a
//     computed value, a missing file) fails the build. (A modulepreload's
//     integrity is not enough: Chromium fetches a module again, unchecked,
//     when its preload was refused.)
//   - hearth-worker.js is served as Go's wasm_exec.js followed by
//     static/hearth-worker.js less its importScripts("/wasm_exec.js") line,
//     one script under one hash (wasm_exec.js is then not served on its
//     own); in every script, /*@hearth-worker-sri*/"" and
//     /*@hearth-worker-url*/"..." get its SHA-384 and immutable URL, so
//     hearth.js (covered by the page's integrity) carries the hash of the
//     worker it fetches, checks and starts from a blob: URL. A page's
//     <meta name="hearth-worker-sri"> and "hearth-worker-url" are filled
//     likewise (hearth.js prefers them).
//   - <meta name="hearth-wasm-sri" content=""> gets content="sha384-..." of
//     hearth.wasm, for the worker to check before instantiating it
//     (spec/web.md §2); <meta name="hearth-wasm-url" content=""> gets
//     content="/hearth.wasm?v=<hash>", an immutable URL of the same bytes.
//     Both are left empty when no hearth.wasm was built.
//   - <meta name="hearth-search-wasm-sri"> and "hearth-search-wasm-url"
//     likewise for hearth-search.wasm, the client with search (Home loads
//     it when search is first used, spec/web.md §3.4).
//
// URLs in pages are not rewritten (an ES module imported under two URLs
// would run twice). Every file is also served at path?v=<hash>, where <hash>
// is the "hash" of the manifest (24 hex digits of its SHA-384); only such a
// URL is cached as immutable.
//
// # Headers
//
// Every response: X-Content-Type-Options: nosniff, Referrer-Policy:
// no-referrer, the CORS headers of protocol §8.1.9, and the
// Content-Security-Policy of spec/web.md §2, whose connect-src is 'self' on
// Home and 'self' plus Home's origin on an app, and whose script-src on a
// page with an import map also names that map's hash. The worker runs from
// a blob: URL (worker-src 'self' blob:) and so under its page's policy,
// which allows 'wasm-unsafe-eval'. ETag is the content hash (with
// -gz or -br for an encoded body), If-None-Match answers 304, Vary:
// Accept-Encoding; Cache-Control is no-cache except for ?v=<hash> URLs.
// Files over 256 KiB (hearth.wasm and its copies) are read from the
// binary's embedded data at each request, not held on the heap.
//
// # Tests
//
// web_test.go checks the serving natively (headers, CSP, compression, 304,
// hosts, paths, integrity against the served bytes) on its own small site,
// and the embedded site's pages too. Package browsertest runs pages in
// headless Chromium against an in-process hearthd; its doc shows how to
// write a browser test. browser_test.go is its smoke test, on the
// placeholder site in testdata/smoke.
package web
