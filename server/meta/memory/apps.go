package memory

import (
	"context"
	"fmt"
	"sort"

	"github.com/hearthcloud/hearth/server/meta"
)

func copyApp(a *meta.App) *meta.App {
	c := *a
	c.Manifest = clone(a.Manifest)
	return &c
}

// PutApp implements meta.Apps.
func (s *Store) PutApp(ctx context.Context, user string, a *meta.App, onlyNew bool) (*meta.App, error) {
	const op = "memory.PutApp"
	s.mu.Lock()
	defer s.mu.Unlock()
	acct, err := s.account(op, user)
	if err != nil {
		return nil, err
	}
	old, ok := acct.apps[a.Slug]
	if ok && onlyNew {
		return nil, fmt.Errorf("%s: %s: %w", op, a.Slug, meta.ErrExists)
	}
	grow := a.Size
	if ok {
		grow -= old.Size
	}
	if err := s.grow(op, acct, grow, 0); err != nil {
		return nil, err
	}
	if ok {
		a.Installed = old.Installed
	}
	acct.apps[a.Slug] = copyApp(a)
	s.digests[a.Digest]++
	if !ok {
		return nil, nil
	}
	s.release(old.Digest)
	return old, nil // no longer stored: the caller may keep it
}

// App implements meta.Apps.
func (s *Store) App(ctx context.Context, user, slug string) (*meta.App, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if acct, ok := s.accounts[user]; ok {
		if a, ok := acct.apps[slug]; ok {
			return copyApp(a), nil
		}
	}
	return nil, fmt.Errorf("memory.App: %w", meta.ErrNotFound)
}

// ListApps implements meta.Apps. An unknown user has none.
func (s *Store) ListApps(ctx context.Context, user string) ([]*meta.App, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []*meta.App{}
	if acct, ok := s.accounts[user]; ok {
		for _, a := range acct.apps {
			out = append(out, copyApp(a))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Slug < out[j].Slug })
	return out, nil
}

// DeleteApp implements meta.Apps.
func (s *Store) DeleteApp(ctx context.Context, user, slug string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	acct, ok := s.accounts[user]
	if !ok {
		return false, fmt.Errorf("memory.DeleteApp: %w", meta.ErrNotFound)
	}
	a, ok := acct.apps[slug]
	if !ok {
		return false, fmt.Errorf("memory.DeleteApp: %w", meta.ErrNotFound)
	}
	delete(acct.apps, slug)
	acct.used.Bytes -= a.Size
	return s.release(a.Digest), nil
}
