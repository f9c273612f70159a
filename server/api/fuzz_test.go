package api_test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hearthcloud/hearth/internal/wire"
	"github.com/hearthcloud/hearth/server/api"
	"github.com/hearthcloud/hearth/server/auth"
	blobmem "github.com/hearthcloud/hearth/server/blob/memory"
	metamem "github.com/hearthcloud/hearth/server/meta/memory"
)

// FuzzHandlers sends arbitrary requests (method, path, query, headers, body)
// to every route as a signed-up user. Whatever arrives, the server must not
// panic, must answer a known protocol error in JSON for every 4xx, and must
// never answer 500 over the memory stores (which do not fail).
func FuzzHandlers(f *testing.F) {
	secret := make([]byte, 32)
	rand.Read(secret)
	srv := api.New(api.Config{Meta: metamem.New(), Blobs: blobmem.New(1 << 20), Secret: secret,
		Hash: auth.HashParams{Memory: 64, Time: 1, Threads: 1}, Now: time.Now, MaxBlobSize: 1 << 20})
	call := func(method, target, ct, token, hdr string, body []byte, cl int64) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, "http://h/", bytes.NewReader(body))
		req.URL.Path, req.URL.RawQuery, _ = strings.Cut(target, "?")
		req.ContentLength = cl
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		for _, kv := range strings.Split(hdr, "\n") {
			if k, v, ok := strings.Cut(kv, ":"); ok && k != "" && !strings.ContainsAny(k, " \r\t") {
				req.Header.Set(k, strings.TrimSpace(v))
			}
		}
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		return w
	}
	// One account with a registered doctype, so deep paths are reachable.
	su, _ := json.Marshal(map[string]any{"user": "alice", "kdf": map[string]any{"alg": "argon2id", "m": 65536, "t": 3, "p": 1},
		"seed": make([]byte, 32), "login_secret": make([]byte, 32), "recovery_auth": make([]byte, 32),
		"keyring": []byte("k"), "recovery_keyring": []byte("r"), "device": "d"})
	w := call("POST", "/v1/accounts", "application/json", "", "", su, int64(len(su)))
	var sr struct{ Session struct{ Token string } }
	json.Unmarshal(w.Body.Bytes(), &sr)
	tok := sr.Session.Token
	if tok == "" {
		f.Fatalf("sign-up: %d %s", w.Code, w.Body)
	}
	call("PUT", "/v1/doctypes/io.hearth.notes", "", tok, "", nil, 0)

	seeds := []struct{ method, target, ct, hdr, body string }{
		{"POST", "/v1/prelogin", "application/json", "", `{"user":"alice"}`},
		{"POST", "/v1/login", "application/json", "", `{"user":"alice","login_secret":"AAAA","device":"x"}`},
		{"PUT", "/v1/docs/io.hearth.notes/abc", "application/octet-stream", "If-None-Match:*", "sealed"},
		{"PUT", "/v1/docs/io.hearth.notes/abc", "application/octet-stream", `If-Match:"1"`, "sealed"},
		{"DELETE", "/v1/docs/io.hearth.notes/abc", "application/octet-stream", `If-Match:"2"`, "tomb"},
		{"POST", "/v1/docs/io.hearth.notes/_bulk_put", "application/json", "", `{"docs":[{"id":"a","if_match":0,"sealed":"AA=="}]}`},
		{"POST", "/v1/docs/io.hearth.notes/_bulk_get", "application/json", "", `{"ids":["a","b"]}`},
		{"GET", "/v1/changes?since=0&limit=5&include_docs=true&wait=0", "", "", ""},
		{"GET", "/v1/docs/io.hearth.notes?after=a&limit=2&deleted=true", "", "", ""},
		{"PUT", "/v1/blobs/io.hearth.notes/b1", "application/octet-stream", "Hearth-Digest:sha-256=AAAA", "blob"},
		{"GET", "/v1/blobs/io.hearth.notes/b1", "", "Range:bytes=1-2\nIf-Range:\"x\"", ""},
		{"PUT", "/v1/keyring", "application/json", `If-Match:"1"`, `{"keyring":"AA==","recovery_keyring":"AA=="}`},
		{"PUT", "/v1/index/io.hearth.notes/manifest", "application/octet-stream", "If-None-Match:*", "manifest"},
		{"PUT", "/v1/index/io.hearth.notes/manifest", "application/octet-stream", `If-Match:"1"`, "manifest 2"},
		{"GET", "/v1/index/io.hearth.notes/manifest", "", "", ""},
		{"PUT", "/v1/index/io.hearth.notes/segments/s1", "application/octet-stream", "", "segment"},
		{"POST", "/v1/tokens", "application/json", "", `{"name":"n","kind":"app","scopes":[{"doctype":"a.b","verbs":["read"]}]}`},
		{"PUT", "/v1/grants/self", "application/octet-stream", "If-None-Match:*", "g"},
		{"POST", "/v1/totp/confirm", "application/json", "", `{"code":"123456"}`},
		{"POST", "/v1/account/password", "application/json", "", `{"login_secret":"AA==","new":{}}`},
		{"POST", "/v1/passkeys/register/begin", "application/json", "", `{}`},
		{"POST", "/v1/passkeys/register/finish", "application/json", "", `{"ticket":"x","credential":{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{"clientDataJSON":"e30","attestationObject":"oA"}},"wrap":"AA==","unlock":"AA=="}`},
		{"POST", "/v1/passkeys/login/begin", "application/json", "", `{}`},
		{"POST", "/v1/passkeys/login/finish", "application/json", "", `{"ticket":"x","credential":{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{"clientDataJSON":"e30","authenticatorData":"AA","signature":"AA","userHandle":"AA"}},"device":"d"}`},
		{"POST", "/v1/login", "application/json", "", `{"user":"alice","login_secret":"AAAA","device":"x","passkey":{"ticket":"x","credential":{}}}`},
		{"GET", "/v1/passkeys", "", "", ""},
		{"DELETE", "/v1/passkeys/AAAA", "", "", ""},
		{"PUT", "/v1/passkeys/AAAA/unlock", "application/json", "", `{"unlock":"AA=="}`},
		{"POST", "/v1/recovery/reset", "application/json", "", `{"user":"alice","recovery_auth":"AA==","device":"d","new":{}}`},
		{"OPTIONS", "/v1/x", "", "Access-Control-Request-Method:PUT", ""},
		{"POST", "/v1/links", "application/json", "", `{"id":"k3v7dq2xmwzr5a6b4nepfhyjua","kind":"drop","verifier":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","drop":{"recipient":"age1abc","tag":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","max_files":2}}`},
		{"PATCH", "/v1/links/k3v7dq2xmwzr5a6b4nepfhyjua", "application/json", "", `{"max_opens":3,"expires":"2030-01-01T00:00:00Z"}`},
		{"GET", "/v1/links/k3v7dq2xmwzr5a6b4nepfhyjua", "", "", ""},
		{"POST", "/v1/links/k3v7dq2xmwzr5a6b4nepfhyjua/open", "", "Hearth-Link-Proof:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", ""},
		{"PUT", "/v1/links/k3v7dq2xmwzr5a6b4nepfhyjua/drops/d1", "application/octet-stream", "Hearth-Link-Proof:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "drop"},
		{"GET", "/v1/links/k3v7dq2xmwzr5a6b4nepfhyjua/drops", "", "", ""},
		{"POST", "/v1/links/k3v7dq2xmwzr5a6b4nepfhyjua/uploads/d2", "application/json", "Hearth-Link-Proof:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", `{"size":10}`},
		{"PATCH", "/v1/links/k3v7dq2xmwzr5a6b4nepfhyjua/uploads/d2", "application/octet-stream", "Hearth-Link-Proof:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "12345"},
		{"POST", "/v1/uploads/io.hearth.notes/u1", "application/json", "", `{"size":10}`},
		{"PATCH", "/v1/uploads/io.hearth.notes/u1", "application/octet-stream", "Hearth-Upload-Offset:0", "12345"},
		{"PATCH", "/v1/uploads/io.hearth.notes/u1", "application/octet-stream", "Hearth-Upload-Offset:5\nHearth-Digest:sha-256=xB0pFIgzFKLrT40ZmG6t3e6dYtFo31wajITHA2GP4No=", "67890"},
		{"GET", "/v1/uploads/io.hearth.notes/u1", "", "", ""},
		{"DELETE", "/v1/uploads/io.hearth.notes/u1", "", "", ""},
	}
	for _, s := range seeds {
		f.Add(s.method, s.target, s.ct, s.hdr, []byte(s.body), true, int64(-2))
	}
	known := map[string]bool{}
	for _, c := range []wire.Code{wire.CodeBadRequest, wire.CodeMalformedJSON, wire.CodeInvalidName, wire.CodeTruncated,
		wire.CodeUnauthenticated, wire.CodeBadCredentials, wire.CodeTOTPRequired, wire.CodeTOTPInvalid, wire.CodeTOTPReplayed,
		wire.CodeForbidden, wire.CodeNotFound, wire.CodeUnknownDoctype, wire.CodeUserExists, wire.CodeExists,
		wire.CodeLengthRequired, wire.CodeConflict, wire.CodeTooLarge, wire.CodeUnsupportedMediaType, wire.CodeDigestMismatch,
		wire.CodePreconditionRequired, wire.CodeRateLimited, wire.CodeMethodNotAllowed, wire.CodeRangeNotSatisfiable, wire.CodeGone,
		wire.CodeOffsetMismatch} {
		known[string(c)] = true
	}
	f.Fuzz(func(t *testing.T, method, target, ct, hdr string, body []byte, authed bool, cl int64) {
		if !strings.HasPrefix(target, "/") || strings.ContainsAny(target, " \r\n#") || strings.Trim(method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" || method == "" {
			return
		}
		token := ""
		if authed {
			token = tok
		}
		if cl == -2 {
			cl = int64(len(body)) // a truthful length
		}
		if cl > int64(len(body)) && cl > 1<<22 {
			cl = int64(len(body)) + 1 // a lying length, kept small
		}
		w := call(method, target, ct, token, hdr, body, cl)
		if w.Code >= 500 {
			t.Fatalf("%s %s: %d %s", method, target, w.Code, w.Body)
		}
		if w.Code >= 400 && method != "HEAD" {
			var e struct {
				Error struct{ Code, Message string }
			}
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || !known[e.Error.Code] || e.Error.Message == "" {
				t.Fatalf("%s %s: %d with body %q", method, target, w.Code, w.Body)
			}
		}
	})
}
