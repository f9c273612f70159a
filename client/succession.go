package client

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hearthcloud/hearth/crypto/keyring"
)

// What a device does once the host has shown it an older or another
// history than the one it saw (spec/protocol.md §1.4, §4.1, §4.2, §8.6.3):
// it reports the integrity error, remembers why in State.Halted, and writes
// nothing more to the account until the user accepts what the server holds
// now (AcceptServerState). Writing on would seal items against a keyring or
// a history the host chose, with keys a revoked app may hold.
//
// A device with no memory of the account (a new login, a recovery) reads
// the verified changes feed to its end (Sync, CatchUp) before it writes
// (State.CaughtUp):
// an item sealed with a key generation the keyring it was served lacks shows
// that keyring to be rolled back.

// ErrHalted: this device detected a rollback or a fork of the account's
// history earlier and writes nothing until the user decides
// (AcceptServerState). errors.Is(err, ErrIntegrity) holds as well.
var ErrHalted = errors.New("this device stopped writing to the account: the server showed it an older or altered history")

// ErrNotCaughtUp: the device has not yet read the account's changes feed to
// its end (CatchUp), which it does before its first write.
var ErrNotCaughtUp = errors.New("client: this device has not yet verified the account's history; catch up first")

// haltedError is ErrHalted with the reason remembered.
type haltedError struct{ reason string }

func (e *haltedError) Error() string {
	return ErrHalted.Error() + " (" + e.reason + "); check with the server's operator, then accept what the server holds now to go on"
}
func (e *haltedError) Is(target error) bool { return target == ErrHalted || target == ErrIntegrity }

// rolledBack is an integrity error that shows the host rolled back or
// forked what this device saw: the Client halts on it (halt).
func rolledBack(format string, args ...any) error {
	return &integrityError{detail: fmt.Sprintf(format, args...), rollback: true}
}

// halt records err's reason in the State when err reports a rollback or a
// fork, and returns err.
func (c *Client) halt(err error) error {
	var ie *integrityError
	if err == nil || !errors.As(err, &ie) || !ie.rollback {
		return err
	}
	c.mu.Lock()
	if c.st.Halted == "" {
		c.st.Halted = ie.detail
	}
	c.mu.Unlock()
	return err
}

// Halted returns why this device stopped writing to the account, or "".
func (c *Client) Halted() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st.Halted
}

// haltedErr returns ErrHalted (with its reason) once the device halted.
func (c *Client) haltedErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.st.Halted != "" {
		return &haltedError{reason: c.st.Halted}
	}
	return nil
}

// mayWrite reports whether r may be sent now: reads always; writes only by
// a device that caught up and did not halt, except the writes that only end
// sessions or access (logout, revoking a session or a token) and two-factor
// settings, which keep no data.
func (c *Client) mayWrite(r request) error {
	if r.method == "GET" || r.method == "HEAD" || r.noAuth {
		return nil
	}
	p := r.path
	switch {
	case r.method == "POST" && (p == "/v1/logout" || strings.HasPrefix(p, "/v1/totp/") || strings.HasSuffix(p, "/_bulk_get")),
		r.method == "DELETE" && (strings.HasPrefix(p, "/v1/sessions/") || strings.HasPrefix(p, "/v1/tokens/")):
		return nil
	}
	return c.writable()
}

// writable reports whether this device may write to the account now: not
// halted, and, unless it is an app, caught up. A write sent other than
// through call (Upload's streamed body) checks it itself.
func (c *Client) writable() error {
	c.mu.Lock()
	halted, caughtUp, app := c.st.Halted, c.st.CaughtUp, c.app != nil
	c.mu.Unlock()
	if halted != "" {
		return &haltedError{reason: halted}
	}
	if !caughtUp && !app {
		return ErrNotCaughtUp
	}
	return nil
}

// CatchUp reads the changes feed to its end, verifying it, unless this
// device did so before: a device does before its first write (Sync does
// it too, delivering the changes; CatchUp drops them).
func (c *Client) CatchUp(ctx context.Context) error {
	c.mu.Lock()
	// A halted device writes nothing, so it has nothing to catch up for.
	done := c.st.CaughtUp || c.app != nil || c.st.Halted != ""
	c.mu.Unlock()
	if done {
		return nil
	}
	return c.Sync(ctx, 0, nil)
}

