package disk_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/hearthcloud/hearth/server/blob"
	"github.com/hearthcloud/hearth/server/blob/blobtest"
	"github.com/hearthcloud/hearth/server/blob/disk"
)

// TestPartialSurvivesReopen: a partial body outlives its Store (a server
// restart): Open keeps uploads/, the next process appends from the
// recorded offset, dropping bytes past it, and commits the right body.
func TestPartialSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	b := blobtest.Body(70, 3<<20)
	s := open(t, dir)
	p, err := s.BeginPartial(ctx, int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if p, err = s.AppendPartial(ctx, p, bytes.NewReader(b[:1<<20]), 1<<20); err != nil {
		t.Fatal(err)
	}
	// Appended, fsynced, but never recorded: the crash came first.
	if _, err := s.AppendPartial(ctx, p, bytes.NewReader(blobtest.Body(71, 5000)), 5000); err != nil {
		t.Fatal(err)
	}
	s = open(t, dir)
	var names []string
	s.EnumeratePartials(ctx, func(n string) error { names = append(names, n); return nil })
	if len(names) != 1 || names[0] != p.Name {
		t.Fatalf("after reopening, partials %v, want [%s]", names, p.Name)
	}
	if p, err = s.AppendPartial(ctx, p, bytes.NewReader(b[1<<20:]), int64(len(b)-1<<20)); err != nil {
		t.Fatal(err)
	}
	want := blobtest.Sum(b)
	if d, err := s.CommitPartial(ctx, p, &want); err != nil || d != want {
		t.Fatalf("CommitPartial = %x, %v", d, err)
	}
	got, err := os.ReadFile(bodyPath(dir, want))
	if err != nil || !bytes.Equal(got, b) {
		t.Fatalf("committed body: %d bytes, %v", len(got), err)
	}
	if left, _ := os.ReadDir(filepath.Join(dir, "uploads")); len(left) != 0 {
		t.Errorf("uploads/ holds %d files after the commit", len(left))
	}
}

// TestPartialAppendFsyncs: every append is fsynced before it returns, and
// a commit fsyncs the file before its rename, as Put does.
func TestPartialAppendFsyncs(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	b := blobtest.Body(72, 10000)
	p, err := s.BeginPartial(ctx, int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		before := disk.FileSyncs(s)
		if p, err = s.AppendPartial(ctx, p, bytes.NewReader(b[i*2500:(i+1)*2500]), 2500); err != nil {
			t.Fatal(err)
		}
		if disk.FileSyncs(s) != before+1 {
			t.Fatalf("append %d: %d fsyncs, want 1", i, disk.FileSyncs(s)-before)
		}
	}
	before := disk.FileSyncs(s)
	if _, err := s.CommitPartial(ctx, p, nil); err != nil {
		t.Fatal(err)
	}
	if disk.FileSyncs(s) != before+1 {
		t.Fatalf("commit: %d fsyncs, want 1", disk.FileSyncs(s)-before)
	}
}

// TestPartialLost: a partial holding fewer bytes than recorded (lost) is
// ErrNotFound, never appended to or committed.
func TestPartialLost(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, dir)
	b := blobtest.Body(73, 2000)
	p, _ := s.BeginPartial(ctx, int64(len(b)))
	p, _ = s.AppendPartial(ctx, p, bytes.NewReader(b), 2000)
	if err := os.Truncate(filepath.Join(dir, "uploads", p.Name), 1000); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CommitPartial(ctx, p, nil); !isNotFound(err) {
		t.Errorf("CommitPartial of a lost partial: %v, want ErrNotFound", err)
	}
}

func isNotFound(err error) bool { return errors.Is(err, blob.ErrNotFound) }
