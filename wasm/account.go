package wasm

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"image/png"
	"slices"
	"strings"
	"time"

	"github.com/pquerna/otp"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/internal/appmanifest"
	"github.com/hearthcloud/hearth/internal/wire"
)

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
	if e := toError(l.err); e != nil && e.Code != CodeIntegrity {
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

// ChangePassword replaces the account's password (client.ChangePassword):
// the keyring is sealed anew, every other session ends, this one goes on
// with the new master key, saved for the next resume.
func (a *API) ChangePassword(ctx context.Context, current, newPassword string) error {
	c, gen, err := a.account()
	if err != nil {
		return err
	}
	if err := c.ChangePassword(ctx, current, newPassword); err != nil {
		return a.fail(gen, err)
	}
	a.persist(gen)
	return nil
}

// SecureResult is what SecureAfterLoss answers.
type SecureResult struct {
	RecoveryKey string `json:"recoveryKey"` // the new one, to show once
}

// SecureAfterLoss changes the password, replaces the recovery key and
// every key of the account's data, after a device holding a passkey was
// lost (client.SecureAfterLoss); the documents are sealed again in the
// background (reseal), as after disconnecting an app.
func (a *API) SecureAfterLoss(ctx context.Context, current, newPassword string) (*SecureResult, error) {
	c, gen, err := a.account()
	if err != nil {
		return nil, err
	}
	rk, _, err := c.SecureAfterLoss(ctx, current, newPassword)
	if rk != "" {
		a.persist(gen) // the password and the recovery key changed, whatever followed
	}
	if err != nil {
		if rk != "" {
			// Say the new key even so: the old one no longer works.
			return &SecureResult{RecoveryKey: rk}, nil
		}
		return nil, a.fail(gen, err)
	}
	return &SecureResult{RecoveryKey: rk}, nil
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
		return nil, &Error{Code: string(wire.CodeInternal), Message: "the server's otpauth URI does not make a QR code: " + err.Error()}
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
