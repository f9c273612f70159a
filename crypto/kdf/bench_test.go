package kdf_test

import (
	"bytes"
	"testing"

	"github.com/hearthcloud/hearth/crypto/kdf"
)

// BenchmarkDeriveDefault runs Argon2id at the shipped parameters
// (kdf.Default: 64 MiB, t=3, p=1), what every login costs a client.
func BenchmarkDeriveDefault(b *testing.B) {
	benchSeed := bytes.Repeat([]byte{0x5a}, kdf.SeedSize)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := kdf.Derive("correct horse battery staple", "alice", benchSeed, kdf.Default); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1e3/float64(b.N), "ms/op")
}
