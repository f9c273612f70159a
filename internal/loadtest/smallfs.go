package loadtest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
)

// smallFS is a small ext4 file system in an image file, loop-mounted, that
// holds the data folder, so that the harness can fill the disk under the
// running server and free it again. Mounting needs root; without it the
// disk-full phase is skipped (and the report says so).
type smallFS struct {
	img, dir string
	filler   string
}

// mountSmallFS makes an ext4 image of size bytes in work and mounts it on
// work/fs. No blocks are reserved for root (hearthd runs as root here, and
// would otherwise write on into the reserve).
func mountSmallFS(work string, size int64) (*smallFS, error) {
	f := &smallFS{img: filepath.Join(work, "fs.img"), dir: filepath.Join(work, "fs")}
	f.filler = filepath.Join(f.dir, "filler")
	if err := os.MkdirAll(f.dir, 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(f.img, nil, 0o600); err != nil {
		return nil, err
	}
	if err := os.Truncate(f.img, size); err != nil {
		return nil, err
	}
	if b, err := exec.Command("mkfs.ext4", "-q", "-F", "-m", "0", f.img).CombinedOutput(); err != nil {
		os.Remove(f.img)
		return nil, fmt.Errorf("mkfs.ext4: %v: %s", err, b)
	}
	if b, err := exec.Command("mount", "-o", "loop", f.img, f.dir).CombinedOutput(); err != nil {
		os.Remove(f.img)
		return nil, fmt.Errorf("mount: %v: %s", err, b)
	}
	return f, nil
}

// free returns the bytes free on the file system.
func (f *smallFS) free() int64 {
	var st syscall.Statfs_t
	if syscall.Statfs(f.dir, &st) != nil {
		return -1
	}
	return int64(st.Bavail) * st.Bsize
}

// fill takes every free block with one file (fallocate, then writes until
// the file system answers ENOSPC) and returns how much it took.
func (f *smallFS) fill() (int64, error) {
	fd, err := os.OpenFile(f.filler, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return 0, err
	}
	defer fd.Close()
	if n := f.free() - 64<<10; n > 0 {
		if err := syscall.Fallocate(int(fd.Fd()), 0, 0, n); err != nil && !errors.Is(err, syscall.ENOSPC) {
			return 0, err
		}
	}
	if _, err := fd.Seek(0, 2); err != nil {
		return 0, err
	}
	buf := make([]byte, 4096)
	for {
		if _, err := fd.Write(buf); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				break
			}
			return 0, err
		}
	}
	fd.Sync()
	st, err := fd.Stat()
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

// release removes the filler.
func (f *smallFS) release() error {
	err := os.Remove(f.filler)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// unmount unmounts the file system (lazily, should something still hold
// it) and removes the image.
func (f *smallFS) unmount() error {
	err := exec.Command("umount", f.dir).Run()
	if err != nil {
		err = exec.Command("umount", "-l", f.dir).Run()
	}
	os.Remove(f.img)
	return err
}
