package site

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/hearthcloud/hearth/internal/appmanifest"
)

// Permissions-Policy and app names (spec/web.md §2, spec/apps.md §1).
//
// Every origin Hearth serves denies the powerful browser features of
// appmanifest.FeatureNames (camera, microphone, geolocation, …) but those
// its app's manifest asks for under "features", which it allows to itself
// only. Home, and an app whose manifest cannot be read, are denied all.

// PermissionsPolicy is the Permissions-Policy header of an app's origin
// whose manifest asks for the features allowed. Passkeys (WebAuthn) are
// denied to every app, which no manifest can ask for: no app needs them.
// What keeps an app from the person's Hearth passkeys is Home's host,
// home.<domain>, their relying party, which no app's origin sits under
// (spec/web.md §1); this keeps apps also from the base domain's passkeys.
func PermissionsPolicy(allowed []string) string {
	return features(allowed) + ", " + passkeys("()")
}

// HomePermissionsPolicy is Home's: every feature denied but passkeys,
// allowed to Home itself.
func HomePermissionsPolicy() string {
	return features(nil) + ", " + passkeys("(self)")
}

// passkeys is the WebAuthn features' part of a policy, each given to.
func passkeys(to string) string {
	return "publickey-credentials-get=" + to + ", publickey-credentials-create=" + to
}

func features(allowed []string) string {
	parts := make([]string, len(appmanifest.FeatureNames))
	for i, f := range appmanifest.FeatureNames {
		if slices.Contains(allowed, f) {
			parts[i] = f + "=(self)"
		} else {
			parts[i] = f + "=()"
		}
	}
	return strings.Join(parts, ", ")
}

// appManifest reads an app's manifest from its folder, or nil when it has
// none that reads (the bundled apps of a test's own files).
func appManifest(files fs.FS) *appmanifest.Manifest {
	b, err := fs.ReadFile(files, appmanifest.ManifestName)
	if err != nil {
		return nil
	}
	m, err := appmanifest.Parse(b)
	if err != nil {
		return nil
	}
	return m
}

// appPolicy is the Permissions-Policy of the app of manifest m (nil: none
// read, every feature denied).
func appPolicy(m *appmanifest.Manifest) string {
	var allowed []string
	if m != nil {
		for _, f := range m.Features {
			allowed = append(allowed, f.Name)
		}
	}
	return PermissionsPolicy(allowed)
}

// policy is the Permissions-Policy of the origin of app ("" for Home).
func (b *Bundle) policy(app string) string {
	if app == "" {
		return HomePermissionsPolicy()
	}
	if p, ok := b.policies[app]; ok {
		return p
	}
	return PermissionsPolicy(nil)
}

// checkName refuses the manifest of an app installed from an archive whose
// name is, or passes for, the name of a bundled app or of Hearth itself.
// A manifest that does not read is appmanifest.ReadArchive's to refuse.
func (b *Bundle) checkName(files fs.FS) error {
	m := appManifest(files)
	if m == nil {
		return nil
	}
	if err := appmanifest.CheckName(m, b.names); err != nil {
		e := err.(*appmanifest.Error)
		return fmt.Errorf("%s: %s: %s", appmanifest.ManifestName, e.Field, e.Problem)
	}
	// A standard page's name is shown in Hearth's bar and as its title
	// (spec/apps.md §4.1): it may pass for no more than the manifest's.
	return fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) != ".html" {
			return nil // what does not read is WithApp's to refuse
		}
		src, err := fs.ReadFile(files, p)
		if err != nil {
			return nil
		}
		name, ok := pageName(src)
		if !ok {
			return nil
		}
		named := *m
		named.Name = name
		if err := appmanifest.CheckName(&named, b.names); err != nil {
			return fmt.Errorf("%s: <meta name=\"hearth-page\"> content: %s", p, err.(*appmanifest.Error).Problem)
		}
		return nil
	})
}
