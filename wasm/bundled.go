package wasm

import (
	"embed"
	"fmt"
	"io/fs"
	"path"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/client/appmanifest"
)

// The manifests of the bundled apps (spec/apps.md §1), one per app folder.
//
//go:embed web/static/*/hearth-app.json
var bundledManifests embed.FS

// bundledApps reads the bundled apps' manifests. A bundled manifest that
// does not read is a bug of the build: it panics (TestBundledManifests).
func bundledApps() map[string]bundledApp {
	out := map[string]bundledApp{}
	files, err := fs.Glob(bundledManifests, "web/static/*/hearth-app.json")
	if err != nil {
		panic(err)
	}
	for _, f := range files {
		b, err := bundledManifests.ReadFile(f)
		if err != nil {
			panic(err)
		}
		m, err := appmanifest.Parse(b)
		if err != nil {
			panic(fmt.Sprintf("%s: %v", f, err))
		}
		if dir := path.Base(path.Dir(f)); m.Slug != dir {
			panic(fmt.Sprintf("%s: slug %q in folder %q", f, m.Slug, dir))
		}
		app := bundledApp{Name: m.Name, Description: m.Description}
		for _, p := range m.Permissions {
			sc := client.Scope{Doctype: p.Doctype, Verbs: p.Verbs}
			app.Scopes = append(app.Scopes, sc)
			app.What = append(app.What, scopeWords(sc)+" — "+p.Reason)
		}
		out[m.Slug] = app
	}
	return out
}
