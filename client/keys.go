package client

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/hearthcloud/hearth/crypto/keyring"
	"github.com/hearthcloud/hearth/crypto/seal"
	"github.com/hearthcloud/hearth/spec/wire"
)

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// loadKeyring fetches the keyring and opens it with the served revision
// bound, refusing a revision below the highest opened (§8.3), one that does
// not descend from the one opened (§4.2), and one that lacks a key
// generation this device saw (§4.1): each a rollback, on which the device
// halts. On failure nothing else changes.
func (c *Client) loadKeyring(ctx context.Context) error {
	res, err := c.call(ctx, request{method: "GET", path: "/v1/keyring"})
	if err != nil {
		return err
	}
	rev, err := revHeader(res.header)
	if err != nil {
		return err
	}
	c.mu.Lock()
	user, known := c.st.User, c.st.KeyringRev
	var mk [32]byte
	copy(mk[:], c.st.MasterKey)
	c.mu.Unlock()
	if rev < known {
		return c.halt(rolledBack("the server served keyring revision %d after this device saw revision %d (rolled back)", rev, known))
	}
	kr, err := keyring.OpenWithMasterKey(res.body, &mk, user, rev)
	clear(mk[:])
	if err != nil {
		return &integrityError{detail: "the keyring does not open with this password (altered, or not this account's)", err: err}
	}
	c.mu.Lock()
	if rev < c.st.KeyringRev { // a concurrent load got further
		c.mu.Unlock()
		return nil
	}
	err = c.acceptKeyring(kr, rev)
	if err == nil {
		c.adoptKeyringLocked(kr)
		c.krAt = time.Now()
	}
	c.mu.Unlock()
	return c.halt(err)
}

// keyringMaxAge bounds how long a client seals with a keyring without
// reading it again (keys).
const keyringMaxAge = time.Minute

// keys returns doctype's key set. With refresh, it reloads the keyring
// first if the set is missing or lacks generation gen (another device may
// have added or rotated it). With create, it adds the doctype to the
// keyring and registers it on the server when missing. Without create, a
// doctype the keyring lacks gives nil and no error.
func (c *Client) keys(ctx context.Context, doctype string, gen uint32, create bool) (*seal.KeySet, error) {
	if err := wire.CheckDoctype(doctype); err != nil {
		return nil, err
	}
	if gen == 0 {
		// A sealer: nothing is sealed once the device halted.
		if err := c.haltedErr(); err != nil {
			return nil, err
		}
	}
	if c.app != nil {
		return c.grantKeys(ctx, doctype, gen, create)
	}
	have := func() *seal.KeySet {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.kr == nil {
			return nil
		}
		// Sealing (gen 0: the newest) with a keyring read over
		// keyringMaxAge ago reads it again first: another device may have
		// rotated the key (spec/protocol.md §4.6), and sealing with a
		// retired generation would give a revoked app what is written.
		if gen == 0 && time.Since(c.krAt) > keyringMaxAge {
			return nil
		}
		ks := c.kr.Keys(doctype)
		if ks == nil || gen != 0 && ks.Gen(gen) == nil {
			return nil
		}
		return ks
	}
	// A sealer (gen 0) never seals with a generation older than one this
	// device saw (§4.1).
	checked := func(ks *seal.KeySet) (*seal.KeySet, error) {
		if gen == 0 && ks != nil {
			if err := c.checkSealingGen(doctype, ks.Current().Gen()); err != nil {
				return nil, err
			}
		}
		return ks, nil
	}
	if ks := have(); ks != nil {
		return checked(ks)
	}
	c.kmu.Lock()
	defer c.kmu.Unlock()
	if ks := have(); ks != nil {
		return checked(ks)
	}
	if err := c.loadKeyring(ctx); err != nil {
		return nil, err
	}
	if ks := have(); ks != nil || !create {
		return checked(ks)
	}
	if gen != 0 {
		return nil, nil
	}
	for attempt := 0; ; attempt++ {
		if err := c.addDoctype(ctx, doctype); err == nil {
			break
		} else if !isCode(err, "conflict") || attempt >= 4 {
			return nil, err
		}
		// Another device changed the keyring: read it again.
		if err := c.loadKeyring(ctx); err != nil {
			return nil, err
		}
		if have() != nil {
			break
		}
	}
	if err := c.registerDoctype(ctx, doctype); err != nil {
		return nil, err
	}
	return checked(have())
}

// addDoctype adds a key for doctype to a copy of the keyring, writes both
// sealed copies for the next revision, and adopts the copy once the server
// took it.
func (c *Client) addDoctype(ctx context.Context, doctype string) error {
	return c.writeKeyring(ctx, func(kr *keyring.Keyring) (bool, error) {
		_, err := kr.AddDoctype(doctype)
		return true, err
	})
}

// writeKeyring applies change to a copy of the keyring this Client holds,
// writes both sealed copies for the next revision with If-Match on the
// current one, and adopts the copy once the server took it. change returns
// false when there is nothing to write. A conflict (another device wrote
// the keyring) is returned as the server's error. The caller holds kmu.
func (c *Client) writeKeyring(ctx context.Context, change func(kr *keyring.Keyring) (bool, error)) error {
	c.mu.Lock()
	rev := c.st.KeyringRev
	var mk [32]byte
	copy(mk[:], c.st.MasterKey)
	user := c.st.User
	held := c.kr
	c.mu.Unlock()
	defer clear(mk[:])
	if held == nil {
		return errors.New("client: the keyring is not loaded")
	}
	if r, _ := held.Revision(); r != rev {
		return errors.New("client: the keyring held is not the revision remembered")
	}
	kr := held.Clone()
	if ok, err := change(kr); err != nil || !ok {
		return err
	}
	sealed, err := kr.SealWithMasterKey(&mk, rev+1)
	if err != nil {
		return err
	}
	recovery, err := kr.SealRecoveryCopy(rev + 1)
	if err != nil {
		return err
	}
	var ans struct {
		Rev uint64 `json:"rev"`
	}
	_, err = c.callJSON(ctx, "PUT", "/v1/keyring", map[string]any{"keyring": sealed, "recovery_keyring": recovery},
		&ans, map[string]string{"If-Match": `"` + strconv.FormatUint(rev, 10) + `"`}, false)
	if err != nil {
		return err
	}
	if ans.Rev != rev+1 {
		return errors.New("client: the server answered an unexpected keyring revision")
	}
	// Go on from what was written: its revision, digest and history.
	written, err := keyring.OpenWithMasterKey(sealed, &mk, user, rev+1)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.adoptKeyringLocked(written)
	c.mu.Unlock()
	return nil
}

// updateKeyring reads the newest keyring, applies change to a copy and
// writes it (writeKeyring), reading the keyring again and applying change
// anew when another device wrote it in between: one keyring write for the
// whole change. The caller must not hold kmu.
func (c *Client) updateKeyring(ctx context.Context, change func(kr *keyring.Keyring) (bool, error)) error {
	if c.app != nil {
		return errors.New("client: an app holds no keyring")
	}
	c.kmu.Lock()
	defer c.kmu.Unlock()
	for attempt := 0; ; attempt++ {
		if err := c.loadKeyring(ctx); err != nil {
			return err
		}
		err := c.writeKeyring(ctx, change)
		if !isCode(err, "conflict") || attempt >= maxAttempts {
			return err
		}
	}
}

func (c *Client) registerDoctype(ctx context.Context, doctype string) error {
	_, err := c.call(ctx, request{method: "PUT", path: "/v1/doctypes/" + pathEscape(doctype)})
	return err
}
