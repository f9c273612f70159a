package wasm

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/url"
	"strings"

	"filippo.io/age"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/spec/wire"
)

// Connecting an app (spec/web.md §5): the app's side (AppConnectStart,
// AppConnectFinish) and Home's (ConnectOffer, ConnectApp).

// pendingConnect is an app's connection under way, kept sealed with the
// state while the browser visits Home.
type pendingConnect struct {
	Slug     string `json:"slug"`
	User     string `json:"user"`
	Home     string `json:"home"`
	Identity string `json:"identity"` // AGE-SECRET-KEY-1…
	State    string `json:"state"`    // the nonce sent to Home
}

// bundledApp is an app Home knows, with what it is granted.
type bundledApp struct {
	Name, Description string
	Scopes            []client.Scope
	What              []string // each scope in words
}

var bundled = map[string]bundledApp{
	"notes": {
		Name: "Notes", Description: "Notes in Markdown, on all your devices.",
		Scopes: []client.Scope{{Doctype: "io.hearth.notes", Verbs: []string{client.VerbRead, client.VerbWrite, client.VerbDelete}}},
		What:   []string{"Read, write and delete your notes"},
	},
}

// appURL is the origin of app slug of user, next to Home's.
func (a *API) appURL(slug, user string) string {
	u, _ := url.Parse(a.server)
	u.Host = slug + "." + user + "." + u.Host
	return u.String() + "/"
}

// ConnectRequest is what Home reads from its #connect?… fragment.
type ConnectRequest struct {
	App       string `json:"app"`
	User      string `json:"user"`
	Recipient string `json:"recipient"`
	State     string `json:"state"`
}

// OfferScope is one scope of a ConnectOffer, for people.
type OfferScope struct {
	Doctype string   `json:"doctype"`
	Verbs   []string `json:"verbs"`
	What    string   `json:"what"`
}

// Offer is what an app will get if the user agrees.
type Offer struct {
	Name   string       `json:"name"`
	URL    string       `json:"url"`
	Scopes []OfferScope `json:"scopes"`
}

func (a *API) checkRequest(c *client.Client, r ConnectRequest) (bundledApp, error) {
	app, ok := bundled[r.App]
	if !ok {
		return app, badInput("Home does not know the app %q", r.App)
	}
	if r.User != c.User() {
		return app, badInput("the app asks for the account %q, but %q is signed in", r.User, c.User())
	}
	if _, err := age.ParseX25519Recipient(r.Recipient); err != nil {
		return app, badInput("the app's recipient is not an age X25519 recipient")
	}
	if r.State == "" || len(r.State) > 100 {
		return app, badInput("the app's request has no state")
	}
	return app, nil
}

// ConnectOffer checks an app's connect request and says what it would get.
func (a *API) ConnectOffer(r ConnectRequest) (*Offer, error) {
	c, _, err := a.account()
	if err != nil {
		return nil, err
	}
	app, err := a.checkRequest(c, r)
	if err != nil {
		return nil, err
	}
	o := &Offer{Name: app.Name, URL: a.appURL(r.App, r.User)}
	for i, s := range app.Scopes {
		o.Scopes = append(o.Scopes, OfferScope{Doctype: s.Doctype, Verbs: s.Verbs, What: app.What[i]})
	}
	return o, nil
}

// ConnectApp answers an app's connect request: it creates the app's token
// and grant, remembers the token (revoked at logout), and returns the app's
// URL with token, signer and state in its fragment.
func (a *API) ConnectApp(ctx context.Context, r ConnectRequest) (string, error) {
	c, gen, err := a.account()
	if err != nil {
		return "", err
	}
	app, err := a.checkRequest(c, r)
	if err != nil {
		return "", err
	}
	signer, err := c.SigningKey()
	if err != nil {
		return "", a.fail(gen, err)
	}
	info, token, err := c.CreateToken(ctx, r.App, client.KindApp, app.Scopes)
	if err != nil {
		return "", a.fail(gen, err)
	}
	a.mu.Lock()
	if a.gen == gen {
		a.appTokens = append(a.appTokens, info.ID)
	}
	a.mu.Unlock()
	a.persist(gen)
	if err := c.Grant(ctx, info.ID, r.Recipient, app.Scopes); err != nil {
		c.RevokeToken(ctx, info.ID)
		return "", a.fail(gen, err)
	}
	a.persist(gen)
	q := url.Values{"token": {token}, "signer": {base64.StdEncoding.EncodeToString(signer)}, "state": {r.State}}
	return a.appURL(r.App, r.User) + "#connected?" + q.Encode(), nil
}

