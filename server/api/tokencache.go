package api

import (
	"context"
	"sync"
	"time"

	"github.com/hearthcloud/hearth/server/meta"
)

// tokenCache keeps recently used tokens in memory, so that a request does
// not cost a database read to authenticate. Every deletion of tokens made
// through this server clears it, before the deleting request answers, and a
// generation counter keeps a lookup that raced with a deletion from putting
// the deleted token back; entries also expire after ttl, which bounds how
// long a change made outside this process (another tool on the database)
// takes to apply. Lookups by id (the sessions that app tokens are bound
// to) are kept the same way, in their own map under the same rules, so a
// session that ended or moved its expiry is seen as soon as a token would
// be.
type tokenCache struct {
	meta.Tokens
	ttl time.Duration

	mu      sync.Mutex
	gen     uint64
	entries map[[32]byte]tokenEntry
	byID    map[string]tokenEntry
}

type tokenEntry struct {
	t       meta.Token
	fetched time.Time
}

const tokenCacheMax = 10000

func newTokenCache(t meta.Tokens, ttl time.Duration) *tokenCache {
	return &tokenCache{Tokens: t, ttl: ttl, entries: map[[32]byte]tokenEntry{}, byID: map[string]tokenEntry{}}
}

func (c *tokenCache) TokenByHash(ctx context.Context, hash [32]byte) (*meta.Token, error) {
	now := time.Now()
	c.mu.Lock()
	e, ok := c.entries[hash]
	gen := c.gen
	c.mu.Unlock()
	if ok && now.Sub(e.fetched) < c.ttl {
		t := e.t
		return &t, nil
	}
	t, err := c.Tokens.TokenByHash(ctx, hash)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.gen == gen {
		if len(c.entries) >= tokenCacheMax {
			clear(c.entries)
		}
		c.entries[hash] = tokenEntry{*t, now}
	}
	c.mu.Unlock()
	return t, nil
}

func (c *tokenCache) TokenByID(ctx context.Context, id string) (*meta.Token, error) {
	now := time.Now()
	c.mu.Lock()
	e, ok := c.byID[id]
	gen := c.gen
	c.mu.Unlock()
	if ok && now.Sub(e.fetched) < c.ttl {
		t := e.t
		return &t, nil
	}
	t, err := c.Tokens.TokenByID(ctx, id)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.gen == gen {
		if len(c.byID) >= tokenCacheMax {
			clear(c.byID)
		}
		c.byID[id] = tokenEntry{*t, now}
	}
	c.mu.Unlock()
	return t, nil
}

// TouchToken records use in the store and drops the cached copy, whose
// LastSeen (and, in a store that slides it, Expires) is now stale.
func (c *tokenCache) TouchToken(ctx context.Context, id string, at, expires time.Time) error {
	err := c.Tokens.TouchToken(ctx, id, at, expires)
	c.mu.Lock()
	c.gen++
	for h, e := range c.entries {
		if e.t.ID == id {
			delete(c.entries, h)
		}
	}
	delete(c.byID, id)
	c.mu.Unlock()
	return err
}

func (c *tokenCache) invalidate() {
	c.mu.Lock()
	c.gen++
	clear(c.entries)
	clear(c.byID)
	c.mu.Unlock()
}

func (c *tokenCache) DeleteToken(ctx context.Context, user, id string) error {
	defer c.invalidate()
	return c.Tokens.DeleteToken(ctx, user, id)
}

func (c *tokenCache) DeleteTokens(ctx context.Context, user, kind, keepID string) error {
	defer c.invalidate()
	return c.Tokens.DeleteTokens(ctx, user, kind, keepID)
}

// cachedMeta is the metadata store with token reads going through a
// tokenCache.
type cachedMeta struct {
	meta.Store
	tc      *tokenCache
	revoked func(user string) // wakes the user's long-polls, which re-check their tokens
}

func (m cachedMeta) TokenByHash(ctx context.Context, h [32]byte) (*meta.Token, error) {
	return m.tc.TokenByHash(ctx, h)
}
func (m cachedMeta) TokenByID(ctx context.Context, id string) (*meta.Token, error) {
	return m.tc.TokenByID(ctx, id)
}
func (m cachedMeta) TouchToken(ctx context.Context, id string, at, expires time.Time) error {
	return m.tc.TouchToken(ctx, id, at, expires)
}

// UpdateLogin ends sessions, and the app tokens bound to them, so the cache
// is cleared after it too.
func (m cachedMeta) UpdateLogin(ctx context.Context, user string, u *meta.LoginUpdate) (uint64, error) {
	defer m.revoked(user)
	defer m.tc.invalidate()
	return m.Store.UpdateLogin(ctx, user, u)
}
func (m cachedMeta) DeleteToken(ctx context.Context, user, id string) error {
	defer m.revoked(user)
	return m.tc.DeleteToken(ctx, user, id)
}
func (m cachedMeta) DeleteTokens(ctx context.Context, user, kind, keepID string) error {
	defer m.revoked(user)
	return m.tc.DeleteTokens(ctx, user, kind, keepID)
}
