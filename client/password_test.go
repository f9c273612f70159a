//go:build hearthtest

package client_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/crypto/kdf"
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
	if err := c.ChangePassword(ctx, "an old test passphrase", "an old test passphrase"); !errors.Is(err, client.ErrSamePassword) {
		t.Fatalf("the same password again: %v, want ErrSamePassword", err)
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

// TestChangePasswordPreloginSwapped: the host answers the prelogin of a
// password change with another seed than the one this session signed in
// with. The client refuses it as an integrity error before it derives or
// sends anything (protocol §4.7: the device remembers the account's seed
// and KDF parameters), as a login that remembers the account does; it
// does not send the current password's login secret under a seed the host
// chose.
func TestChangePasswordPreloginSwapped(t *testing.T) {
	e := newEnv(t)
	c, _, _ := e.signup("an old test passphrase")
	sent := false
	e.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		switch {
		case r.Method == "POST" && r.URL.Path == "/v1/account/password":
			sent = true
		case r.Method == "POST" && r.URL.Path == "/v1/prelogin":
			rec := capture(next, r)
			var p map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
				t.Fatal(err)
			}
			p["seed"] = bytes.Repeat([]byte{7}, 32)
			b, _ := json.Marshal(p)
			replay(w, rec, b)
			return true
		}
		return false
	})
	err := c.ChangePassword(ctx, "an old test passphrase", "a new test passphrase")
	e.tamper(nil)
	if !errors.Is(err, client.ErrIntegrity) {
		t.Errorf("a password change given another seed: %v, want ErrIntegrity", err)
	}
	if sent {
		t.Error("the client sent a login secret derived under the host's seed")
	}
	// Nothing changed: the password still is the old one.
	if err := c.ChangePassword(ctx, "an old test passphrase", "a new test passphrase"); err != nil {
		t.Fatal(err)
	}
}

// TestChangePasswordTwice: a device that signed in remembering the account
// (Options.Previous) changes the password, then changes it again in the
// same session. The second change is checked against the seed the first
// one made, not the one the device remembered at sign-in, and succeeds.
func TestChangePasswordTwice(t *testing.T) {
	e := newEnv(t)
	c0, user, _ := e.signup("a first test passphrase")
	o := &client.Options{KDF: kdf.TestParams, Device: "test", Previous: c0.State()}
	c, err := client.Login(ctx, e.url, user, "a first test passphrase", "", o)
	if err != nil {
		t.Fatal(err)
	}
	mustCatchUp(t, c)
	if err := c.ChangePassword(ctx, "a first test passphrase", "a second test passphrase"); err != nil {
		t.Fatal(err)
	}
	if err := c.ChangePassword(ctx, "a second test passphrase", "a third test passphrase"); err != nil {
		t.Fatalf("a second password change in the same session: %v", err)
	}
	if _, err := client.Login(ctx, e.url, user, "a third test passphrase", "", &client.Options{KDF: kdf.TestParams, Previous: c.State()}); err != nil {
		t.Fatal(err)
	}
}

// TestKDFChangedRemembersNewSeed: a device told that the password changed
// on another device (Options.KDFChanged) signs in with the new seed, and
// remembers that seed, not the one its earlier session knew: its next
// sign-in, told nothing, goes on (it is not refused as an integrity
// failure again and again).
func TestKDFChangedRemembersNewSeed(t *testing.T) {
	e := newEnv(t)
	other, user, _ := e.signup("a first test passphrase")
	b, err := client.Login(ctx, e.url, user, "a first test passphrase", "", opts)
	if err != nil {
		t.Fatal(err)
	}
	mustCatchUp(t, b)
	before := b.State()
	if err := other.ChangePassword(ctx, "a first test passphrase", "a second test passphrase"); err != nil {
		t.Fatal(err)
	}
	o := &client.Options{KDF: kdf.TestParams, Device: "test", Previous: before, KDFChanged: true}
	c, err := client.Login(ctx, e.url, user, "a second test passphrase", "", o)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(c.State().Seed, before.Seed) {
		t.Error("signed in with the new seed, the device remembers the old one")
	}
	o = &client.Options{KDF: kdf.TestParams, Device: "test", Previous: c.State()}
	if _, err := client.Login(ctx, e.url, user, "a second test passphrase", "", o); err != nil {
		t.Fatalf("the sign-in after one told of the change: %v", err)
	}
}

// TestChangePasswordAnswerLost: the server makes the change but the answer
// never arrives (the connection drops). The client finds its keyring
// served as the revision it sealed and goes on with the new key, rather
// than keep a master key that opens nothing any more; a change that was
// not made is reported as the failure it is.
func TestChangePasswordAnswerLost(t *testing.T) {
	e := newEnv(t)
	c, user, _ := e.signup("an old test passphrase")
	id, _, err := c.Create(ctx, "io.hearth.notes", []byte("kept"))
	if err != nil {
		t.Fatal(err)
	}
	var drop, made atomic.Bool // read by the server's goroutines
	drop.Store(true)
	e.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if r.Method == "POST" && r.URL.Path == "/v1/account/password" && drop.Load() {
			if made.Load() {
				capture(next, r) // made on the server, answer lost
			}
			panic(http.ErrAbortHandler) // the connection drops
		}
		return false
	})
	// Not made: the failure is reported, and the old password goes on.
	if err := c.ChangePassword(ctx, "an old test passphrase", "a new test passphrase"); err == nil {
		t.Fatal("a change whose request never reached the server succeeded")
	}
	if _, err := c.Get(ctx, "io.hearth.notes", id); err != nil {
		t.Fatalf("after a change that was not made: %v", err)
	}
	// Made, answer lost: the client goes on with the new key.
	made.Store(true)
	if err := c.ChangePassword(ctx, "an old test passphrase", "a new test passphrase"); err != nil {
		t.Fatalf("a change made whose answer was lost: %v", err)
	}
	drop.Store(false)
	if err := c.VerifyKeyring(ctx); err != nil {
		t.Fatalf("the keyring after the change: %v", err)
	}
	if d, err := c.Get(ctx, "io.hearth.notes", id); err != nil || string(d.Content) != "kept" {
		t.Fatalf("after the change: %v %v", d, err)
	}
	if _, err := client.Login(ctx, e.url, user, "a new test passphrase", "", &client.Options{KDF: opts.KDF, KDFChanged: true}); err != nil {
		t.Fatalf("the new password: %v", err)
	}
}
