// Package vectorstest loads the test vectors of spec/vectors for the tests
// of every package that implements a format. It finds the folder from its
// own source path, so it works natively and under GOOS=js GOARCH=wasm (where
// Node gives the test the host's file system).
package vectorstest

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Dir returns the spec/vectors folder.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

// Load decodes the vector file name (such as "document.json") into v,
// refusing fields v does not know, so that a change to the generator cannot
// go unchecked.
func Load(t testing.TB, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(Dir(), name))
	if err != nil {
		t.Fatal(err)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// Unhex decodes a hex string of a vector, failing the test if it is not.
func Unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
