package client

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/hearthcloud/hearth/crypto/keyring"
	"github.com/hearthcloud/hearth/crypto/seal"
	"github.com/hearthcloud/hearth/internal/wire"
)

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// keyringSource is the key source of a signed-in device: the account's
// keyring, opened with the master key (§4.2). What it remembers lives in
// the device's State, which outlives the Client: the revision and digest
// of the keyring opened last (KeyringRev, KeyringDigest), which every
// keyring opened later must be or descend from, and the newest key
// generation seen of each doctype (Gens), which it must hold.
type keyringSource struct {
	c  *Client
	kr *keyring.Keyring // nil until first needed
	at time.Time        // when kr was last read from the server
}

// ring returns the Client's keyring source, or nil for an app's.
func (c *Client) ring() *keyringSource {
	r, _ := c.src.(*keyringSource)
	return r
}

// loadedKeyring returns the account's keyring, read again first when
// reread or when none is held yet (keyringSource.refresh); errNoKeyring
// for an app. The caller must not hold kmu.
func (c *Client) loadedKeyring(ctx context.Context, reread bool) (*keyring.Keyring, error) {
	r := c.ring()
	if r == nil {
		return nil, errNoKeyring
	}
	c.mu.Lock()
	kr := r.kr
	c.mu.Unlock()
	if kr != nil && !reread {
		return kr, nil
	}
	c.kmu.Lock()
	err := r.refresh(ctx)
	c.kmu.Unlock()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return r.kr, nil
}

// errNoKeyring: an app's Client was asked for what only the account's
// keyring holds.
var errNoKeyring = errors.New("client: an app holds no keyring")

// refresh fetches the keyring and opens it with the served revision
// bound, refusing a revision below the highest opened (§8.3), one that
// does not descend from the one opened (§4.2), and one that lacks a key
// generation this device saw (§4.1): each a rollback, on which the device
// halts. On failure nothing else changes.
func (s *keyringSource) refresh(ctx context.Context) error {
	c := s.c
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
	err = s.acceptLocked(kr, rev)
	if err == nil {
		s.adoptLocked(kr)
		s.at = time.Now()
	}
	c.mu.Unlock()
	return c.halt(err)
}

// acceptLocked checks kr, opened as revision rev, against what this device
// remembers: the revision and digest of the keyring it last opened, which
// kr must be or descend from (§4.2), and the newest key generation of each
// doctype it has seen, which kr must hold (§4.1).
func (s *keyringSource) acceptLocked(kr *keyring.Keyring, rev uint64) error {
	st := &s.c.st
	known := st.KeyringRev
	if rev < known {
		return rolledBack("the server served keyring revision %d after this device saw revision %d (rolled back)", rev, known)
	}
	if len(st.KeyringDigest) == keyring.DigestSize {
		var d keyring.Digest
		copy(d[:], st.KeyringDigest)
		if err := kr.Descends(known, d); err != nil {
			return rolledBack("the server served a keyring revision %d that does not descend from revision %d, which this device opened (forked)", rev, known)
		}
	}
	for doctype, g := range st.Gens {
		ks := kr.Keys(doctype)
		if ks == nil || ks.Current().Gen() < g {
			return rolledBack("the keyring served (revision %d) lacks key generation %d of %s, which this device saw (rolled back)", rev, g, doctype)
		}
	}
	return nil
}

// adoptLocked makes kr the keyring this device holds and remembers (the
// caller checked it with acceptLocked, or wrote it).
func (s *keyringSource) adoptLocked(kr *keyring.Keyring) {
	st := &s.c.st
	rev, d := kr.Revision()
	s.kr, st.KeyringRev, st.KeyringDigest = kr, rev, d[:]
	for _, doctype := range kr.Doctypes() {
		s.sawGenLocked(doctype, kr.Keys(doctype).Current().Gen())
	}
}

// forgetLocked drops the keyring held and what this device remembers of
// the keyrings it opened (AcceptServerState).
func (s *keyringSource) forgetLocked() {
	st := &s.c.st
	st.KeyringRev, st.KeyringDigest, st.Gens = 0, nil, nil
	s.kr = nil
}

func (s *keyringSource) sawGenLocked(doctype string, g uint32) {
	if g == 0 {
		return
	}
	st := &s.c.st
	if st.Gens == nil {
		st.Gens = map[string]uint32{}
	}
	st.Gens[doctype] = max(st.Gens[doctype], g)
}

