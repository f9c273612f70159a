//go:build js

package client

// uploadPiece is the size of the pieces of an upload session (upload.go):
// larger in the browser, where each piece is a fetch whose body is held
// whole, and requests cost more.
const uploadPiece = 8 << 20
