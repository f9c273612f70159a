// Package wasm is the browser's side of the client: the client library
// (package client) exposed to the web pages as a promise-based API (spec/web.md
// §3). API holds what one browser session does (signing up and in, its
// memory of the account, documents and the changes feed, files, apps and
// their grants, intents, search); dispatch.go names the methods the
// JavaScript side calls; the _js.go files are glue only (syscall/js), so
// everything else builds and is tested natively. Package web (wasm/web)
// holds the pages and scripts and serves them.
package wasm
