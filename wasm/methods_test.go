//go:build hearthtest

package wasm

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/hearthcloud/hearth/crypto/kdf"
)

// sampleArgs are well-formed arguments of each method of the table, for
// TestMethodNeeds: a row without one fails it.
var sampleArgs = map[string]string{
	"serverInfo":           `[]`,
	"signup":               `["sampleuser","correct horse",""]`,
	"login":                `["sampleuser","wrong password",""]`,
	"checkPassword":        `["sampleuser","correct horse"]`,
	"recover":              `[{"user":"sampleuser","recoveryKey":"HEARTH-AAAAA","password":"correct horse battery","totp":""}]`,
	"logout":               `[]`,
	"user":                 `[]`,
	"remember":             `["AAAA"]`,
	"account":              `[]`,
	"acceptServerState":    `[]`,
	"changePassword":       `["wrong password","a new test passphrase"]`,
	"secureAfterLoss":      `["wrong password","a new test passphrase"]`,
	"totpEnroll":           `[]`,
	"totpConfirm":          `["123456"]`,
	"totpDisable":          `["123456"]`,
	"sessions":             `[]`,
	"revokeSession":        `["AAAAAAAAAAAAAAAAAAAAAA"]`,
	"connections":          `[]`,
	"disconnect":           `["AAAAAAAAAAAAAAAAAAAAAA"]`,
	"passkeyBegin":         `[]`,
	"passkeyAdd":           `[{"ticket":"t","credential":{"rawId":"AAAA"},"name":"Laptop"}]`,
	"passkeys":             `[]`,
	"renamePasskey":        `["AAAA","Laptop"]`,
	"removePasskey":        `["AAAA"]`,
	"passkeySignInBegin":   `[]`,
	"passkeySignIn":        `[{"ticket":"t","credential":{"rawId":"AAAA"}}]`,
	"create":               `["io.hearth.notes",{"t":1}]`,
	"put":                  `["io.hearth.notes","AAAAAAAAAAAAAAAAAAAAAA",{"t":1}]`,
	"get":                  `["io.hearth.notes","AAAAAAAAAAAAAAAAAAAAAA"]`,
	"list":                 `["io.hearth.notes"]`,
	"delete":               `["io.hearth.notes","AAAAAAAAAAAAAAAAAAAAAA"]`,
	"subscribe":            `[7,["io.hearth.notes"]]`,
	"unsubscribe":          `[7]`,
	"outbox":               `[]`,
	"apps":                 `[]`,
	"appOffer":             `["notes"]`,
	"installApp":           `["notes"]`,
	"uninstallApp":         `["notes"]`,
	"connectOffer":         `[{"app":"notes","user":"sampleuser","recipient":"age1x","state":"s"}]`,
	"connectApp":           `[{"app":"notes","user":"sampleuser","recipient":"age1x","state":"s"}]`,
	"intentOffer":          `[{"from":"notes","user":"sampleuser","action":"create","doctype":"io.hearth.tasks"}]`,
	"appConnectStart":      `["notes","sampleuser","http://127.0.0.1:1"]`,
	"appConnectFinish":     `["",""]`,
	"vcardImport":          `["QkVHSU46VkNBUkQNCkZOOkxvdQ0KRU5EOlZDQVJEDQo="]`,
	"vcardExport":          `[[{"name":{"full":"Lou"}}],"4.0"]`,
	"search":               `["lisbon",{"limit":3}]`,
	"filesTree":            `[]`,
	"filesMkdir":           `["","Trips"]`,
	"share":                `["/Trips",{"expires":3600,"maxOpens":3,"password":"","label":"for Bob"}]`,
	"shares":               `[]`,
	"unshare":              `["k3v7dq2xmwzr5a6b4nepfhyjua"]`,
	"updateShare":          `["k3v7dq2xmwzr5a6b4nepfhyjua"]`,
	"request":              `["/Trips",{"maxFiles":5}]`,
	"adoptDrops":           `[]`,
	"filesRename":          `["AAAAAAAAAAAAAAAAAAAAAA","x"]`,
	"filesMove":            `[["AAAAAAAAAAAAAAAAAAAAAA"],""]`,
	"filesTrash":           `[["AAAAAAAAAAAAAAAAAAAAAA"]]`,
	"filesRestore":         `[["AAAAAAAAAAAAAAAAAAAAAA"]]`,
	"filesEmptyTrash":      `[]`,
	"filesDeleteForever":   `[["AAAAAAAAAAAAAAAAAAAAAA"]]`,
	"filesVersions":        `["AAAAAAAAAAAAAAAAAAAAAA"]`,
	"filesRestoreVersion":  `["AAAAAAAAAAAAAAAAAAAAAA",0]`,
	"filesSetVersionsKept": `[5]`,
}

