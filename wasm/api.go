package wasm

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"io"
	"maps"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/pquerna/otp"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/crypto/kdf"
	"github.com/hearthcloud/hearth/crypto/seal"
	"github.com/hearthcloud/hearth/internal/appmanifest"
	"github.com/hearthcloud/hearth/internal/wire"
)

// Config configures an API.
type Config struct {
	Server string     // Home's origin, e.g. http://localhost:8080
	Device string     // session device name; "" -> "browser"
	KDF    kdf.Params // sign-up parameters; zero: kdf.Default
	// PollWait is how long each request of the subscription loop long-polls
	// the changes feed; 0: 55 seconds.
	PollWait time.Duration
	// OnEvent receives the events of the API (see Event). It is called from
	// the API's goroutines, never while the API holds a lock, and should
	// return quickly.
	OnEvent func(Event)
	// Cache, if not nil, keeps what search downloads (sealed index
	// segments) across page loads: IndexedDB, in the browser.
	Cache Cache
}

// Cache is a store of bytes by key that survives the page (hearth-worker.js
// keeps it in IndexedDB, with the session, and wipes it with the session).
// Its failures are misses: it is a cache.
type Cache interface {
	Get(key string) []byte
	Put(key string, b []byte)
	// Prune deletes the keys that start with prefix, but prefix+k for each
	// k of keep.
	Prune(prefix string, keep []string)
}

// Event is something the API tells its host without being asked:
//
//   - "change": a document of a subscribed doctype changed (Sub and Change);
//   - "error": the subscription loop stopped on an error (Error), for
//     every subscription;
//   - "state": what to keep to resume after a reload (State: the saved
//     form, to be stored only sealed, spec/web.md §4; it holds the master
//     key and the session token and must never leave the worker);
//   - "wipe": the session ended (logout, or revoked): delete the saved
//     state and its key;
//   - "memory": after a "wipe", what the browser verified of the accounts'
//     histories (State: the memory record of memory.go, States and an
//     app's AppState without token, session, identity or master key), to
//     keep, sealed, across the wipe and give back with remember when the
//     page starts (protocol §4.7);
//   - "halted": the session stopped saving (protocol §4.7): Error.Message
//     says why.
type Event struct {
	Type   string  `json:"type"`
	Sub    int     `json:"sub,omitempty"`
	Change *Change `json:"change,omitempty"`
	Error  *Error  `json:"error,omitempty"`
	State  []byte  `json:"-"` // "state", "memory": the saved form (saved.go), given to the host apart
}

// Change is one document change delivered to a subscription.
type Change struct {
	Doctype string          `json:"doctype"`
	ID      string          `json:"id"`
	Rev     uint64          `json:"rev"`
	Deleted bool            `json:"deleted"`
	Value   json.RawMessage `json:"value"` // null when Deleted
}

// Doc is a live document.
type Doc struct {
	ID    string          `json:"id"`
	Rev   uint64          `json:"rev"`
	Value json.RawMessage `json:"value"`
}

// saved is what a "state" event carries, and Resume takes back.
type saved struct {
	// Cache: the documents of the doctypes listed this session, so that the
	// next start lists them without reading them again (the feed, read from
	// the saved position before any List answers, brings what changed since).
	Cache     []cachedDoctype  `json:"-"`
	Version   int              `json:"v"`
	State     *client.State    `json:"state,omitempty"`     // Home's session
	App       *client.AppState `json:"app,omitempty"`       // an app's session
	Pending   *pendingConnect  `json:"pending,omitempty"`   // an app's connection under way
	AppTokens []string         `json:"appTokens,omitempty"` // app tokens Home created here
	AppSlugs  []string         `json:"appSlugs,omitempty"`  // apps connected here (Home): wiped at logout
	// Epoch counts the person's decisions, in Home, to go on with what the
	// server holds after a halt (protocol §4.7): Home raises it at each;
	// an app keeps the one it last adopted Home's position at (connect.go).
	Epoch uint64 `json:"epoch,omitempty"`
}

// session is what Home's Client and an App have in common.
type session interface {
	User() string
	Create(ctx context.Context, doctype string, content []byte) (string, uint64, error)
	Put(ctx context.Context, doctype, id string, content []byte) (uint64, error)
	Get(ctx context.Context, doctype, id string) (*client.Doc, error)
	GetMany(ctx context.Context, doctype string, ids []string) ([]*client.Doc, error)
	Delete(ctx context.Context, doctype, id string) error
	Sync(ctx context.Context, wait time.Duration, fn func(client.Change) error) error
	Upload(ctx context.Context, r io.Reader, size int64, name, mediaType string, mtime time.Time, progress func(done, total int64)) (string, error)
	DownloadProgress(ctx context.Context, fileID string, w io.Writer, progress func(done, total int64)) (*client.FileInfo, error)
}

// haltedOf returns why session s stopped saving, or "".
func haltedOf(s session) string {
	switch s := s.(type) {
	case *client.Client:
		return s.Halted()
	case *client.App:
		return s.State().Halted
	}
	return ""
}

// docsOf returns what session s remembers of documents.
func docsOf(s session) map[string]client.DocState {
	switch s := s.(type) {
	case *client.Client:
		return s.State().Docs
	case *client.App:
		return s.State().Docs
	}
	return nil
}

// entry is what the API's memory holds of one document.
type entry struct {
	rev     uint64
	deleted bool
	value   json.RawMessage
}

type subscription struct {
	doctypes map[string]bool // empty: all
}

