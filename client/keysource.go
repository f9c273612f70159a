package client

import (
	"context"

	"github.com/hearthcloud/hearth/crypto/seal"
	"github.com/hearthcloud/hearth/internal/wire"
)

// keySource is where a Client's doctype keys come from. It is chosen once,
// when the Client is made (newClient): the account's keyring, which a
// signed-in device opens with its master key (keyringSource, keys.go), or
// the grant an app opens with its identity (grantSource, grant.go).
//
// Whichever it is, it keeps the guarantees of spec/protocol.md: it never
// gives a key to seal with whose generation is older than one it saw in a
// keyring, a grant or an item (§4.1); it reads the keyring or the grant
// again before sealing with one read over a minute ago (§4.6); and it
// refuses a keyring or a grant older than, or forked from, the one it
// opened last (§4.2, §4.4, §4.7).
//
// What it holds is guarded by Client.mu; its loads are serialized by
// Client.kmu. A method whose name ends in Locked is called with Client.mu
// held, refresh with Client.kmu held, the others with neither.
type keySource interface {
	// open returns doctype's key set when it holds generation gen (above
	// 0), to open an item sealed with it: when the set is missing or lacks
	// gen, the keyring or the grant is read again first (another device
	// may have rotated the key, and the user granted it since). Still
	// missing, it is nil and no error.
	open(ctx context.Context, doctype string, gen uint32) (*seal.KeySet, error)
	// sealing returns doctype's key set to seal with, with its current
	// generation: read again first when loaded over a minute ago, and
	// never older than a generation seen (ErrIntegrity; the keyring halts
	// on it). A doctype it lacks is nil and no error, or, with create,
	// added to the keyring (and registered on the server) or ErrNotGranted
	// for a grant.
	sealing(ctx context.Context, doctype string, create bool) (*seal.KeySet, error)
	// lacking is the error for an item of doctype, named where, sealed
	// with generation gen that open did not find: a keyring that lacks it
	// was rolled back (the Client halts); a grant may only not have the
	// rotated key yet, and it seals nothing older from then on.
	lacking(doctype, where string, gen uint32) error
	// doctypes returns the doctypes it holds keys for, sorted: the
	// keyring's, read again, or those the grant lets the app read.
	doctypes(ctx context.Context) ([]string, error)
	// refresh reads the keyring or the grant again and opens it, checking
	// it against what is remembered. On failure nothing changes.
	refresh(ctx context.Context) error
	// sawGenLocked remembers that an item or a keyring of doctype showed
	// key generation g (0: unknown, ignored): the keyring in State.Gens,
	// the grant in AppState.Seen.
	sawGenLocked(doctype string, g uint32)
	// scopeLocked returns nil when the Client reads the whole changes feed
	// and verifies its chain (§8.6.3), which it reads to its end before
	// its first write (CatchUp); else the doctypes a scoped feed shows it
	// (§8.6.4), the ones the grant lets it read, never nil.
	scopeLocked() map[string]bool
}

var (
	_ keySource = (*keyringSource)(nil)
	_ keySource = (*grantSource)(nil)
)

// keys returns doctype's key set from the Client's key source: with gen 0
// the set to seal with (nothing is sealed once the device halted), else
// the set holding generation gen (keySource.open and sealing).
func (c *Client) keys(ctx context.Context, doctype string, gen uint32, create bool) (*seal.KeySet, error) {
	if err := wire.CheckDoctype(doctype); err != nil {
		return nil, err
	}
	if gen != 0 {
		return c.src.open(ctx, doctype, gen)
	}
	if err := c.haltedErr(); err != nil {
		return nil, err
	}
	return c.src.sealing(ctx, doctype, create)
}
