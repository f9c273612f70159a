package wasm

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"filippo.io/age"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/internal/appmanifest"
	"github.com/hearthcloud/hearth/internal/wire"
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

// appURL is the origin of app slug of user, next to Home's: Home at
// home.<domain>, the app at <slug>.<user>.<domain> (spec/web.md §1).
func (a *API) appURL(slug, user string) string {
	u, _ := url.Parse(a.server)
	u.Host = slug + "." + user + "." + strings.TrimPrefix(u.Host, "home.")
	return u.String() + "/"
}

// offered is a connection ConnectOffer described: the request, and the app
// with the scopes it showed (API.offered, by the request's state).
type offered struct {
	req        ConnectRequest
	app        appInfo
	remembered bool
	appHalted  bool // Offer.AppHalted
}

// ConnectRequest is what Home reads from its #connect?… fragment.
type ConnectRequest struct {
	App       string `json:"app"`
	User      string `json:"user"`
	Recipient string `json:"recipient"`
	State     string `json:"state"`
	// Halted: the app stopped saving (protocol §4.7) and asks Home whether
	// the person decided since; Epoch is the epoch it knows (saved.Epoch).
	Halted bool   `json:"halted,omitempty"`
	Epoch  uint64 `json:"epoch,omitempty"`
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
	// Remembered: the user agreed to this app with these scopes (or more)
	// before, in any browser; Home connects it without asking again.
	Remembered bool `json:"remembered"`
	// Features: the browser features its manifest asks to use (the
	// others are denied to its origin).
	Features []FeatureView `json:"features"`
	// Halted: Home itself stopped saving (protocol §4.7), so it connects
	// nothing until the person decides; Home sends the app back with
	// #connected?halted=1 (spec/web.md §5.1).
	Halted string `json:"halted,omitempty"`
	// AppHalted: the app stopped saving and the person has not decided
	// since, in Home: Home asks, and connecting is that decision.
	AppHalted bool `json:"appHalted,omitempty"`
}

// AppsDoctype holds Home's record of the apps the user agreed to connect,
// one document per app, its id the app's slug (spec/web.md §5, spec/apps.md
// §3): sealed like any document, so the host learns only that a document of
// that id exists (the app token's name already tells it the slug).
const AppsDoctype = client.AppsDoctype

// remembered reports whether the user agreed to connect app slug with
// scopes before. Anything but a verified record that covers them (none, a
// read that fails, a malformed one) means no: Home asks.
func remembered(ctx context.Context, c *client.Client, slug string, scopes []client.Scope) bool {
	k, err := c.Consent(ctx, slug)
	return err == nil && k != nil && k.Covers(scopes)
}

// appInfo returns the app of slug: a bundled one, or one installed from an
// archive (its manifest as the server has it: what the user agreed to, in
// the record, bounds what Home gives it without asking).
func (a *API) appInfo(ctx context.Context, c *client.Client, slug string) (appInfo, error) {
	if app, ok := bundled[slug]; ok {
		return app, nil
	}
	if appmanifest.CheckSlug(slug) == nil {
		in, err := c.Installed(ctx, slug)
		if err == nil {
			return infoOf(in.Manifest, false), nil
		}
		if !errors.Is(err, client.ErrNotFound) {
			return appInfo{}, err
		}
	}
	return appInfo{}, badInput("Home does not know the app %q: install it first", slug)
}

func (a *API) checkRequest(ctx context.Context, c *client.Client, r ConnectRequest) (appInfo, error) {
	if r.User != c.User() {
		return appInfo{}, badInput("the app asks for the account %q, but %q is signed in", r.User, c.User())
	}
	app, err := a.appInfo(ctx, c, r.App)
	if err != nil {
		return app, err
	}
	if _, err := age.ParseX25519Recipient(r.Recipient); err != nil {
		return app, badInput("the app's recipient is not an age X25519 recipient")
	}
	if r.State == "" || len(r.State) > 100 {
		return app, badInput("the app's request has no state")
	}
	return app, nil
}

