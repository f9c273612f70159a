package disk

import (
	"os"
	"syscall"
)

// startWriteback asks the kernel to start writing n bytes at off of f to disk
// without waiting (sync_file_range with SYNC_FILE_RANGE_WRITE), so that the
// disk works while Put reads and hashes the next chunks and the final fsync
// has little left to do. It is a hint: durability still comes from fsync,
// and errors are ignored.
func startWriteback(f *os.File, off, n int64) {
	const syncFileRangeWrite = 2 // SYNC_FILE_RANGE_WRITE
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	rc.Control(func(fd uintptr) {
		syscall.Syscall6(syscall.SYS_SYNC_FILE_RANGE, fd, uintptr(off), uintptr(n), syncFileRangeWrite, 0, 0)
	})
}
