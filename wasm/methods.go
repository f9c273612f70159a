package wasm

import (
	"context"
	"encoding/json"
	"strings"
)

// methods is the browser API's one list of methods (spec/web.md §3): what
// Call dispatches, and what the worker tells hearth.js at start
// (pageMethods), whose handle then has a method of each name that passes
// its arguments as they are, unless hearth.js defines it itself (signup,
// login, recover, passkeySignIn, logout, subscribe, appOffer, vcardImport, search: they
// do more).
//
// A row names the method, what it needs (need, as its Go method checks
// it), whether the page's handle leaves it out (internal: hearth.js or
// the worker call it themselves), and its call: an adapter (dispatch.go)
// that decodes the JSON arguments in order into the Go method's
// parameters and calls it. The comments give the method as the page calls
// it and what it resolves to. Adding a method is writing it on API, in the
// file of its concern, and adding its row here.
//
// resume, upload, download, appOffer of files and reseal are not rows:
// they carry bytes or report progress, and the glue (glue_js.go) and the
// worker call them themselves.
var methods = append([]method{
	// Signing up and in, and what this browser remembers (session.go, memory.go).
	{name: "serverInfo", call: r0((*API).ServerInfo)},       // () → {signup}   "open", "invite" or "closed"
	{name: "signup", call: r3((*API).Signup)},               // (user, password, invite) → {user, recoveryKey}   invite: "" or an invitation code
	{name: "login", call: r3(callLogin)},                    // (user, password, totp) → {user, halted?}   totp: a code, or {totp, passwordChanged, passkey: {ticket, credential}}
	{name: "recover", call: r1((*API).Recover)},             // ({user, recoveryKey, password, totp}) → {user, recoveryKey, halted?}   a forgotten password; the new recovery key, to show once
	{name: "checkPassword", call: r2((*API).CheckPassword)}, // (user, password) → {ok, reason?}   the password rule (protocol §3.5), as sign-up, a change and a recovery apply it
	{name: "logout", call: r0((*API).Logout)},               // () → {wipe: [app URL]}   (Home: the apps whose storage to wipe, spec/web.md §4)
	{name: "user", internal: true, call: r0(callUser)},      // () → "name" | null
	{name: "remember", internal: true, call: callRemember},  // (base64) → null   (the worker, at start: what the last "memory" event carried)

	// The account (account.go).
	{name: "account", need: needHome, call: r0((*API).Account)},                     // () → {user, created, totp, usage: {bytes, docs}, quota: {bytes, docs}, halted?}   (a quota member null: none)
	{name: "acceptServerState", need: needHome, call: e0((*API).AcceptServerState)}, // ()   after account().halted: go on with what the server holds now
	{name: "changePassword", need: needHome, call: e2((*API).ChangePassword)},       // (current, new)   ends the account's other sessions
	{name: "secureAfterLoss", need: needHome, call: r2((*API).SecureAfterLoss)},     // (current, new) → {recoveryKey}   a device was lost: a new password, recovery key and data keys; passkeys stop unlocking
	{name: "totpEnroll", need: needHome, call: r0((*API).TOTPEnroll)},               // () → {uri, qr}   qr: a PNG data: URL
	{name: "totpConfirm", need: needHome, call: r1((*API).TOTPConfirm)},             // (code) → {recoveryCodes}
	{name: "totpDisable", need: needHome, call: e1((*API).TOTPDisable)},             // (code)
	{name: "sessions", need: needHome, call: r0((*API).Sessions)},                   // () → [{id, device, created, lastSeen, current}]
	{name: "revokeSession", need: needHome, call: e1((*API).RevokeSession)},         // (id)
	{name: "connections", need: needHome, call: r0((*API).Connections)},             // () → [{id, name, kind, what, created, lastSeen, here}]
	{name: "disconnect", need: needHome, call: e1((*API).Disconnect)},               // (id)

	// Passkeys (passkeys.go): navigator.credentials runs in Home's page (home-passkeys.js).
	{name: "passkeyBegin", need: needHome, call: r0((*API).PasskeyBegin)},   // () → {ticket, options, prfSalt}   options for navigator.credentials.create; prfSalt (base64) the PRF input
	{name: "passkeyAdd", need: needHome, call: r1((*API).PasskeyAdd)},       // ({ticket, credential, prf, name}) → {id, name, unlocks, created}   credential: the PublicKeyCredential's toJSON(); prf: base64, or absent
	{name: "passkeys", need: needHome, call: r0((*API).Passkeys)},           // () → [{id, name, unlocks, created, lastUsed?}]
	{name: "renamePasskey", need: needHome, call: e2((*API).RenamePasskey)}, // (id, name)
	{name: "removePasskey", need: needHome, call: e1((*API).RemovePasskey)}, // (id)
	{name: "passkeySignInBegin", call: r0((*API).PasskeySignInBegin)},       // () → {ticket, options, prfSalt}   for navigator.credentials.get: a sign-in, or login's options.passkey
	{name: "passkeySignIn", call: r1((*API).PasskeySignIn)},                 // ({ticket, credential, prf}) → {user, halted?}   a passkey that unlocks the account

	// Documents and the changes feed (documents.go, feed.go).
	{name: "create", need: needSession, call: r2((*API).Create)},     // (doctype, value) → {id, rev}
	{name: "put", need: needSession, call: callPut},                  // (doctype, id, value, {keep}?) → {rev} | {kept: true} | {rev, copy}   keep: kept here while the server cannot be reached (outbox.go)
	{name: "get", need: needSession, call: r2((*API).Get)},           // (doctype, id) → {id, rev, value}
	{name: "list", need: needSession, call: r1((*API).List)},         // (doctype) → [{id, rev, seq?, value}]   seq: the feed position (seqs.go)
	{name: "delete", need: needSession, call: e2((*API).Delete)},     // (doctype, id)
	{name: "subscribe", need: needSession, call: callSubscribe},      // (sub, doctypes) → null   sub: a number; changes come as events
	{name: "unsubscribe", internal: true, call: e1(callUnsubscribe)}, // (sub)
	{name: "outbox", need: needSession, call: r0((*API).Outbox)},     // () → [{doctype, id, base, at, value}]   the writes kept here for the server

	// Apps: the store, connecting, intents (apps.go, connect.go, intents.go).
	{name: "apps", need: needHome, call: r0((*API).Apps)},                         // () → [{slug, name, description, version, url, installed, bundled, removable}]
	{name: "appOffer", need: needHome, call: r1((*API).AppOfferSlug)},             // (slug) → AppOfferView   (a bundled app, or one the server holds; the glue's appOffer takes files)
	{name: "installApp", need: needHome, call: r1((*API).InstallApp)},             // (slug) → {url}   installs what the last appOffer described
	{name: "uninstallApp", need: needHome, call: e1((*API).UninstallApp)},         // (slug)
	{name: "connectOffer", need: needHome, call: r1((*API).ConnectOffer)},         // (request) → {name, url, scopes: [{doctype, verbs, what}], remembered}   request: {app, user, recipient, state}
	{name: "connectApp", need: needHome, call: r1((*API).ConnectApp)},             // (request) → "app URL#connected?box=…&state=…"
	{name: "intentOffer", need: needHome, call: r1((*API).IntentOffer)},           // (request) → {from, fromUrl, what, handlers: [{slug, name, title, url}]}   request: {from, user, action, doctype}
	{name: "appConnectStart", internal: true, call: r3(callAppConnectStart)},      // (slug, user, home) → {url}   (an app: Home's #connect?… URL to go to)
	{name: "appConnectFinish", internal: true, call: r2((*API).AppConnectFinish)}, // (box, state) → {user, halted?}   (an app: what #connected?… carried)

	// Contacts (vcard.go, spec/contacts.md).
	{name: "vcardImport", call: r1(callVCardImport)}, // (base64) → {contacts: [Contact], warnings: [string]}   (the file's bytes)
	{name: "vcardExport", call: r2(callVCardExport)}, // (values, version) → "BEGIN:VCARD…"   version "4.0" (default) or "3.0"
}, append(append(filesMethods, linksMethods...), searchMethods...)...)