// ConnectStart is what AppConnectStart returns.
type ConnectStart struct {
	URL string `json:"url"` // Home's connect page, to navigate the window to
}

// AppConnectStart begins an app's connection: a fresh age identity and
// nonce, kept (sealed, through a "state" event) until AppConnectFinish,
// and the URL of Home's connect page. home is Home's origin.
func (a *API) AppConnectStart(slug, user, home string) (*ConnectStart, error) {
	if !validLabel(slug) {
		return nil, badInput("%q is not an app slug", slug)
	}
	if wire.CheckUser(user) != nil {
		return nil, badInput("%q is not a user name", user)
	}
	hu, err := url.Parse(strings.TrimRight(home, "/"))
	if err != nil || hu.Host == "" || (hu.Scheme != "http" && hu.Scheme != "https") || hu.Path != "" {
		return nil, badInput("%q is not Home's origin", home)
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, &Error{Code: "internal", Message: err.Error()}
	}
	nonce := make([]byte, 18)
	rand.Read(nonce)
	p := &pendingConnect{Slug: slug, User: user, Home: hu.String(), Identity: id.String(),
		State: base64.RawURLEncoding.EncodeToString(nonce)}
	a.mu.Lock()
	a.pending = p
	gen := a.gen
	a.mu.Unlock()
	a.persist(gen)
	q := url.Values{"app": {slug}, "user": {user}, "recipient": {id.Recipient().String()}, "state": {p.State}}
	// The order of spec/web.md §5.
	return &ConnectStart{URL: hu.String() + "/#connect?app=" + q.Get("app") + "&user=" + q.Get("user") +
		"&recipient=" + url.QueryEscape(q.Get("recipient")) + "&state=" + url.QueryEscape(p.State)}, nil
}

func validLabel(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	return wire.CheckUser(s) == nil || wire.CheckDoctype(s+".x") == nil
}

// AppConnectFinish ends an app's connection with what Home put in the
// #connected?… fragment: it checks state against the pending connection,
// pins signer, and opens the grant (client.ConnectApp).
func (a *API) AppConnectFinish(ctx context.Context, token, signer, state string) (*LoginResult, error) {
	a.mu.Lock()
	p := a.pending
	a.mu.Unlock()
	if p == nil || state == "" || subtle.ConstantTimeCompare([]byte(p.State), []byte(state)) != 1 {
		return nil, &Error{Code: "bad_input", Message: "this connection was not started here, or is stale: connect again"}
	}
	key, err := base64.StdEncoding.DecodeString(signer)
	if err != nil {
		key, err = base64.RawURLEncoding.DecodeString(strings.TrimRight(signer, "="))
	}
	if err != nil || len(key) != ed25519.PublicKeySize {
		return nil, badInput("the signer key from Home is malformed")
	}
	id, err := age.ParseX25519Identity(p.Identity)
	if err != nil {
		return nil, &Error{Code: "internal", Message: "the app's saved identity is malformed"}
	}
	ap, err := client.ConnectApp(ctx, a.server, p.User, token, id, ed25519.PublicKey(key), nil, a.opts())
	if err != nil {
		return nil, a.fail(0, err)
	}
	a.mu.Lock()
	a.pending = nil
	a.mu.Unlock()
	a.setSession(nil, ap)
	a.persist(a.currentGen())
	return &LoginResult{User: ap.User()}, nil
}
