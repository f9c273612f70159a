//go:build hearthtest

package wasm

import (
	"net/http"
	"sync"
	"testing"
	"time"
)

// TestSubscriptionWaitsRetryAfter (finding 2): when the changes feed is
// answered 429 with Retry-After, the subscription loop asks again no
// sooner than that, whatever its own backoff.
func TestSubscriptionWaitsRetryAfter(t *testing.T) {
	s := newServer(t)
	a, _ := newAPI(t, s)
	signup(t, a)
	if err := a.Subscribe(1, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := a.List(ctx, "io.hearth.notes"); err != nil { // the first pass is done
		t.Fatal(err)
	}
	var mu sync.Mutex
	var times []time.Time
	s.mu.Lock()
	s.tamper = func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if r.URL.Path != "/v1/changes" {
			return false
		}
		mu.Lock()
		times = append(times, time.Now())
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Retry-After", "3")
		w.WriteHeader(http.StatusTooManyRequests)
		w.Write([]byte(`{"error":{"code":"rate_limited","message":"slow down"}}` + "\n"))
		return true
	}
	s.mu.Unlock()
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		mu.Lock()
		n := len(times)
		mu.Unlock()
		if n >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d refused feed requests in 15 s", n)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if gap := times[1].Sub(times[0]); gap < 2900*time.Millisecond {
		t.Fatalf("the loop asked again %v after a Retry-After of 3 s", gap)
	}
}
