// Package client will be the Hearth client library (issue 3): sessions,
// keyring, documents, blobs and sync over the HTTP API, doing all the
// cryptography with the crypto/ packages. It never imports server/ and
// builds for GOOS=js GOARCH=wasm.
package client