// API is the client library as the browser sees it: one method per
// operation of spec/web.md §3, with JSON-able arguments and results and
// errors of type *Error. Its methods may be called from several goroutines.
type API struct {
	cfg    Config
	server string // cfg.Server normalized

	mu        sync.Mutex
	c         session        // nil: signed out
	acct      *client.Client // the session when signed in with a password (Home)
	app       *client.App    // the session of an app (spec/web.md §5)
	pending   *pendingConnect
	appTokens []string            // ids of the app tokens this browser created (Home)
	appSlugs  []string            // the apps connected in this browser (Home)
	offered   map[string]*offered // the connections ConnectOffer described, by state (connect.go)
	offer     *client.AppOffer    // the app Home last offered to install (apps.go)
	resealMu  sync.Mutex          // one Reseal at a time
	// The installed apps search links hits to (search.go), and when
	// they were read.
	appsSeen   map[string]appInfo
	appsSeenAt time.Time
	gen        uint64 // bumped at every change of session
	live       map[string]map[string]*entry
	loaded     map[string]bool // doctypes whose documents known before this session are in live
	subs       map[int]*subscription
	loop       *loop
	lastSaved  []byte
	fetchMu    sync.Mutex // one load of older documents at a time
	// memories is what this browser verified of each account signed in
	// here (its State without token, session or master key), most recently
	// used first, kept when a session ends so that the next sign-in is a
	// known device's (spec protocol.md §4.7, web.md §4): Login gives the
	// account's as Options.Previous. appMemory is an app's own (memory.go).
	memories  []memEntry
	appMemory *memEntry
	// epoch is the session's saved.Epoch; haltSaid the halt last told
	// with a "halted" event.
	epoch    uint64
	haltSaid string
}

// loop is the running subscription loop of one session.
type loop struct {
	cancel context.CancelFunc
	ready  chan struct{} // closed once the feed was read to its end once, or on failure
	err    error         // set before ready closes, if the first pass failed
}

// New returns an API for cfg.Server, signed out.
func New(cfg Config) (*API, error) {
	u, err := url.Parse(strings.TrimRight(cfg.Server, "/"))
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, badInput("%q is not a server URL", cfg.Server)
	}
	if cfg.Device == "" {
		cfg.Device = "browser"
	}
	if cfg.PollWait <= 0 {
		cfg.PollWait = 55 * time.Second
	}
	return &API{cfg: cfg, server: u.String(), live: map[string]map[string]*entry{},
		loaded: map[string]bool{}, subs: map[int]*subscription{}}, nil
}

// opts returns the client's options, with Home's memory of user (if any)
// as Options.Previous.
func (a *API) opts(user string) *client.Options {
	a.mu.Lock()
	defer a.mu.Unlock()
	o := &client.Options{Device: a.cfg.Device, KDF: a.cfg.KDF}
	if m := a.memoryForLocked(user); m != nil {
		o.Previous = m.State
	}
	return o
}

func (a *API) emit(ev Event) {
	if a.cfg.OnEvent != nil {
		a.cfg.OnEvent(ev)
	}
}

// session returns the current session, or errNotLoggedIn.
func (a *API) session() (session, uint64, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.c == nil {
		return nil, 0, errNotLoggedIn
	}
	return a.c, a.gen, nil
}

var errNotForApps = &Error{Code: "forbidden", Message: "only Home can do this, not an app"}

// account returns Home's session, or an error in an app or signed out.
func (a *API) account() (*client.Client, uint64, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.c == nil {
		return nil, 0, errNotLoggedIn
	}
	if a.acct == nil {
		return nil, 0, errNotForApps
	}
	return a.acct, a.gen, nil
}

// fail maps err, and ends the session if the server says it ended.
func (a *API) fail(gen uint64, err error) error {
	e := toError(err)
	if e != nil && e.Code == "session_ended" && gen != 0 {
		a.drop(gen)
	}
	if e != nil && e.Code == "integrity" && gen != 0 {
		// A rollback found by any call halts the client: the saved state
		// keeps the halt now, not at the feed loop's next pass, which the
		// host can put off for as long as it likes (protocol §4.7).
		a.persist(gen)
	}
	if e == nil {
		return nil
	}
	return e
}

// setSession installs Home's c or app's ap as the session, dropping any
// earlier one.
func (a *API) setSession(c *client.Client, ap *client.App) {
	a.mu.Lock()
	a.stopLocked()
	a.gen++
	a.acct, a.app = c, ap
	if c != nil {
		a.c = c
	} else {
		a.c = ap
	}
	a.live = map[string]map[string]*entry{}
	a.loaded = map[string]bool{}
	a.offered, a.offer, a.appsSeen = nil, nil, nil
	a.lastSaved = nil
	if len(a.subs) > 0 {
		a.startLocked()
	}
	a.mu.Unlock()
}

// drop forgets session gen (if still current) and tells the host to wipe.
func (a *API) drop(gen uint64) {
	a.mu.Lock()
	if a.c == nil || a.gen != gen {
		a.mu.Unlock()
		return
	}
	a.stopLocked()
	a.gen++
	// What this device verified outlives the session: a host ends a
	// session at will, and must not make the next sign-in a fresh
	// device's, nor an app's next connection a fresh app's (§4.7).
	if a.acct != nil {
		a.rememberLocked(memEntry{State: memoryOf(a.acct.State()), Epoch: a.epoch})
	} else if a.app != nil {
		a.appMemory = &memEntry{App: appMemoryOf(a.app.State()), Epoch: a.epoch}
	}
	memory := a.memoryRecordLocked()
	a.c, a.acct, a.app, a.appTokens, a.appSlugs = nil, nil, nil, nil, nil
	a.epoch, a.haltSaid = 0, ""
	a.live = map[string]map[string]*entry{}
	a.loaded = map[string]bool{}
	a.lastSaved = nil
	a.mu.Unlock()
	a.emit(Event{Type: "wipe"})
	if memory != nil {
		a.emit(Event{Type: "memory", State: memory})
	}
}

