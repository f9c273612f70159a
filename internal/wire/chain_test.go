package wire

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

// TestChainVector checks the example of spec/protocol.md §8.6.2.
func TestChainVector(t *testing.T) {
	e1 := ChainEntry{Seq: 1, Doctype: "io.hearth.notes", ID: "k3vq4zqg2vbf3lqf5xhm2m7n2e", Rev: 1, Digest: sha256.Sum256([]byte("abc"))}
	c1 := NextChain([32]byte{}, e1)
	if got := hex.EncodeToString(c1[:]); got != "6384629d1e49152c1cd56d6f9baa8610935ddc2ceac5ee71b77d18022116c01f" {
		t.Fatalf("chain_1 = %s", got)
	}
	e2 := ChainEntry{Seq: 2, Doctype: e1.Doctype, ID: e1.ID, Rev: 2, Digest: sha256.Sum256(nil), Deleted: true}
	c2 := NextChain(c1, e2)
	if got := hex.EncodeToString(c2[:]); got != "e255786c5cce5489237864d2f05c696b6c52fe16300404eada76a86570179750" {
		t.Fatalf("chain_2 = %s", got)
	}
}
