package wasm

import (
	"context"
	"errors"
	"sort"
	"strings"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/internal/appmanifest"
)

// Installing, updating and uninstalling apps from Home (spec/apps.md §3).

// App is an app Home lists: installed ones, and the bundled ones its store
// offers.
type App struct {
	Slug        string `json:"slug"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Version     string `json:"version"`
	URL         string `json:"url"`
	Installed   bool   `json:"installed"`
	Bundled     bool   `json:"bundled"`
	// Removable: Home offers to uninstall it (Notes, installed from the
	// start, is not).
	Removable bool `json:"removable"`
}

// knownApp is an app Home knows: bundled, or whose archive the server
// holds; installed when the person agreed to it (a bundled app installed
// from the start needs no agreement).
type knownApp struct {
	Slug      string
	Info      appInfo
	Version   string
	Consent   *client.AppConsent // nil: none recorded
	Installed bool
}

// knownApps reads the apps Home knows and the agreements recorded for
// them (spec/apps.md §3). An agreement that does not verify counts as none.
func (a *API) knownApps(ctx context.Context, c *client.Client) ([]knownApp, error) {
	consent := func(slug string) (*client.AppConsent, error) {
		k, err := c.Consent(ctx, slug)
		if errors.Is(err, client.ErrIntegrity) {
			return nil, nil
		}
		return k, err
	}
	var out []knownApp
	for slug, b := range bundled {
		k, err := consent(slug)
		if err != nil {
			return nil, err
		}
		out = append(out, knownApp{Slug: slug, Info: b, Version: b.Manifest.Version.String(), Consent: k,
			Installed: defaultApps[slug] || k != nil})
	}
	inst, err := c.InstalledApps(ctx)
	if err != nil {
		return nil, err
	}
	for _, in := range inst {
		if _, ok := bundled[in.Slug]; ok {
			continue
		}
		// An archive the server holds without the person's agreement (the
		// host put it there, or the agreement was withdrawn) is offered,
		// not installed.
		k, err := consent(in.Slug)
		if err != nil {
			return nil, err
		}
		out = append(out, knownApp{Slug: in.Slug, Info: infoOf(in.Manifest, false), Version: in.Version, Consent: k, Installed: k != nil})
	}
	return out, nil
}

// Apps lists the bundled apps (installed when the person agreed to them,
// or from the start) and those whose archives the server holds, by name.
func (a *API) Apps(ctx context.Context) ([]App, error) {
	c, gen, err := a.account()
	if err != nil {
		return nil, err
	}
	known, err := a.knownApps(ctx, c)
	if err != nil {
		return nil, a.fail(gen, err)
	}
	out := []App{}
	for _, k := range known {
		out = append(out, App{Slug: k.Slug, Name: k.Info.Name, Description: k.Info.Description, Version: k.Version,
			URL: a.appURL(k.Slug, c.User()), Bundled: k.Info.Bundled, Installed: k.Installed, Removable: !defaultApps[k.Slug]})
	}
	sort.Slice(out, func(i, j int) bool {
		if x, y := strings.ToLower(out[i].Name), strings.ToLower(out[j].Name); x != y {
			return x < y
		}
		return out[i].Slug < out[j].Slug
	})
	return out, nil
}

// Permission is one permission of an AppOffer, for people.
type Permission struct {
	Doctype string   `json:"doctype"`
	Verbs   []string `json:"verbs"`
	What    string   `json:"what"`             // "Read and write your tasks"
	Reason  string   `json:"reason,omitempty"` // the app's
	// New: an update asks for this (or one of its verbs) for the first time.
	New bool `json:"new,omitempty"`
}

// FeatureView is a browser feature an app asks for (spec/apps.md §1,
// "features"), for people.
type FeatureView struct {
	Name   string `json:"name"`   // "camera"
	What   string `json:"what"`   // "Use your camera"
	Reason string `json:"reason"` // the app's
}

// featureWords words each feature of appmanifest.FeatureNames for people.
var featureWords = map[string]string{
	"camera":         "Use your camera",
	"microphone":     "Use your microphone",
	"geolocation":    "Know where you are (your location)",
	"usb":            "Use USB devices plugged into this computer",
	"serial":         "Use devices on serial ports",
	"hid":            "Use input devices such as game controllers (HID)",
	"payment":        "Ask you to pay through your browser",
	"clipboard-read": "Read what you copied (your clipboard)",
}

// featuresOf words the features manifest m asks for.
func featuresOf(m *appmanifest.Manifest) []FeatureView {
	out := []FeatureView{}
	for _, f := range m.Features {
		w := featureWords[f.Name]
		if w == "" {
			w = "Use the browser feature " + f.Name
		}
		out = append(out, FeatureView{Name: f.Name, What: w, Reason: f.Reason})
	}
	return out
}

// bundledNames are the bundled apps' names, by slug: no app installed from
// an archive may take or imitate one (appmanifest.CheckName).
func bundledNames() map[string]string {
	out := map[string]string{}
	for slug, b := range bundled {
		out[slug] = b.Name
	}
	return out
}

// AppOfferView is what Home shows before installing or updating an app.
type AppOfferView struct {
	Slug        string       `json:"slug"`
	Name        string       `json:"name"`
	Version     string       `json:"version"`
	Description string       `json:"description"`
	URL         string       `json:"url"`
	Permissions []Permission `json:"permissions"`
	// Update: the app is installed; From is the version agreed to before
	// ("" when unknown), Older says the offer is an older version, Added
	// and Removed what changes.
	Update  bool         `json:"update"`
	From    string       `json:"from,omitempty"`
	Older   bool         `json:"older,omitempty"`
	Added   []Permission `json:"added"`
	Removed []Permission `json:"removed"`
	Intents []string     `json:"intents"` // their titles
	// Features: the browser features it asks to use, each with its reason;
	// every other one is denied to its origin (spec/web.md §2).
	Features []FeatureView `json:"features"`
}

func (a *API) view(o *client.AppOffer, user string) *AppOfferView {
	m := o.Manifest
	v := &AppOfferView{Slug: m.Slug, Name: m.Name, Version: m.Version.String(), Description: m.Description,
		URL: a.appURL(m.Slug, user), Update: o.Update(), Added: []Permission{}, Removed: []Permission{}, Intents: []string{},
		Features: featuresOf(m)}
	words := func(s client.Scope) Permission {
		return Permission{Doctype: s.Doctype, Verbs: s.Verbs, What: client.ScopeWords(s)}
	}
	for _, p := range m.Permissions {
		pv := words(client.Scope{Doctype: p.Doctype, Verbs: p.Verbs})
		pv.Reason = p.Reason
		for _, ad := range o.Added {
			pv.New = pv.New || o.Update() && ad.Doctype == p.Doctype
		}
		v.Permissions = append(v.Permissions, pv)
	}
	if o.Update() {
		for _, s := range o.Added {
			v.Added = append(v.Added, words(s))
		}
		for _, s := range o.Removed {
			v.Removed = append(v.Removed, words(s))
		}
		v.From = o.Consent.Version
		if from, err := appmanifest.ParseVersion(o.Consent.Version); err == nil {
			v.Older = m.Version.Less(from)
		}
	}
	for _, in := range m.Intents {
		v.Intents = append(v.Intents, in.Title)
	}
	return v
}

// AppOffer reads an app's archive (or the files of its folder, zipped
// first: files holds more than one file, or one not named *.zip) and says
// what installing it would give the app; InstallApp then installs it.
// Nothing is stored before.
func (a *API) AppOffer(ctx context.Context, files []appmanifest.File) (*AppOfferView, error) {
	c, gen, err := a.account()
	if err != nil {
		return nil, err
	}
	var archive []byte
	switch {
	case len(files) == 0:
		return nil, badInput("choose an app's archive (.zip) or folder")
	case len(files) == 1 && strings.HasSuffix(strings.ToLower(files[0].Path), ".zip"):
		archive = files[0].Data
	default:
		if archive, err = appmanifest.Zip(files); err != nil {
			return nil, badInput("%v", err)
		}
	}
	o, err := c.OfferApp(ctx, archive)
	if errors.Is(err, appmanifest.ErrBadArchive) {
		return nil, badInput("%v", err)
	}
	if err != nil {
		return nil, a.fail(gen, err)
	}
	if bundled[o.Manifest.Slug].Bundled {
		return nil, badInput("%q is the slug of an app that comes with Hearth: choose another", o.Manifest.Slug)
	}
	if err := appmanifest.CheckName(o.Manifest, bundledNames()); err != nil {
		e := err.(*appmanifest.Error)
		return nil, badInput("This app cannot be installed: its name %s.", e.Problem)
	}
	return a.keepOffer(o, c.User()), nil
}

// AppOfferSlug is AppOffer for a bundled app, or one whose archive the
// server holds (installed, or left there without the person's agreement).
func (a *API) AppOfferSlug(ctx context.Context, slug string) (*AppOfferView, error) {
	c, gen, err := a.account()
	if err != nil {
		return nil, err
	}
	app, err := a.appInfo(ctx, c, slug)
	if err != nil {
		return nil, a.fail(gen, err)
	}
	o, err := c.OfferBundled(ctx, app.Manifest)
	if err != nil {
		return nil, a.fail(gen, err)
	}
	return a.keepOffer(o, c.User()), nil
}

func (a *API) keepOffer(o *client.AppOffer, user string) *AppOfferView {
	a.mu.Lock()
	a.offer = o
	a.mu.Unlock()
	return a.view(o, user)
}

// Installed is what InstallApp answers.
type Installed struct {
	URL string `json:"url"` // the app, to open (it connects without asking)
}

// InstallApp installs the app the last AppOffer or AppOfferSlug described,
// which the person agreed to: the archive, then the agreement (so the app
// connects without asking, spec/apps.md §3).
func (a *API) InstallApp(ctx context.Context, slug string) (*Installed, error) {
	c, gen, err := a.account()
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	o := a.offer
	a.mu.Unlock()
	if o == nil || o.Manifest.Slug != slug {
		return nil, badInput("no offer of the app %q to install: choose it again", slug)
	}
	if _, err := c.InstallApp(ctx, o); err != nil {
		return nil, a.fail(gen, err)
	}
	a.mu.Lock()
	if a.offer == o {
		a.offer = nil
	}
	a.mu.Unlock()
	a.persist(gen)
	return &Installed{URL: a.appURL(slug, c.User())}, nil
}

// UninstallApp revokes the app's tokens (every device), rotating the keys
// they held, and deletes the agreement and the archive. Reseal then seals
// the documents again with the new keys.
func (a *API) UninstallApp(ctx context.Context, slug string) error {
	c, gen, err := a.account()
	if err != nil {
		return err
	}
	if appmanifest.CheckSlug(slug) != nil {
		return badInput("%q is not an app", slug)
	}
	if defaultApps[slug] {
		return badInput("%s comes with Hearth and stays installed; disconnect it instead", bundled[slug].Name)
	}
	var scopes []client.Scope
	if b, ok := bundled[slug]; ok {
		scopes = b.Scopes
	}
	if _, err := c.UninstallApp(ctx, slug, scopes); err != nil {
		return a.fail(gen, err)
	}
	a.persist(gen)
	return nil
}

// ResealDone is what Reseal answers: the doctypes whose documents it
// sealed again.
type ResealDone struct {
	Doctypes []string `json:"doctypes"`
	What     []string `json:"what"` // each in words: "your notes"
}

// Reseal seals again, with their newest key, the documents of every
// doctype whose key was rotated (an app uninstalled or disconnected, here
// or on another device) and that this device has not re-sealed yet
// (spec/protocol.md §4.6), calling progress as it goes. Apps stay usable
// meanwhile: it writes each document as a new revision, conditional on the
// one it read. Home runs it after a revocation and when it starts.
func (a *API) Reseal(ctx context.Context, progress func(doctype, what string, done, total int)) (*ResealDone, error) {
	c, gen, err := a.account()
	if err != nil {
		return nil, err
	}
	a.resealMu.Lock() // one at a time: Home may ask again while one runs
	defer a.resealMu.Unlock()
	pending, err := c.PendingReseal(ctx)
	if err != nil {
		return nil, a.fail(gen, err)
	}
	out := &ResealDone{Doctypes: []string{}, What: []string{}}
	for _, d := range pending {
		n, err := c.ResealCount(ctx, d, func(done, total int) {
			if progress != nil {
				progress(d, client.DoctypeWords(d), done, total)
			}
		})
		a.persist(gen) // what was re-sealed, and the keyring's revision
		if err != nil {
			return out, a.fail(gen, err)
		}
		if n > 0 { // a later run that only checks (and retires the old key) says nothing
			out.Doctypes = append(out.Doctypes, d)
			out.What = append(out.What, client.DoctypeWords(d))
		}
	}
	return out, nil
}
