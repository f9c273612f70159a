//go:build hearthtest

package client_test

import (
	"errors"
	"testing"

	"github.com/hearthcloud/hearth/client"
)

func TestChangePassword(t *testing.T) {
	e := newEnv(t)
	c, user, rk := e.signup("an old test passphrase")
	id, _, err := c.Create(ctx, "io.hearth.notes", []byte("kept"))
	if err != nil {
		t.Fatal(err)
	}
	other, err := client.Login(ctx, e.url, user, "an old test passphrase", "", opts)
	if err != nil {
		t.Fatal(err)
	}

	if err := c.ChangePassword(ctx, "not the password", "a new test passphrase"); !errors.Is(err, client.ErrBadCredentials) {
		t.Fatalf("a wrong current password: %v, want ErrBadCredentials", err)
	}
	if err := c.ChangePassword(ctx, "an old test passphrase", ""); err == nil {
		t.Fatal("an empty new password was accepted")
	}
	if _, err := c.Get(ctx, "io.hearth.notes", id); err != nil {
		t.Fatalf("a refused change ended the session: %v", err)
	}

	if err := c.ChangePassword(ctx, "an old test passphrase", "a new test passphrase"); err != nil {
		t.Fatal(err)
	}
	// This session goes on, and writes under the keyring sealed anew.
	if d, err := c.Get(ctx, "io.hearth.notes", id); err != nil || string(d.Content) != "kept" {
		t.Fatalf("after the change: %v %v", d, err)
	}
	if _, _, err := c.Create(ctx, "io.hearth.notes", []byte("after")); err != nil {
		t.Fatal(err)
	}
	// The other session ended.
	if _, err := other.Get(ctx, "io.hearth.notes", id); !errors.Is(err, client.ErrSessionEnded) {
		t.Fatalf("the other session: %v, want ErrSessionEnded", err)
	}
	// This device resumes with what it saved.
	again, err := client.Resume(c.State(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if d, err := again.Get(ctx, "io.hearth.notes", id); err != nil || string(d.Content) != "kept" {
		t.Fatalf("resumed: %v %v", d, err)
	}
	// The old password no longer signs in; the new one does, and opens the data.
	if _, err := client.Login(ctx, e.url, user, "an old test passphrase", "", opts); !errors.Is(err, client.ErrBadCredentials) {
		t.Fatalf("old password: %v", err)
	}
	c2, err := client.Login(ctx, e.url, user, "a new test passphrase", "", opts)
	if err != nil {
		t.Fatal(err)
	}
	if d, err := c2.Get(ctx, "io.hearth.notes", id); err != nil || string(d.Content) != "kept" {
		t.Fatalf("signed in with the new password: %v %v", d, err)
	}
	// The recovery key stays the same.
	if _, _, err := client.Recover(ctx, e.url, user, rk, "a third test passphrase", "", opts); err != nil {
		t.Fatalf("the recovery key after a password change: %v", err)
	}
}