// persist sends a "state" event if what to keep changed since the last.
func (a *API) persist(gen uint64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.gen != gen {
		return
	}
	sv := saved{Version: 1, Pending: a.pending, AppTokens: a.appTokens, AppSlugs: a.appSlugs, Epoch: a.epoch}
	if a.acct != nil {
		sv.State = a.acct.State()
	}
	if a.app != nil {
		sv.App = a.app.State()
	}
	a.sayHaltLocked(sv)
	sv.Cache = a.cacheLocked()
	b, err := encodeSaved(sv)
	if err != nil || bytes.Equal(b, a.lastSaved) {
		return
	}
	a.lastSaved = b
	// Emitted under the lock so that states reach the host in order; the
	// host only queues them.
	a.emit(Event{Type: "state", State: b})
}

// sayHaltLocked sends a "halted" event when the session sv holds newly
// halted (the caller holds mu): the page says so at once.
func (a *API) sayHaltLocked(sv saved) {
	why := ""
	if sv.State != nil {
		why = sv.State.Halted
	} else if sv.App != nil {
		why = sv.App.Halted
	}
	if why == a.haltSaid {
		return
	}
	a.haltSaid = why
	if why != "" {
		a.emit(Event{Type: "halted", Error: &Error{Code: "halted", Message: why}})
	}
}

// maxCache bounds the documents cache of a saved state (its values'
// bytes): the state is written whole at every change.
const maxCache = 2 << 20

// cacheLocked returns the documents cache to save: the live documents of
// every doctype loaded, or none past maxCache.
func (a *API) cacheLocked() []cachedDoctype {
	var out []cachedDoctype
	size := 0
	for _, dt := range slices.Sorted(maps.Keys(a.loaded)) {
		if !a.loaded[dt] {
			continue
		}
		m := a.live[dt]
		cd := cachedDoctype{Doctype: dt, Docs: make([]cachedDoc, 0, len(m))}
		for _, id := range slices.Sorted(maps.Keys(m)) {
			e := m[id]
			if e.deleted {
				continue
			}
			size += len(id) + len(e.value)
			if size > maxCache {
				return nil
			}
			cd.Docs = append(cd.Docs, cachedDoc{ID: id, Rev: e.rev, Value: e.value})
		}
		out = append(out, cd)
	}
	return out
}

// User returns the signed-in account's name, or "".
func (a *API) User() string {
	c, _, err := a.session()
	if err != nil {
		return ""
	}
	return c.User()
}

// SignupResult is what Signup returns.
type SignupResult struct {
	User        string `json:"user"`
	RecoveryKey string `json:"recoveryKey"`
}

// Signup creates an account and signs in; invite is "" or the invitation
// code a server whose sign-up needs one asks for.
func (a *API) Signup(ctx context.Context, user, password, invite string) (*SignupResult, error) {
	if err := wire.CheckUser(user); err != nil {
		return nil, badInput("%v", err)
	}
	if password == "" {
		return nil, badInput("a password is needed")
	}
	o := a.opts(user)
	o.Invite = strings.TrimSpace(invite)
	c, rk, err := client.Signup(ctx, a.server, user, password, o)
	if err != nil {
		return nil, a.fail(0, err)
	}
	a.setSession(c, nil)
	a.mu.Lock()
	a.epoch = 0
	a.mu.Unlock()
	a.persist(a.currentGen())
	return &SignupResult{User: user, RecoveryKey: rk}, nil
}

func (a *API) currentGen() uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.gen
}

// LoginResult is what Login and Resume return.
type LoginResult struct {
	User string `json:"user"`
	// Halted: signing in, this browser found the account's history rolled
	// back or forked and writes nothing until the person decides (Account,
	// AcceptServerState).
	Halted string `json:"halted,omitempty"`
}

// Login signs in; totp is "" or an authenticator code or a recovery code.
func (a *API) Login(ctx context.Context, user, password, totp string) (*LoginResult, error) {
	if err := wire.CheckUser(user); err != nil {
		// An impossible name cannot have an account.
		return nil, &Error{Code: "bad_credentials", Message: client.ErrBadCredentials.Error()}
	}
	c, err := client.Login(ctx, a.server, user, password, totp, a.opts(user))
	if err != nil {
		return nil, a.fail(0, err)
	}
	a.setSession(c, nil)
	a.mu.Lock()
	gen := a.gen
	a.epoch = 0
	if m := a.memoryForLocked(user); m != nil {
		a.epoch = m.Epoch
	}
	a.mu.Unlock()
	// A device writes only once it has read the account's history to its
	// end (spec/protocol.md §1.4): the feed loop's first pass does, and
	// fills memory on the way. A rollback it reports halts the device,
	// which the saved state remembers.
	a.mu.Lock()
	l := a.startLocked()
	a.mu.Unlock()
	if err := waitReady(ctx, l); err != nil {
		return nil, err
	}
	a.persist(gen)
	if h := c.Halted(); h != "" {
		// Signed in, and halted: Home says so and lets the person decide.
		return &LoginResult{User: user, Halted: h}, nil
	}
	if l.err != nil {
		return nil, a.fail(gen, l.err)
	}
	return &LoginResult{User: user}, nil
}

// ResumeResult is what Resume returns.
type ResumeResult struct {
	Restored bool   `json:"restored"`
	User     string `json:"user,omitempty"`
	App      bool   `json:"app,omitempty"` // the session is an app's
	// Halted: why this browser stopped saving (protocol §4.7), from the
	// session's state or, with none restored, an app's memory; "" if not.
	Halted string `json:"halted,omitempty"`
}

