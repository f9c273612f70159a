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
	l.failure(key, now)
}

func (l *Limiter) failure(key string, now time.Time) {
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
		s.until = now.Add(l.backoff(over))
	}
}

// backoff is the wait after over failures beyond the free ones.
func (l *Limiter) backoff(over int) time.Duration {
	wait := l.First
	for i := 1; i < over && wait < l.Max; i++ {
		wait *= 2
	}
	return min(wait, l.Max)
}

// Reserve counts an attempt by key at now as a failure before it is
// checked, unless key must wait, in which case it returns the wait and
// counts nothing. Reserving first is what makes the limit hold under
// concurrency: of many simultaneous attempts, only as many as the policy
// allows without waiting get a zero wait (Free+1: the free failures and the
// one whose failure starts the first wait). The caller then keeps the
// failure (the check failed), or calls Success or Release.
func (l *Limiter) Reserve(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s := l.state[key]; s != nil && now.Before(s.until) {
		return s.until.Sub(now)
	}
	l.failure(key, now)
	return 0
}

// Release takes back one attempt Reserve counted, for an attempt that was
// neither a failure nor a success (the check could not run, or passed
// without clearing the key).
func (l *Limiter) Release(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.state[key]
	if s == nil {
		return
	}
	s.failures--
	switch over := s.failures - l.Free; {
	case s.failures <= 0:
		delete(l.state, key)
	case over > 0:
		s.until = s.last.Add(l.backoff(over))
	default:
		s.until = time.Time{}
	}
}

// Success clears key's failures.
func (l *Limiter) Success(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.state, key)
}
