package wasm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/client/pwrule"
	"github.com/hearthcloud/hearth/internal/wire"
)

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
	a.seqs = nil
	a.loaded = map[string]bool{}
	a.dirty = nil
	a.offered, a.offer, a.appsSeen = nil, nil, nil
	a.lastSaved = nil
	// What the session writes is in memory at once (and in the documents
	// cache at the next persist), not only once the feed brings it back.
	gen := a.gen
	wrote := func(doctype, id string, rev uint64, content []byte) {
		var v json.RawMessage
		if content != nil {
			v = valueOf(content)
		}
		a.apply(gen, doctype, id, rev, content == nil, v)
	}
	if c != nil {
		c.SetOnWrite(wrote)
	}
	if ap != nil {
		ap.SetOnWrite(wrote)
		// An app reads the feed all along (its pages subscribe), and its
		// files listings come from what the feed brought (feed.go), not
		// from the server's listing and bulk reads: a reload lists from the
		// documents cache at once.
		ap.SetFilesSource(a.filesSource(gen))
	}
	if len(a.subs) > 0 {
		a.startLocked()
	}
	a.stopOutboxLocked()
	a.startOutboxLocked()
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
	a.seqs = nil
	a.loaded = map[string]bool{}
	a.dirty = nil
	a.lastSaved = nil
	a.stopOutboxLocked()
	a.mu.Unlock()
	a.emit(Event{Type: "wipe"})
	if memory != nil {
		a.emit(Event{Type: "memory", State: memory})
	}
}

