// Package resealbench holds BenchmarkWasmReseal: rotating a doctype key
// over 10,000 notes, the re-seal run by a device in WebAssembly under Node
// against a native server, while an app keeps reading and writing notes.
// Its figures are in BENCHMARKS.md, "Issue 6: key rotation". It has no code
// of its own outside its tests.
//
//	HEARTH_BENCH_RESEAL=1 go test -tags hearthtest ./internal/resealbench/ \
//	    -run '^$' -bench BenchmarkWasmReseal -benchtime 1x -timeout 30m -v
package resealbench