// Resume continues a session from what a "state" event carried (and an
// app's connection under way). A state of another server, or one that
// does not resume, gives Restored false.
func (a *API) Resume(state []byte) (*ResumeResult, error) {
	s, err := decodeSaved(state)
	if err != nil || s.Version != 1 {
		return &ResumeResult{}, nil
	}
	var c *client.Client
	var ap *client.App
	switch {
	case s.State != nil && a.sameServer(s.State.Server):
		c, _ = client.Resume(s.State, a.opts(""))
	case s.App != nil && a.sameServer(s.App.Server):
		ap, _ = client.ResumeApp(s.App, a.opts(""))
	}
	a.mu.Lock()
	a.pending = s.Pending
	a.mu.Unlock()
	if c == nil && ap == nil {
		a.mu.Lock()
		why, _ := a.appHaltLocked()
		a.mu.Unlock()
		return &ResumeResult{Halted: why}, nil
	}
	a.setSession(c, ap)
	a.mu.Lock()
	for _, cd := range s.Cache {
		m := make(map[string]*entry, len(cd.Docs))
		for _, d := range cd.Docs {
			m[d.ID] = &entry{rev: d.Rev, value: d.Value}
		}
		a.live[cd.Doctype] = m
		a.loaded[cd.Doctype] = true
	}
	a.lastSaved = state
	a.epoch = s.Epoch
	if c != nil {
		a.appTokens, a.appSlugs = s.AppTokens, s.AppSlugs
	}
	a.mu.Unlock()
	if c != nil {
		return &ResumeResult{Restored: true, User: c.User(), Halted: c.Halted()}, nil
	}
	return &ResumeResult{Restored: true, User: ap.User(), App: true, Halted: ap.State().Halted}, nil
}

// LogoutResult is what Logout returns.
type LogoutResult struct {
	// Wipe: the origins of the apps connected in this browser (Home), whose
	// storage the page wipes next (spec/web.md §4) by visiting each with
	// #signout.
	Wipe []string `json:"wipe"`
}

// Logout ends the session on the server (if it can) and forgets it here;
// the host gets a "wipe" event. Signed out already is not an error.
func (a *API) Logout(ctx context.Context) (*LogoutResult, error) {
	a.mu.Lock()
	ap, c, gen, tokens := a.app, a.acct, a.gen, a.appTokens
	res := &LogoutResult{Wipe: []string{}}
	if c != nil {
		for _, slug := range a.appSlugs {
			res.Wipe = append(res.Wipe, a.appURL(slug, c.User()))
		}
	}
	a.mu.Unlock()
	if ap != nil {
		// An app forgets its token and keys; Home revokes the token.
		a.drop(gen)
		return res, nil
	}
	if c == nil {
		a.emit(Event{Type: "wipe"})
		return res, nil
	}
	// The app tokens this browser gave stop working (spec/web.md §4).
	for _, id := range tokens {
		c.RevokeToken(ctx, id)
	}
	lerr := c.Logout(ctx)
	a.drop(gen)
	if e := toError(lerr); e != nil && e.Code != "network" {
		return res, e
	}
	// Offline, the keys are gone from here all the same; the session
	// expires on the server.
	return res, nil
}

// Account is the account's own record (protocol §8.2.8).
type Account struct {
	User    string    `json:"user"`
	Created time.Time `json:"created"`
	TOTP    bool      `json:"totp"`
	// Usage is what the account stores, Quota its limits (null: none), as
	// the server states them (protocol §8.2.8): for the storage bar.
	Usage client.Usage `json:"usage"`
	Quota Limits       `json:"quota"`
	// Halted says why this browser stopped writing to the account (a
	// rollback or fork it reported, protocol §4.7); "" when it writes.
	Halted string `json:"halted,omitempty"`
}

// Limits are an account's limits; nil: none.
type Limits struct {
	Bytes *int64 `json:"bytes"`
	Docs  *int64 `json:"docs"`
}

// ServerInfoResult is what ServerInfo returns.
type ServerInfoResult struct {
	Signup string `json:"signup"` // "open", "invite" or "closed"
}

// ServerInfo says what the server tells before sign-in (protocol §8.2.9):
// Home shows an invitation field when sign-up needs one.
func (a *API) ServerInfo(ctx context.Context) (*ServerInfoResult, error) {
	info, err := client.GetServerInfo(ctx, a.server, a.opts(""))
	if err != nil {
		return nil, a.fail(0, err)
	}
	return &ServerInfoResult{Signup: info.Signup}, nil
}

// Account reads GET /v1/account.
func (a *API) Account(ctx context.Context) (*Account, error) {
	c, gen, err := a.account()
	if err != nil {
		return nil, err
	}
	// Whether this browser halted is known once it has read the account's
	// history from where it left it: the feed loop's first pass.
	a.mu.Lock()
	l := a.startLocked()
	a.mu.Unlock()
	if err := waitReady(ctx, l); err != nil {
		return nil, err
	}
	if e := toError(l.err); e != nil && e.Code != "integrity" {
		return nil, a.fail(gen, l.err)
	}
	acct, err := c.Account(ctx)
	if err != nil {
		return nil, a.fail(gen, err)
	}
	return &Account{User: acct.User, Created: acct.Created, TOTP: acct.TOTP, Usage: acct.Usage,
		Quota: Limits{Bytes: acct.Quota.Bytes, Docs: acct.Quota.Docs}, Halted: c.Halted()}, nil
}

