//go:build hearthtest

// The client tests need the cheap key derivation of the hearthtest tag
// (make test sets it).

package client_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/crypto/kdf"
	"github.com/hearthcloud/hearth/crypto/keyring"
)

// TestNoRedirects: a 3xx answer is an error, never followed, with the
// default HTTP client and with one the caller passes; the target never sees
// the request (nor its body, nor its token).
func TestNoRedirects(t *testing.T) {
	e := newEnv(t)
	var hits atomic.Int32
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(200)
	}))
	defer elsewhere.Close()
	c, user, _ := e.signup("a long test passphrase")
	id, _, err := c.Create(ctx, notes, []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	fileID, err := c.Upload(ctx, strings.NewReader("file"), 4, "f.txt", "", time.Time{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range []int{301, 302, 307, 308} {
		for _, hc := range []*http.Client{nil, {}} {
			name := strconv.Itoa(code)
			if hc != nil {
				name += " with the caller's client"
			}
			t.Run(name, func(t *testing.T) {
				e.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
					w.Header().Set("Location", elsewhere.URL+r.URL.RequestURI())
					w.WriteHeader(code)
					return true
				})
				defer e.tamper(nil)
				o := &client.Options{KDF: kdf.TestParams, Transport: client.HTTPTransport(hc)}
				if _, err := client.Login(ctx, e.url, user, "a long test passphrase", "", o); err == nil {
					t.Error("Login followed a redirect")
				}
				st := c.State()
				r, err := client.Resume(st, o)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := r.Get(ctx, notes, id); err == nil {
					t.Error("Get followed a redirect")
				}
				if _, err := c.Get(ctx, notes, id); err == nil {
					t.Error("Get followed a redirect")
				}
				if _, err := c.Put(ctx, notes, id, []byte("y")); err == nil {
					t.Error("Put followed a redirect")
				}
				if err := c.Sync(ctx, 0, nil); err == nil {
					t.Error("Sync followed a redirect")
				}
				if _, err := c.Download(ctx, fileID, io.Discard); err == nil {
					t.Error("Download followed a redirect")
				}
				if _, err := c.Upload(ctx, strings.NewReader("abc"), 3, "g.txt", "", time.Time{}, nil); err == nil {
					t.Error("Upload followed a redirect")
				}
				if n := hits.Load(); n != 0 {
					t.Fatalf("the redirect target got %d requests", n)
				}
			})
		}
	}
}

// TestKDFDowngrade (SECURITY.md 5): Login refuses key-derivation parameters
// under the floor, over the ceiling or of another algorithm, and a
// malformed seed, before deriving anything or sending a login request.
func TestKDFDowngrade(t *testing.T) {
	e := newEnv(t)
	_, user, _ := e.signup("a long test passphrase")
	floor := kdf.TestParams // what the tests lowered the floor to
	seed := make([]byte, 32)
	seed[0] = 1
	cases := []struct {
		name string
		kdf  map[string]any
		seed []byte
		want error
	}{
		{"memory under the floor", map[string]any{"alg": "argon2id", "m": floor.Memory - 1, "t": floor.Time, "p": floor.Threads}, seed, kdf.ErrWeakParams},
		{"memory 8 KiB", map[string]any{"alg": "argon2id", "m": 8, "t": 1, "p": 1}, seed, kdf.ErrWeakParams},
		{"no passes", map[string]any{"alg": "argon2id", "m": floor.Memory, "t": 0, "p": floor.Threads}, seed, kdf.ErrWeakParams},
		{"no lanes", map[string]any{"alg": "argon2id", "m": floor.Memory, "t": floor.Time, "p": 0}, seed, kdf.ErrWeakParams},
		{"argon2i", map[string]any{"alg": "argon2i", "m": 1 << 16, "t": 3, "p": 1}, seed, kdf.ErrParams},
		{"pbkdf2", map[string]any{"alg": "pbkdf2-sha256", "m": 1 << 16, "t": 3, "p": 1}, seed, kdf.ErrParams},
		{"no algorithm", map[string]any{"m": 1 << 16, "t": 3, "p": 1}, seed, kdf.ErrParams},
		{"over the ceiling", map[string]any{"alg": "argon2id", "m": 1 << 22, "t": 3, "p": 1}, seed, kdf.ErrParams},
		{"short seed", map[string]any{"alg": "argon2id", "m": floor.Memory, "t": floor.Time, "p": floor.Threads}, seed[:16], kdf.ErrBadSeed},
		{"no seed", map[string]any{"alg": "argon2id", "m": floor.Memory, "t": floor.Time, "p": floor.Threads}, nil, kdf.ErrBadSeed},
		{"zero seed", map[string]any{"alg": "argon2id", "m": floor.Memory, "t": floor.Time, "p": floor.Threads}, make([]byte, 32), kdf.ErrBadSeed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var logins atomic.Int32
			e.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
				switch r.URL.Path {
				case "/v1/prelogin":
					rec := capture(next, r)
					body, _ := json.Marshal(map[string]any{"kdf": tc.kdf, "seed": tc.seed})
					replay(w, rec, body)
					return true
				case "/v1/login":
					logins.Add(1)
				}
				return false
			})
			defer e.tamper(nil)
			_, err := client.Login(ctx, e.url, user, "a long test passphrase", "", opts)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if logins.Load() != 0 {
				t.Fatal("a login request was sent")
			}
		})
	}
}

