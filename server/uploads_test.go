//go:build hearthtest

package server_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hearthcloud/hearth/server"
	"github.com/hearthcloud/hearth/server/blob/disk"
)

// partialFiles lists the partial uploads in a data folder.
func partialFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, "blobs", "uploads"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// TestUploadSessionExpiry runs a real server (SQLite and blob files on
// disk) whose clock the test moves: a session left 24 h without a PATCH is
// swept by the server's own sweeper, its partial file gone from the data
// folder, and nothing of it visible (no session, no blob, no listing). A
// session still in use is left alone.
func TestUploadSessionExpiry(t *testing.T) {
	var mu sync.Mutex
	clock := time.Now()
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	advance := func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }
	defer server.SetClockForTesting(now, 20*time.Millisecond)()

	dir := t.TempDir()
	l := startLive(t, dir, server.Config{})
	tok := l.signup("alice")
	const stale, fresh = "/v1/uploads/io.n/stale", "/v1/uploads/io.n/fresh"
	oct := []string{"Content-Type", "application/octet-stream"}
	for _, p := range []string{stale, fresh} {
		l.do("POST", p, tok, map[string]any{"size": 1000}).is(t, 201, "", false)
		l.do("PATCH", p, tok, rnd(300), append(oct, "Hearth-Upload-Offset", "0")...).is(t, 204, "", false)
	}
	if n := len(partialFiles(t, dir)); n != 2 {
		t.Fatalf("%d partial files for 2 sessions", n)
	}
	advance(20 * time.Hour)
	l.do("PATCH", fresh, tok, rnd(300), append(oct, "Hearth-Upload-Offset", "300")...).is(t, 204, "", false)
	advance(5 * time.Hour) // stale: 25 h since its last PATCH; fresh: 5 h
	deadline := time.Now().Add(10 * time.Second)
	for len(partialFiles(t, dir)) != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("the sweeper left %d partial files", len(partialFiles(t, dir)))
		}
		time.Sleep(10 * time.Millisecond)
	}
	l.do("GET", stale, tok, nil).is(t, 404, "not_found", false)
	l.do("GET", "/v1/blobs/io.n/stale", tok, nil).is(t, 404, "not_found", false)
	if got := l.do("GET", "/v1/blobs/io.n", tok, nil).member(t, "blobs").([]any); len(got) != 0 {
		t.Fatalf("blob listing after the sweep: %v", got)
	}
	if off := l.do("GET", fresh, tok, nil).member(t, "offset"); off != 600.0 {
		t.Fatalf("the fresh session stands at %v", off)
	}
}

// TestUploadSessionSurvivesRestart: a session's bytes and offset outlive
// the server; at start-up, a partial file no session names (a session
// made or ended around a crash) is removed, and a session that expired
// meanwhile is swept.
func TestUploadSessionSurvivesRestart(t *testing.T) {
	var mu sync.Mutex
	clock := time.Now()
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	defer server.SetClockForTesting(now, time.Hour)()

	dir := t.TempDir()
	l := startLive(t, dir, server.Config{})
	tok := l.signup("alice")
	b := rnd(5000)
	oct := []string{"Content-Type", "application/octet-stream"}
	const p = "/v1/uploads/io.n/kept"
	l.do("POST", p, tok, map[string]any{"size": len(b)}).is(t, 201, "", false)
	l.do("PATCH", p, tok, b[:2000], append(oct, "Hearth-Upload-Offset", "0")...).is(t, 204, "", false)
	l.do("POST", "/v1/uploads/io.n/expiring", tok, map[string]any{"size": 10}).is(t, 201, "", false)
	l.srv.Close()

	// Debris: a partial file no session names.
	bs, err := disk.Open(filepath.Join(dir, "blobs"), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bs.BeginPartial(context.Background(), 100); err != nil {
		t.Fatal(err)
	}
	if n := len(partialFiles(t, dir)); n != 3 {
		t.Fatalf("%d partial files before the restart, want 3", n)
	}
	mu.Lock()
	clock = clock.Add(24*time.Hour + time.Second) // both expired...
	mu.Unlock()
	l2 := startLive(t, dir, server.Config{})
	if n := len(partialFiles(t, dir)); n != 0 {
		t.Fatalf("%d partial files after a start past the sessions' expiry", n)
	}
	l2.do("GET", p, tok, nil).is(t, 404, "not_found", false)

	// ... and a session that did not expire resumes after a restart.
	l2.do("POST", p+"2", tok, map[string]any{"size": len(b)}).is(t, 201, "", false)
	l2.do("PATCH", p+"2", tok, b[:2000], append(oct, "Hearth-Upload-Offset", "0")...).is(t, 204, "", false)
	l2.srv.Close()
	l3 := startLive(t, dir, server.Config{})
	if off := l3.do("GET", p+"2", tok, nil).member(t, "offset"); off != 2000.0 {
		t.Fatalf("after a restart the session stands at %v", off)
	}
	d := sha256.Sum256(b)
	l3.do("PATCH", p+"2", tok, b[2000:], append(oct, "Hearth-Upload-Offset", "2000",
		"Hearth-Digest", "sha-256="+base64.StdEncoding.EncodeToString(d[:]))...).is(t, 201, "", false)
	if got := l3.do("GET", "/v1/blobs/io.n/kept2", tok, nil); string(got.body) != string(b) {
		t.Fatal("the blob differs after a restart mid-upload")
	}
}
