package wasm

import (
	"embed"
	"fmt"
	"io/fs"
	"path"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/internal/appmanifest"
)

// The manifests of the bundled apps (spec/apps.md §1), one per app folder.
//
//go:embed web/static/*/hearth-app.json
var bundledManifests embed.FS

// defaultApps are installed from the start (spec/apps.md §3).
var defaultApps = map[string]bool{"notes": true}

// appInfo is an app Home knows, with what it asks for.
type appInfo struct {
	Manifest          *appmanifest.Manifest
	Name, Description string
	Scopes            []client.Scope
	What              []string // each scope in words, with the app's reason
	Bundled           bool
}

// infoOf describes the app of manifest m.
func infoOf(m *appmanifest.Manifest, bundled bool) appInfo {
	app := appInfo{Manifest: m, Name: m.Name, Description: m.Description, Scopes: client.ManifestScopes(m), Bundled: bundled}
	for i, p := range m.Permissions {
		app.What = append(app.What, client.ScopeWords(app.Scopes[i])+" — "+p.Reason)
	}
	return app
}

// bundled are the apps of wasm/web/static/<slug>/, read from their
// manifests (spec/apps.md), which the build embeds.
var bundled = bundledApps()

// bundledApps reads the bundled apps' manifests. A bundled manifest that
// does not read is a bug of the build: it panics (TestBundledManifests).
func bundledApps() map[string]appInfo {
	out := map[string]appInfo{}
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
		out[m.Slug] = infoOf(m, true)
	}
	return out
}
