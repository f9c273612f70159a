//go:build !js

package client

// uploadPiece is the size of the pieces of an upload session (upload.go).
const uploadPiece = 8 << 20
