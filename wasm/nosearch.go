//go:build !search

package wasm

// searchMethods are the method table's rows of search (search.go), which
// only hearth-search.wasm has: none here.
var searchMethods []method
