// Package site is the server's web site (spec/web.md §1, §2): it serves
// the web client at Home's origin and at each app's, with the headers of
// spec/web.md §2 (CSP, Permissions-Policy, CORS, caching), renders the
// pages with SRI and import maps (Build, at make web and again when the
// server starts), keeps precompressed copies, and serves the apps users
// installed from archives.
//
// # The web client's files
//
// The pages, scripts and the built client are not part of this package:
// the package that holds them (wasm/web, the browser client) registers
// them from its init function, in the manner of database/sql's drivers or
// image's decoders:
//
//	func init() { site.Register(static, dist) }
//
// so a binary serves the web client by importing that package (hearthd:
// a blank import of wasm/web), and the server imports nothing of the
// browser client. static is the sources (pages, scripts, styles, images;
// a bundled app <app> in static/<app>/, Apps), dist the build output of
// make web (hearth.wasm, hearth-search.wasm, wasm_exec.js, the
// precompressed copies, ManifestName); a file of dist hides one of the
// same path in static. A binary with nothing registered logs "no web
// client built into this binary" when a Site starts and answers 404 for
// every file; Config.Static and Config.Dist give a Site files of its own
// (tests).
//
// # Paths and origins
//
// Home (home.<domain>) serves static/ at its root, except the folders of the
// bundled apps. A bundled app <app> of any user (<app>.<user>.<domain>)
// serves static/<app>/ at its root and, under it, the shared files of
// static/ that are not pages (scripts, styles, images, hearth.wasm), so an
// app page loads /hearth.js and /style.css from its own origin. A path
// ending in / serves its index.html. Any other path is 404. The base
// domain (<domain>, and a loopback IP literal) serves no file: Serve
// answers a page's path there with a redirect to Home (the server sends
// /v1/ to the API first), but /s/ and /d/, reserved for share links, 404.
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
// by the same code at build time (make web: wasm/web/gen records every
// hash in dist/manifest.json and precompresses the result) and again when
// hearthd starts (New), from the registered bytes, so a page can never name a
// hash other than that of the bytes the same binary serves, even after a
// plain go build that skipped make web. Rendering:
//
//   - a page that begins with <meta name="hearth-page" content="NAME"> is
//     written out whole first (page.go, spec/apps.md §4.1): Hearth's
//     standard head, the page's own head lines, Hearth's bar, the rest.
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
//     with its parts (static/hearth-worker-<concept>.js) each in place of
//     its importScripts line, one script under one hash (wasm_exec.js and
//     the parts are then not served on their own); in every script, /*@hearth-worker-sri*/"" and
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
//     it when search is first used, spec/web.md §3.7), and
//     <meta name="hearth-password-wasm-sri"> and "-url" for
//     hearth-password.wasm, the password strength estimator (Home's worker
//     loads it when a password is chosen, protocol §3.5).
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
// Files over 256 KiB (hearth.wasm and its copies) are read from their file
// system (the binary's embedded data) at each request, not held on the heap.
//
// # Tests
//
// This package's tests check the import scanner, the installed apps'
// bundles and what a binary without a web client serves. The serving is
// tested in wasm/web, against the registered client and against small
// sites of the tests' own (web_test.go, installed_test.go, policy_test.go),
// natively and in headless Chromium.
package site
