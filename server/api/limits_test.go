package api_test

// Issue 13: an attacker with an account, or a stranger, must not exhaust
// the server. Each test is named for the finding it covers and runs the
// real API over SQLite and blob files in a temporary folder.

import (
	"bufio"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hearthcloud/hearth/server/api"
	"github.com/hearthcloud/hearth/server/auth"
	"github.com/hearthcloud/hearth/server/blob/disk"
	"github.com/hearthcloud/hearth/server/meta/sqlite"
	"github.com/hearthcloud/hearth/server/totp"
)

// newDiskEnv starts the API on a loopback port over SQLite and a blob
// folder in a temporary directory, and returns the server for the hooks of
// export_test.go. The login-secret hash costs 1 MiB, enough for concurrent
// requests to overlap.
func newDiskEnv(t *testing.T, opts ...func(*api.Config)) (*env, *api.Server) {
	t.Helper()
	dir := t.TempDir()
	m, err := sqlite.Open(filepath.Join(dir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	blobs, err := disk.Open(filepath.Join(dir, "blobs"), 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	secret := make([]byte, 32)
	rand.Read(secret)
	now := time.Now()
	e := &env{t: t, log: &syncBuffer{}, now: &now}
	cfg := api.Config{
		Meta: m, Blobs: blobs, Secret: secret,
		Hash: auth.HashParams{Memory: 1 << 10, Time: 1, Threads: 1},
		Now:  func() time.Time { e.clock.Lock(); defer e.clock.Unlock(); return *e.now },
		Log:  slog.New(slog.NewTextHandler(e.log, nil)),
	}
	for _, o := range opts {
		o(&cfg)
	}
	srv := api.New(cfg)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	e.url = ts.URL
	return e, srv
}

// together sends n requests at once and returns the answers.
func together(n int, do func(i int) resp) []resp {
	out := make([]resp, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			out[i] = do(i)
		}()
	}
	close(start)
	wg.Wait()
	return out
}

// allowance is how many attempts the login limiter lets through without a
// wait: its free failures, and the one whose failure starts the first wait.
var allowance = auth.NewLimiter().Free + 1

// checkLimited checks that of answers, at most allowance are failureCode
// (a check that ran) and the rest 429 rate_limited with Retry-After.
func checkLimited(t *testing.T, answers []resp, failureCode string) {
	t.Helper()
	checked := 0
	for _, r := range answers {
		switch {
		case r.status == 401 && r.code() == failureCode:
			checked++
		case r.status == 429 && r.code() == "rate_limited" && r.header.Get("Retry-After") != "":
		default:
			t.Fatalf("answer %d %s (%s) Retry-After %q", r.status, r.code(), r.body, r.header.Get("Retry-After"))
		}
	}
	if checked == 0 || checked > allowance {
		t.Fatalf("%d of %d simultaneous attempts were checked; the limiter allows %d", checked, len(answers), allowance)
	}
}

// TestLoginLimitHoldsUnderConcurrency (finding 1): 100 simultaneous wrong
// attempts at one name are checked at most as often as the limiter allows;
// the rest are answered 429 with Retry-After without an Argon2id run. The
// same for a name without an account, TOTP codes at login, confirm and
// disable, the password change and both recovery requests.
func TestLoginLimitHoldsUnderConcurrency(t *testing.T) {
	const n = 100
	t.Run("login", func(t *testing.T) {
		e, srv := newDiskEnv(t)
		e.signup("alice")
		for _, user := range []string{"alice", "nobody"} {
			before := api.HashRuns(srv)
			checkLimited(t, together(n, func(int) resp { return e.login(user, rnd32(), nil) }), "bad_credentials")
			if runs := api.HashRuns(srv) - before; runs > int64(allowance) {
				t.Fatalf("%s: %d Argon2id runs for %d simultaneous wrong logins; the limiter allows %d", user, runs, n, allowance)
			}
		}
	})
	t.Run("password", func(t *testing.T) {
		e, srv := newDiskEnv(t)
		_, tok := e.signup("alice")
		newLogin := map[string]any{"kdf": defaultKDF, "seed": rnd32(), "login_secret": rnd32(),
			"keyring": []byte("k2"), "recovery_keyring": []byte("r2"), "keyring_if_match": 1}
		before := api.HashRuns(srv)
		checkLimited(t, together(n, func(int) resp {
			return e.do("POST", "/v1/account/password", tok, map[string]any{"login_secret": rnd32(), "new": newLogin})
		}), "bad_credentials")
		if runs := api.HashRuns(srv) - before; runs > int64(allowance) {
			t.Fatalf("%d Argon2id runs for %d simultaneous wrong password changes", runs, n)
		}
	})
	t.Run("recovery", func(t *testing.T) {
		e, srv := newDiskEnv(t)
		e.signup("alice")
		checkLimited(t, together(n, func(int) resp {
			return e.do("POST", "/v1/recovery/keyring", "", map[string]any{"user": "alice", "recovery_auth": rnd32()})
		}), "bad_credentials")
		e.advance(time.Hour)
		reset := map[string]any{"kdf": defaultKDF, "seed": rnd32(), "login_secret": rnd32(),
			"keyring": []byte("k2"), "recovery_keyring": []byte("r2"), "keyring_if_match": 1}
		before := api.HashRuns(srv)
		checkLimited(t, together(n, func(int) resp {
			return e.do("POST", "/v1/recovery/reset", "", map[string]any{"user": "alice", "recovery_auth": rnd32(), "device": "x", "new": reset})
		}), "bad_credentials")
		if runs := api.HashRuns(srv) - before; runs != 0 {
			t.Fatalf("%d Argon2id runs for wrong recovery resets", runs)
		}
	})
	t.Run("totp", func(t *testing.T) {
		e, _ := newDiskEnv(t)
		secret, tok := e.signup("alice")
		key := totpSecret(t, e.do("POST", "/v1/totp/enroll", tok, nil).json(t)["uri"].(string))
		wrong := func(i int) string { // never the current code
			c := fmt.Sprintf("%06d", i)
			if c == totp.Code(key, *e.now) {
				c = fmt.Sprintf("%06d", 999999-i)
			}
			return c
		}
		checkLimited(t, together(n, func(i int) resp {
			return e.do("POST", "/v1/totp/confirm", tok, map[string]string{"code": wrong(i)})
		}), "totp_invalid")
		e.advance(time.Hour)
		e.want(e.do("POST", "/v1/totp/confirm", tok, map[string]string{"code": totp.Code(key, *e.now)}), 200, "")
		e.advance(time.Minute)
		checkLimited(t, together(n, func(i int) resp { return e.login("alice", secret, map[string]any{"totp": wrong(i)}) }), "totp_invalid")
		e.advance(time.Hour)
		checkLimited(t, together(n, func(i int) resp {
			return e.do("POST", "/v1/totp/disable", tok, map[string]string{"code": wrong(i)})
		}), "totp_invalid")
	})
}

// TestArgon2idRunsAreCapped (finding 2): when the server-wide Argon2id
// runs and their queue are full, login, password change and sign-up are
// answered 503 unavailable with Retry-After at once, and such an answer
// counts as no attempt.
func TestArgon2idRunsAreCapped(t *testing.T) {
	e, srv := newDiskEnv(t)
	secret, tok := e.signup("alice")
	release := api.FillHashGate(srv)
	before := api.HashRuns(srv)
	newLogin := map[string]any{"kdf": defaultKDF, "seed": rnd32(), "login_secret": rnd32(),
		"keyring": []byte("k2"), "recovery_keyring": []byte("r2"), "keyring_if_match": 1}
	for i := range 20 {
		start := time.Now()
		for _, r := range []resp{
			e.login("alice", rnd32(), nil),
			e.login("nobody", rnd32(), nil),
			e.do("POST", "/v1/account/password", tok, map[string]any{"login_secret": rnd32(), "new": newLogin}),
			e.do("POST", "/v1/accounts", "", map[string]any{
				"user": fmt.Sprintf("bob%d", i), "kdf": defaultKDF, "seed": rnd32(), "login_secret": rnd32(), "recovery_auth": rnd32(),
				"keyring": []byte("k"), "recovery_keyring": []byte("r"), "device": "x"}),
		} {
			if e.want(r, 503, "unavailable"); r.header.Get("Retry-After") != "1" {
				t.Fatalf("503 with Retry-After %q", r.header.Get("Retry-After"))
			}
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("a full queue was answered after %v", d)
		}
	}
	if runs := api.HashRuns(srv) - before; runs != 0 {
		t.Fatalf("%d Argon2id runs past a full gate", runs)
	}
	release()
	// Twenty refusals counted as no failures.
	e.want(e.login("alice", secret, nil), 200, "")
}

// TestRecoveryResetChecksBeforeHashing (finding 2): a recovery reset with
// a wrong recovery_auth, or while the name is in backoff, hashes nothing.
func TestRecoveryResetChecksBeforeHashing(t *testing.T) {
	e, srv := newDiskEnv(t)
	e.signup("alice")
	reset := map[string]any{"kdf": defaultKDF, "seed": rnd32(), "login_secret": rnd32(),
		"keyring": []byte("k2"), "recovery_keyring": []byte("r2"), "keyring_if_match": 1}
	before := api.HashRuns(srv)
	for range allowance {
		e.want(e.do("POST", "/v1/recovery/reset", "", map[string]any{"user": "alice", "recovery_auth": rnd32(), "device": "x", "new": reset}), 401, "bad_credentials")
	}
	e.want(e.do("POST", "/v1/recovery/reset", "", map[string]any{"user": "alice", "recovery_auth": rnd32(), "device": "x", "new": reset}), 429, "rate_limited")
	e.want(e.do("POST", "/v1/recovery/reset", "", map[string]any{"user": "nobody", "recovery_auth": rnd32(), "device": "x", "new": reset}), 401, "bad_credentials")
	if runs := api.HashRuns(srv) - before; runs != 0 {
		t.Fatalf("%d Argon2id runs for refused recovery resets", runs)
	}
}

// TestPreloginLimitedPerAddress (finding 2): prelogin answers 429 with
// Retry-After once an address has sent its burst, and again at its rate.
func TestPreloginLimitedPerAddress(t *testing.T) {
	e, _ := newDiskEnv(t)
	n := 0
	for ; n < 1000; n++ {
		r := e.do("POST", "/v1/prelogin", "", map[string]string{"user": fmt.Sprintf("name%d", n)})
		if r.status == 429 {
			if r.code() != "rate_limited" || r.header.Get("Retry-After") == "" {
				t.Fatalf("prelogin refused with %d %s, Retry-After %q", r.status, r.code(), r.header.Get("Retry-After"))
			}
			break
		}
		e.want(r, 200, "")
	}
	if n == 0 || n == 1000 {
		t.Fatalf("prelogin refused after %d requests", n)
	}
	e.advance(5 * time.Second)
	e.want(e.do("POST", "/v1/prelogin", "", `{"user":"alice"}`), 200, "")
}

// preloginsUntilLimited sends prelogins, each with the headers hdr(i)
// gives, until one is refused, and returns how many passed.
func preloginsUntilLimited(e *env, hdr func(i int) []string) int {
	for i := range 1000 {
		r := e.do("POST", "/v1/prelogin", "", `{"user":"alice"}`, hdr(i)...)
		if r.status == 429 {
			return i
		}
	}
	return 1000
}

// TestTrustedProxyForwardedAddress (finding 3): behind a trusted proxy the
// per-address limits key on the forwarded client address: the right-most
// in X-Forwarded-For (or Forwarded) that is not itself a trusted proxy.
func TestTrustedProxyForwardedAddress(t *testing.T) {
	e, _ := newDiskEnv(t, func(c *api.Config) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("10.0.0.0/8")}
	})
	burst := preloginsUntilLimited(e, func(int) []string { return []string{"X-Forwarded-For", "198.51.100.7, 10.1.2.3"} })
	if burst == 0 || burst == 1000 {
		t.Fatalf("burst %d", burst)
	}
	// The same client, whatever it wrote to the left, is limited ...
	for _, h := range [][]string{
		{"X-Forwarded-For", "198.51.100.7"},
		{"X-Forwarded-For", "203.0.113.99, 198.51.100.7"},
		{"Forwarded", `for=203.0.113.99, for="198.51.100.7:4711";proto=https`},
		{"X-Forwarded-For", "::ffff:198.51.100.7"},
	} {
		e.want(e.do("POST", "/v1/prelogin", "", `{"user":"alice"}`, h...), 429, "rate_limited")
	}
	// ... and other clients behind the proxy are not.
	for _, h := range [][]string{
		{"X-Forwarded-For", "198.51.100.8"},
		{"X-Forwarded-For", "198.51.100.7, 192.0.2.1"},
		{"Forwarded", `for="[2001:db8:cafe::17]:4711"`},
		{"Forwarded", `For=192.0.2.60;proto=http;by=203.0.113.43`},
	} {
		e.want(e.do("POST", "/v1/prelogin", "", `{"user":"alice"}`, h...), 200, "")
	}
	// Credential limits key the same way: another client's failures do not
	// lock this one out.
	e.signup("alice")
	for i := range 40 {
		r := e.do("POST", "/v1/login", "", map[string]any{"user": fmt.Sprintf("user%d", i), "login_secret": rnd32(), "device": "x"},
			"X-Forwarded-For", "198.51.100.9")
		if r.status != 401 && r.status != 429 {
			t.Fatalf("login %d: %d", i, r.status)
		}
	}
	e.want(e.do("POST", "/v1/login", "", map[string]any{"user": "user99", "login_secret": rnd32(), "device": "x"},
		"X-Forwarded-For", "198.51.100.9"), 429, "rate_limited")
	e.want(e.do("POST", "/v1/login", "", map[string]any{"user": "user99", "login_secret": rnd32(), "device": "x"},
		"X-Forwarded-For", "198.51.100.10"), 401, "bad_credentials")
}

