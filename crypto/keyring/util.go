package keyring

import (
	"bytes"
	"crypto/rand"
	"io"
)

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// randRead fills b from the system's random source.
func randRead(b []byte) {
	if _, err := io.ReadFull(rand.Reader, b); err != nil {
		panic("keyring: random source failed: " + err.Error())
	}
}