// AcceptServerState is the person's decision, after this browser halted,
// to go on with what the server holds now (client.AcceptServerState): it
// reads the account's history again as a new device, and writes again
// once that verifies.
func (a *API) AcceptServerState(ctx context.Context) error {
	c, gen, err := a.account()
	if err != nil {
		return err
	}
	if c.Halted() == "" {
		return badInput("this browser has not stopped writing: there is nothing to accept")
	}
	err = c.AcceptServerState(ctx)
	// The person decided: the apps of this browser take Home's position
	// at their next connection (spec/web.md §5.1).
	a.mu.Lock()
	if a.gen == gen {
		a.epoch++
	}
	a.mu.Unlock()
	a.persist(gen)
	if err != nil {
		return a.fail(gen, err)
	}
	// What memory held came from the history forgotten: read it anew.
	a.setSession(c, nil)
	gen = a.currentGen()
	a.mu.Lock()
	l := a.startLocked()
	a.mu.Unlock()
	if err := waitReady(ctx, l); err != nil {
		return err
	}
	a.persist(gen)
	return a.fail(gen, l.err)
}

// TOTPEnrollResult is what TOTPEnroll returns.
type TOTPEnrollResult struct {
	URI string `json:"uri"` // otpauth://…
	QR  string `json:"qr"`  // the URI as a QR code: a PNG data: URL
}

// TOTPEnroll starts turning on two-factor authentication.
func (a *API) TOTPEnroll(ctx context.Context) (*TOTPEnrollResult, error) {
	c, gen, err := a.account()
	if err != nil {
		return nil, err
	}
	uri, err := c.TOTPEnroll(ctx)
	if err != nil {
		return nil, a.fail(gen, err)
	}
	qr, err := qrDataURL(uri)
	if err != nil {
		return nil, &Error{Code: "internal", Message: "the server's otpauth URI does not make a QR code: " + err.Error()}
	}
	return &TOTPEnrollResult{URI: uri, QR: qr}, nil
}

func qrDataURL(uri string) (string, error) {
	k, err := otp.NewKeyFromURL(uri)
	if err != nil {
		return "", err
	}
	img, err := k.Image(256, 256)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return "", err
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}

// TOTPConfirmResult is what TOTPConfirm returns.
type TOTPConfirmResult struct {
	RecoveryCodes []string `json:"recoveryCodes"`
}

// TOTPConfirm turns two-factor authentication on with a current code.
func (a *API) TOTPConfirm(ctx context.Context, code string) (*TOTPConfirmResult, error) {
	c, gen, err := a.account()
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(code) == "" {
		return nil, badInput("enter the code from the authenticator app")
	}
	codes, err := c.TOTPConfirm(ctx, code)
	if err != nil {
		return nil, a.fail(gen, err)
	}
	return &TOTPConfirmResult{RecoveryCodes: codes}, nil
}

// TOTPDisable turns two-factor authentication off.
func (a *API) TOTPDisable(ctx context.Context, code string) error {
	c, gen, err := a.account()
	if err != nil {
		return err
	}
	if strings.TrimSpace(code) == "" {
		return badInput("enter the code from the authenticator app, or a recovery code")
	}
	return a.fail(gen, c.TOTPDisable(ctx, code))
}

// Session is one session of the account.
type Session struct {
	ID       string    `json:"id"`
	Device   string    `json:"device"`
	Created  time.Time `json:"created"`
	LastSeen time.Time `json:"lastSeen"`
	Current  bool      `json:"current"`
}

// Sessions lists the account's sessions.
func (a *API) Sessions(ctx context.Context) ([]Session, error) {
	c, gen, err := a.account()
	if err != nil {
		return nil, err
	}
	ss, err := c.Sessions(ctx)
	if err != nil {
		return nil, a.fail(gen, err)
	}
	out := make([]Session, len(ss))
	for i, s := range ss {
		out[i] = Session{ID: s.ID, Device: s.Device, Created: s.Created, LastSeen: s.LastSeen, Current: s.Current}
	}
	return out, nil
}

// RevokeSession ends a session of the account; revoking the current one
// signs out here too.
func (a *API) RevokeSession(ctx context.Context, id string) error {
	c, gen, err := a.account()
	if err != nil {
		return err
	}
	if wire.CheckID(id) != nil {
		return badInput("%q is not a session id", id)
	}
	if err := c.RevokeSession(ctx, id); err != nil {
		return a.fail(gen, err)
	}
	if c.State().SessionID == id {
		a.drop(gen)
	}
	return nil
}

// Connection is an app or device token of the account, as Home lists it.
type Connection struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Kind     string   `json:"kind"`
	What     []string `json:"what"` // its scopes in words
	Created  string   `json:"created"`
	LastSeen string   `json:"lastSeen"`
	Here     bool     `json:"here"` // created in this browser
}

// Connections lists the account's app and device tokens, so that Home can
// show them and disconnect one (a token left by a sign-out made offline,
// or by another browser).
func (a *API) Connections(ctx context.Context) ([]Connection, error) {
	c, gen, err := a.account()
	if err != nil {
		return nil, err
	}
	toks, err := c.Tokens(ctx)
	if err != nil {
		return nil, a.fail(gen, err)
	}
	// Apps installed from archives are named by their manifests (a failure
	// to list them only leaves their slugs).
	installed := map[string]*client.InstalledApp{}
	if inst, err := c.InstalledApps(ctx); err == nil {
		for _, in := range inst {
			installed[in.Slug] = in
		}
	}
	a.mu.Lock()
	here := map[string]bool{}
	for _, id := range a.appTokens {
		here[id] = true
	}
	a.mu.Unlock()
	out := []Connection{}
	for _, t := range toks {
		conn := Connection{ID: t.ID, Name: t.Name, Kind: t.Kind, Here: here[t.ID],
			Created: t.Created.UTC().Format(time.RFC3339), LastSeen: t.LastSeen.UTC().Format(time.RFC3339)}
		if app, ok := bundled[t.Name]; ok {
			conn.Name = app.Name
		} else if in := installed[t.Name]; in != nil && t.Kind == client.KindApp {
			conn.Name = in.Manifest.Name
		}
		for _, s := range t.Scopes {
			conn.What = append(conn.What, client.ScopeWords(s))
		}
		out = append(out, conn)
	}
	return out, nil
}

