package wasm

import (
	"context"
	"encoding/json"
	"strings"
)

// Methods lists what Call dispatches (resume, upload and download are not
// among them: they carry bytes, and the glue calls Resume, Upload and
// Download itself).
var Methods = []string{
	"signup", "login", "logout", "user", "account", "serverInfo",
	"totpEnroll", "totpConfirm", "totpDisable", "sessions", "revokeSession",
	"create", "put", "get", "list", "delete", "subscribe", "unsubscribe",
	"apps", "connectOffer", "connectApp", "appConnectStart", "appConnectFinish",
	"connections", "disconnect", "appOffer", "installApp", "uninstallApp", "intentOffer",
	"vcardImport", "vcardExport", "remember", "acceptServerState",
}

// Call runs method with args, a JSON array of its arguments in the order of
// spec/web.md §3, and returns the result to be encoded as JSON (nil for
// none). It is what the worker's messages {id, method, args} reach.
//
//	serverInfo()                        → {signup}   "open", "invite" or "closed"
//	signup(user, password, invite)      → {user, recoveryKey}   invite: "" or an invitation code
//	login(user, password, totp)         → {user}
//	logout()                            → {wipe: [app URL]}   (Home: the apps whose storage to wipe, spec/web.md §4)
//	user()                              → "name" | null
//	account()                           → {user, created, totp, usage: {bytes, docs}, quota: {bytes, docs}}   (a quota member null: none)
//	totpEnroll()                        → {uri, qr}
//	totpConfirm(code)                   → {recoveryCodes}
//	totpDisable(code)                   → null
//	sessions()                          → [{id, device, created, lastSeen, current}]
//	revokeSession(id)                   → null
//	create(doctype, value)              → {id, rev}
//	put(doctype, id, value)             → {rev}
//	get(doctype, id)                    → {id, rev, value}
//	list(doctype)                       → [{id, rev, value}]
//	delete(doctype, id)                 → null
//	subscribe(sub, doctypes)            → null   sub: a number; changes come as events
//	unsubscribe(sub)                    → null
//	apps()                              → [{slug, name, description, version, url, installed, bundled, removable}]
//	appOffer(slug)                      → AppOfferView   (a bundled app, or one the server holds; the glue's appOffer takes files)
//	installApp(slug)                    → {url}   installs what the last appOffer described
//	uninstallApp(slug)                  → null
//	vcardImport(base64)                 → {contacts: [Contact], warnings: [string]}   (spec/contacts.md; the file's bytes)
//	vcardExport(values, version)        → "BEGIN:VCARD…"   version "4.0" (default) or "3.0"
//	intentOffer(request)                → {from, fromUrl, what, handlers: [{slug, name, title, url}]}   request: {from, user, action, doctype}
//	connections()                       → [{id, name, kind, what, created, lastSeen, here}]
//	disconnect(id)                      → null
//	connectOffer(request)               → {name, url, scopes: [{doctype, verbs, what}], remembered}   request: {app, user, recipient, state}
//	connectApp(request)                 → "app URL#connected?token=…&signer=…&state=…"
//	appConnectStart(slug, user, home)   → {url}   (an app: Home's #connect?… URL to go to)
//	appConnectFinish(box, state) → {user}   (an app: what #connected?… carried)
//	remember(base64)                    → null   (the worker, at start: what the last "memory" event carried)
//	acceptServerState()                 → null   (Home, after account().halted: go on with what the server holds now)
func (a *API) Call(ctx context.Context, method string, args json.RawMessage) (any, error) {
	var av []json.RawMessage
	if len(args) > 0 && string(args) != "null" {
		if err := json.Unmarshal(args, &av); err != nil {
			return nil, badInput("the arguments of %s are not a JSON array", method)
		}
	}
	arg := func(i int, v any) error {
		if i >= len(av) || string(av[i]) == "null" {
			if s, ok := v.(*string); ok { // a missing string is ""
				*s = ""
				return nil
			}
			return badInput("%s: argument %d is missing", method, i+1)
		}
		if err := json.Unmarshal(av[i], v); err != nil {
			return badInput("%s: argument %d has the wrong type", method, i+1)
		}
		return nil
	}
	var s1, s2, s3 string
	strs := func(ps ...*string) error {
		for i, p := range ps {
			if err := arg(i, p); err != nil {
				return err
			}
		}
		return nil
	}
	// value is argument i as raw JSON (any JSON value).
	value := func(i int) (json.RawMessage, error) {
		if i >= len(av) {
			return nil, badInput("%s: argument %d (the value) is missing", method, i+1)
		}
		return av[i], nil
	}
	switch method {
	case "signup":
		if err := strs(&s1, &s2, &s3); err != nil {
			return nil, err
		}
		return a.Signup(ctx, s1, s2, s3)
	case "serverInfo":
		return a.ServerInfo(ctx)
	case "login":
		if err := strs(&s1, &s2, &s3); err != nil {
			return nil, err
		}
		return a.Login(ctx, strings.TrimSpace(s1), s2, s3)
	case "logout":
		return a.Logout(ctx)
	case "acceptServerState":
		return nil, a.AcceptServerState(ctx)
	case "remember":
		var b []byte
		if len(av) != 1 || json.Unmarshal(av[0], &b) != nil {
			return nil, badInput("remember takes the bytes of a memory event, in base64")
		}
		a.Remember(b)
		return nil, nil
	case "user":
		if u := a.User(); u != "" {
			return u, nil
		}
		return nil, nil
	case "account":
		return a.Account(ctx)
	case "totpEnroll":
		return a.TOTPEnroll(ctx)
	case "totpConfirm":
		if err := strs(&s1); err != nil {
			return nil, err
		}
		return a.TOTPConfirm(ctx, s1)
	case "totpDisable":
		if err := strs(&s1); err != nil {
			return nil, err
		}
		return nil, a.TOTPDisable(ctx, s1)
	case "sessions":
		return a.Sessions(ctx)
	case "connections":
		return a.Connections(ctx)
	case "disconnect":
		if err := strs(&s1); err != nil {
			return nil, err
		}
		return nil, a.Disconnect(ctx, s1)
	case "revokeSession":
		if err := strs(&s1); err != nil {
			return nil, err
		}
		return nil, a.RevokeSession(ctx, s1)
	case "create":
		if err := strs(&s1); err != nil {
			return nil, err
		}
		v, err := value(1)
		if err != nil {
			return nil, err
		}
		return a.Create(ctx, s1, v)
	case "put":
		if err := strs(&s1, &s2); err != nil {
			return nil, err
		}
		v, err := value(2)
		if err != nil {
			return nil, err
		}
		return a.Put(ctx, s1, s2, v)
	case "get":
		if err := strs(&s1, &s2); err != nil {
			return nil, err
		}
		return a.Get(ctx, s1, s2)
	case "list":
		if err := strs(&s1); err != nil {
			return nil, err
		}
		return a.List(ctx, s1)
	case "delete":
		if err := strs(&s1, &s2); err != nil {
			return nil, err
		}
		return nil, a.Delete(ctx, s1, s2)
	case "subscribe":
		var sub int
		var dts []string
		if err := arg(0, &sub); err != nil {
			return nil, err
		}
		if len(av) > 1 && string(av[1]) != "null" {
			var one string
			if json.Unmarshal(av[1], &one) == nil {
				dts = []string{one}
			} else if err := arg(1, &dts); err != nil {
				return nil, err
			}
		}
		return nil, a.Subscribe(sub, dts)
	case "unsubscribe":
		var sub int
		if err := arg(0, &sub); err != nil {
			return nil, err
		}
		a.Unsubscribe(sub)
		return nil, nil
	case "apps":
		return a.Apps(ctx)
	case "appOffer":
		if err := strs(&s1); err != nil {
			return nil, err
		}
		return a.AppOfferSlug(ctx, s1)
	case "installApp":
		if err := strs(&s1); err != nil {
			return nil, err
		}
		return a.InstallApp(ctx, s1)
	case "uninstallApp":
		if err := strs(&s1); err != nil {
			return nil, err
		}
		return nil, a.UninstallApp(ctx, s1)
	case "connectOffer", "connectApp":
		var r ConnectRequest
		if err := arg(0, &r); err != nil {
			return nil, err
		}
		if method == "connectOffer" {
			return a.ConnectOffer(ctx, r)
		}
		return a.ConnectApp(ctx, r)
	case "vcardImport":
		var data []byte // a JSON string: the file's bytes in base64
		if err := arg(0, &data); err != nil {
			return nil, err
		}
		return a.VCardImport(data)
	case "vcardExport":
		var values []json.RawMessage
		if err := arg(0, &values); err != nil {
			return nil, err
		}
		if len(av) > 1 {
			if err := arg(1, &s2); err != nil {
				return nil, err
			}
		}
		return a.VCardExport(values, s2)
	case "intentOffer":
		var r IntentRequest
		if err := arg(0, &r); err != nil {
			return nil, err
		}
		return a.IntentOffer(ctx, r)
	case "appConnectStart":
		if err := strs(&s1, &s2, &s3); err != nil {
			return nil, err
		}
		return a.AppConnectStart(s1, s2, s3)
	case "appConnectFinish":
		if err := strs(&s1, &s2); err != nil {
			return nil, err
		}
		return a.AppConnectFinish(ctx, s1, s2)
	}
	if f := extraMethods[method]; f != nil {
		return f(a, ctx, arg)
	}
	return nil, badInput("no method %q", method)
}

// extraMethods are methods only some builds have: search (search.go, build
// tag search) lives in hearth-search.wasm, which Home loads when it is
// first used, so that the client every page loads stays small.
var extraMethods = map[string]func(a *API, ctx context.Context, arg func(i int, v any) error) (any, error){}

// CallJSON is Call with the result encoded: what the glue hands to
// JavaScript (which parses it).
func (a *API) CallJSON(ctx context.Context, method string, args []byte) ([]byte, *Error) {
	res, err := a.Call(ctx, method, args)
	if err != nil {
		return nil, toError(err)
	}
	b, err := json.Marshal(res)
	if err != nil {
		return nil, &Error{Code: "internal", Message: err.Error()}
	}
	return b, nil
}
