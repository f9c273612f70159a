package client

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hearthcloud/hearth/internal/appmanifest"

	"filippo.io/age"

	"github.com/hearthcloud/hearth/crypto/keyring"
	"github.com/hearthcloud/hearth/internal/wire"
)

// Scope is a doctype and the verbs a token or grant holds on it (§8.1.5):
// {"doctype":"io.hearth.notes","verbs":["read","write"]}.
type Scope = keyring.Scope

// The verbs of a Scope (§8.1.5); write does not imply read.
const (
	VerbRead   = keyring.VerbRead
	VerbWrite  = keyring.VerbWrite
	VerbDelete = keyring.VerbDelete
)

// Token kinds (§8.9.1); the server treats them alike.
const (
	KindApp    = "app"
	KindDevice = "device"
)

// TokenInfo describes an app or device token (§8.9.1), without its value.
type TokenInfo struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Kind     string    `json:"kind"`
	Scopes   []Scope   `json:"scopes"`
	Created  time.Time `json:"created"`
	LastSeen time.Time `json:"last_seen"` // zero in CreateToken's answer
}

// CreateToken makes an app or device token (kind KindApp or KindDevice)
// holding exactly scopes (§8.9.1), and returns it with its value (hat_…),
// which the server never shows again. Scopes never change: a new token
// replaces an old one. The token alone opens nothing: give it keys with
// Grant.
func (c *Client) CreateToken(ctx context.Context, name, kind string, scopes []Scope) (info TokenInfo, token string, err error) {
	if kind != KindApp && kind != KindDevice {
		return TokenInfo{}, "", fmt.Errorf("client: token kind %q (want %q or %q)", kind, KindApp, KindDevice)
	}
	var ans struct {
		TokenInfo
		Token string `json:"token"`
	}
	if _, err := c.callJSON(ctx, "POST", "/v1/tokens", map[string]any{"name": name, "kind": kind, "scopes": scopes}, &ans, nil, false); err != nil {
		return TokenInfo{}, "", err
	}
	if !strings.HasPrefix(ans.Token, "hat_") || wire.CheckID(ans.ID) != nil {
		return TokenInfo{}, "", errors.New("client: the server's answer holds no app token")
	}
	return ans.TokenInfo, ans.Token, nil
}

// Tokens lists the account's app and device tokens, oldest first.
func (c *Client) Tokens(ctx context.Context) ([]TokenInfo, error) {
	var ans struct {
		Tokens []TokenInfo `json:"tokens"`
	}
	if _, err := c.callJSON(ctx, "GET", "/v1/tokens", nil, &ans, nil, false); err != nil {
		return nil, err
	}
	return ans.Tokens, nil
}

// RevokeToken deletes an app or device token and its grant (§8.9.1): every
// request it makes afterwards is refused (ErrSessionEnded on its side). It
// cannot take back the keys the grant gave; rotating the doctype keys does
// (§4.1, §4.6), and is not done here: Revoke does all of it.
func (c *Client) RevokeToken(ctx context.Context, id string) error {
	if err := c.deleteToken(ctx, id); err != nil {
		return err
	}
	// Its grantee record goes too, so that no rotation grants it again
	// (§4.6). Failing here leaves a record of a token that no longer
	// exists, which a rotation skips unless the host lists the token.
	if c.ring() != nil {
		if e := c.Delete(ctx, GrantsDoctype, id); e != nil && !errors.Is(e, ErrNotFound) {
			return e
		}
	}
	return nil
}

// deleteToken deletes a token (§8.9.1), leaving its grantee record.
func (c *Client) deleteToken(ctx context.Context, id string) error {
	if err := wire.CheckID(id); err != nil {
		return err
	}
	_, err := c.call(ctx, request{method: "DELETE", path: "/v1/tokens/" + pathEscape(id)})
	return err
}

// SigningKey returns the account's Ed25519 signing public key, which signs
// grants: an app or device pins it when it is connected (ConnectApp), from
// the user's client, never from the server. It loads the keyring if this
// Client has not yet.
func (c *Client) SigningKey() (ed25519.PublicKey, error) {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	kr, err := c.loadedKeyring(ctx, false)
	if err != nil {
		return nil, err
	}
	return kr.SigningKey(), nil
}

