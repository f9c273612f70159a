// Package wasm will hold the WebAssembly glue for the browser (issue 4): the
// client library exposed to JavaScript as a promise-based API. Its _js.go
// files are glue only.
package wasm