// Disconnect revokes an app or device token: it stops working at once.
// Home forgets that the user agreed to connect that app, so it asks again
// next time.
func (a *API) Disconnect(ctx context.Context, id string) error {
	c, gen, err := a.account()
	if err != nil {
		return err
	}
	if wire.CheckID(id) != nil {
		return badInput("%q is not a token id", id)
	}
	toks, err := c.Tokens(ctx)
	if err != nil {
		return a.fail(gen, err)
	}
	// The keys it held are rotated (spec/protocol.md §4.6); Home then
	// runs Reseal.
	if _, err := c.Revoke(ctx, id); err != nil {
		return a.fail(gen, err)
	}
	for _, t := range toks {
		if t.ID == id && t.Kind == client.KindApp && appmanifest.CheckSlug(t.Name) == nil {
			if err := c.Delete(ctx, AppsDoctype, t.Name); err != nil && !errors.Is(err, client.ErrNotFound) {
				return a.fail(gen, err)
			}
		}
	}
	a.mu.Lock()
	a.appTokens = slices.DeleteFunc(a.appTokens, func(t string) bool { return t == id })
	a.mu.Unlock()
	a.persist(gen)
	return nil
}

// valueOf turns document content into a JSON value: the content itself when
// it is JSON, or else the content as a string (documents written by other
// clients need not be JSON).
func valueOf(content []byte) json.RawMessage {
	if json.Valid(content) {
		return bytes.Clone(content)
	}
	b, _ := json.Marshal(string(content))
	return b
}

func checkDoc(doctype, id string, needID bool) error {
	if wire.CheckDoctype(doctype) != nil {
		return badInput("%q is not a doctype (use reverse-DNS labels such as io.hearth.notes)", doctype)
	}
	if needID && (wire.CheckID(id) != nil || id[0] == '_') {
		return badInput("%q is not a document id", id)
	}
	return nil
}

func checkValue(value json.RawMessage) error {
	if len(bytes.TrimSpace(value)) == 0 || !json.Valid(value) {
		return badInput("a document's value must be a JSON value")
	}
	return nil
}

// CreateResult is what Create returns.
type CreateResult struct {
	ID  string `json:"id"`
	Rev uint64 `json:"rev"`
}

// Create writes a new document of doctype holding value.
func (a *API) Create(ctx context.Context, doctype string, value json.RawMessage) (*CreateResult, error) {
	c, gen, err := a.session()
	if err != nil {
		return nil, err
	}
	if err := checkDoc(doctype, "", false); err != nil {
		return nil, err
	}
	if err := checkValue(value); err != nil {
		return nil, err
	}
	id, rev, err := c.Create(ctx, doctype, value)
	if err != nil {
		return nil, a.fail(gen, err)
	}
	a.apply(gen, doctype, id, rev, false, value)
	a.persist(gen)
	return &CreateResult{ID: id, Rev: rev}, nil
}

// PutResult is what Put returns.
type PutResult struct {
	Rev uint64 `json:"rev"`
}

// Put creates or replaces document doctype/id (the last write wins).
func (a *API) Put(ctx context.Context, doctype, id string, value json.RawMessage) (*PutResult, error) {
	c, gen, err := a.session()
	if err != nil {
		return nil, err
	}
	if err := checkDoc(doctype, id, true); err != nil {
		return nil, err
	}
	if err := checkValue(value); err != nil {
		return nil, err
	}
	rev, err := c.Put(ctx, doctype, id, value)
	if err != nil {
		return nil, a.fail(gen, err)
	}
	a.apply(gen, doctype, id, rev, false, value)
	a.persist(gen)
	return &PutResult{Rev: rev}, nil
}

// Get reads and verifies the current revision of doctype/id.
func (a *API) Get(ctx context.Context, doctype, id string) (*Doc, error) {
	c, gen, err := a.session()
	if err != nil {
		return nil, err
	}
	if err := checkDoc(doctype, id, true); err != nil {
		return nil, err
	}
	d, err := c.Get(ctx, doctype, id)
	if err != nil {
		return nil, a.fail(gen, err)
	}
	v := valueOf(d.Content)
	a.apply(gen, doctype, id, d.Rev, false, v)
	a.persist(gen)
	return &Doc{ID: id, Rev: d.Rev, Value: v}, nil
}

// Delete deletes doctype/id.
func (a *API) Delete(ctx context.Context, doctype, id string) error {
	c, gen, err := a.session()
	if err != nil {
		return err
	}
	if err := checkDoc(doctype, id, true); err != nil {
		return err
	}
	if err := c.Delete(ctx, doctype, id); err != nil {
		return a.fail(gen, err)
	}
	a.apply(gen, doctype, id, docsOf(c)[doctype+"/"+id].Rev, true, nil)
	a.persist(gen)
	return nil
}

