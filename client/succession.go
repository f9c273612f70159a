package client

import (
	"context"
	"errors"
	"fmt"
	"strings"
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
// halted, and, unless it reads a scoped feed (an app), caught up. A write sent other than
// through call (Upload's streamed body) checks it itself.
func (c *Client) writable() error {
	c.mu.Lock()
	halted, caughtUp, scoped := c.st.Halted, c.st.CaughtUp, c.src.scopeLocked() != nil
	c.mu.Unlock()
	if halted != "" {
		return &haltedError{reason: halted}
	}
	if !caughtUp && !scoped {
		return ErrNotCaughtUp
	}
	return nil
}

// CatchUp reads the changes feed to its end, verifying it, unless this
// device did so before: a device does before its first write (Sync does
// it too, delivering the changes; CatchUp drops them).
func (c *Client) CatchUp(ctx context.Context) error {
	c.mu.Lock()
	// A halted device writes nothing, so it has nothing to catch up for;
	// an app's scoped feed has no chain to verify (§8.6.4).
	done := c.st.CaughtUp || c.src.scopeLocked() != nil || c.st.Halted != ""
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
	r := c.ring()
	if r == nil {
		return errors.New("client: an app accepts nothing: connect it again")
	}
	c.kmu.Lock()
	c.mu.Lock()
	r.forgetLocked()
	c.st.FeedSeq, c.st.FeedChain = 0, nil
	c.st.Docs, c.st.Manifests = map[string]DocState{}, nil
	c.st.CaughtUp, c.st.Halted = false, ""
	c.mu.Unlock()
	err := r.refresh(ctx)
	c.kmu.Unlock()
	if err != nil {
		return err
	}
	return c.CatchUp(ctx)
}

// VerifyKeyring reads the keyring again and checks it against what this device
// remembers (keyringSource.refresh): the newest revision, descending from the one
// last opened, holding every key generation seen.
func (c *Client) VerifyKeyring(ctx context.Context) error {
	r := c.ring()
	if r == nil {
		return errNoKeyring
	}
	c.kmu.Lock()
	defer c.kmu.Unlock()
	return r.refresh(ctx)
}
