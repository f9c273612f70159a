package api_test

import (
	"testing"
	"time"

	"github.com/hearthcloud/hearth/server/api"
)

// TestCredentialChecksLimitedPerAddress: the limiter counts failures, and
// a success clears them, so an account holder who sends its own correct
// login secret (skipping prelogin, which is limited per address) runs one
// Argon2id verification per request, as many as it likes: enough, from
// one address, to keep the server-wide hash gate full (everyone else's
// logins then get 503), each leaving a session row behind; a password
// change runs two. Every credential check from an address counts against
// a per-address rate, whatever its outcome, as prelogin does: past the
// burst it is 429 rate_limited without hashing, and at the rate it goes
// on.
func TestCredentialChecksLimitedPerAddress(t *testing.T) {
	e, srv := newDiskEnv(t)
	secret, _ := e.signup("alice")
	before := api.HashRuns(srv)
	n := 0
	for ; n < 500; n++ {
		r := e.login("alice", secret, nil)
		if r.status == 429 {
			if r.code() != "rate_limited" || r.header.Get("Retry-After") == "" {
				t.Fatalf("refused with %d %s, Retry-After %q", r.status, r.code(), r.header.Get("Retry-After"))
			}
			break
		}
		e.want(r, 200, "")
	}
	if n == 500 {
		t.Fatalf("500 correct logins from one address, %d Argon2id runs, none refused", api.HashRuns(srv)-before)
	}
	runs := api.HashRuns(srv) - before
	for range 20 {
		e.want(e.login("alice", secret, nil), 429, "rate_limited")
		e.want(e.login("nobody", secret, nil), 429, "rate_limited")
	}
	if more := api.HashRuns(srv) - before - runs; more != 0 {
		t.Fatalf("%d Argon2id runs past the address's rate", more)
	}
	e.advance(2 * time.Second)
	e.want(e.login("alice", secret, nil), 200, "")
}