// AcceptServerState is the user's decision, after a halt (Halted), to go on
// with what the server holds now: the device forgets what it saw of the
// account's history (keyring revision, changes feed, documents, key
// generations, index manifests), reads the keyring and the feed again from
// the start, verifying them as a new device would, and writes again. What
// the server rolled back stays rolled back.
func (c *Client) AcceptServerState(ctx context.Context) error {
	if c.app != nil {
		return errors.New("client: an app accepts nothing: connect it again")
	}
	c.kmu.Lock()
	c.mu.Lock()
	c.st.KeyringRev, c.st.KeyringDigest = 0, nil
	c.st.FeedSeq, c.st.FeedChain = 0, nil
	c.st.Docs, c.st.Manifests, c.st.Gens = map[string]DocState{}, nil, nil
	c.st.CaughtUp, c.st.Halted = false, ""
	c.kr = nil
	c.mu.Unlock()
	err := c.loadKeyring(ctx)
	c.kmu.Unlock()
	if err != nil {
		return err
	}
	return c.CatchUp(ctx)
}

// acceptKeyring checks kr, opened as revision rev, against what this device
// remembers (the caller holds mu): the revision and digest of the keyring it
// last opened, which kr must be or descend from (§4.2), and the newest key
// generation of each doctype it has seen, which kr must hold (§4.1).
func (c *Client) acceptKeyring(kr *keyring.Keyring, rev uint64) error {
	known := c.st.KeyringRev
	if rev < known {
		return rolledBack("the server served keyring revision %d after this device saw revision %d (rolled back)", rev, known)
	}
	if len(c.st.KeyringDigest) == keyring.DigestSize {
		var d keyring.Digest
		copy(d[:], c.st.KeyringDigest)
		if err := kr.Descends(known, d); err != nil {
			return rolledBack("the server served a keyring revision %d that does not descend from revision %d, which this device opened (forked)", rev, known)
		}
	}
	for doctype, g := range c.st.Gens {
		ks := kr.Keys(doctype)
		if ks == nil || ks.Current().Gen() < g {
			return rolledBack("the keyring served (revision %d) lacks key generation %d of %s, which this device saw (rolled back)", rev, g, doctype)
		}
	}
	return nil
}

// adoptKeyring makes kr, opened as revision rev, the keyring this device
// holds and remembers (the caller holds mu and checked it with
// acceptKeyring).
func (c *Client) adoptKeyringLocked(kr *keyring.Keyring) {
	rev, d := kr.Revision()
	c.kr, c.st.KeyringRev, c.st.KeyringDigest = kr, rev, d[:]
	for _, doctype := range kr.Doctypes() {
		c.sawGenLocked(doctype, kr.Keys(doctype).Current().Gen())
	}
}

// sawGenLocked records that an item or a keyring of doctype showed key
// generation g (the caller holds mu).
func (c *Client) sawGenLocked(doctype string, g uint32) {
	if g == 0 {
		return
	}
	if c.app != nil {
		if g > c.app.seen[doctype] {
			c.app.seen[doctype] = g
		}
		return
	}
	if c.st.Gens == nil {
		c.st.Gens = map[string]uint32{}
	}
	c.st.Gens[doctype] = max(c.st.Gens[doctype], g)
}

// checkSealingGen refuses to seal doctype's items with generation g when
// this device saw a newer one (§4.1): the keyring it holds was rolled back.
func (c *Client) checkSealingGen(doctype string, g uint32) error {
	c.mu.Lock()
	seen := c.st.Gens[doctype]
	c.mu.Unlock()
	if g < seen {
		return c.halt(rolledBack("the keyring holds key generation %d of %s, older than generation %d this device saw (rolled back); nothing was sealed", g, doctype, seen))
	}
	return nil
}

// VerifyKeyring reads the keyring again and checks it against what this device
// remembers (loadKeyring): the newest revision, descending from the one
// last opened, holding every key generation seen.
func (c *Client) VerifyKeyring(ctx context.Context) error {
	if c.app != nil {
		return errors.New("client: an app holds no keyring")
	}
	c.kmu.Lock()
	defer c.kmu.Unlock()
	return c.loadKeyring(ctx)
}
