package metatest

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hearthcloud/hearth/server/meta"
)

func passkey(id string) *meta.Passkey {
	return &meta.Passkey{ID: []byte(id), UserHandle: []byte("handle"), PublicKey: []byte("cose-" + id),
		Flags: 0x45, AAGUID: bytes.Repeat([]byte{1}, 16), Wrap: []byte("wrap-" + id), Unlock: []byte("unlock-" + id), Origin: "https://hearth.example",
		Created: time.Unix(1700000000, 0).UTC()}
}

func testPasskeys(t *testing.T, s meta.Store) {
	mustCreateAccount(t, s, "alice")
	mustCreateAccount(t, s, "bob")
	if err := s.AddPasskey(ctx, "nobody", passkey("x")); !errors.Is(err, meta.ErrNotFound) {
		t.Fatalf("a passkey of no account: %v", err)
	}
	if ps, err := s.Passkeys(ctx, "alice"); err != nil || len(ps) != 0 {
		t.Fatalf("none yet: %v %v", ps, err)
	}
	p := passkey("k1")
	if err := s.AddPasskey(ctx, "alice", p); err != nil {
		t.Fatal(err)
	}
	p.Wrap[0] = 'X' // the store keeps its own copy
	plain := passkey("k2")
	plain.Wrap, plain.Unlock = nil, nil // a passkey without PRF
	if err := s.AddPasskey(ctx, "alice", plain); err != nil {
		t.Fatal(err)
	}
	if err := s.AddPasskey(ctx, "bob", passkey("k1")); !errors.Is(err, meta.ErrExists) {
		t.Fatalf("a credential id another account holds: %v", err)
	}
	ps, err := s.Passkeys(ctx, "alice")
	if err != nil || len(ps) != 2 || string(ps[0].ID) != "k1" || string(ps[1].ID) != "k2" ||
		string(ps[0].Wrap) != "wrap-k1" || ps[1].Wrap != nil || ps[0].Flags != 0x45 || !ps[0].Created.Equal(p.Created) || !ps[0].LastUsed.IsZero() {
		t.Fatalf("Passkeys: %+v %v", ps, err)
	}
	ps[0].Unlock[0] = 'X'
	user, got, err := s.PasskeyByID(ctx, []byte("k1"))
	if err != nil || user != "alice" || string(got.Unlock) != "unlock-k1" || string(got.PublicKey) != "cose-k1" || got.Origin != "https://hearth.example" {
		t.Fatalf("PasskeyByID: %q %+v %v", user, got, err)
	}
	if _, _, err := s.PasskeyByID(ctx, []byte("none")); !errors.Is(err, meta.ErrNotFound) {
		t.Fatalf("PasskeyByID of none: %v", err)
	}

	// The signature counter only grows (unless the authenticator keeps none).
	at := time.Unix(1700000100, 0).UTC()
	if err := s.UsePasskey(ctx, "alice", []byte("k1"), 5, at); err != nil {
		t.Fatal(err)
	}
	for _, n := range []uint32{5, 4, 0} {
		if err := s.UsePasskey(ctx, "alice", []byte("k1"), n, at.Add(time.Hour)); !errors.Is(err, meta.ErrConflict) {
			t.Fatalf("a counter of %d after 5: %v", n, err)
		}
	}
	for range 2 {
		if err := s.UsePasskey(ctx, "alice", []byte("k2"), 0, at); err != nil {
			t.Fatalf("an authenticator without a counter: %v", err)
		}
	}
	if err := s.UsePasskey(ctx, "bob", []byte("k1"), 9, at); !errors.Is(err, meta.ErrNotFound) {
		t.Fatalf("another account's passkey: %v", err)
	}
	if _, got, _ := s.PasskeyByID(ctx, []byte("k1")); got.SignCount != 5 || !got.LastUsed.Equal(at) {
		t.Fatalf("after a use: %+v", got)
	}

	// A login update replaces every unlock: the given ones, nil for the rest.
	u := newLogin()
	u.PasskeyUnlocks = map[string][]byte{"k2": []byte("unlock-k2-new"), "bob's": []byte("ignored")}
	if _, err := s.UpdateLogin(ctx, "alice", u); err != nil {
		t.Fatal(err)
	}
	ps, _ = s.Passkeys(ctx, "alice")
	if ps[0].Unlock != nil || string(ps[1].Unlock) != "unlock-k2-new" || string(ps[0].Wrap) != "wrap-k1" {
		t.Fatalf("after a login update: %+v", ps)
	}
	if err := s.SetPasskeyUnlock(ctx, "alice", []byte("k1"), []byte("unlock-k1-again")); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPasskeyUnlock(ctx, "bob", []byte("k1"), []byte("x")); !errors.Is(err, meta.ErrNotFound) {
		t.Fatalf("SetPasskeyUnlock of another account's: %v", err)
	}
	if _, got, _ := s.PasskeyByID(ctx, []byte("k1")); string(got.Unlock) != "unlock-k1-again" {
		t.Fatalf("after SetPasskeyUnlock: %+v", got)
	}

	// Deleting; the id is free again.
	if err := s.DeletePasskey(ctx, "bob", []byte("k1")); !errors.Is(err, meta.ErrNotFound) {
		t.Fatalf("deleting another account's: %v", err)
	}
	if err := s.DeletePasskey(ctx, "alice", []byte("k1")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.PasskeyByID(ctx, []byte("k1")); !errors.Is(err, meta.ErrNotFound) {
		t.Fatalf("a deleted passkey: %v", err)
	}
	if err := s.AddPasskey(ctx, "bob", passkey("k1")); err != nil {
		t.Fatalf("a deleted passkey's id for another account: %v", err)
	}

	// At most MaxPasskeys.
	for i := range meta.MaxPasskeys - 1 {
		if err := s.AddPasskey(ctx, "alice", passkey(fmt.Sprint("more", i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddPasskey(ctx, "alice", passkey("one too many")); !errors.Is(err, meta.ErrTooMany) {
		t.Fatalf("passkey %d: %v", meta.MaxPasskeys+1, err)
	}
}
