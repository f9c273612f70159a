package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/hearthcloud/hearth/server"
	"github.com/hearthcloud/hearth/server/auth"
)

// TestDiskFullIsUnavailable (issue 13, found by the load harness): with the
// data folder's file system full, a write is refused 503 unavailable with
// Retry-After (spec §9: storage down), not 500 internal; nothing stored
// before is lost; once space is freed the same server takes writes again.
// It needs a small file system of its own (a tmpfs, mounted as root).
func TestDiskFullIsUnavailable(t *testing.T) {
	mnt := filepath.Join(t.TempDir(), "fs")
	os.Mkdir(mnt, 0o700)
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small file system (needs root): %v %s", err, out)
	}
	defer exec.Command("umount", "-l", mnt).Run()
	ctx := context.Background()
	s, err := server.Open(ctx, server.Config{Dir: filepath.Join(mnt, "data"), Hash: auth.HashParams{Memory: 64, Time: 1, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	type answer struct {
		status int
		code   string
		retry  string
		body   []byte
	}
	do := func(method, path, token string, body []byte, hdr ...string) answer {
		t.Helper()
		res, err := http.DefaultClient.Do(apiRequest(t, method, ts.URL+path, token, body, hdr...))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		var e struct{ Error struct{ Code string } }
		json.Unmarshal(b, &e)
		return answer{res.StatusCode, e.Error.Code, res.Header.Get("Retry-After"), b}
	}
	rnd := func(n int) []byte { b := make([]byte, n); rand.Read(b); return b }
	signup, _ := json.Marshal(map[string]any{"user": "alice", "kdf": map[string]any{"alg": "argon2id", "m": 65536, "t": 3, "p": 1},
		"seed": rnd(32), "login_secret": rnd(32), "recovery_auth": rnd(32), "keyring": []byte("k"), "recovery_keyring": []byte("r"), "device": "d"})
	a := do("POST", "/v1/accounts", "", signup, "Content-Type", "application/json")
	var ans struct{ Session struct{ Token string } }
	if json.Unmarshal(a.body, &ans); a.status != 201 {
		t.Fatalf("sign-up: %d %s", a.status, a.body)
	}
	tok := ans.Session.Token
	oct := []string{"Content-Type", "application/octet-stream"}
	do("PUT", "/v1/doctypes/io.hearth.notes", tok, nil)
	do("PUT", "/v1/doctypes/io.hearth.files", tok, nil)
	doc, blob := rnd(4000), rnd(100_000)
	if a := do("PUT", "/v1/docs/io.hearth.notes/before", tok, doc, append(oct, "If-None-Match", "*")...); a.status != 201 {
		t.Fatalf("write before: %d %s", a.status, a.body)
	}
	if a := do("PUT", "/v1/blobs/io.hearth.files/before", tok, blob, oct...); a.status != 201 {
		t.Fatalf("upload before: %d %s", a.status, a.body)
	}

	// Fill the file system.
	filler := filepath.Join(mnt, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	for buf := make([]byte, 64<<10); ; {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
	}
	f.Close()

	unavailable := func(what string, a answer) {
		t.Helper()
		if a.status != 503 || a.code != "unavailable" || a.retry == "" {
			t.Fatalf("%s on a full disk: %d %q Retry-After %q, want 503 unavailable with Retry-After", what, a.status, a.code, a.retry)
		}
	}
	unavailable("an upload", do("PUT", "/v1/blobs/io.hearth.files/full", tok, rnd(100_000), oct...))
	refused := 0
	for i := range 100 {
		a := do("PUT", fmt.Sprintf("/v1/docs/io.hearth.notes/full%d", i), tok, rnd(60_000), append(oct, "If-None-Match", "*")...)
		if a.status == 201 {
			continue
		}
		unavailable("a document write", a)
		refused++
	}
	if refused == 0 {
		t.Fatal("100 writes of 60 KB all fitted on a full disk")
	}
	if a := do("GET", "/v1/docs/io.hearth.notes/before", tok, nil); a.status != 200 || !bytes.Equal(a.body, doc) {
		t.Fatalf("the document written before, read on a full disk: %d", a.status)
	}

	// Free the space: the same server goes on.
	os.Remove(filler)
	if a := do("PUT", "/v1/blobs/io.hearth.files/after", tok, rnd(100_000), oct...); a.status != 201 {
		t.Fatalf("upload after freeing: %d %s", a.status, a.body)
	}
	if a := do("PUT", "/v1/docs/io.hearth.notes/after", tok, rnd(60_000), append(oct, "If-None-Match", "*")...); a.status != 201 {
		t.Fatalf("write after freeing: %d %s", a.status, a.body)
	}
	if a := do("GET", "/v1/docs/io.hearth.notes/before", tok, nil); a.status != 200 || !bytes.Equal(a.body, doc) {
		t.Fatalf("the document written before, after freeing: %d", a.status)
	}
	if a := do("GET", "/v1/blobs/io.hearth.files/before", tok, nil); a.status != 200 || !bytes.Equal(a.body, blob) {
		t.Fatalf("the blob uploaded before, after freeing: %d", a.status)
	}
}
