package client

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/hearthcloud/hearth/internal/appmanifest"
)

// Apps (spec/apps.md §3): an app is installed in an account when the
// account holds the person's agreement for it, a sealed document of
// AppsDoctype whose id is the app's slug; an app that is not bundled with
// Hearth also has its archive on the server (protocol §8.10).

// AppsDoctype holds the agreements, one document per app.
const AppsDoctype = "io.hearth.apps"

// AppConsent is the content of an AppsDoctype document: what the person
// agreed to give the app.
type AppConsent struct {
	App     string  `json:"app"`
	Scopes  []Scope `json:"scopes"`
	Version string  `json:"version,omitempty"` // the version agreed to
	At      string  `json:"at"`                // RFC 3339
}

// Covers reports whether the agreement includes every verb of want.
func (k *AppConsent) Covers(want []Scope) bool {
	added, _ := DiffScopes(k.Scopes, want)
	return len(added) == 0
}

// Consent reads the person's agreement for app slug: nil when there is
// none (or it was deleted). A record that does not verify is an error; one
// that is not an agreement for slug is nil.
func (c *Client) Consent(ctx context.Context, slug string) (*AppConsent, error) {
	d, err := c.Get(ctx, AppsDoctype, slug)
	if errors.Is(err, ErrNotFound) || err == nil && d.Deleted {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var k AppConsent
	if json.Unmarshal(d.Content, &k) != nil || k.App != slug {
		return nil, nil
	}
	return &k, nil
}

// PutConsent records the person's agreement for app slug.
func (c *Client) PutConsent(ctx context.Context, k *AppConsent) error {
	if k.At == "" {
		k.At = time.Now().UTC().Format(time.RFC3339)
	}
	b, err := json.Marshal(k)
	if err != nil {
		return err
	}
	_, err = c.Put(ctx, AppsDoctype, k.App, b)
	return err
}

// DiffScopes returns the verbs of to that from lacks (added) and those of
// from that to lacks (removed), by doctype in the order of to, then from.
func DiffScopes(from, to []Scope) (added, removed []Scope) {
	minus := func(a, b []Scope) []Scope {
		var out []Scope
		for _, s := range a {
			var have []string
			if i := slices.IndexFunc(b, func(t Scope) bool { return t.Doctype == s.Doctype }); i >= 0 {
				have = b[i].Verbs
			}
			var missing []string
			for _, v := range s.Verbs {
				if !slices.Contains(have, v) {
					missing = append(missing, v)
				}
			}
			if missing != nil {
				out = append(out, Scope{Doctype: s.Doctype, Verbs: missing})
			}
		}
		return out
	}
	return minus(to, from), minus(from, to)
}

// ManifestScopes are the scopes a manifest asks for.
func ManifestScopes(m *appmanifest.Manifest) []Scope {
	out := make([]Scope, len(m.Permissions))
	for i, p := range m.Permissions {
		out[i] = Scope{Doctype: p.Doctype, Verbs: slices.Clone(p.Verbs)}
	}
	return out
}

// InstalledApp is an app installed from an archive, as the server lists it
// (protocol §8.10). Its manifest comes from the host: trust only what the
// person agreed to (Consent).
type InstalledApp struct {
	Slug      string
	Version   string
	Size      int64
	Digest    [32]byte
	Installed time.Time
	Updated   time.Time
	Manifest  *appmanifest.Manifest
}

type appAnswer struct {
	Slug      string          `json:"slug"`
	Version   string          `json:"version"`
	Size      int64           `json:"size"`
	Digest    string          `json:"digest"`
	Installed time.Time       `json:"installed"`
	Updated   time.Time       `json:"updated"`
	Manifest  json.RawMessage `json:"manifest"`
}

func (a *appAnswer) app() (*InstalledApp, error) {
	m, err := appmanifest.Parse(a.Manifest)
	if err != nil {
		return nil, fmt.Errorf("client: the server's manifest of app %q: %w", a.Slug, err)
	}
	out := &InstalledApp{Slug: a.Slug, Version: a.Version, Size: a.Size, Installed: a.Installed, Updated: a.Updated, Manifest: m}
	if d, err := hex.DecodeString(a.Digest); err == nil && len(d) == 32 {
		copy(out.Digest[:], d)
	}
	if m.Slug != a.Slug {
		return nil, fmt.Errorf("client: the server's manifest of app %q names %q", a.Slug, m.Slug)
	}
	return out, nil
}

// InstalledApps lists the apps installed from archives, by slug.
func (c *Client) InstalledApps(ctx context.Context) ([]*InstalledApp, error) {
	var ans struct {
		Apps []appAnswer `json:"apps"`
	}
	if _, err := c.callJSON(ctx, "GET", "/v1/apps", nil, &ans, nil, false); err != nil {
		return nil, err
	}
	out := make([]*InstalledApp, 0, len(ans.Apps))
	for i := range ans.Apps {
		a, err := ans.Apps[i].app()
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// Installed returns the app of slug installed from an archive
// (ErrNotFound: none).
func (c *Client) Installed(ctx context.Context, slug string) (*InstalledApp, error) {
	if err := appmanifest.CheckSlug(slug); err != nil {
		return nil, err
	}
	var ans appAnswer
	if _, err := c.callJSON(ctx, "GET", "/v1/apps/"+slug, nil, &ans, nil, false); err != nil {
		return nil, err
	}
	return ans.app()
}

// AppOffer is an app about to be installed or updated: what it asks for,
// and how that differs from what the person agreed to before.
type AppOffer struct {
	Manifest *appmanifest.Manifest
	Archive  []byte // nil for a bundled app
	// Consent is the agreement recorded for the slug (nil: a new install).
	Consent *AppConsent
	// Added and Removed compare the manifest's permissions with Consent's
	// scopes (all of them added for a new install).
	Added, Removed []Scope
}

// Update reports whether the app is installed already.
func (o *AppOffer) Update() bool { return o.Consent != nil }

// OfferApp reads an app's archive (spec/apps.md §2) and says what
// installing it would give it, compared with what the person agreed to.
// Nothing is stored.
func (c *Client) OfferApp(ctx context.Context, archive []byte) (*AppOffer, error) {
	a, err := appmanifest.ReadArchive(bytes.NewReader(archive), int64(len(archive)))
	if err != nil {
		return nil, err
	}
	// Hidden files (.git/, .env, __MACOSX/) are never served: they do not
	// leave the device either.
	if packed, err := a.Repack(); err != nil {
		return nil, err
	} else if packed != nil {
		archive = packed
	}
	o, err := c.OfferBundled(ctx, a.Manifest)
	if err != nil {
		return nil, err
	}
	o.Archive = archive
	return o, nil
}

// OfferBundled is OfferApp for an app bundled with Hearth, by its manifest.
func (c *Client) OfferBundled(ctx context.Context, m *appmanifest.Manifest) (*AppOffer, error) {
	k, err := c.Consent(ctx, m.Slug)
	if err != nil {
		return nil, err
	}
	o := &AppOffer{Manifest: m, Consent: k}
	var had []Scope
	if k != nil {
		had = k.Scopes
	}
	o.Added, o.Removed = DiffScopes(had, ManifestScopes(m))
	return o, nil
}

// InstallApp installs what o offers, which the person agreed to: the
// archive (if any) is stored, then the agreement. When an update changes
// the scopes, the app's tokens are revoked, on every device: each app
// connects again through Home and gets the new scopes (spec/apps.md §3);
// when it asks for less, the keys its tokens held are rotated too (Revoke),
// and the doctypes to re-seal (Reseal) are returned.
func (c *Client) InstallApp(ctx context.Context, o *AppOffer) ([]string, error) {
	slug := o.Manifest.Slug
	if o.Archive != nil {
		_, err := c.call(ctx, request{method: "PUT", path: "/v1/apps/" + slug, ctype: "application/zip", body: o.Archive,
			timeout: 5 * time.Minute})
		if err != nil {
			return nil, err
		}
	}
	// The old tokens go before the new agreement is recorded: a failure
	// in between leaves the update to be done again, not half done.
	var rotated []string
	if o.Consent != nil && (len(o.Added) > 0 || len(o.Removed) > 0) {
		// Asking for less: the keys it held are rotated (those it keeps
		// too: it may have held them as the old version).
		var err error
		if rotated, err = c.revokeApp(ctx, slug, len(o.Removed) > 0, o.Consent.Scopes); err != nil {
			return nil, err
		}
	}
	k := &AppConsent{App: slug, Scopes: ManifestScopes(o.Manifest), Version: o.Manifest.Version.String()}
	if err := c.PutConsent(ctx, k); err != nil {
		return rotated, err
	}
	return rotated, nil
}

// revokeApp revokes every app token named slug; if rotate, it rotates the
// keys of every doctype the app could hold (RevokeApp: those of scopes,
// of the person's agreement, of its tokens and grantee records) and
// returns them, sorted.
func (c *Client) revokeApp(ctx context.Context, slug string, rotate bool, scopes []Scope) ([]string, error) {
	if !rotate {
		toks, err := c.Tokens(ctx)
		if err != nil {
			return nil, err
		}
		for _, t := range toks {
			if t.Kind == KindApp && t.Name == slug {
				if err := c.RevokeToken(ctx, t.ID); err != nil && !errors.Is(err, ErrNotFound) {
					return nil, err
				}
			}
		}
		return nil, nil
	}
	k, err := c.Consent(ctx, slug)
	if err != nil && !errors.Is(err, ErrIntegrity) {
		return nil, err
	}
	if k != nil {
		scopes = append(slices.Clone(scopes), k.Scopes...)
	}
	r, err := c.RevokeApp(ctx, slug, scopes)
	if err != nil {
		return nil, err
	}
	return slices.Sorted(maps.Keys(r.Doctypes)), nil
}

// UninstallApp revokes the app's tokens on every device and rotates the
// keys of every doctype it could hold (RevokeApp: scopes, which the
// caller gives from the manifest it knows, the person's agreement, the
// app's tokens and grantee records), deletes the agreement and, for an app
// installed from an archive, the archive. It returns the doctypes rotated,
// whose documents Reseal seals again with the new keys (in the
// background: the apps stay usable). Uninstalling an app that is not
// installed is not an error.
func (c *Client) UninstallApp(ctx context.Context, slug string, scopes []Scope) ([]string, error) {
	if err := appmanifest.CheckSlug(slug); err != nil {
		return nil, err
	}
	// The manifest the server holds adds its scopes; one that cannot be
	// read (the host may serve a broken one) does not stop the uninstall:
	// the agreement and the grantee records name the rest.
	if in, err := c.Installed(ctx, slug); err == nil {
		scopes = append(slices.Clone(scopes), ManifestScopes(in.Manifest)...)
	} else if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	rotated, err := c.revokeApp(ctx, slug, true, scopes)
	if err != nil {
		return nil, err
	}
	if err := c.Delete(ctx, AppsDoctype, slug); err != nil && !errors.Is(err, ErrNotFound) {
		return rotated, err
	}
	_, err = c.call(ctx, request{method: "DELETE", path: "/v1/apps/" + slug})
	if errors.Is(err, ErrNotFound) {
		err = nil
	}
	return rotated, err
}

// doctypeNames word Hearth's own doctypes for people.
var doctypeNames = map[string]string{
	"io.hearth.notes":    "your notes",
	"io.hearth.contacts": "your contacts",
	"io.hearth.tasks":    "your tasks",
	"io.hearth.files":    "your files",
	"io.hearth.photos":   "your photos",
	"io.hearth.calendar": "your calendar",
}

// DoctypeWords words a doctype for people: "your notes", or "the data of
// type org.example.bookmarks" for one Hearth does not know.
func DoctypeWords(doctype string) string {
	if n, ok := doctypeNames[doctype]; ok {
		return n
	}
	return "the data of type " + doctype
}

// ScopeWords words a scope for people: "Read, write and delete your notes".
func ScopeWords(s Scope) string {
	v := s.Verbs
	var words string
	switch len(v) {
	case 0:
		words = "nothing on"
	case 1:
		words = v[0]
	default:
		words = strings.Join(v[:len(v)-1], ", ") + " and " + v[len(v)-1]
	}
	return strings.ToUpper(words[:1]) + words[1:] + " " + DoctypeWords(s.Doctype)
}
