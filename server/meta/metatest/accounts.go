package metatest

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/hearthcloud/hearth/server/meta"
)

// sameAccount compares accounts, times with time.Equal.
func sameAccount(t *testing.T, got, want *meta.Account) {
	t.Helper()
	g, w := *got, *want
	if !g.Created.Equal(w.Created) {
		t.Errorf("Created = %v, want %v", g.Created, w.Created)
	}
	g.Created = w.Created
	if !reflect.DeepEqual(g, w) {
		t.Errorf("account = %+v, want %+v", g, w)
	}
}

func testAccounts(t *testing.T, s meta.Store) {
	_, err := s.Account(ctx, "alice")
	wantErr(t, "Account before create", err, meta.ErrNotFound)

	a := account("alice")
	if err := s.CreateAccount(ctx, a, []byte("kr"), []byte("rk")); err != nil {
		t.Fatal(err)
	}
	got, err := s.Account(ctx, "alice")
	wantErr(t, "Account", err, nil)
	sameAccount(t, got, a)

	other := account("alice")
	other.LoginHash = "different"
	wantErr(t, "CreateAccount twice", s.CreateAccount(ctx, other, []byte("x"), []byte("y")), meta.ErrExists)
	got, _ = s.Account(ctx, "alice")
	sameAccount(t, got, a)

	_, err = s.Account(ctx, "bob")
	wantErr(t, "Account of another user", err, meta.ErrNotFound)
}

func testKeyring(t *testing.T, s meta.Store) {
	_, _, _, err := s.Keyring(ctx, "alice")
	wantErr(t, "Keyring without account", err, meta.ErrNotFound)
	_, err = s.PutKeyring(ctx, "alice", 1, []byte("a"), []byte("b"))
	wantErr(t, "PutKeyring without account", err, meta.ErrNotFound)

	mustCreateAccount(t, s, "alice")
	checkKeyring(t, s, "alice", 1, "kr-alice", "rk-alice")

	for _, ifRev := range []uint64{0, 2} {
		_, err := s.PutKeyring(ctx, "alice", ifRev, []byte("bad"), []byte("bad"))
		wantErr(t, "PutKeyring at wrong revision", err, meta.ErrConflict)
	}
	checkKeyring(t, s, "alice", 1, "kr-alice", "rk-alice")

	rev, err := s.PutKeyring(ctx, "alice", 1, []byte("kr2"), []byte("rk2"))
	wantErr(t, "PutKeyring", err, nil)
	if rev != 2 {
		t.Fatalf("PutKeyring rev = %d, want 2", rev)
	}
	checkKeyring(t, s, "alice", 2, "kr2", "rk2")
	_, err = s.PutKeyring(ctx, "alice", 1, []byte("stale"), []byte("stale"))
	wantErr(t, "PutKeyring stale", err, meta.ErrConflict)
	checkKeyring(t, s, "alice", 2, "kr2", "rk2")
}

func checkKeyring(t *testing.T, s meta.Store, user string, wantRev uint64, wantKR, wantRK string) {
	t.Helper()
	rev, kr, rk, err := s.Keyring(ctx, user)
	if err != nil {
		t.Fatalf("Keyring: %v", err)
	}
	if rev != wantRev || string(kr) != wantKR || string(rk) != wantRK {
		t.Fatalf("Keyring = %d %q %q, want %d %q %q", rev, kr, rk, wantRev, wantKR, wantRK)
	}
}

// newLogin is a password change of an account whose keyring is at
// revision 1.
func newLogin() *meta.LoginUpdate {
	return &meta.LoginUpdate{
		KDF:             meta.KDF{Alg: "argon2id", Memory: 131072, Time: 4, Threads: 2},
		Seed:            bytes.Repeat([]byte{9}, 32),
		LoginHash:       "new-hash",
		Keyring:         []byte("kr2"),
		RecoveryKeyring: []byte("rk2"),
		IfKeyringRev:    1,
	}
}

func testUpdateLogin(t *testing.T, s meta.Store) {
	u := newLogin()
	_, err := s.UpdateLogin(ctx, "alice", u)
	wantErr(t, "UpdateLogin without account", err, meta.ErrNotFound)

	mustCreateAccount(t, s, "alice")
	u.IfKeyringRev = 2
	_, err = s.UpdateLogin(ctx, "alice", u)
	wantErr(t, "UpdateLogin at wrong revision", err, meta.ErrConflict)
	got, _ := s.Account(ctx, "alice")
	sameAccount(t, got, account("alice"))
	checkKeyring(t, s, "alice", 1, "kr-alice", "rk-alice")

	// RecoveryAuthHash nil keeps the current one.
	u.IfKeyringRev = 1
	rev, err := s.UpdateLogin(ctx, "alice", u)
	wantErr(t, "UpdateLogin", err, nil)
	if rev != 2 {
		t.Fatalf("UpdateLogin rev = %d, want 2", rev)
	}
	want := account("alice")
	want.KDF, want.Seed, want.LoginHash = u.KDF, u.Seed, u.LoginHash
	got, _ = s.Account(ctx, "alice")
	sameAccount(t, got, want)
	checkKeyring(t, s, "alice", 2, "kr2", "rk2")

	u.IfKeyringRev = 2
	u.RecoveryAuthHash = bytes.Repeat([]byte{7}, 32)
	u.Keyring, u.RecoveryKeyring = []byte("kr3"), []byte("rk3")
	rev, err = s.UpdateLogin(ctx, "alice", u)
	wantErr(t, "UpdateLogin with recovery", err, nil)
	if rev != 3 {
		t.Fatalf("UpdateLogin rev = %d, want 3", rev)
	}
	want.RecoveryAuthHash = u.RecoveryAuthHash
	got, _ = s.Account(ctx, "alice")
	sameAccount(t, got, want)
	checkKeyring(t, s, "alice", 3, "kr3", "rk3")

	// The keyring revision is shared with PutKeyring.
	if _, err := s.PutKeyring(ctx, "alice", 3, []byte("kr4"), []byte("rk4")); err != nil {
		t.Fatal(err)
	}
	u.IfKeyringRev = 3
	_, err = s.UpdateLogin(ctx, "alice", u)
	wantErr(t, "UpdateLogin after PutKeyring", err, meta.ErrConflict)

	// Sessions other than KeepSession end with the update; app and device
	// tokens stay, and so do other accounts' sessions.
	mustCreateAccount(t, s, "bob")
	for _, tok := range []*meta.Token{token("alice", "s0", meta.KindSession, 0), token("alice", "s1", meta.KindSession, 1),
		token("alice", "a1", meta.KindApp, 1), token("bob", "b0", meta.KindSession, 0)} {
		if err := s.CreateToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	u.IfKeyringRev, u.KeepSession = 4, "s1"
	if _, err := s.UpdateLogin(ctx, "alice", u); err != nil {
		t.Fatal(err)
	}
	wantTokens(t, s, "alice", meta.KindSession, "s1")
	wantTokens(t, s, "alice", meta.KindApp, "a1")
	wantTokens(t, s, "bob", meta.KindSession, "b0")
	u.IfKeyringRev, u.KeepSession = 5, ""
	if _, err := s.UpdateLogin(ctx, "alice", u); err != nil {
		t.Fatal(err)
	}
	wantTokens(t, s, "alice", meta.KindSession)
	wantTokens(t, s, "alice", meta.KindApp, "a1")
}