// persist sends a "state" event if what to keep changed since the last,
// and a "docs" event for each page of the documents cache that changed
// (docpages.go).
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
	sv.Seqs = a.seqTablesLocked()
	b, err := encodeSaved(sv)
	if err == nil && !bytes.Equal(b, a.lastSaved) {
		a.lastSaved = b
		// Emitted under the lock so that states reach the host in order;
		// the host only queues them.
		a.emit(Event{Type: "state", State: b})
	}
	for _, ev := range a.pagesLocked() {
		a.emit(ev)
	}
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
		a.emit(Event{Type: "halted", Error: &Error{Code: CodeHalted, Message: why}})
	}
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
	if err := wire.CheckNewUser(user); err != nil {
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

// PasswordCheck is what CheckPassword answers.
type PasswordCheck struct {
	OK     bool   `json:"ok"`
	Kind   string `json:"kind,omitempty"`   // the reason's name (pwrule.WeakError.Kind)
	Reason string `json:"reason,omitempty"` // why not, for people
}

// CheckPassword applies the password rule (client.CheckPassword) to a
// password chosen for the account user, so that a page can say at once
// what sign-up, a password change or a recovery would refuse.
func (a *API) CheckPassword(ctx context.Context, user, password string) (*PasswordCheck, error) {
	err := client.CheckPassword(user, password)
	var we *pwrule.WeakError
	switch {
	case err == nil:
		return &PasswordCheck{OK: true}, nil
	case errors.As(err, &we):
		return &PasswordCheck{Kind: we.Kind, Reason: we.Reason}, nil
	}
	return nil, toError(err)
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
	return a.LoginWith(ctx, user, password, LoginOptions{TOTP: totp})
}

// LoginOptions are a login's options besides the user name and password.
type LoginOptions struct {
	TOTP string `json:"totp"` // "" or an authenticator code or a recovery code
	// PasswordChanged: the person says the password was changed on
	// another device, so a new seed is expected (client.Options.KDFChanged).
	// Without it, a seed other than the one this browser remembers fails
	// as kdf_changed, and nothing is sent.
	PasswordChanged bool `json:"passwordChanged"`
	// Passkey: a passkey's answer in place of a code (passkeySignInBegin,
	// then navigator.credentials.get), for an account with two-factor
	// authentication on.
	Passkey *client.PasskeyAnswer `json:"passkey"`
}

// LoginWith is Login with its options.
func (a *API) LoginWith(ctx context.Context, user, password string, lo LoginOptions) (*LoginResult, error) {
	totp := lo.TOTP
	if err := wire.CheckUser(user); err != nil {
		// An impossible name cannot have an account.
		return nil, &Error{Code: string(wire.CodeBadCredentials), Message: client.ErrBadCredentials.Error()}
	}
	o := a.opts(user)
	o.KDFChanged = lo.PasswordChanged
	if totp != "" && lo.Passkey != nil {
		return nil, badInput("login: a code or a passkey, not both")
	}
	c, err := client.LoginWith(ctx, a.server, user, password, client.SecondFactor{Code: totp, Passkey: lo.Passkey}, o)
	if err != nil {
		return nil, a.fail(0, err)
	}
	return a.signedIn(ctx, c, user)
}

// signedIn takes the session a login or a recovery opened for user, reads
// the account's history to its end and saves the state.
func (a *API) signedIn(ctx context.Context, c *client.Client, user string) (*LoginResult, error) {
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

// RecoverArgs are the arguments of Recover, one object.
type RecoverArgs struct {
	User        string `json:"user"`
	RecoveryKey string `json:"recoveryKey"`
	Password    string `json:"password"` // the new password
	TOTP        string `json:"totp"`     // "" or an authenticator code or a TOTP recovery code, when two-factor is on
}

// RecoverResult is what Recover returns: the session's user (and halt, as
// Login's), and the new recovery key, to be shown once.
type RecoverResult struct {
	LoginResult
	RecoveryKey string `json:"recoveryKey"`
	// Warning: the passkeys could not be given the new key (they sign in
	// only as a second factor until the next password change); "" if not.
	Warning string `json:"warning,omitempty"`
}

// Recover replaces a forgotten password with the recovery key and signs
// in (client.Recover): every other session ends, and the recovery key is
// replaced by the one returned.
func (a *API) Recover(ctx context.Context, in RecoverArgs) (*RecoverResult, error) {
	user := strings.TrimSpace(in.User)
	if err := wire.CheckUser(user); err != nil {
		return nil, &Error{Code: string(wire.CodeBadCredentials), Message: client.ErrBadCredentials.Error()}
	}
	c, rk, err := client.Recover(ctx, a.server, user, strings.TrimSpace(in.RecoveryKey), in.Password, in.TOTP, a.opts(user))
	if err != nil {
		return nil, a.fail(0, err)
	}
	r, err := a.signedIn(ctx, c, user)
	if err != nil {
		return nil, err
	}
	res := &RecoverResult{LoginResult: *r, RecoveryKey: rk}
	if err := c.PasskeysLeftLocked(); err != nil {
		res.Warning = err.Error()
	}
	return res, nil
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
// app's connection under way), with the pages of the documents cache that
// "docs" events carried (docpages.go). A state of another server, or one
// that does not resume, gives Restored false.
func (a *API) Resume(state []byte, pages ...[]byte) (*ResumeResult, error) {
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
	known := map[string]map[string]uint64{} // doctype → id → rev the state remembers
	knownOf := func(doctype string) map[string]uint64 {
		if known[doctype] == nil {
			known[doctype] = a.c.KnownRevs(doctype)
		}
		return known[doctype]
	}
	a.mu.Lock()
	a.takePagesLocked(pages, a.c.User(), knownOf)
	for _, cd := range s.Cache {
		// A state of version 2 or 3 held the cache itself: given again as
		// pages at the next listing.
		a.takeCachedLocked(cd.Doctype, cd.Docs, knownOf(cd.Doctype))
		for _, d := range cd.Docs {
			a.markPageLocked(cd.Doctype, d.ID)
		}
	}
	a.seqs = seqMap(s.Seqs)
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
	if e := toError(lerr); e != nil && e.Code != CodeNetwork {
		return res, e
	}
	// Offline, the keys are gone from here all the same; the session
	// expires on the server.
	return res, nil
}