// Grant gives the grantee of token tokenID (an app or device holding the
// age X25519 identity of recipient, "age1…", which must reach this client
// from the grantee itself, never from the server) every key generation of
// the doctypes of scopes, with their verbs, signed with the account's
// signing key (§4.4), and stores it under the token (§8.9.2), replacing any
// grant it had. Doctypes the keyring lacks are added to it, as a first
// write does. Call it again after a rotation of one of these doctypes' keys,
// so that the grantee can open what is sealed with the new generation.
//
// The grant's rev must grow with every grant to this grantee (§4.4); Grant
// uses the keyring's revision plus the server's revision of the grant it
// replaces, plus one: both only grow, so each grant's rev is above the one
// before, whichever device issued it (a grant deleted on the server and
// issued again restarts that count, which a grantee refuses until the
// keyring's revision catches up; this device also remembers what it issued,
// in State.Grants). A host lying about the grant's revision can only make
// the grantee refuse the grant.
//
// Once the grant is stored, Grant writes the grantee record (§4.6), a
// document of GrantsDoctype under the token's id naming the recipient and
// the scopes, so that any device of the account can grant the grantee
// again after a rotation (Revoke, Reseal).
func (c *Client) Grant(ctx context.Context, tokenID, recipient string, scopes []Scope) error {
	return c.GrantNamed(ctx, tokenID, "", "", recipient, scopes)
}

// GrantNamed is Grant for the token the caller made with name and kind
// (an app's slug and KindApp): its grantee record names them, so that
// revoking the app finds it (RevokeApp). The name comes from the caller,
// never from the server's listing, which the host could word otherwise.
// A record without a name (Grant) is never granted again by a rotation:
// the token has to be granted anew.
func (c *Client) GrantNamed(ctx context.Context, tokenID, name, kind, recipient string, scopes []Scope) error {
	if err := c.grant(ctx, tokenID, recipient, scopes); err != nil {
		return err
	}
	return c.putGrantee(ctx, &granteeRecord{Token: tokenID, Recipient: recipient, Scopes: scopes, Name: name, Kind: kind})
}

// grant is Grant without the grantee record.
func (c *Client) grant(ctx context.Context, tokenID, recipient string, scopes []Scope) error {
	if err := wire.CheckID(tokenID); err != nil {
		return err
	}
	rcpt, err := age.ParseX25519Recipient(recipient)
	if err != nil {
		return fmt.Errorf("client: %q is not an age X25519 recipient (age1…)", recipient)
	}
	if len(scopes) == 0 {
		return errors.New("client: a grant needs at least one doctype")
	}
	for _, s := range scopes {
		if err := wire.CheckDoctype(s.Doctype); err != nil {
			return err
		}
		if appmanifest.Internal(s.Doctype) {
			return fmt.Errorf("client: %s is Hearth's own: no app or device is granted it", s.Doctype)
		}
	}
	// The grant must carry the newest generation of every doctype: read
	// the keyring again, since another device may have rotated a key.
	if _, err := c.loadedKeyring(ctx, true); err != nil {
		return err
	}
	r := c.ring()
	for _, s := range scopes {
		if _, err := c.keys(ctx, s.Doctype, 0, true); err != nil {
			return err
		}
	}
	path := "/v1/grants/" + pathEscape(tokenID)
	for attempt := 0; ; attempt++ {
		var cur uint64
		res, err := c.call(ctx, request{method: "GET", path: path})
		switch {
		case isCode(err, wire.CodeNotFound):
			// No grant yet (or no such token: the PUT says which).
		case err != nil:
			return err
		default:
			if cur, err = revHeader(res.header); err != nil {
				return err
			}
		}
		c.mu.Lock()
		kr, krev, issued := r.kr, c.st.KeyringRev, c.st.Grants[tokenID]
		c.mu.Unlock()
		rev := max(krev+cur+1, issued+1)
		sealed, err := kr.Grant(rcpt, scopes, rev)
		if err != nil {
			return fmt.Errorf("client: %w", err)
		}
		r := request{method: "PUT", path: path, ctype: "application/octet-stream", body: sealed, hdr: map[string]string{}}
		if cur == 0 {
			r.hdr["If-None-Match"] = "*"
		} else {
			r.hdr["If-Match"] = `"` + strconv.FormatUint(cur, 10) + `"`
		}
		res, err = c.call(ctx, r)
		if isCode(err, wire.CodeConflict) && attempt < maxAttempts {
			continue // another device replaced the grant meanwhile
		}
		if err != nil {
			return err
		}
		c.mu.Lock()
		if c.st.Grants == nil {
			c.st.Grants = map[string]uint64{}
		}
		c.st.Grants[tokenID] = max(c.st.Grants[tokenID], rev)
		c.mu.Unlock()
		var ans struct {
			Rev uint64 `json:"rev"`
		}
		if err := jsonUnmarshal(res.body, &ans); err != nil || ans.Rev != cur+1 {
			return fmt.Errorf("client: the server answered revision %d to a grant written over revision %d", ans.Rev, cur)
		}
		return nil
	}
}
