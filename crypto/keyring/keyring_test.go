package keyring_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/hearthcloud/hearth/crypto/keyring"
	"github.com/hearthcloud/hearth/crypto/seal"
)

const notes, tasks = "io.hearth.notes", "io.hearth.tasks"

func newKeyring(t testing.TB) *keyring.Keyring {
	t.Helper()
	kr, err := keyring.New("alice")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{notes, tasks} {
		if _, err := kr.AddDoctype(d); err != nil {
			t.Fatal(err)
		}
	}
	return kr
}

func mustRotate(t testing.TB, ks *seal.KeySet) *seal.Key {
	t.Helper()
	k, err := ks.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func masterKey(b byte) *[32]byte {
	var k [32]byte
	for i := range k {
		k[i] = b + byte(i)
	}
	return &k
}

func sameKeys(t *testing.T, a, b *seal.KeySet) {
	t.Helper()
	ka, kb := a.All(), b.All()
	if len(ka) != len(kb) {
		t.Fatalf("%d keys vs %d", len(ka), len(kb))
	}
	for i := range ka {
		if ka[i].Gen() != kb[i].Gen() || !bytes.Equal(ka[i].Bytes(), kb[i].Bytes()) {
			t.Fatalf("key %d differs", i)
		}
	}
}

func TestKeyringRoundTrip(t *testing.T) {
	kr := newKeyring(t)
	mustRotate(t, kr.Keys(notes))
	if _, err := kr.AddDoctype(notes); !errors.Is(err, keyring.ErrDoctypeExists) {
		t.Fatalf("AddDoctype twice: %v", err)
	}
	if _, err := kr.AddDoctype("notes"); err == nil {
		t.Fatal("bad doctype accepted")
	}
	mk := masterKey(1)
	sealed, err := kr.SealWithMasterKey(mk, 1)
	if err != nil {
		t.Fatal(err)
	}
	got, err := keyring.OpenWithMasterKey(sealed, mk, "alice", 1)
	if err != nil {
		t.Fatal(err)
	}
	if got.User() != "alice" || strings.Join(got.Doctypes(), ",") != notes+","+tasks {
		t.Fatalf("opened %s %v", got.User(), got.Doctypes())
	}
	sameKeys(t, kr.Keys(notes), got.Keys(notes))
	sameKeys(t, kr.Keys(tasks), got.Keys(tasks))
	if !bytes.Equal(kr.SigningKey(), got.SigningKey()) || kr.Recipient().String() != got.Recipient().String() {
		t.Fatal("identity keys differ")
	}

	rk := kr.RecoveryKey()
	rsealed, err := kr.SealRecoveryCopy(1)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := keyring.ParseRecoveryKey(strings.ToLower(strings.ReplaceAll(rk.String(), "-", " ")))
	if err != nil || *parsed != *rk {
		t.Fatalf("recovery key did not survive a sloppy copy: %v", err)
	}
	if _, err := keyring.OpenWithRecoveryKey(rsealed, parsed, "alice", 1); err != nil {
		t.Fatal(err)
	}
	if len(rk.Auth("alice")) != 32 || bytes.Equal(rk.Auth("alice"), rk.Auth("bob")) {
		t.Fatal("recovery auth is not bound to the user")
	}
}

func TestRecoveryKeyTypos(t *testing.T) {
	rk := keyring.NewRecoveryKey()
	s := rk.String()
	if !strings.HasPrefix(s, "HEARTH-") || len(s) != len("HEARTH-")+55+10 {
		t.Fatalf("recovery key looks like %q", s)
	}
	// Change one character anywhere: the checksum catches it (up to 2^-16).
	for i := len("HEARTH-"); i < len(s); i++ {
		if s[i] == '-' {
			continue
		}
		c := byte('A')
		if s[i] == 'A' {
			c = 'B'
		}
		typo := s[:i] + string(c) + s[i+1:]
		if _, err := keyring.ParseRecoveryKey(typo); !errors.Is(err, keyring.ErrBadRecoveryKey) {
			t.Errorf("typo at %d accepted", i)
		}
	}
}

func TestGrantRoundTrip(t *testing.T) {
	kr := newKeyring(t)
	app, _ := age.GenerateX25519Identity()
	sealed, err := kr.Grant(app.Recipient(), []keyring.Scope{{Doctype: notes, Verbs: []string{"read", "write"}}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	g, err := keyring.OpenGrant(sealed, app, kr.SigningKey(), "alice", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Doctypes) != 1 || g.Doctypes[notes] == nil || g.Doctypes[tasks] != nil {
		t.Fatalf("grant covers %v", g.Doctypes)
	}
	sameKeys(t, kr.Keys(notes), g.Doctypes[notes].Keys)
	if strings.Join(g.Doctypes[notes].Verbs, ",") != "read,write" || g.Grantee != app.Recipient().String() {
		t.Fatalf("grant = %+v", g)
	}
	for _, bad := range [][]keyring.Scope{
		{{Doctype: "io.hearth.photos", Verbs: []string{"read"}}},
		{{Doctype: notes, Verbs: []string{"admin"}}},
		{{Doctype: notes, Verbs: nil}},
		{{Doctype: notes, Verbs: []string{"read", "read"}}},
		{{Doctype: notes, Verbs: []string{"read"}}, {Doctype: notes, Verbs: []string{"write"}}},
	} {
		if _, err := kr.Grant(app.Recipient(), bad, 1); err == nil {
			t.Errorf("grant %v accepted", bad)
		}
	}
}