// checkSealingGen refuses to seal doctype's items with generation g when
// this device saw a newer one (§4.1): the keyring it holds was rolled back.
func (s *keyringSource) checkSealingGen(doctype string, g uint32) error {
	c := s.c
	c.mu.Lock()
	seen := c.st.Gens[doctype]
	c.mu.Unlock()
	if g < seen {
		return c.halt(rolledBack("the keyring holds key generation %d of %s, older than generation %d this device saw (rolled back); nothing was sealed", g, doctype, seen))
	}
	return nil
}

// keyringMaxAge bounds how long a client seals with a keyring without
// reading it again (sealing).
const keyringMaxAge = time.Minute

func (s *keyringSource) open(ctx context.Context, doctype string, gen uint32) (*seal.KeySet, error) {
	c := s.c
	have := func() *seal.KeySet {
		c.mu.Lock()
		defer c.mu.Unlock()
		if s.kr == nil {
			return nil
		}
		ks := s.kr.Keys(doctype)
		if ks == nil || ks.Gen(gen) == nil {
			return nil
		}
		return ks
	}
	if ks := have(); ks != nil {
		return ks, nil
	}
	c.kmu.Lock()
	defer c.kmu.Unlock()
	if ks := have(); ks != nil {
		return ks, nil
	}
	if err := s.refresh(ctx); err != nil {
		return nil, err
	}
	return have(), nil
}

func (s *keyringSource) sealing(ctx context.Context, doctype string, create bool) (*seal.KeySet, error) {
	c := s.c
	have := func() *seal.KeySet {
		c.mu.Lock()
		defer c.mu.Unlock()
		// Sealing with a keyring read over keyringMaxAge ago reads it
		// again first: another device may have rotated the key
		// (spec/protocol.md §4.6), and sealing with a retired generation
		// would give a revoked app what is written.
		if s.kr == nil || time.Since(s.at) > keyringMaxAge {
			return nil
		}
		return s.kr.Keys(doctype)
	}
	// Never with a generation older than one this device saw (§4.1).
	checked := func(ks *seal.KeySet) (*seal.KeySet, error) {
		if ks != nil {
			if err := s.checkSealingGen(doctype, ks.Current().Gen()); err != nil {
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
	if err := s.refresh(ctx); err != nil {
		return nil, err
	}
	if ks := have(); ks != nil || !create {
		return checked(ks)
	}
	for attempt := 0; ; attempt++ {
		if err := c.addDoctype(ctx, doctype); err == nil {
			break
		} else if !isCode(err, wire.CodeConflict) || attempt >= 4 {
			return nil, err
		}
		// Another device changed the keyring: read it again.
		if err := s.refresh(ctx); err != nil {
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

func (s *keyringSource) lacking(doctype, where string, gen uint32) error {
	return rolledBack("%s is sealed with a key the keyring lacks (the keyring was rolled back, or the item injected)", where)
}

func (s *keyringSource) doctypes(ctx context.Context) ([]string, error) {
	c := s.c
	c.kmu.Lock()
	defer c.kmu.Unlock()
	if err := s.refresh(ctx); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return s.kr.Doctypes(), nil
}

func (s *keyringSource) scopeLocked() map[string]bool { return nil }

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
	r := c.ring()
	if r == nil {
		return errNoKeyring
	}
	c.mu.Lock()
	rev := c.st.KeyringRev
	var mk [32]byte
	copy(mk[:], c.st.MasterKey)
	user := c.st.User
	held := r.kr
	c.mu.Unlock()
	defer clear(mk[:])
	if held == nil {
		return errors.New("client: the keyring is not loaded")
	}
	if got, _ := held.Revision(); got != rev {
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
	r.adoptLocked(written)
	c.mu.Unlock()
	return nil
}

// updateKeyring reads the newest keyring, applies change to a copy and
// writes it (writeKeyring), reading the keyring again and applying change
// anew when another device wrote it in between: one keyring write for the
// whole change. The caller must not hold kmu.
func (c *Client) updateKeyring(ctx context.Context, change func(kr *keyring.Keyring) (bool, error)) error {
	r := c.ring()
	if r == nil {
		return errNoKeyring
	}
	c.kmu.Lock()
	defer c.kmu.Unlock()
	for attempt := 0; ; attempt++ {
		if err := r.refresh(ctx); err != nil {
			return err
		}
		err := c.writeKeyring(ctx, change)
		if !isCode(err, wire.CodeConflict) || attempt >= maxAttempts {
			return err
		}
	}
}

func (c *Client) registerDoctype(ctx context.Context, doctype string) error {
	_, err := c.call(ctx, request{method: "PUT", path: "/v1/doctypes/" + pathEscape(doctype)})
	return err
}
