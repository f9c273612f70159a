//go:build hearthtest && !js

package search_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// wasmDevice is this package's test binary built for GOOS=js GOARCH=wasm,
// run under Node as another device (the tests of wasm_second_test.go and
// wasm_open_second_test.go). Building is the slow part: it starts at once,
// in the background, and run waits for it.
type wasmDevice struct {
	tb       testing.TB
	ctx      context.Context
	node     string
	execJS   string
	tmp      string
	bin      string
	built    chan error
	buildOut []byte // the build's output, when it failed
}

// startWasmDevice skips tb if Node is missing (make test installs it).
func startWasmDevice(ctx context.Context, tb testing.TB) *wasmDevice {
	tb.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		tb.Skip("node is not installed (make test installs it): cannot run a wasm device")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		tb.Fatalf("the go command is not on PATH (go test puts GOROOT/bin there): %v", err)
	}
	d := &wasmDevice{tb: tb, ctx: ctx, node: node, tmp: tb.TempDir(), built: make(chan error, 1)}
	d.bin = filepath.Join(d.tmp, "search.wasm")
	go func() {
		start := time.Now()
		// The working directory of a test is its package's folder.
		cmd := exec.CommandContext(ctx, gobin, "test", "-c", "-tags", "hearthtest", "-o", d.bin, ".")
		cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
		out, err := cmd.CombinedOutput()
		if err != nil {
			d.buildOut = out
		} else {
			tb.Logf("wasm test binary built in %v", time.Since(start).Round(time.Millisecond))
		}
		d.built <- err
	}()
	goroot, err := exec.CommandContext(ctx, gobin, "env", "GOROOT").Output()
	if err != nil {
		tb.Fatalf("go env GOROOT: %v", err)
	}
	for _, dir := range []string{"lib/wasm", "misc/wasm"} { // misc/wasm before Go 1.24
		p := filepath.Join(strings.TrimSpace(string(goroot)), dir, "wasm_exec_node.js")
		if _, err := os.Stat(p); err == nil {
			d.execJS = p
		}
	}
	if d.execJS == "" {
		tb.Fatalf("no wasm_exec_node.js under %s", goroot)
	}
	return d
}

// run runs test (a Test of the wasm binary) with env, a few variables: a
// small environment, well under wasm_exec.js's limit of about 8 KB. It logs
// the output and fails tb unless test ran and passed; it returns the
// output.
func (d *wasmDevice) run(test string, env ...string) string {
	d.tb.Helper()
	if err := <-d.built; err != nil {
		d.tb.Fatalf("building the wasm test binary (GOOS=js GOARCH=wasm go test -c -tags hearthtest ./client/search/): %v\n%s", err, d.buildOut)
	}
	d.built <- nil // for a later run
	start := time.Now()
	cmd := exec.CommandContext(d.ctx, d.node, "--stack-size=8192", d.execJS, d.bin,
		"-test.run=^"+test+"$", "-test.v", "-test.count=1")
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "TMPDIR=" + d.tmp}, env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	for _, l := range strings.Split(strings.TrimRight(out.String(), "\n"), "\n") {
		d.tb.Log("wasm: " + l)
	}
	if err != nil {
		d.tb.Fatalf("the wasm device failed (%v): see its output above", err)
	}
	if !strings.Contains(out.String(), "--- PASS: "+test) {
		d.tb.Fatalf("%s did not pass under wasm (skipped, or not run): see its output above", test)
	}
	d.tb.Logf("the wasm device ran in %v", time.Since(start).Round(time.Millisecond))
	return out.String()
}
