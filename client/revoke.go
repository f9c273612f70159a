package client

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/hearthcloud/hearth/crypto/keyring"
	"github.com/hearthcloud/hearth/internal/wire"
)

// Revocation and rotation (spec/protocol.md §4.6): revoking a token ends
// its server access at once; the doctype keys its grant held get a new
// generation, granted again to the other grantees only, so that what is
// written afterwards is sealed with a key the revoked grantee never had;
// the documents sealed with older generations are sealed again in the
// background (Reseal), after which the old generations are dropped.

// Rotation describes what Revoke did.
type Rotation struct {
	// Token is the revoked token's id.
	Token string
	// Doctypes maps each doctype whose key was rotated to its new
	// generation. Their documents are still sealed with older ones:
	// Reseal each of them.
	Doctypes map[string]uint32
	// Regranted lists the other tokens granted the new generations.
	Regranted []string
	// Missing lists tokens whose scopes hold a rotated doctype but that
	// have no grantee record (granted before records existed, or withheld
	// by the host): they were not granted the new generations, and cannot
	// open what is sealed with them until granted again (Grant).
	Missing []string
}

// Revoke revokes an app or device token as §4.6 says: it reads the
// token's scopes, deletes the token (its server access ends at once,
// ErrSessionEnded on its side), gives every doctype its grant held a new
// key generation (one keyring write), grants the new generations to the
// other grantees holding one of those doctypes (from their grantee
// records), and deletes the token's grantee record last. It does not seal
// the documents again: Reseal does, for each doctype of the Rotation.
//
// A revocation interrupted after the token was deleted can be resumed by
// calling Revoke again: the grantee record, deleted last, still names the
// doctypes (they may then be rotated once more, which is harmless).
func (c *Client) Revoke(ctx context.Context, tokenID string) (*Rotation, error) {
	if err := wire.CheckID(tokenID); err != nil {
		return nil, err
	}
	return c.revoke(ctx, func(id, _, _ string) bool { return id == tokenID }, nil, tokenID)
}

// RevokeApp revokes every token of app slug as Revoke does one, and
// rotates the keys of every doctype the app could hold: those of scopes
// (what the person agreed to, and what its manifest asks for), of its
// tokens the server lists, and of its grantee records, even when the
// server lists no token (they ended with their session, or the host hides
// them): keys the app held once may have left with it. Its grantee records
// are deleted and never granted again.
func (c *Client) RevokeApp(ctx context.Context, slug string, scopes []Scope) (*Rotation, error) {
	return c.revoke(ctx, func(_, name, kind string) bool { return kind == KindApp && name == slug }, scopes, "")
}

// revoke revokes the tokens and grantee records match selects, rotating
// the doctypes they held and those of scopes. tokenID, when not "", is the
// one token asked for: ErrNotFound if neither it nor its record exists.
func (c *Client) revoke(ctx context.Context, match func(id, name, kind string) bool, scopes []Scope, tokenID string) (*Rotation, error) {
	if c.ring() == nil {
		return nil, errors.New("client: an app cannot revoke tokens")
	}
	toks, err := c.Tokens(ctx)
	if err != nil {
		return nil, err
	}
	held := map[string]bool{}
	for _, s := range scopes {
		held[s.Doctype] = true
	}
	var revoke []string
	for _, t := range toks {
		if match(t.ID, t.Name, t.Kind) {
			revoke = append(revoke, t.ID)
			for _, s := range t.Scopes {
				held[s.Doctype] = true
			}
		}
	}
	recs, err := c.allGrantees(ctx)
	if err != nil {
		return nil, err
	}
	var records []string
	for id, rec := range recs {
		if match(id, rec.Name, rec.Kind) {
			records = append(records, id)
			for _, s := range rec.Scopes {
				held[s.Doctype] = true
			}
		}
	}
	if tokenID != "" && len(revoke) == 0 && len(records) == 0 {
		return nil, fmt.Errorf("%w: no token %s", ErrNotFound, tokenID)
	}
	// The tokens listed, and those the records name (the host may list
	// them under another name, or not at all).
	for _, id := range append(slices.Clone(revoke), records...) {
		// The records are deleted last: an interrupted revocation
		// resumes from them.
		if err := c.deleteToken(ctx, id); err != nil && !errors.Is(err, ErrNotFound) {
			return nil, err
		}
	}
	delete(held, GrantsDoctype)
	rot := &Rotation{Token: tokenID, Doctypes: map[string]uint32{}}
	err = c.updateKeyring(ctx, func(kr *keyring.Keyring) (bool, error) {
		clear(rot.Doctypes)
		for _, d := range slices.Sorted(maps.Keys(held)) {
			ks := kr.Keys(d)
			if ks == nil {
				continue // never written: nothing to protect
			}
			k, err := ks.Rotate()
			if err != nil {
				return false, err
			}
			rot.Doctypes[d] = k.Gen()
		}
		return len(rot.Doctypes) > 0, nil
	})
	if err != nil {
		return nil, err
	}
	// Never granted again: the tokens revoked here and those their
	// records name, whatever name the host lists them under now.
	gone := map[string]bool{}
	for _, id := range append(records, revoke...) {
		gone[id] = true
	}
	if tokenID != "" {
		gone[tokenID] = true
	}
	rot.Regranted, rot.Missing, err = c.regrant(ctx, rot.Doctypes, func(id, name, kind string) bool {
		return gone[id] || match(id, name, kind)
	})
	if err != nil {
		return rot, err
	}
	for _, id := range append(records, revoke...) {
		if err := c.Delete(ctx, GrantsDoctype, id); err != nil && !errors.Is(err, ErrNotFound) {
			return rot, err
		}
	}
	return rot, nil
}
