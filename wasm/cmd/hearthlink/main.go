//go:build js && wasm

// Command hearthlink is the small client of the share-link and drop-link
// pages (spec/web.md §7): built with GOOS=js GOARCH=wasm into
// hearthlink.wasm, loaded by link-worker.js, it registers
// globalThis.hearthLink (package linkpage) and keeps running. It links the
// link functions of package client and none of the account's.
package main

import "github.com/hearthcloud/hearth/wasm/linkpage"

func main() {
	linkpage.Install()
	select {}
}
