// Package loadtest is Hearth's load and fault harness: it starts the
// shipped hearthd on loopback with its SQLite data folder, drives it with
// many simulated devices through the client library (sign-up and
// sign-in with the real key derivation, document writes and reads, feed
// long-polls, blob uploads and downloads), injects faults (kill -9 and
// restart, a full disk, slow clients on every route), and then holds the
// server to what it acknowledged, from a new device per account.
//
// cmd/hearthload runs it (`make load`); TestLoadSmoke runs a small version
// in `make test`. The figures are in BENCHMARKS.md, "Issue 13: load and
// faults".
package loadtest
