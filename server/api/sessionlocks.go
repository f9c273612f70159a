package api

import (
	"context"
	"sync"
)

// sessionLocks serialise the requests of one upload session (§8.7.3), so
// that two PATCHes never write its bytes at once: a client that retries
// while its first, cut request is still being read waits for it, then
// finds the offset it left. Locks of different sessions are independent
// (a striped lock would make one account's upload wait for another's).
type sessionLocks struct {
	mu sync.Mutex
	m  map[string]*sessionLock
}

type sessionLock struct {
	ch   chan struct{} // holds a token while locked
	refs int           // holders and waiters; the entry goes at 0
}

// acquire returns key's lock, counted as referenced.
func (l *sessionLocks) acquire(key string) *sessionLock {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[string]*sessionLock{}
	}
	e := l.m[key]
	if e == nil {
		e = &sessionLock{ch: make(chan struct{}, 1)}
		l.m[key] = e
	}
	e.refs++
	return e
}

// drop forgets a reference to key's lock.
func (l *sessionLocks) drop(key string, e *sessionLock) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e.refs--; e.refs == 0 {
		delete(l.m, key)
	}
}

// lock waits for key's lock, or for ctx to end (its error).
func (l *sessionLocks) lock(ctx context.Context, key string) (unlock func(), err error) {
	e := l.acquire(key)
	select {
	case e.ch <- struct{}{}:
		return func() { <-e.ch; l.drop(key, e) }, nil
	case <-ctx.Done():
		l.drop(key, e)
		return nil, ctx.Err()
	}
}

// tryLock takes key's lock if it is free.
func (l *sessionLocks) tryLock(key string) (unlock func(), ok bool) {
	e := l.acquire(key)
	select {
	case e.ch <- struct{}{}:
		return func() { <-e.ch; l.drop(key, e) }, true
	default:
		l.drop(key, e)
		return nil, false
	}
}
