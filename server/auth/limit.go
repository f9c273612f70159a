package auth

import (
	"sync"
	"time"
)

// A Limiter slows down password guessing (§8.1.11): per key (a user name or
// a client address), a few failures are free, then each further failure
// doubles the wait before the next attempt is allowed, up to Max. A success
// clears the key. It is safe for concurrent use and keeps its state in
// memory: a restart forgives, which costs an attacker a restart of someone
// else's server.
type Limiter struct {
	Free   int           // failures allowed without waiting
	First  time.Duration // wait after the first counted failure
	Max    time.Duration // longest wait
	Forget time.Duration // a key quiet this long starts afresh; zero: 2*Max

	mu        sync.Mutex
	state     map[string]*limitState
	lastSweep time.Time
}

type limitState struct {
	failures int
	last     time.Time // of the last failure
	until    time.Time
}

// sweepAbove is the number of keys above which Failure drops forgotten ones
// (at most once a minute), so that spraying names or addresses cannot grow
// the map without bound.
const sweepAbove = 10000

func (l *Limiter) forget() time.Duration {
	if l.Forget > 0 {
		return l.Forget
	}
	return 2 * l.Max
}

// NewLimiter returns a limiter with the protocol's suggested policy: five
// free failures, then 1 s doubling up to 15 minutes.
func NewLimiter() *Limiter {
	return &Limiter{Free: 5, First: time.Second, Max: 15 * time.Minute}
}

// Wait returns how long key must wait before its next attempt at now; zero
// means it may try.
func (l *Limiter) Wait(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.state[key]
	if s == nil || !now.Before(s.until) {
		return 0
	}
	return s.until.Sub(now)
}

// Failure records a failed attempt by key at now.
func (l *Limiter) Failure(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.state == nil {
		l.state = map[string]*limitState{}
	}
	if len(l.state) > sweepAbove && now.Sub(l.lastSweep) > time.Minute {
		l.lastSweep = now
		for k, s := range l.state {
			if now.Sub(s.last) > l.forget() && !now.Before(s.until) {
				delete(l.state, k)
			}
		}
	}
	s := l.state[key]
	if s == nil || now.Sub(s.last) > l.forget() && !now.Before(s.until) {
		s = &limitState{}
		l.state[key] = s
	}
	s.failures++
	s.last = now
	if over := s.failures - l.Free; over > 0 {
		wait := l.First
		for i := 1; i < over && wait < l.Max; i++ {
			wait *= 2
		}
		s.until = now.Add(min(wait, l.Max))
	}
}

// Success clears key's failures.
func (l *Limiter) Success(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.state, key)
}
