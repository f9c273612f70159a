package wasm

import (
	"context"
	"sort"
	"strings"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/internal/appmanifest"
	"github.com/hearthcloud/hearth/internal/wire"
)

// Intents (spec/apps.md §5): Home's side. An app asks, through Home, an
// app that serves (action, doctype) to do it; the person agrees in Home.

// IntentRequest is what Home reads from its #intent?… fragment.
type IntentRequest struct {
	From    string `json:"from"`
	User    string `json:"user"`
	Action  string `json:"action"`
	Doctype string `json:"doctype"`
}

// IntentHandler is an installed app that can serve an intent.
type IntentHandler struct {
	Slug  string `json:"slug"`
	Name  string `json:"name"`
	Title string `json:"title"` // the intent's title in its manifest: "Create a task"
	URL   string `json:"url"`   // the page to open, without fragment
}

// IntentOffer is what Home shows before passing an intent on.
type IntentOffer struct {
	From     string          `json:"from"`    // the asking app's name ("" when Home does not know it)
	FromURL  string          `json:"fromUrl"` // where to answer: the asking app's origin, built by Home
	What     string          `json:"what"`    // "create something in your tasks": the action on the doctype, in words
	Handlers []IntentHandler `json:"handlers"`
}

// installedInfos returns the apps installed in the account, with the
// agreement recorded for each (nil: none, for a bundled app installed from
// the start).
func (a *API) installedInfos(ctx context.Context, c *client.Client) (map[string]appInfo, map[string]*client.AppConsent, error) {
	known, err := a.knownApps(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	infos, consents := map[string]appInfo{}, map[string]*client.AppConsent{}
	for _, k := range known {
		if k.Installed {
			infos[k.Slug], consents[k.Slug] = k.Info, k.Consent
		}
	}
	return infos, consents, nil
}

// intentVerb is the verb an action needs on its doctype (spec/apps.md §1).
var intentVerb = map[string]string{"create": client.VerbWrite, "edit": client.VerbWrite, "view": client.VerbRead, "pick": client.VerbRead}

// intentPhrase words an action, before the doctype's words.
var intentPhrase = map[string]string{"create": "create something in", "edit": "edit something in", "view": "show something of", "pick": "pick something from"}

// IntentOffer checks an intent and finds the installed apps that can serve
// it: those whose manifest serves (action, doctype) and whose recorded
// agreement covers the verb it needs.
func (a *API) IntentOffer(ctx context.Context, r IntentRequest) (*IntentOffer, error) {
	c, gen, err := a.account()
	if err != nil {
		return nil, err
	}
	if r.User != c.User() {
		return nil, badInput("the request is for the account %q, but %q is signed in", r.User, c.User())
	}
	if appmanifest.CheckSlug(r.From) != nil {
		return nil, badInput("the request names no app")
	}
	verb, ok := intentVerb[r.Action]
	if !ok && (r.Action == "" || len(r.Action) > 20 || strings.Trim(r.Action, "abcdefghijklmnopqrstuvwxyz") != "") {
		return nil, badInput("%q is not an action", r.Action)
	}
	if wire.CheckDoctype(r.Doctype) != nil {
		return nil, badInput("%q is not a doctype", r.Doctype)
	}
	infos, consents, err := a.installedInfos(ctx, c)
	if err != nil {
		return nil, a.fail(gen, err)
	}
	phrase, ok := intentPhrase[r.Action]
	if !ok {
		phrase = r.Action + " something in"
	}
	o := &IntentOffer{FromURL: a.appURL(r.From, c.User()), What: phrase + " " + client.DoctypeWords(r.Doctype), Handlers: []IntentHandler{}}
	if from, ok := infos[r.From]; ok {
		o.From = from.Name
	} else {
		return nil, badInput("the asking app %q is not installed", r.From)
	}
	for slug, app := range infos {
		for _, in := range app.Manifest.Intents {
			if in.Action != r.Action || in.Doctype != r.Doctype {
				continue
			}
			// What the person agreed to, not what the server's manifest
			// says, decides (a bundled app installed from the start has
			// its manifest's).
			scopes := app.Scopes
			if k := consents[slug]; k != nil {
				scopes = k.Scopes
			} else if !app.Bundled {
				continue
			}
			if verb != "" && !(&client.AppConsent{Scopes: scopes}).Covers([]client.Scope{{Doctype: r.Doctype, Verbs: []string{verb}}}) {
				continue
			}
			page, _, _ := strings.Cut(in.Href, "#")
			o.Handlers = append(o.Handlers, IntentHandler{Slug: slug, Name: app.Name, Title: in.Title, URL: a.appURL(slug, c.User()) + page})
		}
	}
	sort.Slice(o.Handlers, func(i, j int) bool { return o.Handlers[i].Name < o.Handlers[j].Name })
	return o, nil
}
