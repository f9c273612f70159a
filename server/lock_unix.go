//go:build unix

package server

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// ErrFolderInUse: another hearthd serves the data folder. Two servers on
// one folder would each sweep the other's bodies still waiting for their
// rows at start-up, and share nothing of their limits.
var ErrFolderInUse = errors.New("another hearthd is serving this data folder")

// lockFolder takes an exclusive, non-blocking flock on dir's lock file for
// as long as the server runs; the operator's commands (OpenAdmin) do not
// take it, since SQLite serializes their writes with the server's.
func lockFolder(dir string) (release func(), err error) {
	f, err := os.OpenFile(dir+string(os.PathSeparator)+"lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("data folder: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%s: %w", dir, ErrFolderInUse)
		}
		return nil, fmt.Errorf("data folder: %w", err)
	}
	return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}
