//go:build hearthtest

// What the two halves of the WebAssembly round trip share
// (wasm_roundtrip_test.go, native; wasm_second_test.go, under js).

package search_test

import "github.com/hearthcloud/hearth/client/search"

// What TestWasmSecondDevice is told, through its environment. The expected
// answers go in a file the variable names: wasm_exec.js caps the command
// line and environment of a wasm program at about 8 KB.
const (
	wasmEnvServer   = "HEARTH_WASM_SERVER"
	wasmEnvUser     = "HEARTH_WASM_USER"
	wasmEnvPassword = "HEARTH_WASM_PASSWORD"
	wasmEnvExpect   = "HEARTH_WASM_EXPECT"
)

// wasmExpect is what the second device must find.
type wasmExpect struct {
	Doctype  string        `json:"doctype"`
	Docs     uint64        `json:"docs"`
	Segments int           `json:"segments"`
	Cases    []wasmCase    `json:"cases"`
	Snippets []wasmSnippet `json:"snippets"`
}

// wasmCase is one query and the native answer: ids and scores in order, as
// run gives them, and the total.
type wasmCase struct {
	Text   string    `json:"text"`
	SortBy []string  `json:"sortBy,omitempty"`
	IDs    []string  `json:"ids"`
	Scores []float64 `json:"scores"` // encoding/json round-trips a float64 exactly
	Total  uint64    `json:"total"`
}

// wasmSnippet is one hit of the snippet query, with its snippet.
type wasmSnippet struct {
	Query   string          `json:"query"`
	ID      string          `json:"id"`
	Snippet *search.Snippet `json:"snippet"`
}

// What TestWasmOpenSecondDevice (wasm_open_second_test.go, under js) is
// told by BenchmarkWasmOpen (wasm_open_bench_test.go, native).
const (
	wasmOpenEnvServer   = "HEARTH_WASM_OPEN_SERVER"
	wasmOpenEnvUser     = "HEARTH_WASM_OPEN_USER"
	wasmOpenEnvPassword = "HEARTH_WASM_OPEN_PASSWORD"
	wasmOpenEnvDocs     = "HEARTH_WASM_OPEN_DOCS"
	wasmOpenEnvQuery    = "HEARTH_WASM_OPEN_QUERY"
)
