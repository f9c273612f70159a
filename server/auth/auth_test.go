package auth

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

var cheap = HashParams{Memory: 64, Time: 1, Threads: 1}

func TestHashSecret(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	for _, p := range []HashParams{cheap, DefaultHashParams} {
		h := p.HashSecret(secret)
		if !strings.HasPrefix(h, "$argon2id$v=19$") || strings.Contains(h, string(secret)) {
			t.Fatalf("hash %q", h)
		}
		if !VerifySecret(h, secret) {
			t.Fatal("right secret refused")
		}
		wrong := []byte("0123456789abcdef0123456789abcdeX")
		if VerifySecret(h, wrong) {
			t.Fatal("wrong secret accepted")
		}
		if p.HashSecret(secret) == h {
			t.Fatal("hash is not salted")
		}
	}
	for _, bad := range []string{"", "$argon2id$v=19$m=64,t=1,p=1$$", "$argon2i$v=19$m=64,t=1,p=1$AAAA$AAAAAAAAAAAAAAAAAAAAAA", "$argon2id$v=19$m=64,t=0,p=1$AAAA$AAAAAAAAAAAAAAAAAAAAAA", "$argon2id$v=19$m=64,t=1,p=0$AAAA$AAAAAAAAAAAAAAAAAAAAAA"} {
		if VerifySecret(bad, nil) {
			t.Errorf("malformed hash %q matched", bad)
		}
	}
}

func TestTokens(t *testing.T) {
	tok, h := NewToken(SessionPrefix)
	if !strings.HasPrefix(tok, "hst_") || len(tok) != 47 || TokenHash(tok) != h {
		t.Fatalf("token %q", tok)
	}
	if got, ok := ParseBearer("Bearer " + tok); !ok || got != tok {
		t.Fatal("own token not parsed")
	}
	app, _ := NewToken(AppPrefix)
	for _, bad := range []string{"", tok, "bearer " + tok, "Bearer " + tok + "x", "Bearer xyz_" + tok[4:], "Bearer " + tok[:46] + "!", "Bearer " + app[:46]} {
		if _, ok := ParseBearer(bad); ok {
			t.Errorf("ParseBearer(%q) accepted", bad)
		}
	}
}

func TestLimiter(t *testing.T) {
	l := NewLimiter()
	now := time.Unix(1795000000, 0)
	for i := 0; i < 5; i++ {
		if w := l.Wait("alice", now); w != 0 {
			t.Fatalf("free failure %d waits %v", i, w)
		}
		l.Failure("alice", now)
	}
	if w := l.Wait("alice", now); w != 0 {
		t.Fatalf("after five free failures: %v", w)
	}
	l.Failure("alice", now)
	if w := l.Wait("alice", now); w != time.Second {
		t.Fatalf("sixth failure waits %v", w)
	}
	l.Failure("alice", now)
	l.Failure("alice", now)
	if w := l.Wait("alice", now); w != 4*time.Second {
		t.Fatalf("eighth failure waits %v", w)
	}
	for i := 0; i < 30; i++ {
		l.Failure("alice", now)
	}
	if w := l.Wait("alice", now); w != 15*time.Minute {
		t.Fatalf("many failures wait %v", w)
	}
	if w := l.Wait("alice", now.Add(15*time.Minute)); w != 0 {
		t.Fatal("wait did not end")
	}
	if w := l.Wait("bob", now); w != 0 {
		t.Fatal("keys are not separate")
	}
	l.Success("alice")
	if w := l.Wait("alice", now); w != 0 {
		t.Fatal("success did not clear")
	}
}

// TestLimiterForgetsAndSweeps: a key quiet for Forget starts afresh, and
// many quiet keys are dropped so the limiter's memory stays bounded.
func TestLimiterForgetsAndSweeps(t *testing.T) {
	l := &Limiter{Free: 2, First: time.Second, Max: time.Minute, Forget: time.Hour}
	now := time.Unix(1795000000, 0)
	for range 5 {
		l.Failure("alice", now)
	}
	if l.Wait("alice", now) == 0 {
		t.Fatal("no backoff")
	}
	later := now.Add(2 * time.Hour)
	l.Failure("alice", later) // counts as the first of a new run
	if w := l.Wait("alice", later); w != 0 {
		t.Fatalf("a key quiet for two hours still waits %v", w)
	}
	for i := range sweepAbove + 10 {
		l.Failure(fmt.Sprint("spray", i), now)
	}
	l.Failure("late", now.Add(3*time.Hour))
	l.mu.Lock()
	n := len(l.state)
	l.mu.Unlock()
	if n > 10 {
		t.Fatalf("%d keys kept after a sweep", n)
	}
}

// TestLimiterReserve: reservations count before the check, so that however
// many arrive at once only Free+1 get through; Release takes one back.
func TestLimiterReserve(t *testing.T) {
	l := NewLimiter()
	now := time.Unix(1795000000, 0)
	passed := 0
	for range 100 {
		if l.Reserve("alice", now) == 0 {
			passed++
		}
	}
	if passed != l.Free+1 {
		t.Fatalf("%d of 100 reservations passed", passed)
	}
	// Releasing the last one ends the wait it started.
	l.Release("alice")
	if w := l.Wait("alice", now); w != 0 {
		t.Fatalf("after a release: wait %v", w)
	}
	if l.Reserve("alice", now) != 0 || l.Reserve("alice", now) == 0 {
		t.Fatal("the released reservation was not given back once")
	}
	for range 10 {
		l.Release("alice")
	}
	if l.Reserve("bob", now) != 0 || l.Wait("alice", now) != 0 {
		t.Fatal("releasing more than was reserved")
	}
}

// TestRate: a burst, then one every Every; a refused request counts
// nothing.
func TestRate(t *testing.T) {
	r := &Rate{Burst: 3, Every: time.Second}
	now := time.Unix(1795000000, 0)
	for i := range 3 {
		if w := r.Take("a", now); w != 0 {
			t.Fatalf("request %d of the burst waits %v", i, w)
		}
	}
	if w := r.Take("a", now); w != time.Second {
		t.Fatalf("past the burst: wait %v", w)
	}
	if w := r.Take("a", now.Add(500*time.Millisecond)); w != 500*time.Millisecond {
		t.Fatalf("half a second later: wait %v", w)
	}
	if r.Take("a", now.Add(time.Second)) != 0 || r.Take("a", now.Add(time.Second)) == 0 {
		t.Fatal("one a second")
	}
	if r.Take("b", now) != 0 {
		t.Fatal("keys are not separate")
	}
	for i := range sweepAbove + 10 {
		r.Take(fmt.Sprint("spray", i), now)
	}
	r.Take("late", now.Add(time.Hour))
	if n := len(r.tat); n > 10 {
		t.Fatalf("%d keys kept after a sweep", n)
	}
}

// TestRateGive: a request given back frees its place in the burst.
func TestRateGive(t *testing.T) {
	r := &Rate{Burst: 2, Every: time.Second}
	now := time.Unix(1e9, 0)
	if r.Take("a", now) != 0 || r.Take("a", now) != 0 || r.Take("a", now) == 0 {
		t.Fatal("a burst of 2")
	}
	r.Give("a")
	if r.Take("a", now) != 0 || r.Take("a", now) == 0 {
		t.Fatal("a request given back did not free a place")
	}
	r.Give("b") // unknown: nothing
	if r.Take("b", now) != 0 {
		t.Fatal("b")
	}
}