// The rows whose Go method does not take the arguments as they come.

// callLogin: login's third argument is the TOTP code (a string), or its
// options ({totp, passwordChanged}).
func callLogin(a *API, ctx context.Context, user, password string, opts json.RawMessage) (*LoginResult, error) {
	var lo LoginOptions
	if err := json.Unmarshal(opts, &lo.TOTP); err != nil && string(opts) != "null" {
		if json.Unmarshal(opts, &lo) != nil {
			return nil, badInput("login: argument 3 is a code or {totp, passwordChanged, passkey}")
		}
	}
	return a.LoginWith(ctx, strings.TrimSpace(user), password, lo)
}

func callUser(a *API, _ context.Context) (any, error) {
	if u := a.User(); u != "" {
		return u, nil
	}
	return nil, nil
}

var callRemember = caller{noResult: true, fn: func(a *API, _ context.Context, in args) (any, error) {
	var b []byte
	if len(in.av) != 1 || json.Unmarshal(in.av[0], &b) != nil {
		return nil, badInput("remember takes the bytes of a memory event, in base64")
	}
	a.Remember(b)
	return nil, nil
}}

// callPut: put's fourth argument, its options, may be left out.
var callPut = caller{fn: func(a *API, ctx context.Context, in args) (any, error) {
	var doctype, id string
	var value json.RawMessage
	if err := in.decodeAll(&doctype, &id, &value); err != nil {
		return nil, err
	}
	var o PutOptions
	if len(in.av) > 3 && string(in.av[3]) != "null" {
		if err := in.decode(3, &o); err != nil {
			return nil, err
		}
	}
	return a.PutWith(ctx, doctype, id, value, o)
}}

// callSubscribe: subscribe takes its doctypes as an array, or one as a string, or none
// (all).
var callSubscribe = caller{noResult: true, fn: func(a *API, _ context.Context, in args) (any, error) {
	var sub int
	var dts []string
	if err := in.decode(0, &sub); err != nil {
		return nil, err
	}
	if len(in.av) > 1 && string(in.av[1]) != "null" {
		var one string
		if json.Unmarshal(in.av[1], &one) == nil {
			dts = []string{one}
		} else if err := in.decode(1, &dts); err != nil {
			return nil, err
		}
	}
	return nil, a.Subscribe(sub, dts)
}}

func callUnsubscribe(a *API, _ context.Context, sub int) error {
	a.Unsubscribe(sub)
	return nil
}

func callAppConnectStart(a *API, _ context.Context, slug, user, home string) (*ConnectStart, error) {
	return a.AppConnectStart(slug, user, home)
}

func callVCardImport(a *API, _ context.Context, data []byte) (*VCardImported, error) {
	return a.VCardImport(data) // data: a JSON string, the file's bytes in base64
}

func callVCardExport(a *API, _ context.Context, values []json.RawMessage, version string) (string, error) {
	return a.VCardExport(values, version)
}
