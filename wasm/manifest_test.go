package wasm

import (
	"os"
	"slices"
	"testing"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/internal/appmanifest"
)

// TestBundledManifests: Home's bundled apps are those of the app folders,
// each read from its manifest (spec/apps.md), with what it asks for in
// words and why.
func TestBundledManifests(t *testing.T) {
	dirs, err := os.ReadDir("web/static")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range dirs {
		b, err := os.ReadFile("web/static/" + d.Name() + "/hearth-app.json")
		if err != nil {
			continue
		}
		n++
		m, err := appmanifest.Parse(b)
		if err != nil {
			t.Fatalf("%s: %v", d.Name(), err)
		}
		app, ok := bundled[m.Slug]
		if !ok || app.Name != m.Name || app.Description != m.Description || len(app.Scopes) != len(m.Permissions) {
			t.Fatalf("%s: bundled %+v", m.Slug, app)
		}
	}
	if n != len(bundled) || n == 0 {
		t.Fatalf("%d manifests, %d bundled apps", n, len(bundled))
	}
	notes := bundled["notes"]
	want := client.Scope{Doctype: "io.hearth.notes", Verbs: []string{client.VerbRead, client.VerbWrite, client.VerbDelete}}
	if len(notes.Scopes) != 2 || notes.Scopes[0].Doctype != want.Doctype || !slices.Equal(notes.Scopes[0].Verbs, want.Verbs) ||
		notes.What[0] != "Read, write and delete your notes — To list, show, edit and delete your notes." {
		t.Fatalf("notes: %+v", notes)
	}
}
