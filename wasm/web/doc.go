// Package web holds the browser client's files, the pages and assets that
// the server's site (package server/site, spec/web.md §1, §2) serves, and
// registers them with it: its init calls site.Register with static/ and
// dist/, which assets.go embeds. A binary serves the web client by
// importing this package (hearthd: a blank import); the server imports
// nothing of it.
//
// # Layout
//
//	wasm/web/static/          sources: pages (.html), scripts, styles, images
//	wasm/web/static/<app>/    the pages and files of a bundled app (site.Apps)
//	wasm/web/dist/            build output of make web (git ignores it):
//	    hearth.wasm           the client, GOOS=js GOARCH=wasm ./wasm/cmd/hearthwasm
//	    hearth-search.wasm    the same with search (bleve): -tags search
//	    hearth-password.wasm  the password strength estimator (zxcvbn):
//	                          ./wasm/cmd/hearthpassword
//	    wasm_exec.js          Go's loader, copied from $(go env GOROOT)/lib/wasm
//	                          (served within hearth-worker.js)
//	    <path>.gz, <path>.br  precompressed copies (kept only when smaller)
//	    manifest.json         per path: SHA-384 (SRI), content hash, encodings
//	wasm/web/gen              the generator make web runs (go run ./wasm/web/gen):
//	                          it renders with server/site's Build, as hearthd
//	                          does again at start
//	wasm/web/browsertest      runs pages in headless Chromium against an
//	                          in-process hearthd
//
// How the pages are served and rendered (origins, integrity, import maps,
// headers) is server/site's to say: see its package documentation.
//
// # Tests
//
// web_test.go checks the serving natively (headers, CSP, compression, 304,
// hosts, paths, integrity against the served bytes) on its own small site,
// and the registered site's pages too; installed_test.go and
// policy_test.go the apps installed from archives and the
// Permissions-Policy. Package browsertest runs pages in headless Chromium
// against an in-process hearthd; its doc shows how to write a browser
// test. browser_test.go is its smoke test, on the placeholder site in
// testdata/smoke; the other tests run the pages and apps of static/.
package web
