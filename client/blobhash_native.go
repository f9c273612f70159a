//go:build !js

package client

import (
	"crypto/sha256"
	"hash"
)

// newBlobHash is the SHA-256 of a blob's sealed bytes (protocol §6.2),
// as uploads and downloads compute it.
func newBlobHash() hash.Hash { return sha256.New() }