var needWords = map[need]string{needNothing: "nothing", needSession: "a session", needHome: "Home's session"}

// TestMethodNeeds holds the method table's need column to what the Go
// methods do: signed out, a method that needs a session answers
// session_ended and one that does not answers something else; in an app,
// a method only Home has answers forbidden and the others do not.
func TestMethodNeeds(t *testing.T) {
	s := newServer(t)
	for _, m := range methods {
		in, ok := sampleArgs[m.name]
		if !ok {
			t.Errorf("%s: no sample arguments in sampleArgs", m.name)
			continue
		}
		a, _ := newAPI(t, s) // signed out
		_, e := a.CallJSON(ctx, m.name, []byte(in))
		if ended := e != nil && e.Code == "session_ended"; ended != (m.need != needNothing) {
			t.Errorf("%s signed out: %v; its row says it needs %s", m.name, e, needWords[m.need])
		}
	}

	home, _ := newAPI(t, s)
	user, _ := signup(t, home)
	app, _ := newAPI(t, s)
	connectApp(t, s, home, app, user, false)
	for _, m := range methods {
		if m.need == needNothing || sampleArgs[m.name] == "" {
			continue
		}
		_, e := app.CallJSON(ctx, m.name, []byte(sampleArgs[m.name]))
		if notForApps := e == errNotForApps; notForApps != (m.need == needHome) {
			t.Errorf("%s in an app: %v; its row says it needs %s", m.name, e, needWords[m.need])
		}
	}
}

// TestMethodTable: one row per name, and the page's methods are the rows
// but the internal ones, those of Go methods that return only an error
// marked as resolving to nothing.
func TestMethodTable(t *testing.T) {
	seen := map[string]bool{}
	for _, m := range methods {
		if seen[m.name] {
			t.Errorf("two rows named %s", m.name)
		}
		seen[m.name] = true
		if methodNamed[m.name] == nil || methodNamed[m.name].name != m.name {
			t.Errorf("%s: not found by name", m.name)
		}
	}
	var pm []pageMethod
	b, _ := json.Marshal(pageMethods())
	if err := json.Unmarshal(b, &pm); err != nil {
		t.Fatal(err)
	}
	names := map[string]pageMethod{}
	for _, p := range pm {
		names[p.Name] = p
	}
	for _, internal := range []string{"user", "remember", "unsubscribe", "appConnectStart", "appConnectFinish"} {
		if _, ok := names[internal]; ok {
			t.Errorf("the page's handle has the internal method %s", internal)
		}
	}
	for name, noResult := range map[string]bool{"create": false, "list": false, "account": false, "delete": true,
		"totpDisable": true, "acceptServerState": true, "uninstallApp": true, "connectApp": false} {
		if p, ok := names[name]; !ok || p.NoResult != noResult {
			t.Errorf("page method %s: %+v, want noResult %v", name, p, noResult)
		}
	}
	if !slices.ContainsFunc(pm, func(p pageMethod) bool { return p.Name == "vcardExport" }) {
		t.Error("vcardExport is not a page method")
	}
}

// FuzzCall: whatever a page sends, Call answers without panicking, with
// an Error that has a code or a result that encodes. The API is signed out
// and its server unreachable, so that nothing is stored anywhere.
func FuzzCall(f *testing.F) {
	for i, m := range methods {
		f.Add(uint8(i), []byte(sampleArgs[m.name]))
	}
	at := func(name string) uint8 {
		return uint8(slices.IndexFunc(methods, func(m method) bool { return m.name == name }))
	}
	f.Add(at("signup"), []byte(`{"not":"an array"}`))
	f.Add(at("get"), []byte(`["io.hearth.notes"]`))
	f.Add(at("get"), []byte(`["io.hearth.notes", 5]`))
	f.Add(at("subscribe"), []byte(`[4,"io.hearth.notes"]`))
	f.Add(at("subscribe"), []byte(`[null,[1,2]]`))
	f.Add(at("remember"), []byte(`[1,2]`))
	f.Add(at("vcardExport"), []byte(`[[1,{"name":7}],null]`))
	f.Add(uint8(255), []byte(`[]`))
	f.Fuzz(func(t *testing.T, i uint8, in []byte) {
		a, err := New(Config{Server: "http://127.0.0.1:1", KDF: kdf.TestParams})
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		name := "nosuch"
		if int(i) < len(methods) {
			name = methods[i].name
		}
		b, e := a.CallJSON(ctx, name, in)
		if e != nil {
			if e.Code == "" {
				t.Fatalf("%s(%q): an error without a code: %v", name, in, e)
			}
			return
		}
		if !json.Valid(b) {
			t.Fatalf("%s(%q): %q is not JSON", name, in, b)
		}
	})
}
