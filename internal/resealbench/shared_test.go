//go:build hearthtest

package resealbench_test

// What TestWasmResealDevice (reseal_wasm_test.go, under js) is told by
// BenchmarkWasmReseal (reseal_bench_test.go, native): the file holding the
// device's client.State as JSON (wasm_exec.js caps the environment at
// about 8 KB, and the state names every note), and the doctype.
const (
	envState   = "HEARTH_RESEAL_STATE"
	envDoctype = "HEARTH_RESEAL_DOCTYPE"
)

const notes = "io.hearth.notes"