// TestSecretsNeverSent (SECURITY.md 6): across sign-up, login, documents,
// recovery and login with the new password, no request the server receives
// holds a password, a master key or a recovery key, in any usual encoding,
// in its path, query, headers or body.
func TestSecretsNeverSent(t *testing.T) {
	e := newEnv(t)
	var mu sync.Mutex
	var reqs [][]byte
	e.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		b, _ := io.ReadAll(r.Body)
		var one bytes.Buffer
		one.WriteString(r.Method + " " + r.URL.String() + "\n")
		for k, v := range r.Header {
			one.WriteString(k + ": " + strings.Join(v, ",") + "\n")
		}
		one.Write(b)
		mu.Lock()
		reqs = append(reqs, one.Bytes())
		mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(b))
		return false
	})
	const pw1, pw2 = "first-Pa55word-zq81", "second-Pa55word-zq82"
	c, user, rk1 := e.signup(pw1)
	id, _, err := c.Create(ctx, notes, []byte("doc"))
	if err != nil {
		t.Fatal(err)
	}
	c2, err := client.Login(ctx, e.url, user, pw1, "", opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c2.Get(ctx, notes, id); err != nil {
		t.Fatal(err)
	}
	if err := c2.Sync(ctx, 0, nil); err != nil {
		t.Fatal(err)
	}
	c3, rk2, err := client.Recover(ctx, e.url, user, rk1, pw2, "", opts)
	if err != nil {
		t.Fatal(err)
	}
	mustCatchUp(t, c3)
	if _, err := c3.Put(ctx, notes, id, []byte("doc v2")); err != nil {
		t.Fatal(err)
	}
	c4, err := client.Login(ctx, e.url, user, pw2, "", opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c4.Get(ctx, notes, id); err != nil {
		t.Fatal(err)
	}
	c4.Logout(ctx)

	secrets := map[string][]byte{"password 1": []byte(pw1), "password 2": []byte(pw2),
		"recovery key 1": []byte(rk1), "recovery key 2": []byte(rk2)}
	for name, s := range map[string]string{"recovery key 1": rk1, "recovery key 2": rk2} {
		k, err := keyring.ParseRecoveryKey(s)
		if err != nil {
			t.Fatal(err)
		}
		secrets[name+" bytes"] = k[:]
	}
	if !bytes.Equal(c.State().MasterKey, c2.State().MasterKey) || bytes.Equal(c.State().MasterKey, c3.State().MasterKey) ||
		!bytes.Equal(c3.State().MasterKey, c4.State().MasterKey) {
		t.Fatal("unexpected master keys")
	}
	secrets["master key 1"] = c.State().MasterKey
	secrets["master key 2"] = c3.State().MasterKey
	forms := func(b []byte) map[string]string {
		return map[string]string{
			"raw": string(b), "base64": base64.StdEncoding.EncodeToString(b), "base64url": base64.URLEncoding.EncodeToString(b),
			"raw base64": base64.RawStdEncoding.EncodeToString(b), "raw base64url": base64.RawURLEncoding.EncodeToString(b),
			"hex": hex.EncodeToString(b), "HEX": strings.ToUpper(hex.EncodeToString(b)),
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(reqs) < 15 {
		t.Fatalf("only %d requests seen", len(reqs))
	}
	for name, s := range secrets {
		for form, v := range forms(s) {
			if len(v) < 16 {
				continue
			}
			for _, r := range reqs {
				if bytes.Contains(r, []byte(v)) || bytes.Contains(bytes.ToLower(r), bytes.ToLower([]byte(v))) && form != "raw" {
					t.Errorf("%s (%s) sent in a request:\n%.300s", name, form, r)
				}
			}
		}
	}
	// The recovery key in the form people type it (without dashes).
	for _, rk := range []string{rk1, rk2} {
		plain := strings.ReplaceAll(strings.TrimPrefix(rk, "HEARTH-"), "-", "")
		for _, r := range reqs {
			if bytes.Contains(bytes.ToUpper(r), []byte(plain)) {
				t.Errorf("a recovery key was sent")
			}
		}
	}
}

// TestHiddenOwnWrite (SECURITY.md 14): a feed that ends, consistently, before
// a revision this device wrote itself is an integrity error.
func TestHiddenOwnWrite(t *testing.T) {
	e := newEnv(t)
	c, _, _ := e.signup("a long test passphrase")
	a, _, _ := c.Create(ctx, notes, []byte("a1"))
	b, _, _ := c.Create(ctx, notes, []byte("b1"))
	if err := c.Sync(ctx, 0, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Put(ctx, notes, b, []byte("b2")); err != nil { // seq 3
		t.Fatal(err)
	}
	if _, err := c.Put(ctx, notes, a, []byte("a2")); err != nil { // seq 4, hidden
		t.Fatal(err)
	}
	e.tamper(feedHook(func(p map[string]any) {
		p["changes"] = changesOf(p)[:len(changesOf(p))-1]
		p["last_seq"] = json.Number(strconv.Itoa(2 + len(changesOf(p))))
		rechain(p)
	}))
	before := stateJSON(t, c)
	wantIntegrity(t, "Sync", c.Sync(ctx, 0, nil), c, before)
	// The same after logging in again with the remembered State.
	c2, err := client.Resume(c.State(), nil)
	if err != nil {
		t.Fatal(err)
	}
	before = stateJSON(t, c2)
	wantIntegrity(t, "Sync after resuming", c2.Sync(ctx, 0, nil), c2, before)
	e.tamper(nil)
	if err := c.Sync(ctx, 0, nil); err != nil {
		t.Fatal(err)
	}
}
