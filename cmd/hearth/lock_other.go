//go:build !unix

package main

// lockFile does nothing where flock is not available: concurrent commands
// may then race on the state.
func lockFile(string) (func(), error) { return func() {}, nil }