// apply records a document revision in memory if it is newer than what is
// there, and tells the subscriptions of its doctype.
func (a *API) apply(gen uint64, doctype, id string, rev uint64, deleted bool, value json.RawMessage) {
	a.mu.Lock()
	if a.gen != gen || a.c == nil {
		a.mu.Unlock()
		return
	}
	m := a.live[doctype]
	if m == nil {
		m = map[string]*entry{}
		a.live[doctype] = m
	}
	if e := m[id]; e != nil && e.rev >= rev {
		a.mu.Unlock()
		return
	}
	if deleted {
		value = nil
	}
	m[id] = &entry{rev: rev, deleted: deleted, value: value}
	ch := &Change{Doctype: doctype, ID: id, Rev: rev, Deleted: deleted, Value: value}
	if deleted {
		ch.Value = json.RawMessage("null")
	}
	var evs []Event
	for k, s := range a.subs {
		if len(s.doctypes) == 0 || s.doctypes[doctype] {
			evs = append(evs, Event{Type: "change", Sub: k, Change: ch})
		}
	}
	a.mu.Unlock()
	for _, ev := range evs {
		a.emit(ev)
	}
}

// List returns all live documents of doctype, ordered by id, from memory
// kept current by the verified changes feed (started on first use).
func (a *API) List(ctx context.Context, doctype string) ([]Doc, error) {
	if err := checkDoc(doctype, "", false); err != nil {
		return nil, err
	}
	a.mu.Lock()
	if a.c == nil {
		a.mu.Unlock()
		return nil, errNotLoggedIn
	}
	gen, c := a.gen, a.c
	l := a.startLocked()
	a.mu.Unlock()
	if err := waitReady(ctx, l); err != nil {
		return nil, err
	}
	// An app that stopped saving still shows what it verified before
	// (protocol §4.7: reading goes on); Home says so with account().halted.
	halted := ""
	if _, ok := c.(*client.App); ok {
		halted = haltedOf(c)
	}
	if l.err != nil && halted == "" {
		return nil, a.fail(gen, l.err)
	}
	if err := a.load(ctx, c, gen, doctype); err != nil {
		if halted != "" {
			// Stopped, and what this browser kept does not read either:
			// nothing to show until the person decides (§4.7).
			a.persist(gen)
			return nil, &Error{Code: "halted", Message: client.ErrHalted.Error() + " (" + halted + "); what it kept of this cannot be read either until you decide, in Home", err: err}
		}
		return nil, a.fail(gen, err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.gen != gen {
		return nil, errNotLoggedIn
	}
	out := []Doc{}
	for id, e := range a.live[doctype] {
		if !e.deleted {
			out = append(out, Doc{ID: id, Rev: e.rev, Value: e.value})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// load brings into memory the documents of doctype that this device knew
// before the session was resumed (the feed, read from the saved position,
// gives only what changed since): every one the State remembers and memory
// lacks is read and verified with GetMany.
func (a *API) load(ctx context.Context, c session, gen uint64, doctype string) error {
	a.fetchMu.Lock()
	defer a.fetchMu.Unlock()
	a.mu.Lock()
	if a.gen != gen || a.loaded[doctype] {
		a.mu.Unlock()
		return nil
	}
	var ids []string
	for k := range docsOf(c) {
		dt, id, ok := strings.Cut(k, "/")
		if ok && dt == doctype && a.live[dt][id] == nil {
			ids = append(ids, id)
		}
	}
	a.mu.Unlock()
	// One verified bulk read per thousand documents.
	docs, err := c.GetMany(ctx, doctype, ids)
	if err != nil {
		return err
	}
	for i, d := range docs {
		switch {
		case d == nil:
			a.apply(gen, doctype, ids[i], docsOf(c)[doctype+"/"+ids[i]].Rev, true, nil)
		case d.Deleted:
			a.apply(gen, doctype, ids[i], d.Rev, true, nil)
		default:
			a.apply(gen, doctype, ids[i], d.Rev, false, valueOf(d.Content))
		}
	}
	a.mu.Lock()
	if a.gen == gen {
		a.loaded[doctype] = true
	}
	a.mu.Unlock()
	a.persist(gen)
	return nil
}

// Subscribe registers subscription sub (a number the caller picks) for
// changes of doctypes (none: all), and starts the feed loop if needed.
// Changes come as "change" events. Subscribing again with the same number
// replaces the doctypes.
func (a *API) Subscribe(sub int, doctypes []string) error {
	s := &subscription{doctypes: map[string]bool{}}
	for _, d := range doctypes {
		if err := checkDoc(d, "", false); err != nil {
			return err
		}
		s.doctypes[d] = true
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.c == nil {
		return errNotLoggedIn
	}
	a.subs[sub] = s
	a.startLocked()
	return nil
}

// Unsubscribe ends subscription sub. The feed loop keeps running, so that
// List stays current.
func (a *API) Unsubscribe(sub int) {
	a.mu.Lock()
	delete(a.subs, sub)
	a.mu.Unlock()
}

// startLocked starts the feed loop of the current session unless it runs.
func (a *API) startLocked() *loop {
	if a.loop != nil {
		return a.loop
	}
	ctx, cancel := context.WithCancel(context.Background())
	l := &loop{cancel: cancel, ready: make(chan struct{})}
	a.loop = l
	go a.run(ctx, a.c, a.gen, l)
	return l
}

// waitReady waits for l's first pass to the feed's end (l.err then says
// how it went), or for ctx.
func waitReady(ctx context.Context, l *loop) error {
	select {
	case <-l.ready:
		return nil
	case <-ctx.Done():
		return toError(ctx.Err())
	}
}

func (a *API) stopLocked() {
	if a.loop != nil {
		a.loop.cancel()
		a.loop = nil
	}
}

// run reads the changes feed: once to its end (then ready closes), then
// long-polling, applying every change to memory, until the session ends,
// the loop is stopped, or the feed fails verification.
func (a *API) run(ctx context.Context, c session, gen uint64, l *loop) {
	first := true
	backoff := time.Second
	fn := func(ch client.Change) error {
		if ch.Doc == nil {
			return nil // superseded later in the feed
		}
		if ch.Deleted {
			a.apply(gen, ch.Doctype, ch.ID, ch.Rev, true, nil)
		} else {
			a.apply(gen, ch.Doctype, ch.ID, ch.Rev, false, valueOf(ch.Doc.Content))
		}
		return nil
	}
	for ctx.Err() == nil {
		wait := a.cfg.PollWait
		if first {
			wait = 0
		}
		err := c.Sync(ctx, wait, fn)
		if ctx.Err() != nil {
			break
		}
		e := toError(err)
		if e == nil {
			a.persist(gen)
			backoff = time.Second
			if first {
				first = false
				close(l.ready)
			}
			continue
		}
		if e.Code == "network" || e.Code == "internal" || e.Code == "unavailable" || e.Code == "rate_limited" {
			if first {
				// The first pass answers List: fail it now, keep trying.
				l.err = err
				close(l.ready)
				a.mu.Lock()
				if a.loop == l {
					a.loop = nil
				}
				a.mu.Unlock()
				return
			}
			select {
			case <-ctx.Done():
			case <-time.After(max(backoff, time.Duration(e.RetryAfter)*time.Second)): // at least Retry-After (§8.1.11)
			}
			backoff = min(2*backoff, 30*time.Second)
			continue
		}
		// Integrity, or the session ended: stop, and say so. A halt
		// (protocol §4.7) is kept with the saved state.
		a.persist(gen)
		if first {
			l.err = err
			close(l.ready)
		}
		a.mu.Lock()
		if a.loop == l {
			a.loop = nil
		}
		subs := make([]int, 0, len(a.subs))
		for k := range a.subs {
			subs = append(subs, k)
		}
		a.mu.Unlock()
		for _, k := range subs {
			a.emit(Event{Type: "error", Sub: k, Error: e})
		}
		if e.Code == "session_ended" {
			a.drop(gen)
		}
		return
	}
	if first {
		l.err = context.Canceled
		close(l.ready)
	}
}

// UploadResult is what Upload returns.
type UploadResult struct {
	ID string `json:"id"`
}

// Upload seals and uploads size bytes read from r as a file named name.
// MaxBrowserFile is the largest file the browser uploads or downloads: Go's
// WebAssembly HTTP transport holds a request body whole, and a download is
// held whole until it verified (spec/web.md §3), in a 32-bit address space.
const MaxBrowserFile = 512 << 20

func (a *API) Upload(ctx context.Context, r io.Reader, size int64, name, mediaType string, mtime time.Time, progress func(done, total int64)) (*UploadResult, error) {
	c, gen, err := a.session()
	if err != nil {
		return nil, err
	}
	if size < 0 || size > MaxBrowserFile {
		return nil, &Error{Code: "too_large", Message: fmt.Sprintf("the browser takes files of up to %d MiB for now (this one has %d MiB); the command line client takes any size", MaxBrowserFile>>20, size>>20)}
	}
	id, err := c.Upload(ctx, r, size, cleanName(name), cleanType(mediaType), mtime, progress)
	if err != nil {
		return nil, a.fail(gen, err)
	}
	a.persist(gen)
	return &UploadResult{ID: id}, nil
}

// cleanName makes a plain file name (spec/protocol.md §6.1) of what the
// browser gives.
func cleanName(n string) string {
	n = strings.ToValidUTF8(n, "_")
	n = strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || unicode.IsControl(r) {
			return '_'
		}
		return r
	}, n)
	for len(n) > seal.MaxNameLen {
		_, sz := utf8.DecodeLastRuneInString(n)
		n = n[:len(n)-sz]
	}
	if n == "" || n == "." || n == ".." {
		n = "file"
	}
	return n
}

func cleanType(t string) string {
	if len(t) > seal.MaxNameLen {
		return ""
	}
	for i := 0; i < len(t); i++ {
		if t[i] < 0x20 || t[i] > 0x7e {
			return ""
		}
	}
	return t
}

// FileInfo is what Download returns beside the content.
type FileInfo struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Type     string    `json:"type"`
	Size     int64     `json:"size"`
	Modified time.Time `json:"modified,omitzero"`
}

// Download reads file id whole and returns it only once it verified: the
// client library writes authenticated chunks before its final check of the
// whole file, so nothing is released before Download returns nil.
func (a *API) Download(ctx context.Context, id string, progress func(done, total int64)) (*FileInfo, []byte, error) {
	c, gen, err := a.session()
	if err != nil {
		return nil, nil, err
	}
	if err := checkDoc(client.FilesDoctype, id, true); err != nil {
		return nil, nil, err
	}
	var buf bytes.Buffer
	info, err := c.DownloadProgress(ctx, id, &limitWriter{&buf, MaxBrowserFile}, progress)
	if err != nil {
		buf.Reset()
		return nil, nil, a.fail(gen, err)
	}
	a.persist(gen)
	return &FileInfo{ID: id, Name: info.Name, Type: info.Type, Size: info.Size, Modified: info.ModTime}, buf.Bytes(), nil
}

// Close stops the feed loop. The API is not to be used after.
func (a *API) Close() {
	a.mu.Lock()
	a.stopLocked()
	a.subs = map[int]*subscription{}
	a.mu.Unlock()
}

// limitWriter fails a download larger than the browser takes.
type limitWriter struct {
	w    io.Writer
	left int64
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > l.left {
		return 0, &Error{Code: "too_large", Message: fmt.Sprintf("the browser takes files of up to %d MiB for now; the command line client takes any size", MaxBrowserFile>>20)}
	}
	l.left -= int64(len(p))
	return l.w.Write(p)
}
