package keyring_test

import (
	"errors"
	"testing"

	"filippo.io/age"

	"github.com/hearthcloud/hearth/crypto/keyring"
)

// TestKeyringSuccession follows a keyring through revisions as devices
// write them: each revision's history names the ones before, both copies of
// a revision have one digest, a keyring seals only its own revision or the
// next, and a device remembering a revision refuses a fork of it.
func TestKeyringSuccession(t *testing.T) {
	mk := masterKey(1)
	kr := newKeyring(t)
	if _, err := kr.SealWithMasterKey(mk, 2); err == nil {
		t.Fatal("a new keyring sealed as revision 2")
	}
	open := func(kr *keyring.Keyring, rev uint64) *keyring.Keyring {
		t.Helper()
		pw, err := kr.SealWithMasterKey(mk, rev)
		if err != nil {
			t.Fatal(err)
		}
		rc, err := kr.SealRecoveryCopy(rev)
		if err != nil {
			t.Fatal(err)
		}
		a, err := keyring.OpenWithMasterKey(pw, mk, "alice", rev)
		if err != nil {
			t.Fatal(err)
		}
		b, err := keyring.OpenWithRecoveryKey(rc, kr.RecoveryKey(), "alice", rev)
		if err != nil {
			t.Fatal(err)
		}
		ra, da := a.Revision()
		rb, db := b.Revision()
		if ra != rev || rb != rev || da != db {
			t.Fatalf("the copies of revision %d open as %d %x and %d %x", rev, ra, da, rb, db)
		}
		return a
	}
	r1 := open(kr, 1)
	_, d1 := r1.Revision()
	if again := open(r1, 1); again.Descends(1, d1) != nil {
		t.Fatal("sealing revision 1 again changed its digest")
	}
	if _, err := r1.SealWithMasterKey(mk, 3); err == nil {
		t.Fatal("revision 1 sealed as revision 3")
	}

	// Revision 2 on one device; a fork of it on a device shown revision 1.
	next := r1.Clone()
	if _, err := next.AddDoctype("io.hearth.contacts"); err != nil {
		t.Fatal(err)
	}
	if r1.Keys("io.hearth.contacts") != nil {
		t.Fatal("a change to the clone reached the original")
	}
	mustRotate(t, next.Keys(notes))
	if r1.Keys(notes).Current().Gen() != 1 {
		t.Fatal("a rotation of the clone reached the original")
	}
	r2 := open(next, 2)
	_, d2 := r2.Revision()
	forked := r1.Clone()
	if _, err := forked.AddDoctype("io.hearth.photos"); err != nil {
		t.Fatal(err)
	}
	f2 := open(forked, 2)
	_, df2 := f2.Revision()
	r3 := open(r2.Clone(), 3)
	f3 := open(f2.Clone(), 3)

	for _, c := range []struct {
		name  string
		kr    *keyring.Keyring
		rev   uint64
		d     keyring.Digest
		fork  bool
		other bool // another integrity error
	}{
		{"r2 from r1", r2, 1, d1, false, false},
		{"r3 from r1", r3, 1, d1, false, false},
		{"r3 from r2", r3, 2, d2, false, false},
		{"f3 from r1", f3, 1, d1, false, false},
		{"f2 remembering r2", f2, 2, d2, true, false},
		{"f3 remembering r2", f3, 2, d2, true, false},
		{"r3 remembering f2", r3, 2, df2, true, false},
		{"r2 remembering r3", r2, 3, keyring.Digest{}, false, true},
	} {
		err := c.kr.Descends(c.rev, c.d)
		switch {
		case c.fork && !errors.Is(err, keyring.ErrFork):
			t.Errorf("%s: %v, want ErrFork", c.name, err)
		case c.other && (err == nil || errors.Is(err, keyring.ErrFork) || !errors.Is(err, keyring.ErrIntegrity)):
			t.Errorf("%s: %v, want the rolled-back error", c.name, err)
		case !c.fork && !c.other && err != nil:
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

// TestSecurity16GrantForkRefused: a grantee that opened a grant refuses
// another grant of the same revision (a fork: two devices granted from
// keyrings the host forked), and takes the same grant again.
func TestSecurity16GrantForkRefused(t *testing.T) {
	alice := newKeyring(t)
	app, _ := age.GenerateX25519Identity()
	scopes := []keyring.Scope{{Doctype: notes, Verbs: []string{"read", "write"}}}
	first, err := alice.Grant(app.Recipient(), scopes, 4)
	if err != nil {
		t.Fatal(err)
	}
	g, err := keyring.OpenGrant(first, app, alice.SigningKey(), "alice", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := keyring.OpenGrant(first, app, alice.SigningKey(), "alice", g); err != nil {
		t.Fatalf("the same grant again: %v", err)
	}
	wider := []keyring.Scope{{Doctype: notes, Verbs: []string{"read", "write", "delete"}}}
	fork, err := alice.Grant(app.Recipient(), wider, 4)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := keyring.OpenGrant(fork, app, alice.SigningKey(), "alice", g); err != keyring.ErrIntegrity {
		t.Fatalf("another grant of the same revision: %v", err)
	}
	next, _ := alice.Grant(app.Recipient(), wider, 5)
	if _, err := keyring.OpenGrant(next, app, alice.SigningKey(), "alice", g); err != nil {
		t.Fatalf("the next grant: %v", err)
	}
}
