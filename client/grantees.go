package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"filippo.io/age"

	"github.com/hearthcloud/hearth/internal/wire"
)

// GrantsDoctype holds the grantee records (§4.6): one document per granted
// token, under the token's id, naming the grantee's recipient and scopes,
// so that any device of the account can grant it again after a rotation.
// It is Hearth's own: no app is ever granted it.
const GrantsDoctype = "io.hearth.grants"

// granteeRecord is the content of a grantee record.
type granteeRecord struct {
	Token     string  `json:"token"`
	Recipient string  `json:"recipient"`
	Scopes    []Scope `json:"scopes"`
	// Name and Kind are the token's (an app's slug, KindApp), so that
	// revoking an app finds every grantee of it, listed or not.
	Name string `json:"name,omitempty"`
	Kind string `json:"kind,omitempty"`
}

func (r *granteeRecord) check(id string) error {
	if r.Token != id {
		return errors.New("the record names another token")
	}
	if _, err := age.ParseX25519Recipient(r.Recipient); err != nil {
		return err
	}
	if len(r.Scopes) == 0 {
		return errors.New("no scopes")
	}
	for _, s := range r.Scopes {
		if wire.CheckDoctype(s.Doctype) != nil || len(s.Verbs) == 0 {
			return errors.New("malformed scopes")
		}
	}
	return nil
}

// putGrantee writes a grantee record, unless it holds that already.
func (c *Client) putGrantee(ctx context.Context, rec *granteeRecord) error {
	content := mustJSON(rec)
	d, err := c.Get(ctx, GrantsDoctype, rec.Token)
	switch {
	case err == nil && bytes.Equal(d.Content, content):
		return nil
	case errors.Is(err, ErrIntegrity):
		return err
	}
	_, err = c.Put(ctx, GrantsDoctype, rec.Token, content)
	return err
}

// grantees reads the grantee records of the tokens ids; a token without a
// record (or with a malformed one) is absent from the answer.
func (c *Client) grantees(ctx context.Context, ids []string) (map[string]*granteeRecord, error) {
	out := map[string]*granteeRecord{}
	if len(ids) == 0 {
		return out, nil
	}
	docs, err := c.GetMany(ctx, GrantsDoctype, ids)
	if isCode(err, wire.CodeUnknownDoctype) {
		return out, nil // no record was ever written
	}
	if errors.Is(err, ErrIntegrity) {
		// One record the host altered must not stop a revocation: read
		// them one by one, leaving out those that do not verify.
		docs, err = make([]*Doc, len(ids)), nil
		for i, id := range ids {
			d, e := c.Get(ctx, GrantsDoctype, id)
			switch {
			case e == nil:
				docs[i] = d
			case errors.Is(e, ErrIntegrity) || errors.Is(e, ErrNotFound):
			default:
				return nil, e
			}
		}
	}
	if err != nil {
		return nil, err
	}
	for i, d := range docs {
		if d == nil || d.Deleted {
			continue
		}
		var r granteeRecord
		if json.Unmarshal(d.Content, &r) != nil || r.check(ids[i]) != nil {
			continue
		}
		out[ids[i]] = &r
	}
	return out, nil
}

// GranteeRecord returns the recipient and scopes the grantee record of
// token tokenID names (§4.6); ErrNotFound if it has none.
func (c *Client) GranteeRecord(ctx context.Context, tokenID string) (recipient string, scopes []Scope, err error) {
	if err := wire.CheckID(tokenID); err != nil {
		return "", nil, err
	}
	recs, err := c.grantees(ctx, []string{tokenID})
	if err != nil {
		return "", nil, err
	}
	r := recs[tokenID]
	if r == nil {
		return "", nil, fmt.Errorf("%w: token %s has no grantee record", ErrNotFound, tokenID)
	}
	return r.Recipient, r.Scopes, nil
}

// holds reports whether scopes name one of doctypes.
func holds(scopes []Scope, doctypes map[string]uint32) bool {
	for _, s := range scopes {
		if _, ok := doctypes[s.Doctype]; ok {
			return true
		}
	}
	return false
}

// allGrantees reads every grantee record (a malformed one is left out).
func (c *Client) allGrantees(ctx context.Context) (map[string]*granteeRecord, error) {
	ids, err := c.List(ctx, GrantsDoctype)
	if err != nil {
		return nil, err
	}
	return c.grantees(ctx, ids)
}

// regrant grants again, from their grantee records, every token the
// server lists whose record's scopes hold one of doctypes, so that its
// grant carries the keyring's generations of them; never one that skip
// matches (by the token's id, or the record's name and kind: a host
// listing a token of the app being revoked gets it nothing). Tokens
// holding one of doctypes without a record are returned as missing.
func (c *Client) regrant(ctx context.Context, doctypes map[string]uint32, skip func(id, name, kind string) bool) (regranted, missing []string, err error) {
	if len(doctypes) == 0 {
		return nil, nil, nil
	}
	toks, err := c.Tokens(ctx)
	if err != nil {
		return nil, nil, err
	}
	toks = slices.DeleteFunc(toks, func(t TokenInfo) bool {
		return wire.CheckID(t.ID) != nil || skip != nil && skip(t.ID, t.Name, t.Kind)
	})
	ids := make([]string, len(toks))
	for i, t := range toks {
		ids[i] = t.ID
	}
	recs, err := c.grantees(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	for _, t := range toks {
		rec := recs[t.ID]
		if rec == nil {
			if holds(t.Scopes, doctypes) {
				missing = append(missing, t.ID)
			}
			continue
		}
		if !holds(rec.Scopes, doctypes) || skip != nil && skip(t.ID, rec.Name, rec.Kind) {
			continue
		}
		if rec.Name == "" || rec.Kind == "" {
			// Granted without saying whose it is (Grant): a rotation
			// cannot tell it from a revoked app's, so it asks for a grant
			// made anew.
			missing = append(missing, t.ID)
			continue
		}
		err := c.grant(ctx, t.ID, rec.Recipient, rec.Scopes)
		if errors.Is(err, ErrNotFound) {
			continue // revoked meanwhile
		}
		if err != nil {
			return regranted, missing, err
		}
		regranted = append(regranted, t.ID)
	}
	return regranted, missing, nil
}
