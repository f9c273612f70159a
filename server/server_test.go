package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hearthcloud/hearth/server"
	"github.com/hearthcloud/hearth/server/auth"
	"github.com/hearthcloud/hearth/server/blob/disk"
)

// TestOpenKeepsSecretAndCollectsOrphans: the server secret survives a
// restart, and a body no row names (an upload that crashed between its
// fsync and its row) is removed at start-up.
func TestOpenKeepsSecretAndCollectsOrphans(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := server.Open(ctx, server.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	secret, err := os.ReadFile(filepath.Join(dir, "server-secret"))
	if err != nil || len(secret) != 32 {
		t.Fatalf("secret: %v %d", err, len(secret))
	}
	if fi, _ := os.Stat(filepath.Join(dir, "server-secret")); fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret mode %v", fi.Mode())
	}

	// An orphan body, as a crash after the blob's fsync leaves it.
	bs, err := disk.Open(filepath.Join(dir, "blobs"), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte("orphaned ciphertext")
	d, err := bs.Put(ctx, bytes.NewReader(body), int64(len(body)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := bs.Get(ctx, d); err != nil {
		t.Fatal(err)
	}

	s, err = server.Open(ctx, server.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	again, _ := os.ReadFile(filepath.Join(dir, "server-secret"))
	if !bytes.Equal(secret, again) {
		t.Fatal("the server secret changed across a restart")
	}
	if _, _, err := bs.Get(ctx, d); err == nil {
		t.Fatal("the orphan body survived start-up")
	}
}

func TestOpenRefusesDamagedSecret(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "server-secret"), []byte("short"), 0o600)
	if _, err := server.Open(context.Background(), server.Config{Dir: dir}); err == nil {
		t.Fatal("a damaged secret was accepted")
	}
}

// TestHTTPServerLogScrubsAddresses: net/http's own log lines reach the log
// without client addresses.
func TestHTTPServerLogScrubsAddresses(t *testing.T) {
	var buf bytes.Buffer
	hs := server.HTTPServer(http.NotFoundHandler(), slog.New(slog.NewTextHandler(&buf, nil)))
	hs.ErrorLog.Printf("http: TLS handshake error from 203.0.113.9:51234: EOF")
	hs.ErrorLog.Printf("http: panic serving [2001:db8::1]:443: boom")
	if out := buf.String(); strings.Contains(out, "203.0.113.9") || strings.Contains(out, "2001:db8") || !strings.Contains(out, "[address]") {
		t.Fatalf("log: %s", out)
	}
}

// TestBlobRangesFromDisk: downloads from the disk store (sent by the
// kernel) honour Range and HEAD like any other.
func TestBlobRangesFromDisk(t *testing.T) {
	ctx := context.Background()
	s, err := server.Open(ctx, server.Config{Dir: t.TempDir(), Hash: auth.HashParams{Memory: 64, Time: 1, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	do := func(method, path, tok string, body []byte, hdr ...string) *http.Response {
		req, _ := http.NewRequest(method, ts.URL+path, bytes.NewReader(body))
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
			if method == "PUT" {
				req.Header.Set("Content-Type", "application/octet-stream")
			}
		}
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	su, _ := json.Marshal(map[string]any{"user": "alice", "kdf": map[string]any{"alg": "argon2id", "m": 65536, "t": 3, "p": 1},
		"seed": make([]byte, 32), "login_secret": make([]byte, 32), "recovery_auth": make([]byte, 32),
		"keyring": []byte("k"), "recovery_keyring": []byte("r"), "device": "d"})
	res := do("POST", "/v1/accounts", "", su)
	var sr struct{ Session struct{ Token string } }
	json.NewDecoder(res.Body).Decode(&sr)
	res.Body.Close()
	tok := sr.Session.Token
	do("PUT", "/v1/doctypes/io.hearth.files", tok, nil).Body.Close()
	body := make([]byte, 20<<20+7)
	rand.Read(body)
	if res := do("PUT", "/v1/blobs/io.hearth.files/b1", tok, body); res.StatusCode != 201 {
		t.Fatalf("upload: %d", res.StatusCode)
	}
	read := func(res *http.Response) []byte {
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return b
	}
	if got := read(do("GET", "/v1/blobs/io.hearth.files/b1", tok, nil)); !bytes.Equal(got, body) {
		t.Fatal("whole download differs")
	}
	res = do("GET", "/v1/blobs/io.hearth.files/b1", tok, nil, "Range", "bytes=9000000-")
	if got := read(res); res.StatusCode != 206 || !bytes.Equal(got, body[9000000:]) {
		t.Fatalf("range: %d, %d bytes", res.StatusCode, len(got))
	}
	res = do("HEAD", "/v1/blobs/io.hearth.files/b1", tok, nil)
	if got := read(res); res.StatusCode != 200 || len(got) != 0 || res.ContentLength != int64(len(body)) {
		t.Fatalf("HEAD: %d %d", res.StatusCode, res.ContentLength)
	}
}

// TestOneServerPerFolder: a second hearthd on a data folder another one
// serves refuses to start (its start-up sweep would remove the first's
// bodies still waiting for their rows); once the first closes, it starts.
func TestOneServerPerFolder(t *testing.T) {
	dir := t.TempDir()
	first, err := server.Open(context.Background(), server.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if s, err := server.Open(context.Background(), server.Config{Dir: dir}); !errors.Is(err, server.ErrFolderInUse) {
		if s != nil {
			s.Close()
		}
		t.Fatalf("a second server on the folder: %v", err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	second, err := server.Open(context.Background(), server.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	second.Close()
}
