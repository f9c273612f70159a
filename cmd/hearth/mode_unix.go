//go:build unix

package main

import (
	"os"
	"syscall"
)

// keepMode gives a downloaded file, written under a temporary name (mode
// 0600), the mode a new file of the person's gets: 0666 less their umask,
// as other tools that write files do.
func keepMode(name string) {
	m := syscall.Umask(0)
	syscall.Umask(m)
	os.Chmod(name, 0o666&^os.FileMode(m))
}