// ConnectOffer checks an app's connect request and says what it would get,
// and whether the user agreed to that before.
func (a *API) ConnectOffer(ctx context.Context, r ConnectRequest) (*Offer, error) {
	c, _, err := a.account()
	if err != nil {
		return nil, err
	}
	app, err := a.checkRequest(ctx, c, r)
	if err != nil {
		return nil, err
	}
	if r.Halted {
		// A halted app asks whether the person decided: Home first reads
		// the account from where it left it, and may find the rollback
		// too (then the decision is on its dashboard).
		a.mu.Lock()
		l := a.startLocked()
		a.mu.Unlock()
		if err := waitReady(ctx, l); err != nil {
			return nil, err
		}
	}
	o := &Offer{Name: app.Name, URL: a.appURL(r.App, r.User), Remembered: remembered(ctx, c, r.App, app.Scopes),
		Features: featuresOf(app.Manifest), Halted: c.Halted()}
	a.mu.Lock()
	o.AppHalted = r.Halted && o.Halted == "" && r.Epoch >= a.epoch
	if a.acct == c && o.Halted == "" {
		// ConnectApp grants exactly what was shown (or remembered) here,
		// even if the host serves the app's manifest differently next time.
		if a.offered == nil || len(a.offered) >= 8 {
			a.offered = map[string]*offered{} // a few tabs at once at most
		}
		a.offered[r.State] = &offered{req: r, app: app, remembered: o.Remembered, appHalted: o.AppHalted}
	}
	a.mu.Unlock()
	for i, s := range app.Scopes {
		o.Scopes = append(o.Scopes, OfferScope{Doctype: s.Doctype, Verbs: s.Verbs, What: app.What[i]})
	}
	return o, nil
}

// connectBox is what Home hands an app (spec/web.md §5): sealed with age to
// the recipient the app sent, so that only the page that asked (holding
// that identity) can read it, wherever the request came from.
type connectBox struct {
	V        int    `json:"v"`        // 1
	Token    string `json:"token"`    // the app token, hat_…
	Signer   string `json:"signer"`   // base64 Ed25519 public key to pin
	Identity string `json:"identity"` // AGE-SECRET-KEY-1…: the grant is sealed to it
	State    string `json:"state"`    // the app's nonce, again
	// Home's verified position (spec/web.md §5.1): the epoch of its
	// decisions, its changes feed's seq, and the newest key generation
	// it saw of each doctype granted.
	Epoch uint64            `json:"epoch,omitempty"`
	Seq   uint64            `json:"seq,omitempty"`
	Gens  map[string]uint32 `json:"gens,omitempty"`
}

// ConnectApp answers an app's connect request: it creates the app's token,
// a fresh identity and a grant sealed to that identity, remembers the token
// (revoked at logout), and returns the app's URL (built from Home's own
// origin, never from the request) with token, signer and identity sealed to
// the app's recipient in its fragment.
//
// The user's agreement is recorded (AppsDoctype) unless it was before, so
// that Home connects the app without asking again (ConnectOffer's
// Remembered) until the user disconnects it.
//
// The grant is not sealed to the recipient of the request: the request can
// come from anyone (a link in an email), and a grant sealed to its
// recipient would give the keys to whoever made the link. The identity the
// grant is sealed to travels only inside the box, to the app's own origin.
func (a *API) ConnectApp(ctx context.Context, r ConnectRequest) (string, error) {
	c, gen, err := a.account()
	if err != nil {
		return "", err
	}
	// Exactly the app and scopes ConnectOffer showed (or found remembered)
	// for this very request: never what the host serves now. Without such
	// an offer there is nothing the person agreed to.
	a.mu.Lock()
	off := a.offered[r.State]
	same := a.acct == c
	a.mu.Unlock()
	if off == nil || off.req != r || !same {
		return "", badInput("this connection was not shown to you (or is stale): open the app again")
	}
	app, agreed := off.app, off.remembered
	if off.appHalted {
		// The person, shown that the app stopped saving, goes on with
		// what the server holds: the app forgets what it saw and takes
		// Home's position (spec/web.md §5.1).
		a.mu.Lock()
		if a.gen == gen {
			a.epoch++
		}
		a.mu.Unlock()
		a.persist(gen)
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
		if !slices.Contains(a.appSlugs, r.App) {
			a.appSlugs = append(a.appSlugs, r.App)
		}
	}
	a.mu.Unlock()
	a.persist(gen)
	grantee, err := age.GenerateX25519Identity()
	if err != nil {
		return "", &Error{Code: string(wire.CodeInternal), Message: err.Error()}
	}
	if err := c.GrantNamed(ctx, info.ID, r.App, client.KindApp, grantee.Recipient().String(), app.Scopes); err != nil {
		c.RevokeToken(ctx, info.ID)
		return "", a.fail(gen, err)
	}
	a.persist(gen)
	st := c.State()
	gens := map[string]uint32{}
	for _, s := range app.Scopes {
		if g := st.Gens[s.Doctype]; g > 0 {
			gens[s.Doctype] = g
		}
	}
	a.mu.Lock()
	epoch := a.epoch
	a.mu.Unlock()
	box, err := sealBox(r.Recipient, &connectBox{V: 1, Token: token, Signer: base64.StdEncoding.EncodeToString(signer),
		Identity: grantee.String(), State: r.State, Epoch: epoch, Seq: st.FeedSeq, Gens: gens})
	if err != nil {
		c.RevokeToken(ctx, info.ID)
		return "", &Error{Code: string(wire.CodeInternal), Message: err.Error()}
	}
	// ConnectOffer read the record just before: no second read.
	if !agreed {
		// Failing to record it only means asking again next time.
		k := &client.AppConsent{App: r.App, Scopes: app.Scopes, Version: app.Manifest.Version.String()}
		if err := c.PutConsent(ctx, k); err == nil {
			a.persist(gen) // the record's revision (and a new doctype's key) before the page goes
		}
	}
	a.mu.Lock()
	delete(a.offered, r.State) // answered: once
	a.mu.Unlock()
	return a.appURL(r.App, r.User) + "#connected?box=" + box + "&state=" + url.QueryEscape(r.State), nil
}

