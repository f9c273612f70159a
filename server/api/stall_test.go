package api_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hearthcloud/hearth/server/api"
	"github.com/hearthcloud/hearth/server/auth"
	blobmem "github.com/hearthcloud/hearth/server/blob/memory"
	metamem "github.com/hearthcloud/hearth/server/meta/memory"
)

// TestStalledUploadIsTruncated (issue 13, found by the load harness's slow
// clients): a blob upload whose body stops arriving is answered 400
// truncated (nothing was stored), the client's doing, not 500 internal
// logged as a server failure.
func TestStalledUploadIsTruncated(t *testing.T) {
	e, ts := loggedEnv(t, api.Config{BodyTimeout: 300 * time.Millisecond, StreamIdle: 300 * time.Millisecond})
	log := e.log
	_, tok := e.signup("alice")
	e.want(e.do("PUT", "/v1/doctypes/io.hearth.files", tok, nil), 201, "")
	pr, pw := io.Pipe()
	go func() { pw.Write([]byte("first bytes")); time.Sleep(2 * time.Second); pw.Close() }()
	req, _ := http.NewRequest("PUT", ts.URL+"/v1/blobs/io.hearth.files/stalled", pr)
	req.ContentLength = 1000
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	r := resp{res.StatusCode, res.Header, b}
	if r.status != 400 || r.code() != "truncated" {
		t.Fatalf("a stalled upload: %d %s", r.status, b)
	}
	if strings.Contains(log.String(), "request failed") {
		t.Fatalf("a stalled upload was logged as a server failure:\n%s", log.String())
	}
}

// loggedEnv runs the API with cfg over memory stores (cheap hashing, a
// fresh secret) on a loopback port, its log kept for the test to read.
func loggedEnv(t *testing.T, cfg api.Config) (*env, *httptest.Server) {
	t.Helper()
	log := &syncBuffer{}
	cfg.Meta, cfg.Blobs, cfg.Secret = metamem.New(), blobmem.New(1<<30), rnd32()
	cfg.Hash = auth.HashParams{Memory: 64, Time: 1, Threads: 1}
	cfg.Log = slog.New(slog.NewTextHandler(log, nil))
	ts := httptest.NewServer(api.New(cfg))
	t.Cleanup(ts.Close)
	return &env{t: t, url: ts.URL, log: log}, ts
}
