package client

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"maps"
	"slices"
	"time"

	"filippo.io/age"

	"github.com/hearthcloud/hearth/crypto/keyring"
	"github.com/hearthcloud/hearth/crypto/seal"
	"github.com/hearthcloud/hearth/internal/wire"
)

// grantSource is the key source of an app (ConnectApp): the grant the
// user's client signed for its identity (§4.4), fetched from the server
// and opened with the identity and the account's pinned signing key, in
// place of the keyring. What it remembers is saved in AppState: the
// revision and digest of the grant opened last, which a later grant must
// pass (same revision and another digest: a fork), the newest generation
// granted of each doctype (Gens), which a later grant must hold, and the
// newest generation met in an item (Seen), below which it seals nothing.
type grantSource struct {
	c        *Client
	identity *age.X25519Identity
	signer   ed25519.PublicKey

	grant  *keyring.Grant    // nil until fetched
	at     time.Time         // when the grant was last fetched
	rev    uint64            // revision of the newest grant opened
	digest [32]byte          // of that grant (zero: unknown)
	scopes []Scope           // of the newest grant; replaced, never modified
	gens   map[string]uint32 // newest generation granted, per doctype, ever
	seen   map[string]uint32 // newest generation met in an item, per doctype
	floor  uint64            // AppState.FeedFloor
}

// grantMaxAge bounds how long an app seals with a grant without fetching
// it again (sealing).
const grantMaxAge = time.Minute

// refresh fetches the app's grant and opens it (§4.4), refusing one older
// than the last opened. On failure nothing changes.
func (s *grantSource) refresh(ctx context.Context) error {
	c := s.c
	res, err := c.call(ctx, request{method: "GET", path: "/v1/grants/self"})
	if isCode(err, wire.CodeNotFound) {
		return fmt.Errorf("client: the app has no grant yet: %w", err)
	}
	if err != nil {
		return err
	}
	c.mu.Lock()
	user := c.st.User
	// What the App remembers of the grants it opened, as OpenGrant's
	// "last grant": only the revision and each doctype's newest
	// generation matter to it.
	last := &keyring.Grant{Rev: s.rev, Digest: s.digest, Doctypes: map[string]*keyring.GrantedDoctype{}}
	for d, g := range s.gens {
		if g == 0 {
			continue
		}
		ks, err := seal.NewKeySet(seal.GenerateKey(g))
		if err != nil {
			c.mu.Unlock()
			return err
		}
		last.Doctypes[d] = &keyring.GrantedDoctype{Keys: ks}
	}
	c.mu.Unlock()
	g, err := keyring.OpenGrant(res.body, s.identity, s.signer, user, last)
	if err != nil {
		return &integrityError{detail: "the app's grant does not open: not signed with the pinned key, not for this user or this app, or older than one it opened (replayed)", err: err}
	}
	scopes := make([]Scope, 0, len(g.Doctypes))
	for _, d := range slices.Sorted(maps.Keys(g.Doctypes)) {
		scopes = append(scopes, Scope{Doctype: d, Verbs: slices.Clone(g.Doctypes[d].Verbs)})
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	s.grant, s.rev, s.digest, s.scopes, s.at = g, g.Rev, g.Digest, scopes, time.Now()
	for d, gd := range g.Doctypes {
		s.gens[d] = max(s.gens[d], gd.Keys.Current().Gen())
	}
	return nil
}

// held returns doctype's key set from the grant loaded, if it holds
// generation gen (0: any).
func (s *grantSource) held(doctype string, gen uint32) *seal.KeySet {
	c := s.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if s.grant == nil {
		return nil
	}
	gd := s.grant.Doctypes[doctype]
	if gd == nil || gen != 0 && gd.Keys.Gen(gen) == nil {
		return nil
	}
	return gd.Keys
}

func (s *grantSource) open(ctx context.Context, doctype string, gen uint32) (*seal.KeySet, error) {
	c := s.c
	ks := s.held(doctype, gen)
	if ks == nil {
		// Not loaded yet (ResumeApp), or the item names a generation the
		// grant lacks: the user may have rotated the key and granted the
		// new one since.
		c.kmu.Lock()
		defer c.kmu.Unlock()
		if ks = s.held(doctype, gen); ks == nil {
			if err := s.refresh(ctx); err != nil {
				return nil, err
			}
			ks = s.held(doctype, gen)
		}
	}
	return ks, nil
}

func (s *grantSource) sealing(ctx context.Context, doctype string, create bool) (*seal.KeySet, error) {
	c := s.c
	// A writer (documents, tombstones, index segments and manifests)
	// seals with the newest generation granted: a grant older than
	// grantMaxAge is fetched again first, so that an app that only writes
	// does not go on sealing with a key a revoked app holds, for longer
	// than that, after a rotation (spec/protocol.md §4.6). Nor with a
	// generation older than one met in an item of the doctype (§4.1): the
	// grant is fetched again, and without that generation nothing is
	// sealed.
	behind := func(ks *seal.KeySet) bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return ks != nil && ks.Current().Gen() < s.seen[doctype]
	}
	stale := func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return time.Since(s.at) > grantMaxAge
	}
	ks := s.held(doctype, 0)
	if ks != nil && (stale() || behind(ks)) {
		ks = nil
	}
	if ks == nil {
		c.kmu.Lock()
		if ks = s.held(doctype, 0); ks == nil || stale() || behind(ks) {
			if err := s.refresh(ctx); err != nil {
				c.kmu.Unlock()
				return nil, err
			}
			ks = s.held(doctype, 0)
		}
		c.kmu.Unlock()
	}
	if ks == nil && create {
		return nil, fmt.Errorf("%w: %s is not among the doctypes granted to this app", ErrNotGranted, doctype)
	}
	if behind(ks) {
		c.mu.Lock()
		seen := s.seen[doctype]
		c.mu.Unlock()
		return nil, integrity("the app's grant holds key generation %d of %s, older than generation %d met in an item (the new grant was withheld, or the item injected); nothing was sealed", ks.Current().Gen(), doctype, seen)
	}
	return ks, nil
}

// lacking: an app meets items sealed with a generation the user rotated
// to before its new grant arrives: refused, not a rollback; but it seals
// nothing older from now on (sealing).
func (s *grantSource) lacking(doctype, where string, gen uint32) error {
	s.c.mu.Lock()
	s.sawGenLocked(doctype, gen)
	s.c.mu.Unlock()
	return integrity("%s is sealed with a key the grant lacks (rotated since, or the item injected)", where)
}

func (s *grantSource) doctypes(context.Context) ([]string, error) {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	return slices.Sorted(maps.Keys(s.scopeLocked())), nil
}

func (s *grantSource) sawGenLocked(doctype string, g uint32) {
	if g > s.seen[doctype] {
		s.seen[doctype] = g
	}
}

// scopeLocked returns the doctypes the grant lets the app read.
func (s *grantSource) scopeLocked() map[string]bool {
	out := map[string]bool{}
	for _, sc := range s.scopes {
		if slices.Contains(sc.Verbs, VerbRead) {
			out[sc.Doctype] = true
		}
	}
	return out
}
