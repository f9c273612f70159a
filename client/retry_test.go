//go:build hearthtest

package client_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hearthcloud/hearth/client"
)

// refuse answers like the server does when it is busy or limiting.
func refuse(w http.ResponseWriter, status int, code, retryAfter string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Retry-After", retryAfter)
	w.WriteHeader(status)
	w.Write([]byte(`{"error":{"code":"` + code + `","message":"busy"}}` + "\n"))
}

// TestClientRetriesUnavailable (finding 2): the client sends a call again
// after a 503 unavailable's Retry-After, a bounded number of times, and
// returns 429 rate_limited at once with its wait in the error.
func TestClientRetriesUnavailable(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	_, user, _ := e.signup("a long test passphrase")
	var logins atomic.Int32
	var busyFor atomic.Int32
	busyFor.Store(2)
	e.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if r.URL.Path != "/v1/login" {
			return false
		}
		if logins.Add(1) <= busyFor.Load() {
			refuse(w, 503, "unavailable", "1")
			return true
		}
		return false
	})
	start := time.Now()
	if _, err := client.Login(ctx, e.url, user, "a long test passphrase", "", opts); err != nil {
		t.Fatalf("login after two 503s: %v", err)
	}
	if n, d := logins.Load(), time.Since(start); n != 3 || d < 2*time.Second {
		t.Fatalf("%d login requests in %v, want 3 after waiting 1 s twice", n, d)
	}

	// Busy for longer than the client retries: a clear error.
	logins.Store(0)
	busyFor.Store(100)
	_, err := client.Login(ctx, e.url, user, "a long test passphrase", "", opts)
	var ae *client.APIError
	if !errors.As(err, &ae) || ae.Code != "unavailable" || ae.RetryAfter != time.Second || logins.Load() != 3 {
		t.Fatalf("still busy: %v after %d requests", err, logins.Load())
	}

	// 429 is not retried; the error says how long to wait.
	logins.Store(0)
	e.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if r.URL.Path != "/v1/login" {
			return false
		}
		logins.Add(1)
		refuse(w, 429, "rate_limited", "7")
		return true
	})
	_, err = client.Login(ctx, e.url, user, "a long test passphrase", "", opts)
	if !errors.As(err, &ae) || ae.Code != "rate_limited" || ae.RetryAfter != 7*time.Second || logins.Load() != 1 ||
		!strings.Contains(err.Error(), "try again in 7s") {
		t.Fatalf("rate limited: %v after %d requests", err, logins.Load())
	}
}

// TestClientRereadsCutAnswer: an answer to a read whose body is cut short
// (a connection lost, a failing proxy) is asked for once more; twice cut
// is an error.
func TestClientRereadsCutAnswer(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c, _, _ := e.signup("a long test passphrase")
	id, _, err := c.Create(ctx, "io.hearth.notes", []byte(`{"title":"kept"}`))
	if err != nil {
		t.Fatal(err)
	}
	var gets, cutFor atomic.Int32
	cut := func(w http.ResponseWriter) {
		h, _ := w.(http.Hijacker)
		conn, buf, _ := h.Hijack()
		buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000\r\n\r\nshort")
		buf.Flush()
		conn.Close()
	}
	e.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if r.Method != "GET" || !strings.HasPrefix(r.URL.Path, "/v1/docs/io.hearth.notes/") {
			return false
		}
		if gets.Add(1) <= cutFor.Load() {
			cut(w)
			return true
		}
		return false
	})
	c2, err := client.Login(ctx, e.url, c.State().User, "a long test passphrase", "", opts)
	if err != nil {
		t.Fatal(err)
	}
	cutFor.Store(1)
	if d, err := c2.Get(ctx, "io.hearth.notes", id); err != nil || !strings.Contains(string(d.Content), "kept") {
		t.Fatalf("a read cut once: %v", err)
	}
	if n := gets.Load(); n != 2 {
		t.Fatalf("%d GETs for a read cut once, want 2", n)
	}
	gets.Store(0)
	cutFor.Store(2)
	if _, err := c2.Get(ctx, "io.hearth.notes", id); err == nil || gets.Load() != 2 {
		t.Fatalf("a read cut twice: %v after %d GETs", err, gets.Load())
	}
}
