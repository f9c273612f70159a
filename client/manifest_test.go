//go:build hearthtest

package client_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/hearthcloud/hearth/client"
)

// TestManifest: the index manifest of a doctype is written and read back
// sealed, chained revision after revision, and another writer's revision
// in between is a conflict carrying the current revision.
func TestManifest(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c, user, _ := e.signup("a long test passphrase")
	const dt = "io.hearth.notes"
	if _, _, err := c.GetManifest(ctx, dt); !errors.Is(err, client.ErrNotFound) {
		t.Fatalf("before any write: %v", err)
	}
	if _, err := c.PutManifest(ctx, dt, 0, []byte(`{"segments":[]}`)); err == nil || !strings.Contains(err.Error(), "no key") {
		t.Fatalf("a doctype without a key: %v", err)
	}
	if _, _, err := c.Create(ctx, dt, []byte("a note")); err != nil {
		t.Fatal(err)
	}
	rev, err := c.PutManifest(ctx, dt, 0, []byte(`{"segments":["a"]}`))
	if err != nil || rev != 1 {
		t.Fatal(rev, err)
	}
	if rev, err = c.PutManifest(ctx, dt, 1, []byte(`{"segments":["a","b"]}`)); err != nil || rev != 2 {
		t.Fatal(rev, err)
	}

	// A second device reads it, writes the next revision; the first,
	// behind, gets a conflict with the current revision.
	d, err := client.Login(ctx, e.url, user, "a long test passphrase", "", opts)
	if err != nil {
		t.Fatal(err)
	}
	mustCatchUp(t, d)
	got, rev, err := d.GetManifest(ctx, dt)
	if err != nil || rev != 2 || string(got) != `{"segments":["a","b"]}` {
		t.Fatalf("%q %d %v", got, rev, err)
	}
	if _, err := d.PutManifest(ctx, dt, 2, []byte(`{"segments":["c"]}`)); err != nil {
		t.Fatal(err)
	}
	_, err = c.PutManifest(ctx, dt, 2, []byte(`{"segments":["lost"]}`))
	var ae *client.APIError
	if !errors.As(err, &ae) || ae.Code != "conflict" || ae.Rev != 3 {
		t.Fatalf("a stale write: %v", err)
	}
	if got, rev, err := c.GetManifest(ctx, dt); err != nil || rev != 3 || string(got) != `{"segments":["c"]}` {
		t.Fatalf("%q %d %v", got, rev, err)
	}
	// A device that never saw the manifest writes after a given revision.
	f, err := client.Login(ctx, e.url, user, "a long test passphrase", "", opts)
	if err != nil {
		t.Fatal(err)
	}
	mustCatchUp(t, f)
	if rev, err := f.PutManifest(ctx, dt, 3, []byte(`{"segments":["d"]}`)); err != nil || rev != 4 {
		t.Fatal(rev, err)
	}
}

// TestManifestTampered: the host cannot roll the manifest back, swap in a
// document or another doctype's manifest, or fork its history.
func TestManifestTampered(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c, _, _ := e.signup("a long test passphrase")
	const dt, other = "io.hearth.notes", "io.hearth.contacts"
	for _, d := range []string{dt, other} {
		if _, _, err := c.Create(ctx, d, []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.PutManifest(ctx, dt, 0, []byte("one")); err != nil {
		t.Fatal(err)
	}
	old := rawGet(t, e, c, dt)
	if _, err := c.PutManifest(ctx, dt, 1, []byte("two")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutManifest(ctx, other, 0, []byte("theirs")); err != nil {
		t.Fatal(err)
	}
	otherSealed := rawGet(t, e, c, other)

	serve := func(body []byte, rev string, status int) {
		e.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
			if r.Method != "GET" || !strings.HasSuffix(r.URL.Path, "/index/"+dt+"/manifest") {
				return false
			}
			if status == 200 {
				w.Header().Set("Hearth-Revision", rev)
				w.Header().Set("Content-Type", "application/octet-stream")
			} else {
				w.Header().Set("Content-Type", "application/json")
			}
			w.WriteHeader(status)
			w.Write(body)
			return true
		})
	}
	cases := []struct {
		name   string
		body   []byte
		rev    string
		status int
	}{
		{"revision 1 again (rolled back)", old, "1", 200},
		{"revision 1 as revision 2", old, "2", 200},
		{"another doctype's manifest", otherSealed, "1", 200},
		{"a flipped byte", flip(rawGetNoTamper(t, e, c, dt)), "2", 200},
		{"gone (rolled back)", []byte(`{"error":{"code":"not_found","message":"no such manifest"}}`), "", 404},
	}
	for _, k := range cases {
		serve(k.body, k.rev, k.status)
		if _, _, err := c.GetManifest(ctx, dt); !errors.Is(err, client.ErrIntegrity) {
			t.Errorf("%s: %v, want an integrity error", k.name, err)
		}
	}
	e.tamper(nil)
	if got, rev, err := c.GetManifest(ctx, dt); err != nil || rev != 2 || string(got) != "two" {
		t.Fatalf("untampered: %q %d %v", got, rev, err)
	}
}

func flip(b []byte) []byte {
	b = bytes.Clone(b)
	b[len(b)/2] ^= 1
	return b
}

// rawGet returns the sealed manifest of doctype as the server stores it.
func rawGet(t *testing.T, e *env, c *client.Client, doctype string) []byte {
	t.Helper()
	req, _ := http.NewRequest("GET", e.url+"/v1/index/"+doctype+"/manifest", nil)
	req.Header.Set("Authorization", "Bearer "+c.State().Token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("GET manifest: %d %s", res.StatusCode, b)
	}
	return b
}

func rawGetNoTamper(t *testing.T, e *env, c *client.Client, doctype string) []byte {
	t.Helper()
	e.mu.Lock()
	h := e.h
	e.h = nil
	e.mu.Unlock()
	defer func() { e.mu.Lock(); e.h = h; e.mu.Unlock() }()
	return rawGet(t, e, c, doctype)
}
