package disk_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/hearthcloud/hearth/server/blob/blobtest"
	"github.com/hearthcloud/hearth/server/blob/disk"
)

// TestDedupDoesTheSameDurableWork (finding 5): storing bytes that are
// already stored (another account's, say) fsyncs and renames a new copy
// just as storing new bytes does, so an upload's timing does not tell
// whether the bytes were there (spec §8.7.1).
func TestDedupDoesTheSameDurableWork(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, dir)
	b := blobtest.Body(7, 1<<20)
	put := func() (syncs int64, fi os.FileInfo) {
		t.Helper()
		before := disk.FileSyncs(s)
		d, err := s.Put(ctx, bytes.NewReader(b), int64(len(b)), nil)
		if err != nil {
			t.Fatal(err)
		}
		h := hex.EncodeToString(d[:])
		fi, err = os.Stat(filepath.Join(dir, "sha256", h[0:2], h[2:4], h))
		if err != nil {
			t.Fatal(err)
		}
		return disk.FileSyncs(s) - before, fi
	}
	newSyncs, first := put()
	againSyncs, second := put()
	if newSyncs != 1 || againSyncs != newSyncs {
		t.Fatalf("new bytes: %d fsyncs; the same bytes again: %d", newSyncs, againSyncs)
	}
	if os.SameFile(first, second) {
		t.Fatal("the same bytes again were not renamed into place as new bytes are")
	}
	checkTmpEmpty(t, dir)
}
