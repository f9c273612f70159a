//go:build hearthtest && !js

package search_test

import (
	"context"
	"testing"

	"github.com/hearthcloud/hearth/internal/wasmdevice"
)

// wasmDevice is this package's test binary built for GOOS=js GOARCH=wasm,
// run under Node as another device (the tests of wasm_second_test.go and
// wasm_open_second_test.go); the runner is internal/wasmdevice's.
type wasmDevice struct{ *wasmdevice.Device }

// startWasmDevice skips tb if Node is missing (make test installs it).
func startWasmDevice(ctx context.Context, tb testing.TB) *wasmDevice {
	tb.Helper()
	return &wasmDevice{wasmdevice.Start(ctx, tb, "hearthtest")}
}

// run runs test (a Test of the wasm binary) with env, a few variables, and
// fails tb unless it passed; it returns the output.
func (d *wasmDevice) run(test string, env ...string) string {
	return d.Run(test, env...)
}
