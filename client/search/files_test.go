//go:build hearthtest && !js

package search_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/client/search"
)

// TestFilesNames: file and folder names are searched, and nothing else of
// the files' documents (kinds, ids, digests, settings).
func TestFilesNames(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	c := e.signup("fay")
	trips, err := c.Mkdir(ctx, "", "Trips to Zanzibar")
	if err != nil {
		t.Fatal(err)
	}
	id, err := c.UploadTo(ctx, trips, strings.NewReader("x"), 1, "Holiday photo.jpg", "image/jpeg", time.Time{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SetVersionsKept(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if !search.Searched(client.FilesDoctype) {
		t.Fatal("files not searched")
	}
	s := open(t, c, client.FilesDoctype, nil)
	find := func(q string) []search.Found {
		r, err := s.Search(ctx, search.Query{Text: q})
		if err != nil {
			t.Fatal(err)
		}
		return r.Found
	}
	if f := find("holiday"); len(f) != 1 || f[0].ID != id || f[0].Snippet == nil || f[0].Snippet.Field != "name" || f[0].Snippet.Text != "Holiday photo.jpg" {
		t.Fatalf("holiday: %+v", f)
	}
	if f := find("zanzibar"); len(f) != 1 || f[0].ID != trips {
		t.Fatalf("zanzibar: %+v", f)
	}
	for _, q := range []string{"file", "folder", "image", "settings", id} {
		if f := find(q); len(f) != 0 {
			t.Errorf("%q found %d", q, len(f))
		}
	}
}
