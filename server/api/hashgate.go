package api

import (
	"context"
	"runtime"
	"sync/atomic"

	"github.com/hearthcloud/hearth/internal/wire"
	"github.com/hearthcloud/hearth/server/auth"
)

// A hashGate bounds the Argon2id work in flight server-wide (§8.1.11): each
// run takes tens of milliseconds of a core and 19 MiB, so a few run at once
// and a short queue waits; anything beyond is answered 503 unavailable with
// Retry-After at once, before any hashing. Every hash and verification of a
// login secret goes through it, including the dummy one for unknown names.
type hashGate struct {
	run   chan struct{} // runs in progress
	admit chan struct{} // runs in progress and waiting
	runs  atomic.Int64  // runs started, for tests
}

func newHashGate(run, wait int) *hashGate {
	return &hashGate{run: make(chan struct{}, run), admit: make(chan struct{}, run+wait)}
}

// defaultHashGate runs one hash a core (at least two) and queues four a
// core.
func defaultHashGate() *hashGate {
	n := max(2, runtime.GOMAXPROCS(0))
	return newHashGate(n, 4*n)
}

// do runs f when a slot is free, or answers unavailable when the queue is
// full.
func (g *hashGate) do(ctx context.Context, f func()) error {
	select {
	case g.admit <- struct{}{}:
	default:
		return &Error{Code: wire.CodeUnavailable, Retry: 1, Message: "the server is busy checking other credentials; wait and try again"}
	}
	defer func() { <-g.admit }()
	select {
	case g.run <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-g.run }()
	g.runs.Add(1)
	f()
	return nil
}

// verify checks secret against the stored hash through the gate.
func (s *Server) verify(ctx context.Context, stored string, secret []byte) (ok bool, err error) {
	err = s.hashes.do(ctx, func() { ok = auth.VerifySecret(stored, secret) })
	return ok, err
}

// dummyVerify spends a verification's work for a name without an account.
func (s *Server) dummyVerify(ctx context.Context, secret []byte) error {
	return s.hashes.do(ctx, func() { s.cfg.Hash.DummyVerify(secret) })
}

// hashSecret hashes a new login secret through the gate.
func (s *Server) hashSecret(ctx context.Context, secret []byte) (h string, err error) {
	err = s.hashes.do(ctx, func() { h = s.cfg.Hash.HashSecret(secret) })
	return h, err
}