// sealBox age-encrypts b to recipient, in unpadded base64url.
func sealBox(recipient string, b *connectBox) (string, error) {
	rcpt, err := age.ParseX25519Recipient(recipient)
	if err != nil {
		return "", err
	}
	plain, err := json.Marshal(b)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, rcpt)
	if err != nil {
		return "", err
	}
	if _, err := w.Write(plain); err != nil {
		return "", err
	}
	if err := w.Close(); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(buf.Bytes()), nil
}

// openBox opens what sealBox made with the app's identity.
func openBox(id *age.X25519Identity, box string) (*connectBox, error) {
	raw, err := base64.RawURLEncoding.DecodeString(box)
	if err != nil || len(raw) > 16<<10 {
		return nil, badInput("the connection from Home is malformed")
	}
	r, err := age.Decrypt(bytes.NewReader(raw), id)
	if err != nil {
		return nil, &Error{Code: CodeIntegrity, Message: "the connection from Home does not open with this app's key: connect again"}
	}
	plain, err := io.ReadAll(io.LimitReader(r, 16<<10))
	if err != nil {
		return nil, &Error{Code: CodeIntegrity, Message: "the connection from Home is damaged: connect again"}
	}
	var b connectBox
	dec := json.NewDecoder(bytes.NewReader(plain))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil || b.V != 1 {
		return nil, badInput("the connection from Home is malformed")
	}
	return &b, nil
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
		return nil, &Error{Code: string(wire.CodeInternal), Message: err.Error()}
	}
	nonce := make([]byte, 18)
	rand.Read(nonce)
	p := &pendingConnect{Slug: slug, User: user, Home: hu.String(), Identity: id.String(),
		State: base64.RawURLEncoding.EncodeToString(nonce)}
	a.mu.Lock()
	a.pending = p
	gen := a.gen
	halted, epoch := a.appHaltLocked()
	a.mu.Unlock()
	a.persist(gen)
	q := url.Values{"app": {slug}, "user": {user}, "recipient": {id.Recipient().String()}, "state": {p.State}}
	// The order of spec/web.md §5.
	u := hu.String() + "/#connect?app=" + q.Get("app") + "&user=" + q.Get("user") +
		"&recipient=" + url.QueryEscape(q.Get("recipient")) + "&state=" + url.QueryEscape(p.State)
	if halted != "" {
		u += "&halted=1&epoch=" + strconv.FormatUint(epoch, 10)
	}
	return &ConnectStart{URL: u}, nil
}

// appHaltLocked returns why the app stopped saving, its session's or, with
// none, its memory's, and the epoch it knows (the caller holds mu).
func (a *API) appHaltLocked() (string, uint64) {
	switch {
	case a.app != nil:
		return a.app.State().Halted, a.epoch
	case a.appMemory != nil:
		return a.appMemory.App.Halted, a.appMemory.Epoch
	}
	return "", 0
}

