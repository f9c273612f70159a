//go:build hearthtest

package client_test

import (
	"errors"
	"testing"

	"github.com/hearthcloud/hearth/client"
)

// TestFilesDeleteForever: items picked in the trash go for good with what
// they hold and their versions' blobs; the rest of the trash stays; an item
// not in the trash is refused before anything is deleted.
func TestFilesDeleteForever(t *testing.T) {
	e := newEnv(t)
	c, _, _ := e.signup("a long test passphrase")
	f := mkdir(t, c, "", "F")
	x := upTo(t, c, f, "x", []byte("xx"))
	y := upTo(t, c, "", "y", []byte("yyy"))
	upTo(t, c, "", "y", []byte("yyyy")) // a version of y
	z := upTo(t, c, "", "z", []byte("z"))
	live := upTo(t, c, "", "live", []byte("live"))
	blobs := blobCount(t, e, c)
	if err := c.Trash(ctx, []string{f, y, z}); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteForever(ctx, []string{y, live}); !errors.Is(err, client.ErrNotInTrash) {
		t.Fatalf("a live item: %v", err)
	}
	if tr := files(t, c); tr.Item(y) == nil || blobCount(t, e, c) != blobs {
		t.Fatal("a refused call deleted something")
	}
	if err := c.DeleteForever(ctx, []string{f, y, "AAAAAAAAAAAAAAAAAAAAAA"}); err != nil {
		t.Fatal(err)
	}
	tr := files(t, c)
	if tr.Item(f) != nil || tr.Item(x) != nil || tr.Item(y) != nil || tr.Item(z) == nil || tr.Item(live) == nil {
		t.Fatal("the wrong items went")
	}
	if got := names(tr.Trash()); got != "z" {
		t.Fatalf("trash: %q", got)
	}
	if n := blobCount(t, e, c); n != blobs-3 {
		t.Fatalf("%d blobs, want %d (x, y and y's version gone)", n, blobs-3)
	}
	// Run again (an interrupted call is finished by another): nothing left to do.
	if err := c.DeleteForever(ctx, []string{f, y}); err != nil {
		t.Fatal(err)
	}
}
