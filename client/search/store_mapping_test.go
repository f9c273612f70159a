//go:build hearthtest && !js

package search_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/hearthcloud/hearth/client/search"
)

// TestStoreOldMapping: an index an earlier client stored, of mapping
// hearth-text-1 (accents kept in the terms), is rebuilt by this one, not
// misread: "zoe" finds Zoë, and the manifest saved names hearth-text-2. A
// rebuild after an upgrade is no warning (Rebuilt is nil). Read as if it
// were of the current mapping, the same segments would miss Zoë: that is
// what the mapping's name in the manifest is for.
func TestStoreOldMapping(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a := e.signup("zed")
	writeNotes(t, a, []search.Doc{
		{ID: "zoe", Content: []byte(`{"title":"Lunch with Zoë","body":"At the École, in Zürich."}`)},
		{ID: "other", Content: []byte(`{"title":"Groceries","body":"Bread."}`)},
	})

	// The earlier client's index.
	undo := search.IndexAsOldMapping()
	old, err := search.Open(ctx, a, notes, nil)
	if err != nil {
		undo()
		t.Fatal(err)
	}
	err = old.Save(ctx)
	old.Close()
	undo()
	if err != nil {
		t.Fatal(err)
	}
	found := func(s *search.Store, q string) []string {
		t.Helper()
		r, err := s.Search(ctx, search.Query{Text: q})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, f := range r.Found {
			ids = append(ids, f.ID)
		}
		return ids
	}
	// Misread: loaded as if its terms were folded.
	b := e.login("zed")
	misread := open(t, b, notes, nil)
	if misread.Rebuilt() != nil || !slices.Equal(found(misread, "lunch"), []string{"zoe"}) || len(found(misread, "zoe")) != 0 || len(found(misread, "Zoë")) != 0 {
		t.Fatalf("the old segments were not loaded as they are: rebuilt %v", misread.Rebuilt())
	}
	// As stored by the earlier client: its manifest names its mapping.
	content, rev, err := a.GetManifest(ctx, notes)
	if err != nil {
		t.Fatal(err)
	}
	oldContent := strings.Replace(string(content), `"mapping":"hearth-text-2"`, `"mapping":"hearth-text-1"`, 1)
	if oldContent == string(content) {
		t.Fatalf("manifest %s", content)
	}
	if _, err := a.PutManifest(ctx, notes, rev, []byte(oldContent)); err != nil {
		t.Fatal(err)
	}
	if _, err := search.ParseManifest([]byte(oldContent)); !errors.Is(err, search.ErrOldMapping) || !errors.Is(err, search.ErrManifest) {
		t.Fatalf("the old manifest: %v", err)
	}

	var stages []string
	s, err := search.Open(ctx, b, notes, &search.Options{Progress: func(stage string, done, total int) { stages = append(stages, stage) }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Rebuilt() != nil || !slices.Contains(stages, "index") || slices.Contains(stages, "download") {
		t.Fatalf("not rebuilt from the documents: rebuilt %v, stages %v", s.Rebuilt(), slices.Compact(stages))
	}
	for _, q := range []string{"zoe", "Zoë", "ecole", "zurich", "lunch zoe"} {
		if got := found(s, q); !slices.Equal(got, []string{"zoe"}) {
			t.Errorf("%s: %v", q, got)
		}
	}
	if err := s.Save(ctx); err != nil {
		t.Fatal(err)
	}
	if m := storedManifest(t, b, notes); m.Mapping != "hearth-text-2" || m.Docs != 2 {
		t.Fatalf("saved manifest: %+v", m)
	}
	// The next device loads it.
	c := e.login("zed")
	stages = nil
	s2, err := search.Open(ctx, c, notes, &search.Options{Progress: func(stage string, done, total int) { stages = append(stages, stage) }})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if s2.Rebuilt() != nil || slices.Contains(stages, "index") || !slices.Equal(found(s2, "zoe"), []string{"zoe"}) {
		t.Fatalf("the rebuilt index was not loaded: %v, %v", s2.Rebuilt(), slices.Compact(stages))
	}
}
