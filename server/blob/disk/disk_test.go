package disk_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/hearthcloud/hearth/server/blob"
	"github.com/hearthcloud/hearth/server/blob/blobtest"
	"github.com/hearthcloud/hearth/server/blob/disk"
)

func TestConformance(t *testing.T) {
	blobtest.Run(t, func(t *testing.T, maxSize int64) blob.Store {
		dir := t.TempDir()
		s, err := disk.Open(dir, maxSize)
		if err != nil {
			t.Fatal(err)
		}
		// Whatever the test did, failed Puts included, nothing may be left
		// in tmp/.
		t.Cleanup(func() { checkTmpEmpty(t, dir) })
		return s
	})
}

func open(t *testing.T, dir string) *disk.Store {
	t.Helper()
	s, err := disk.Open(dir, blobtest.MaxSize)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func checkTmpEmpty(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, "tmp"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("left in tmp/: %s", e.Name())
	}
}

func bodyPath(dir string, d blob.Digest) string {
	h := hex.EncodeToString(d[:])
	return filepath.Join(dir, "sha256", h[:2], h[2:4], h)
}

func TestFailedPutLeavesTmpEmpty(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	b := blobtest.Body(1, 3<<20)
	wrong := blobtest.Sum(nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name string
		put  func() error
		want error
	}{
		{"mismatch", func() error {
			_, err := s.Put(context.Background(), bytes.NewReader(b), int64(len(b)), &wrong)
			return err
		}, blob.ErrDigestMismatch},
		{"truncated", func() error {
			_, err := s.Put(context.Background(), bytes.NewReader(b), int64(len(b))+1, nil)
			return err
		}, blob.ErrTruncated},
		{"cancelled", func() error {
			_, err := s.Put(ctx, bytes.NewReader(b), int64(len(b)), nil)
			return err
		}, context.Canceled},
	} {
		if err := tc.put(); !errors.Is(err, tc.want) {
			t.Errorf("%s: Put error = %v, want %v", tc.name, err, tc.want)
		}
		checkTmpEmpty(t, dir)
	}
}

func TestOpenRemovesDebris(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	b := blobtest.Body(2, 1000)
	if _, err := s.Put(context.Background(), bytes.NewReader(b), int64(len(b)), nil); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(dir, "tmp")
	if err := os.WriteFile(filepath.Join(tmp, "put-123"), []byte("half a body"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(tmp, "sub", "dir"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tmp, "sub", "dir", "f"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	open(t, dir)
	checkTmpEmpty(t, dir)
	got, err := os.ReadFile(bodyPath(dir, blobtest.Sum(b)))
	if err != nil || !bytes.Equal(got, b) {
		t.Errorf("stored body after Open: %d bytes, %v; want it intact", len(got), err)
	}
}

func TestLayoutAndModes(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permissions")
	}
	dir := filepath.Join(t.TempDir(), "store") // created by Open
	s := open(t, dir)
	b := blobtest.Body(3, 100)
	d, err := s.Put(context.Background(), bytes.NewReader(b), int64(len(b)), nil)
	if err != nil {
		t.Fatal(err)
	}
	path := bodyPath(dir, d)
	checkMode := func(path string, want fs.FileMode) {
		t.Helper()
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode(); got != want {
			t.Errorf("%s: mode %v, want %v", path, got, want)
		}
	}
	checkMode(path, 0o600)
	for _, d := range []string{
		dir,
		filepath.Join(dir, "tmp"),
		filepath.Join(dir, "sha256"),
		filepath.Dir(filepath.Dir(path)),
		filepath.Dir(path),
	} {
		checkMode(d, fs.ModeDir|0o700)
	}
}

func TestGetIsFile(t *testing.T) {
	s := open(t, t.TempDir())
	d, err := s.Put(context.Background(), bytes.NewReader([]byte("x")), 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, _, err := s.Get(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, ok := r.(*os.File); !ok {
		t.Errorf("Get returned %T, want *os.File", r)
	}
}

func TestReopen(t *testing.T) {
	dir := t.TempDir()
	b := blobtest.Body(4, 2<<20)
	d, err := open(t, dir).Put(context.Background(), bytes.NewReader(b), int64(len(b)), nil)
	if err != nil {
		t.Fatal(err)
	}
	s := open(t, dir)
	r, size, err := s.Get(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, _ := io.ReadAll(r)
	if size != int64(len(b)) || !bytes.Equal(got, b) {
		t.Errorf("after reopening: %d bytes (size %d), want the %d stored", len(got), size, len(b))
	}
}

func TestEnumerateSkipsForeignNames(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	b := blobtest.Body(5, 10)
	d, err := s.Put(context.Background(), bytes.NewReader(b), int64(len(b)), nil)
	if err != nil {
		t.Fatal(err)
	}
	h := hex.EncodeToString(d[:])
	leaf := filepath.Dir(bodyPath(dir, d))
	other := hex.EncodeToString(make([]byte, 32)) // 00…, not in ab/cd/
	upper := []byte(h)
	copy(upper[10:], bytes.ToUpper(upper[10:]))
	foreign := []string{
		filepath.Join(leaf, h[:63]),
		filepath.Join(leaf, h+".tmp"),
		filepath.Join(leaf, string(upper)),
		filepath.Join(leaf, other),
		filepath.Join(dir, "sha256", "README"),
		filepath.Join(dir, "sha256", "zz", "zz", h),
		filepath.Join(dir, "sha256", h[:2], "xyz", h),
	}
	for _, p := range foreign {
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("foreign"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// A directory with a body's name is not a body either.
	if err := os.MkdirAll(filepath.Join(dir, "sha256", "00", "00", other), 0o700); err != nil {
		t.Fatal(err)
	}
	var got []blob.Digest
	err = s.Enumerate(context.Background(), func(d blob.Digest, size int64) error {
		got = append(got, d)
		if size != int64(len(b)) {
			t.Errorf("size %d, want %d", size, len(b))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != d {
		t.Errorf("Enumerate reported %x, want only %x", got, d)
	}
}
