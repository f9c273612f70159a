package keyring_test

// Tests for the key properties of SECURITY.md (spec/protocol.md §1.2), each
// named for the property it proves.

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"testing"

	"filippo.io/age"

	"github.com/hearthcloud/hearth/crypto/keyring"
	"github.com/hearthcloud/hearth/crypto/seal"
)

// Property 1: every wrapped key (keyring, recovery copy, grant) is sealed
// with an AEAD; flipping any byte gives the one generic error, whichever
// byte it was.
func TestSecurity01WrappedKeysAuthenticated(t *testing.T) {
	kr := newKeyring(t)
	mk := masterKey(1)
	rk := kr.RecoveryKey()
	app, _ := age.GenerateX25519Identity()
	pw, _ := kr.SealWithMasterKey(mk, 1)
	rc, _ := kr.SealRecoveryCopy(1)
	gr, err := kr.Grant(app.Recipient(), []keyring.Scope{{Doctype: notes, Verbs: []string{"read"}}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	opens := map[string]struct {
		sealed []byte
		open   func([]byte) error
	}{
		"password copy": {pw, func(b []byte) error { _, err := keyring.OpenWithMasterKey(b, mk, "alice", 1); return err }},
		"recovery copy": {rc, func(b []byte) error { _, err := keyring.OpenWithRecoveryKey(b, rk, "alice", 1); return err }},
		"grant":         {gr, func(b []byte) error { _, err := keyring.OpenGrant(b, app, kr.SigningKey(), "alice", nil); return err }},
	}
	for name, c := range opens {
		if err := c.open(c.sealed); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for i := range c.sealed {
			m := bytes.Clone(c.sealed)
			m[i] ^= 0x04
			if err := c.open(m); err != keyring.ErrIntegrity {
				t.Fatalf("%s: flip at %d: %v", name, i, err)
			}
		}
		for _, n := range []int{0, 1, len(c.sealed) / 2, len(c.sealed) - 1} {
			if err := c.open(c.sealed[:n]); err != keyring.ErrIntegrity {
				t.Fatalf("%s: truncated to %d: %v", name, n, err)
			}
		}
	}
	// The wrong secret, user or revision fail the same way.
	for name, err := range map[string]error{
		"wrong master key": second(keyring.OpenWithMasterKey(pw, masterKey(2), "alice", 3)),
		"other user":       second(keyring.OpenWithMasterKey(pw, mk, "bob", 3)),
		"replayed rev":     second(keyring.OpenWithMasterKey(pw, mk, "alice", 4)),
		"recovery as pw":   second(keyring.OpenWithMasterKey(rc, (*[32]byte)(rk), "alice", 3)),
		"pw as recovery":   second(keyring.OpenWithRecoveryKey(pw, (*keyring.RecoveryKey)(mk), "alice", 3)),
	} {
		if err != keyring.ErrIntegrity {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func second[T any](_ T, err error) error { return err }

// Property 2: no deterministic wrapping: sealing the same keys twice gives
// unrelated bytes.
func TestSecurity02NoDeterministicWrapping(t *testing.T) {
	kr := newKeyring(t)
	mk := masterKey(1)
	a, _ := kr.SealWithMasterKey(mk, 1)
	b, _ := kr.SealWithMasterKey(mk, 1)
	if bytes.Equal(a, b) || bytes.Equal(a[2:26], b[2:26]) {
		t.Fatal("keyring sealed twice gives equal bytes or nonces")
	}
	app, _ := age.GenerateX25519Identity()
	scopes := []keyring.Scope{{Doctype: notes, Verbs: []string{"read"}}}
	g1, _ := kr.Grant(app.Recipient(), scopes, 1)
	g2, _ := kr.Grant(app.Recipient(), scopes, 1)
	if bytes.Equal(g1, g2) {
		t.Fatal("grant sealed twice gives equal bytes")
	}
	// No key material in the clear.
	for _, k := range kr.Keys(notes).All() {
		if bytes.Contains(a, k.Bytes()) || bytes.Contains(g1, k.Bytes()) {
			t.Fatal("doctype key visible in a sealed copy")
		}
	}
}

// lowOrderX25519 are points of small order on Curve25519.
var lowOrderX25519 = []string{
	"0000000000000000000000000000000000000000000000000000000000000000",
	"0100000000000000000000000000000000000000000000000000000000000000",
	"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
	"5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
	"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
}

// smallOrderEd25519 are encodings of points of small order on Ed25519.
var smallOrderEd25519 = []string{
	"0100000000000000000000000000000000000000000000000000000000000000", // identity
	"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // order 2
	"0000000000000000000000000000000000000000000000000000000000000080", // order 4
	"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", // order 8
	"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", // order 8
}

// Property 3: all-zero, low-order and otherwise degenerate keys are
// rejected: no grant to a low-order X25519 point, no signer of small order,
// no all-zero master, recovery or doctype key.
func TestSecurity03DegenerateKeysRejected(t *testing.T) {
	kr := newKeyring(t)
	scopes := []keyring.Scope{{Doctype: notes, Verbs: []string{"read"}}}
	tried := 0
	for _, h := range lowOrderX25519 {
		raw, _ := hex.DecodeString(h)
		r, err := age.ParseX25519Recipient(bech32Recipient(t, raw))
		if err != nil {
			continue // refused at parse: fine
		}
		tried++
		if _, err := kr.Grant(r, scopes, 1); err == nil {
			t.Errorf("grant sealed to low-order point %s", h)
		}
	}
	if tried == 0 {
		t.Error("no low-order recipient reached Grant: the test proves nothing")
	}
	app, _ := age.GenerateX25519Identity()
	g, _ := kr.Grant(app.Recipient(), scopes, 1)
	for _, h := range smallOrderEd25519 {
		pub, _ := hex.DecodeString(h)
		if _, err := keyring.OpenGrant(g, app, ed25519.PublicKey(pub), "alice", nil); !errors.Is(err, seal.ErrWeakKey) {
			t.Errorf("small-order signer %s: %v", h, err)
		}
	}
	if err := keyring.CheckSigningKey(kr.SigningKey()); err != nil {
		t.Errorf("real signing key refused: %v", err)
	}
	var zero [32]byte
	if _, err := kr.SealWithMasterKey(&zero, 1); !errors.Is(err, seal.ErrWeakKey) {
		t.Errorf("all-zero master key: %v", err)
	}
	rc, _ := kr.SealRecoveryCopy(1)
	if _, err := keyring.OpenWithRecoveryKey(rc, &keyring.RecoveryKey{}, "alice", 1); !errors.Is(err, seal.ErrWeakKey) {
		t.Errorf("all-zero recovery key: %v", err)
	}
	if _, err := keyring.ParseRecoveryKey((&keyring.RecoveryKey{}).String()); err == nil {
		t.Error("all-zero recovery key parsed")
	}
}

// Property 4: a key bundle the client cannot authenticate is never used. The
// host knows an app's recipient and can encrypt to it, but a grant it makes
// up, or one made for someone else, is refused.
func TestSecurity04UnauthenticatedGrantRefused(t *testing.T) {
	alice := newKeyring(t)
	app, _ := age.GenerateX25519Identity()
	scopes := []keyring.Scope{{Doctype: notes, Verbs: []string{"read", "write"}}}

	// The host builds a whole keyring of its own and grants from it.
	host, _ := keyring.New("alice")
	host.AddDoctype(notes)
	forged, _ := host.Grant(app.Recipient(), scopes, 1)
	if _, err := keyring.OpenGrant(forged, app, alice.SigningKey(), "alice", nil); err != keyring.ErrIntegrity {
		t.Errorf("host-made grant: %v", err)
	}
	// A genuine grant for another app, or another user's grant, is refused.
	other, _ := age.GenerateX25519Identity()
	forOther, _ := alice.Grant(other.Recipient(), scopes, 1)
	if _, err := keyring.OpenGrant(forOther, app, alice.SigningKey(), "alice", nil); err != keyring.ErrIntegrity {
		t.Errorf("grant for another app: %v", err)
	}
	genuine, _ := alice.Grant(app.Recipient(), scopes, 1)
	if _, err := keyring.OpenGrant(genuine, app, alice.SigningKey(), "bob", nil); err != keyring.ErrIntegrity {
		t.Errorf("grant for another user: %v", err)
	}
	g1, err := keyring.OpenGrant(genuine, app, alice.SigningKey(), "alice", nil)
	if err != nil {
		t.Fatalf("genuine grant: %v", err)
	}

	// A copy of the keyring as it was before the rotation below: what a
	// device with a rolled-back keyring would issue grants from.
	mk := masterKey(9)
	before, _ := alice.SealWithMasterKey(mk, 1)
	old, err := keyring.OpenWithMasterKey(before, mk, "alice", 1)
	if err != nil {
		t.Fatal(err)
	}

	// After a rotation the user re-grants at a higher revision. The host
	// replays the old grant (without the new generation): refused, whether
	// the revision went down or only the generation did.
	mustRotate(t, alice.Keys(notes))
	g2sealed, _ := alice.Grant(app.Recipient(), scopes, 2)
	g2, err := keyring.OpenGrant(g2sealed, app, alice.SigningKey(), "alice", g1)
	if err != nil || g2.Doctypes[notes].Keys.Current().Gen() != 2 {
		t.Fatalf("re-grant after rotation: %v", err)
	}
	if _, err := keyring.OpenGrant(genuine, app, alice.SigningKey(), "alice", g2); err != keyring.ErrIntegrity {
		t.Errorf("replayed older grant: %v", err)
	}
	fromOld, _ := old.Grant(app.Recipient(), scopes, 3)
	if _, err := keyring.OpenGrant(fromOld, app, alice.SigningKey(), "alice", g2); err != keyring.ErrIntegrity {
		t.Errorf("higher revision with an older generation: %v", err)
	}
	if _, err := keyring.OpenGrant(g2sealed, app, alice.SigningKey(), "alice", g2); err != nil {
		t.Errorf("the same grant again: %v", err)
	}
	// The user narrows the grant to read only, same generation; the host
	// replays the wider one. Only the revision tells them apart.
	narrow, _ := alice.Grant(app.Recipient(), []keyring.Scope{{Doctype: notes, Verbs: []string{"read"}}}, 4)
	g4, err := keyring.OpenGrant(narrow, app, alice.SigningKey(), "alice", g2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := keyring.OpenGrant(g2sealed, app, alice.SigningKey(), "alice", g4); err != keyring.ErrIntegrity {
		t.Errorf("replayed wider grant: %v", err)
	}
}
