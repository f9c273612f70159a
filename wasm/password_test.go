//go:build hearthtest

package wasm

import (
	"testing"
)

// TestChangePassword: Home changes the password through the browser API;
// the other session ends, this one goes on and resumes from what it saved
// with the new keys, and the new password signs in.
func TestChangePassword(t *testing.T) {
	s := newServer(t)
	a, ev := newAPI(t, s)
	user, _ := signup(t, a)
	made, err := a.Create(ctx, "io.hearth.notes", []byte(`{"title":"kept"}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := newAPI(t, s)
	if _, err := b.Login(ctx, user, "correct horse", ""); err != nil {
		t.Fatal(err)
	}

	wantCode(t, "wrong current password", a.ChangePassword(ctx, "wrong", "a new test passphrase"), "bad_credentials")
	wantCode(t, "empty new password", a.ChangePassword(ctx, "correct horse", ""), "weak_password")
	wantCode(t, "weak new password", a.ChangePassword(ctx, "correct horse", "password123"), "weak_password")
	if err := a.ChangePassword(ctx, "correct horse", "a new test passphrase"); err != nil {
		t.Fatal(err)
	}
	if d, err := a.Get(ctx, "io.hearth.notes", made.ID); err != nil || string(d.Value) != `{"title":"kept"}` {
		t.Fatalf("after the change: %+v %v", d, err)
	}
	_, err = b.Get(ctx, "io.hearth.notes", made.ID)
	wantCode(t, "the other session", err, "session_ended")

	// What Home saved resumes with the new keys.
	a2, _ := newAPI(t, s)
	if r, err := a2.Resume(ev.lastState()); err != nil || !r.Restored {
		t.Fatalf("resume: %+v %v", r, err)
	}
	if d, err := a2.Get(ctx, "io.hearth.notes", made.ID); err != nil || string(d.Value) != `{"title":"kept"}` {
		t.Fatalf("resumed: %+v %v", d, err)
	}
	c, _ := newAPI(t, s)
	_, err = c.Login(ctx, user, "correct horse", "")
	wantCode(t, "the old password", err, "bad_credentials")
	if _, err := c.Login(ctx, user, "a new test passphrase", ""); err != nil {
		t.Fatal(err)
	}
}

// TestChangePasswordOtherBrowser: Home in one browser changes the
// password; Home in another browser, whose session this ended, signs in
// with the new password: its memory of the account (protocol §4.7) holds
// the old seed, so a plain sign-in fails as kdf_changed, with nothing
// sent, and one saying the password changed (LoginOptions.PasswordChanged,
// which Home asks the person about) goes through. (Found by issue 14's
// attack pass.)
func TestChangePasswordOtherBrowser(t *testing.T) {
	s := newServer(t)
	a, _ := newAPI(t, s)
	user, _ := signup(t, a)
	b, _ := newAPI(t, s)
	if _, err := b.Login(ctx, user, "correct horse", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Account(ctx); err != nil { // the feed's first pass: b knows the account
		t.Fatal(err)
	}
	if err := a.ChangePassword(ctx, "correct horse", "a new test passphrase"); err != nil {
		t.Fatal(err)
	}
	_, err := b.Account(ctx)
	wantCode(t, "the other browser's session", err, "session_ended")
	_, err = b.Login(ctx, user, "a new test passphrase", "")
	wantCode(t, "the other browser, not told the password changed", err, "kdf_changed")
	if _, err := b.LoginWith(ctx, user, "a new test passphrase", LoginOptions{PasswordChanged: true}); err != nil {
		t.Fatalf("the other browser signs in with the new password, told it changed: %v", err)
	}
}
