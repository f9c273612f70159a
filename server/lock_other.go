//go:build !unix

package server

import "errors"

// ErrFolderInUse: another hearthd is serving the data folder.
var ErrFolderInUse = errors.New("another hearthd is serving this data folder")

// lockFolder takes no lock where flock is missing.
func lockFolder(dir string) (func(), error) { return func() {}, nil }
