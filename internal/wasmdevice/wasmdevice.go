//go:build !js

// Package wasmdevice runs a package's test binary, built for GOOS=js
// GOARCH=wasm, under Node as another device of a native test or benchmark
// (the native half starts the server and hands the wasm half what it needs
// through a few environment variables). The benchmarks of client/search
// (BenchmarkWasmOpen) and internal/resealbench (BenchmarkWasmReseal) use
// it; Node's runner is found under $(go env GOROOT)/lib/wasm.
package wasmdevice

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Device is the calling package's test binary built for GOOS=js
// GOARCH=wasm, run under Node. Building is the slow part: it starts at
// once, in the background, and Run waits for it.
type Device struct {
	tb       testing.TB
	ctx      context.Context
	node     string
	execJS   string
	tmp      string
	bin      string
	tags     string
	built    chan error
	buildOut []byte // the build's output, when it failed

	// NodeArgs are put before the runner on Node's command line (for
	// example --cpu-prof); --stack-size=8192 always is.
	NodeArgs []string
}

// Start builds, in the background, the test binary of the package in the
// working directory (a test's is its package's folder) with the build tags
// tags (comma-separated, "" for none) for GOOS=js GOARCH=wasm. It skips tb
// if Node is missing (make test installs it).
func Start(ctx context.Context, tb testing.TB, tags string) *Device {
	tb.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		tb.Skip("node is not installed (make test installs it): cannot run a wasm device")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		tb.Fatalf("the go command is not on PATH (go test puts GOROOT/bin there): %v", err)
	}
	d := &Device{tb: tb, ctx: ctx, node: node, tmp: tb.TempDir(), tags: tags, built: make(chan error, 1)}
	d.bin = filepath.Join(d.tmp, "device.wasm")
	go func() {
		start := time.Now()
		args := []string{"test", "-c"}
		if tags != "" {
			args = append(args, "-tags", tags)
		}
		cmd := exec.CommandContext(ctx, gobin, append(args, "-o", d.bin, ".")...)
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

// Dir is a temporary folder of the device's: TMPDIR of the wasm program.
func (d *Device) Dir() string { return d.tmp }

// Wait waits for the build, failing tb if it failed.
func (d *Device) Wait() {
	d.tb.Helper()
	if err := <-d.built; err != nil {
		d.tb.Fatalf("building the wasm test binary (GOOS=js GOARCH=wasm go test -c -tags %q .): %v\n%s", d.tags, err, d.buildOut)
	}
	d.built <- nil // for a later call
}

// Run runs test (a Test of the wasm binary) with env, a few variables: a
// small environment, well under wasm_exec.js's limit of about 8 KB (hand
// larger things over in a file). It logs the output and fails tb unless
// test ran and passed; it returns the output.
func (d *Device) Run(test string, env ...string) string {
	d.tb.Helper()
	d.Wait()
	start := time.Now()
	args := append([]string{"--stack-size=8192"}, d.NodeArgs...)
	args = append(args, d.execJS, d.bin, "-test.run=^"+test+"$", "-test.v", "-test.count=1")
	cmd := exec.CommandContext(d.ctx, d.node, args...)
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

// ParseLine returns the key=value numbers of the first line of out whose
// first field is tag (as the wasm halves print them), or nil.
func ParseLine(out, tag string) map[string]float64 {
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) == 0 || f[0] != tag {
			continue
		}
		m := map[string]float64{}
		for _, kv := range f[1:] {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				continue
			}
			if x, err := strconv.ParseFloat(v, 64); err == nil {
				m[k] = x
			}
		}
		return m
	}
	return nil
}
