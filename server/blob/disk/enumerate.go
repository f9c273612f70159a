package disk

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/hearthcloud/hearth/server/blob"
)

// Enumerate walks the fan-out directories and calls fn for every body file.
// Names that are not 64 lower-case hex digits, or that sit in the wrong
// fan-out directory, are skipped, as are bodies removed during the walk.
// It checks ctx between directories.
func (s *Store) Enumerate(ctx context.Context, fn func(d blob.Digest, size int64) error) error {
	const op = "disk.Enumerate"
	level1, err := os.ReadDir(s.bodies)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	for _, e1 := range level1 {
		if !e1.IsDir() || !isHex(e1.Name(), 2) {
			continue
		}
		dir1 := filepath.Join(s.bodies, e1.Name())
		level2, err := readDir(dir1)
		if err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		for _, e2 := range level2 {
			if !e2.IsDir() || !isHex(e2.Name(), 2) {
				continue
			}
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("%s: %w", op, err)
			}
			prefix := e1.Name() + e2.Name()
			files, err := readDir(filepath.Join(dir1, e2.Name()))
			if err != nil {
				return fmt.Errorf("%s: %w", op, err)
			}
			for _, f := range files {
				name := f.Name()
				if !f.Type().IsRegular() || !isHex(name, 64) || name[:4] != prefix {
					continue
				}
				info, err := f.Info()
				if errors.Is(err, fs.ErrNotExist) {
					continue // removed since ReadDir
				}
				if err != nil {
					return fmt.Errorf("%s: %w", op, err)
				}
				var d blob.Digest
				hex.Decode(d[:], []byte(name))
				if err := fn(d, info.Size()); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// readDir is os.ReadDir, with a directory that vanished read as empty.
func readDir(dir string) ([]os.DirEntry, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return entries, err
}

// isHex reports whether s is n lower-case hex digits.
func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
