package wasm

import (
	"os"
	"slices"
	"testing"

	"github.com/hearthcloud/hearth/client/appmanifest"
)

// TestBundledManifests: each bundled app's folder has a manifest
// (spec/apps.md) that reads, and asks for what Home grants it.
func TestBundledManifests(t *testing.T) {
	for slug, app := range bundled {
		b, err := os.ReadFile("web/static/" + slug + "/hearth-app.json")
		if err != nil {
			t.Fatal(err)
		}
		m, err := appmanifest.Parse(b)
		if err != nil {
			t.Fatalf("%s: %v", slug, err)
		}
		if m.Slug != slug || m.Name != app.Name || m.Description != app.Description || len(m.Permissions) != len(app.Scopes) {
			t.Fatalf("%s: manifest %+v, bundled %+v", slug, m, app)
		}
		for i, p := range m.Permissions {
			if p.Doctype != app.Scopes[i].Doctype || !slices.Equal(p.Verbs, app.Scopes[i].Verbs) {
				t.Errorf("%s: permission %d: %+v, bundled %+v", slug, i, p, app.Scopes[i])
			}
		}
	}
}
