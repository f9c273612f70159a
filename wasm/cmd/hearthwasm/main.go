//go:build js && wasm

// Command hearthwasm is the Hearth client for the browser: built with
// GOOS=js GOARCH=wasm into hearth.wasm, loaded by hearth-worker.js, it
// registers globalThis.hearthGo (package wasm) and keeps running.
package main

import "github.com/hearthcloud/hearth/wasm"

func main() {
	wasm.Install()
	select {}
}
