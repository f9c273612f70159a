//go:build hearthtest

package wasm

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestNode builds hearth.wasm, loads it in Node (wasm_exec.js works there)
// and drives the registered API, glue included, against a real server:
// documents, a change event, a streamed upload and a verified download,
// error codes, TOTP enrolment, sessions, logout and login; and the
// password rule, with hearth-password.wasm loaded beside it as the worker
// loads it (a second Go program in the same JavaScript realm).
func TestNode(t *testing.T) {
	if testing.Short() {
		t.Skip("builds hearth.wasm")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("no node in PATH")
	}
	dir := t.TempDir()
	wasmPath := filepath.Join(dir, "hearth.wasm")
	build := exec.Command("go", "build", "-o", wasmPath, "./cmd/hearthwasm")
	build.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building hearth.wasm: %v\n%s", err, out)
	}
	pwPath := filepath.Join(dir, "hearth-password.wasm")
	build = exec.Command("go", "build", "-o", pwPath, "./cmd/hearthpassword")
	build.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building hearth-password.wasm: %v\n%s", err, out)
	}
	wasmExec := filepath.Join(runtime.GOROOT(), "lib", "wasm", "wasm_exec.js")
	if _, err := os.Stat(wasmExec); err != nil {
		t.Skip("no wasm_exec.js in GOROOT")
	}
	s := newServer(t)
	cmd := exec.Command(node, "testdata/node_test.cjs", wasmExec, wasmPath, s.url, pwPath)
	out, err := cmd.CombinedOutput()
	t.Logf("node:\n%s", out)
	if err != nil || !strings.Contains(string(out), "PASS") {
		t.Fatalf("node: %v", err)
	}
}
