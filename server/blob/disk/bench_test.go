package disk_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"testing"

	"github.com/hearthcloud/hearth/server/blob"
	"github.com/hearthcloud/hearth/server/blob/blobtest"
	"github.com/hearthcloud/hearth/server/blob/disk"
	"github.com/hearthcloud/hearth/server/blob/internal/body"
)

const benchSize = 256 << 20

// BenchmarkPut256MiB stores a 256 MiB body: temporary file, SHA-256, fsync,
// rename, directory fsync. Compare with BenchmarkBaselineWriteFsync256MiB.
func BenchmarkPut256MiB(b *testing.B) {
	data := blobtest.Body(1, benchSize)
	s, err := disk.Open(b.TempDir(), benchSize)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.SetBytes(benchSize)
	b.ResetTimer()
	for range b.N {
		d, err := s.Put(ctx, bytes.NewReader(data), benchSize, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := s.Remove(ctx, d); err != nil { // else the next Put dedupes
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// BenchmarkBaselineWriteFsync256MiB writes the same bytes to a file in
// chunks of the same size as Put and fsyncs it: the raw disk speed, without
// hashing, rename or directory fsync.
func BenchmarkBaselineWriteFsync256MiB(b *testing.B) {
	data := blobtest.Body(1, benchSize)
	dir := b.TempDir()
	buf := make([]byte, body.ChunkSize)
	b.SetBytes(benchSize)
	b.ResetTimer()
	for range b.N {
		f, err := os.CreateTemp(dir, "baseline-*")
		if err != nil {
			b.Fatal(err)
		}
		r := bytes.NewReader(data)
		for r.Len() > 0 {
			n, err := io.ReadFull(r, buf[:min(r.Len(), len(buf))])
			if err != nil {
				b.Fatal(err)
			}
			if _, err := f.Write(buf[:n]); err != nil {
				b.Fatal(err)
			}
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := os.Remove(f.Name()); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// BenchmarkGet256MiB reads a 256 MiB body back (from the page cache, as
// just written).
func BenchmarkGet256MiB(b *testing.B) {
	data := blobtest.Body(1, benchSize)
	s, err := disk.Open(b.TempDir(), benchSize)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	d, err := s.Put(ctx, bytes.NewReader(data), benchSize, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(benchSize)
	b.ResetTimer()
	for range b.N {
		if err := get(ctx, s, d); err != nil {
			b.Fatal(err)
		}
	}
}

func get(ctx context.Context, s *disk.Store, d blob.Digest) error {
	r, _, err := s.Get(ctx, d)
	if err != nil {
		return err
	}
	defer r.Close()
	_, err = io.Copy(io.Discard, r)
	return err
}