// homeHalted is what an app says when Home sent it back without a
// connection, having stopped saving itself.
const homeHalted = "Home stopped saving in this browser too: the server showed it an older state of your account"

func validLabel(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	return wire.CheckUser(s) == nil || wire.CheckDoctype(s+".x") == nil
}

// AppConnectFinish ends an app's connection with what Home put in the
// #connected?… fragment: it checks state against the pending connection,
// opens the box with the identity it sent to Home, pins the signer, and
// opens the grant with the identity from the box (client.ConnectApp),
// starting from what the app remembers, or from Home's position (spec/web.md
// §5.1). An empty box is Home's answer that it stopped saving too: the app
// goes on as it was (halted), with its session if it has one.
func (a *API) AppConnectFinish(ctx context.Context, box, state string) (*LoginResult, error) {
	a.mu.Lock()
	p := a.pending
	a.mu.Unlock()
	stale := &Error{Code: CodeBadInput, Message: "this connection was not started here, or is stale: connect again"}
	if p == nil || state == "" || subtle.ConstantTimeCompare([]byte(p.State), []byte(state)) != 1 {
		return nil, stale
	}
	if box == "" {
		a.mu.Lock()
		a.pending = nil
		gen := a.gen
		why, _ := a.appHaltLocked()
		user := ""
		if a.app != nil {
			user = a.app.User()
		}
		a.mu.Unlock()
		a.persist(gen)
		if why == "" {
			why = homeHalted
		}
		return &LoginResult{User: user, Halted: why}, nil
	}
	mine, err := age.ParseX25519Identity(p.Identity)
	if err != nil {
		return nil, &Error{Code: string(wire.CodeInternal), Message: "the app's saved identity is malformed"}
	}
	b, err := openBox(mine, box)
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare([]byte(b.State), []byte(p.State)) != 1 {
		return nil, stale
	}
	key, err := base64.StdEncoding.DecodeString(b.Signer)
	if err != nil || len(key) != ed25519.PublicKeySize {
		return nil, badInput("the signer key from Home is malformed")
	}
	id, err := age.ParseX25519Identity(b.Identity)
	if err != nil {
		return nil, badInput("the identity from Home is malformed")
	}
	prev, epoch := a.startFrom(p.User, key, b)
	ap, err := client.ConnectApp(ctx, a.server, p.User, b.Token, id, ed25519.PublicKey(key), prev, a.opts(""))
	if err != nil {
		return nil, a.fail(0, err)
	}
	a.mu.Lock()
	a.pending = nil
	a.mu.Unlock()
	a.setSession(nil, ap)
	a.mu.Lock()
	a.epoch = epoch
	gen := a.gen
	a.mu.Unlock()
	a.persist(gen)
	return &LoginResult{User: ap.User(), Halted: ap.State().Halted}, nil
}

// startFrom returns what an app connecting with box b starts from, and the
// epoch it then knows (spec/web.md §5.1): what it remembers (its session's
// state, or its memory of an ended one), unless it remembers nothing or
// Home's epoch is above its own, the person having decided in Home since
// to go on with what the server holds: then a fresh app's. Either way,
// the feed must reach the position Home verified, and the app seals with
// no key generation older than Home saw. A host that ends the app's
// session cannot make it forget: only a box from Home raises the epoch.
func (a *API) startFrom(user string, signer []byte, b *connectBox) (*client.AppState, uint64) {
	a.mu.Lock()
	var prev *client.AppState
	var own uint64
	switch {
	case a.app != nil:
		prev, own = a.app.State(), a.epoch
	case a.appMemory != nil:
		prev, own = a.appMemory.App, a.appMemory.Epoch
	}
	a.mu.Unlock()
	if prev == nil || b.Epoch > own {
		prev, own = &client.AppState{Server: a.server, User: user, Signer: signer}, b.Epoch
	} else {
		cp := *prev
		prev = &cp
	}
	prev.FeedFloor = max(prev.FeedFloor, b.Seq)
	seen := maps.Clone(prev.Seen)
	if seen == nil {
		seen = map[string]uint32{}
	}
	for d, g := range b.Gens {
		seen[d] = max(seen[d], g)
	}
	prev.Seen = seen
	return prev, own
}
