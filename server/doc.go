// Package server will be the Hearth server (issue 3): the HTTP API of
// spec/protocol.md §8 over narrow storage interfaces (metadata in SQLite,
// blobs on disk), storing only what clients sealed.
package server
