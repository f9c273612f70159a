package main

import (
	"bytes"
	"os"
	"testing"
)

// TestVectorsUpToDate fails when a vector file differs from what the
// generator writes: after a change to a generator, run go run ./spec/vectors/gen.
func TestVectorsUpToDate(t *testing.T) {
	for _, g := range generators {
		if testing.Short() && g.file == "kdf.json" {
			continue // derives with the real Argon2id parameters
		}
		old, err := os.ReadFile("../" + g.file)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(old, encode(g.gen())) {
			t.Errorf("%s is out of date: run go run ./spec/vectors/gen", g.file)
		}
	}
}
