package auth

import (
	"sync"
	"time"
)

// A Rate bounds how often each key (a client address) may do something
// cheap but unauthenticated, such as prelogin (§8.2.1): Burst requests at
// once, then one every Every. Unlike a Limiter it counts every request, and
// a key that slows down to the rate is never refused. It is safe for
// concurrent use and keeps its state in memory, bounded like a Limiter's.
type Rate struct {
	Burst int
	Every time.Duration

	mu        sync.Mutex
	tat       map[string]time.Time // theoretical arrival time of the next request (GCRA)
	lastSweep time.Time
}

// Take counts one request by key at now and returns zero, or, when key is
// over its rate, counts nothing and returns how long it must wait.
func (l *Rate) Take(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.tat == nil {
		l.tat = map[string]time.Time{}
	}
	if len(l.tat) > sweepAbove && now.Sub(l.lastSweep) > time.Minute {
		l.lastSweep = now
		for k, t := range l.tat {
			if !now.Before(t) {
				delete(l.tat, k)
			}
		}
	}
	t := l.tat[key]
	if t.Before(now) {
		t = now
	}
	next := t.Add(l.Every)
	if over := next.Sub(now) - time.Duration(l.Burst)*l.Every; over > 0 {
		return over
	}
	l.tat[key] = next
	return 0
}

// Give takes back one request Take counted for key (one that did nothing
// after all, such as a check the server was too busy to run).
func (l *Rate) Give(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if t, ok := l.tat[key]; ok {
		l.tat[key] = t.Add(-l.Every)
	}
}