// TestUntrustedForwardedForIgnored (finding 3): from a peer that is not a
// trusted proxy, X-Forwarded-For and Forwarded change nothing: a client
// that sends them gets no fresh address.
func TestUntrustedForwardedForIgnored(t *testing.T) {
	for _, trusted := range [][]netip.Prefix{nil, {netip.MustParsePrefix("10.0.0.0/8")}} {
		e, _ := newDiskEnv(t, func(c *api.Config) { c.TrustedProxies = trusted })
		burst := preloginsUntilLimited(e, func(i int) []string {
			if i%2 == 0 {
				return []string{"X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i%250)}
			}
			return []string{"Forwarded", fmt.Sprintf("for=203.0.113.%d", i%250)}
		})
		if burst == 0 || burst == 1000 {
			t.Fatalf("trusted %v: burst %d", trusted, burst)
		}
		e.want(e.do("POST", "/v1/prelogin", "", `{"user":"alice"}`, "X-Forwarded-For", "192.0.2.200"), 429, "rate_limited")
	}
}

// slowRequest sends a request's head and the first bytes of its body over
// a connection of its own and leaves it open, as a slow client does.
func slowRequest(t *testing.T, e *env, method, path, token, ctype string, length int, first string) {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(e.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fmt.Fprintf(c, "%s %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s",
		method, path, token, ctype, length, first)
	go bufio.NewReader(c).ReadString('\n') // drain whatever comes back
}

// promptly runs f and fails if it takes more than a few seconds.
func promptly(t *testing.T, what string, f func() resp) resp {
	t.Helper()
	done := make(chan resp, 1)
	go func() { done <- f() }()
	select {
	case r := <-done:
		return r
	case <-time.After(5 * time.Second):
		t.Fatalf("%s waited behind another account's slow requests", what)
		return resp{}
	}
}

// waitSlots waits until at least bulk and app slots are taken.
func waitSlots(t *testing.T, srv *api.Server, bulk, app int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if b, a := api.SlotsInUse(srv); b >= bulk && a >= app {
			return
		}
	}
	b, a := api.SlotsInUse(srv)
	t.Fatalf("slots taken: %d bulk, %d app; want %d and %d", b, a, bulk, app)
}

// otherAccountWrites checks that bob's bulk write and app install succeed
// promptly.
func otherAccountWrites(t *testing.T, e *env, bob string) {
	t.Helper()
	bulk := map[string]any{"docs": []map[string]any{{"id": "b1", "if_match": 0, "sealed": []byte("sealed")}}}
	e.want(promptly(t, "a bulk write", func() resp { return e.do("POST", "/v1/docs/io.hearth.notes/_bulk_put", bob, bulk) }), 200, "")
	e.want(promptly(t, "an app install", func() resp {
		return e.do("PUT", "/v1/apps/tasks", bob, appArchive(t, "tasks", "1.0.0"), "Content-Type", "application/zip")
	}), 201, "")
}

// TestSlotsTakenOnceBodyBegins (finding 4): requests whose bodies have not
// begun to arrive hold no shared slot, however many accounts send them.
func TestSlotsTakenOnceBodyBegins(t *testing.T) {
	e, srv := newDiskEnv(t)
	_, bob := e.signup("bob")
	e.want(e.do("PUT", "/v1/doctypes/io.hearth.notes", bob, nil), 201, "")
	for _, user := range []string{"mallory", "trudy", "eve"} {
		_, tok := e.signup(user)
		for range 4 {
			slowRequest(t, e, "POST", "/v1/docs/io.hearth.notes/_bulk_put", tok, "application/json", 1000, "")
		}
		for i := range 2 {
			slowRequest(t, e, "PUT", fmt.Sprintf("/v1/apps/slow%d", i), tok, "application/zip", 1000, "")
		}
	}
	time.Sleep(300 * time.Millisecond) // the slow requests reach their handlers
	if b, a := api.SlotsInUse(srv); b != 0 || a != 0 {
		t.Fatalf("requests without a body hold %d bulk and %d app slots", b, a)
	}
	otherAccountWrites(t, e, bob)
}

// TestSlotsFairPerAccount (finding 4): one account's slow uploads, bodies
// begun and trickling, hold at most its share of the shared slots; another
// account's bulk write and app install go through promptly.
func TestSlotsFairPerAccount(t *testing.T) {
	e, srv := newDiskEnv(t)
	_, bob := e.signup("bob")
	e.want(e.do("PUT", "/v1/doctypes/io.hearth.notes", bob, nil), 201, "")
	_, mallory := e.signup("mallory")
	for range 6 {
		slowRequest(t, e, "POST", "/v1/docs/io.hearth.notes/_bulk_put", mallory, "application/json", 1000, `{"docs":[`)
	}
	for i := range 3 {
		slowRequest(t, e, "PUT", fmt.Sprintf("/v1/apps/slow%d", i), mallory, "application/zip", 1000, "PK")
	}
	waitSlots(t, srv, 1, 1)
	time.Sleep(200 * time.Millisecond) // every slow request has had its chance at a slot
	if b, a := api.SlotsInUse(srv); b > 2 || a > 1 {
		t.Fatalf("one account holds %d bulk and %d app slots", b, a)
	}
	otherAccountWrites(t, e, bob)
}
