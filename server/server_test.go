package server_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hearthcloud/hearth/server"
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
