package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hearthcloud/hearth/internal/appmanifest"
	"github.com/hearthcloud/hearth/server"
	"github.com/hearthcloud/hearth/server/auth"
)

// lockedBuffer collects a log written from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// testServer opens a server on a temporary data folder and serves it on a
// loopback port; do sends a request with a Host (empty: the test server's),
// headers and a body (a []byte: octet-stream, anything else: JSON).
func testServer(t *testing.T, cfg server.Config) (dir string, do func(method, host, path, tok string, body any, hdr ...string) (int, []byte)) {
	t.Helper()
	dir = t.TempDir()
	cfg.Dir = dir
	cfg.Hash = auth.HashParams{Memory: 64, Time: 1, Threads: 1}
	s, err := server.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return dir, func(method, host, path, tok string, body any, hdr ...string) (int, []byte) {
		t.Helper()
		req := apiRequest(t, method, ts.URL+path, tok, body, hdr...)
		if host != "" {
			req.Host = host + ":" + ts.URL[strings.LastIndex(ts.URL, ":")+1:]
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, b
	}
}

// TestLogsNeverNameUser (finding 6): the error paths of the API and of the
// web client (an installed app whose archive is gone) leave no user name in
// the server's log.
func TestLogsNeverNameUser(t *testing.T) {
	const marker = "usermarker7q"
	log := &lockedBuffer{}
	dir, do := testServer(t, server.Config{Log: slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	kdf := map[string]any{"alg": "argon2id", "m": 65536, "t": 3, "p": 1}
	z := make([]byte, 32)
	status, b := do("POST", "", "/v1/accounts", "", map[string]any{"user": marker, "kdf": kdf, "seed": z, "login_secret": z,
		"recovery_auth": z, "keyring": []byte("k"), "recovery_keyring": []byte("r"), "device": marker})
	var sr struct{ Session struct{ Token string } }
	if json.Unmarshal(b, &sr); status != 201 {
		t.Fatalf("sign-up: %d %s", status, b)
	}
	tok := sr.Session.Token
	// The API's refusals: taken, wrong secrets until rate-limited, recovery.
	do("POST", "", "/v1/accounts", "", map[string]any{"user": marker, "kdf": kdf, "seed": z, "login_secret": z,
		"recovery_auth": z, "keyring": []byte("k"), "recovery_keyring": []byte("r"), "device": "x"})
	for range 8 {
		do("POST", "", "/v1/login", "", map[string]any{"user": marker, "login_secret": []byte(strings.Repeat("x", 32)), "device": "x"})
		do("POST", "", "/v1/recovery/keyring", "", map[string]any{"user": marker, "recovery_auth": []byte(strings.Repeat("y", 32))})
	}
	do("POST", "", "/v1/prelogin", "", map[string]any{"user": marker})
	do("GET", "", "/v1/docs/io.hearth.notes/"+marker, tok, nil)

	// An installed app whose archive is gone from the disk: 500, logged.
	archive, err := appmanifest.Zip([]appmanifest.File{
		{Path: "hearth-app.json", Data: []byte(`{"hearth":1,"slug":"bmarks","name":"Bookmarks","version":"1.0.0",
		 "permissions":[{"doctype":"io.hearth.bookmarks","verbs":["read"],"reason":"Your bookmarks."}]}`)},
		{Path: "index.html", Data: []byte("<!doctype html><title>Bookmarks</title>")}})
	if err != nil {
		t.Fatal(err)
	}
	status, b = do("PUT", "", "/v1/apps/bmarks", tok, archive, "Content-Type", "application/zip")
	var app struct{ Digest string }
	if json.Unmarshal(b, &app); status != 201 || len(app.Digest) != 64 {
		t.Fatalf("install: %d %s", status, b)
	}
	d := app.Digest
	if err := os.Remove(filepath.Join(dir, "blobs", "sha256", d[0:2], d[2:4], d)); err != nil {
		t.Fatal(err)
	}
	if status, _ := do("GET", "bmarks."+marker+".localhost", "/", "", nil); status != 500 {
		t.Fatalf("an app without its archive: %d", status)
	}
	do("GET", "nothere."+marker+".localhost", "/", "", nil)

	out := log.String()
	if !strings.Contains(out, "web: serving an installed app") || !strings.Contains(out, "/v1/login") {
		t.Fatalf("the error paths were not logged:\n%s", out)
	}
	if strings.Contains(out, marker) {
		t.Fatalf("the log names the user:\n%s", out)
	}
}

// TestTrustedProxyWired (finding 3): server.Config.TrustedProxies, which
// hearthd's --trusted-proxy sets, reaches the API's rate limits.
func TestTrustedProxyWired(t *testing.T) {
	_, do := testServer(t, server.Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	for i := 0; ; i++ {
		if status, _ := do("POST", "", "/v1/prelogin", "", map[string]string{"user": "alice"}, "X-Forwarded-For", "198.51.100.7"); status == 429 {
			break
		} else if i == 1000 {
			t.Fatal("prelogin never limited")
		}
	}
	if status, _ := do("POST", "", "/v1/prelogin", "", map[string]string{"user": "alice"}, "X-Forwarded-For", "198.51.100.8"); status != 200 {
		t.Fatalf("another client behind the proxy: %d", status)
	}
}
