package keyring

import (
	"bytes"
	"crypto/rand"
	"io"
)

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// randReader is the source of nonces and recovery keys. Tests in this
// package replace it to reproduce the test vectors byte for byte; nothing
// else may.
var randReader io.Reader = rand.Reader

// randRead fills b from randReader.
func randRead(b []byte) {
	if _, err := io.ReadFull(randReader, b); err != nil {
		panic("keyring: random source failed: " + err.Error())
	}
}
