package metatest

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/hearthcloud/hearth/server/meta"
)

// token returns a token of user named by id, created at t0+minutes.
func token(user, id, kind string, minutes int) *meta.Token {
	t := &meta.Token{
		ID:       id,
		User:     user,
		Kind:     kind,
		Name:     "device " + id,
		Hash:     sha256.Sum256([]byte("secret-" + id)),
		Created:  t0.Add(time.Duration(minutes) * time.Minute),
		LastSeen: t0.Add(time.Duration(minutes) * time.Minute),
	}
	if kind != meta.KindSession {
		t.Scopes = []meta.Scope{
			{Doctype: "io.hearth.notes", Verbs: []string{"read", "write"}},
			{Doctype: "io.hearth.files", Verbs: []string{"read"}},
		}
		t.Expires = t0.Add(24 * time.Hour)
	}
	return t
}

// sameToken compares tokens, times with time.Equal and empty scopes as nil.
func sameToken(t *testing.T, got, want *meta.Token) {
	t.Helper()
	g, w := *got, *want
	for _, p := range []struct {
		name string
		g, w time.Time
	}{{"Created", g.Created, w.Created}, {"LastSeen", g.LastSeen, w.LastSeen}, {"Expires", g.Expires, w.Expires}} {
		if !p.g.Equal(p.w) || p.g.IsZero() != p.w.IsZero() {
			t.Errorf("token %s %s = %v, want %v", w.ID, p.name, p.g, p.w)
		}
	}
	g.Created, g.LastSeen, g.Expires = w.Created, w.LastSeen, w.Expires
	if len(g.Scopes) == 0 {
		g.Scopes = nil
	}
	if len(w.Scopes) == 0 {
		w.Scopes = nil
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("token = %+v, want %+v", g, w)
	}
}

func tokenIDs(ts []*meta.Token) []string {
	ids := make([]string, len(ts))
	for i, t := range ts {
		ids[i] = t.ID
	}
	return ids
}

func wantTokens(t *testing.T, s meta.Store, user, kind string, want ...string) {
	t.Helper()
	ts, err := s.Tokens(ctx, user, kind)
	if err != nil {
		t.Fatalf("Tokens: %v", err)
	}
	if got := tokenIDs(ts); !reflect.DeepEqual(got, want) && len(got)+len(want) > 0 {
		t.Fatalf("Tokens(%q, %q) = %q, want %q", user, kind, got, want)
	}
}

func testTokens(t *testing.T, s meta.Store) {
	wantErr(t, "CreateToken without account", s.CreateToken(ctx, token("alice", "s1", meta.KindSession, 0)), meta.ErrNotFound)
	mustCreateAccount(t, s, "alice")

	// Created out of order: listed oldest first.
	toks := []*meta.Token{
		token("alice", "s2", meta.KindSession, 2),
		token("alice", "s0", meta.KindSession, 0),
		token("alice", "s1", meta.KindSession, 1),
		token("alice", "a1", meta.KindApp, 1),
		token("alice", "d1", meta.KindDevice, 3),
	}
	for _, tok := range toks {
		wantErr(t, "CreateToken "+tok.ID, s.CreateToken(ctx, tok), nil)
	}
	wantTokens(t, s, "alice", meta.KindSession, "s0", "s1", "s2")
	wantTokens(t, s, "alice", meta.KindApp, "a1")
	wantTokens(t, s, "alice", meta.KindDevice, "d1")
	wantTokens(t, s, "bob", meta.KindSession)

	ts, _ := s.Tokens(ctx, "alice", meta.KindApp)
	sameToken(t, ts[0], toks[3])

	dupID := token("alice", "s1", meta.KindSession, 5)
	wantErr(t, "CreateToken duplicate id", s.CreateToken(ctx, dupID), meta.ErrExists)
	dupHash := token("alice", "s9", meta.KindSession, 5)
	dupHash.Hash = toks[0].Hash
	wantErr(t, "CreateToken duplicate hash", s.CreateToken(ctx, dupHash), meta.ErrExists)
	wantTokens(t, s, "alice", meta.KindSession, "s0", "s1", "s2")

	for _, tok := range toks {
		got, err := s.TokenByHash(ctx, tok.Hash)
		wantErr(t, "TokenByHash", err, nil)
		sameToken(t, got, tok)
	}
	_, err := s.TokenByHash(ctx, sha256.Sum256([]byte("nope")))
	wantErr(t, "TokenByHash unknown", err, meta.ErrNotFound)

	// A session never expires: the zero time comes back zero.
	if got, _ := s.TokenByHash(ctx, toks[0].Hash); !got.Expires.IsZero() {
		t.Errorf("session Expires = %v, want zero", got.Expires)
	}

	seen := t0.Add(time.Hour + 17*time.Nanosecond)
	wantErr(t, "TouchToken", s.TouchToken(ctx, "s1", seen, time.Time{}), nil)
	got, _ := s.TokenByHash(ctx, toks[2].Hash)
	if !got.LastSeen.Equal(seen) {
		t.Errorf("LastSeen = %v, want %v", got.LastSeen, seen)
	}
	before := got.Expires
	later := seen.Add(30 * 24 * time.Hour)
	wantErr(t, "TouchToken with expiry", s.TouchToken(ctx, "s1", seen, later), nil)
	got, _ = s.TokenByHash(ctx, toks[2].Hash)
	if !got.Expires.Equal(later) || got.Expires.Equal(before) {
		t.Errorf("Expires = %v, want %v", got.Expires, later)
	}
	wantErr(t, "TouchToken unknown", s.TouchToken(ctx, "zz", seen, time.Time{}), meta.ErrNotFound)

	// DeleteToken removes the token and its grant.
	if _, err := s.PutGrant(ctx, "alice", "a1", 0, []byte("grant")); err != nil {
		t.Fatal(err)
	}
	mustCreateAccount(t, s, "bob")
	wantErr(t, "DeleteToken of another user", s.DeleteToken(ctx, "bob", "a1"), meta.ErrNotFound)
	wantErr(t, "DeleteToken", s.DeleteToken(ctx, "alice", "a1"), nil)
	wantErr(t, "DeleteToken twice", s.DeleteToken(ctx, "alice", "a1"), meta.ErrNotFound)
	wantErr(t, "DeleteToken unknown", s.DeleteToken(ctx, "alice", "zz"), meta.ErrNotFound)
	_, err = s.TokenByHash(ctx, toks[3].Hash)
	wantErr(t, "TokenByHash after delete", err, meta.ErrNotFound)
	_, _, err = s.Grant(ctx, "alice", "a1")
	wantErr(t, "Grant after DeleteToken", err, meta.ErrNotFound)
	wantTokens(t, s, "alice", meta.KindApp)

	// The id may be used again, without the old grant.
	wantErr(t, "CreateToken reused id", s.CreateToken(ctx, token("alice", "a1", meta.KindApp, 9)), nil)
	_, _, err = s.Grant(ctx, "alice", "a1")
	wantErr(t, "Grant of recreated token", err, meta.ErrNotFound)
}

func testDeleteTokens(t *testing.T, s meta.Store) {
	mustCreateAccount(t, s, "alice")
	mustCreateAccount(t, s, "bob")
	for i, id := range []string{"s0", "s1", "s2"} {
		wantErr(t, "CreateToken", s.CreateToken(ctx, token("alice", id, meta.KindSession, i)), nil)
	}
	wantErr(t, "CreateToken", s.CreateToken(ctx, token("alice", "a0", meta.KindApp, 0)), nil)
	wantErr(t, "CreateToken", s.CreateToken(ctx, token("bob", "b0", meta.KindSession, 0)), nil)
	if _, err := s.PutGrant(ctx, "alice", "a0", 0, []byte("g")); err != nil {
		t.Fatal(err)
	}

	wantErr(t, "DeleteTokens", s.DeleteTokens(ctx, "alice", meta.KindSession, "s1"), nil)
	wantTokens(t, s, "alice", meta.KindSession, "s1")
	wantTokens(t, s, "alice", meta.KindApp, "a0")
	wantTokens(t, s, "bob", meta.KindSession, "b0")
	if _, err := s.TokenByHash(ctx, token("alice", "s0", "", 0).Hash); err == nil {
		t.Error("deleted session still found by hash")
	}

	// Deleting app tokens deletes their grants.
	wantErr(t, "DeleteTokens app", s.DeleteTokens(ctx, "alice", meta.KindApp, ""), nil)
	wantTokens(t, s, "alice", meta.KindApp)
	_, _, err := s.Grant(ctx, "alice", "a0")
	wantErr(t, "Grant after DeleteTokens", err, meta.ErrNotFound)
	wantTokens(t, s, "alice", meta.KindSession, "s1")
}

func testGrants(t *testing.T, s meta.Store) {
	mustCreateAccount(t, s, "alice")
	mustCreateAccount(t, s, "bob")
	wantErr(t, "CreateToken", s.CreateToken(ctx, token("alice", "a1", meta.KindApp, 0)), nil)
	wantErr(t, "CreateToken", s.CreateToken(ctx, token("bob", "b1", meta.KindApp, 0)), nil)

	_, err := s.PutGrant(ctx, "alice", "zz", 0, []byte("g"))
	wantErr(t, "PutGrant unknown token", err, meta.ErrNotFound)
	_, err = s.PutGrant(ctx, "alice", "b1", 0, []byte("g"))
	wantErr(t, "PutGrant on another user's token", err, meta.ErrNotFound)
	_, _, err = s.Grant(ctx, "alice", "a1")
	wantErr(t, "Grant before put", err, meta.ErrNotFound)
	_, err = s.PutGrant(ctx, "alice", "a1", 1, []byte("g"))
	wantErr(t, "PutGrant update of missing grant", err, meta.ErrConflict)

	steps := []struct {
		ifRev   uint64
		body    string
		wantRev uint64
		wantErr error
	}{
		{0, "g1", 1, nil},
		{0, "again", 0, meta.ErrExists},
		{2, "ahead", 0, meta.ErrConflict},
		{1, "g2", 2, nil},
		{1, "stale", 0, meta.ErrConflict},
		{2, "g3", 3, nil},
	}
	for _, st := range steps {
		rev, err := s.PutGrant(ctx, "alice", "a1", st.ifRev, []byte(st.body))
		wantErr(t, "PutGrant "+st.body, err, st.wantErr)
		if err == nil && rev != st.wantRev {
			t.Fatalf("PutGrant %s rev = %d, want %d", st.body, rev, st.wantRev)
		}
	}
	rev, g, err := s.Grant(ctx, "alice", "a1")
	if err != nil || rev != 3 || string(g) != "g3" {
		t.Fatalf("Grant = %d %q %v, want 3 g3", rev, g, err)
	}
	_, _, err = s.Grant(ctx, "bob", "a1")
	wantErr(t, "Grant of another user", err, meta.ErrNotFound)
	wantErr(t, "DeleteGrant of another user", s.DeleteGrant(ctx, "bob", "a1"), meta.ErrNotFound)

	wantErr(t, "DeleteGrant", s.DeleteGrant(ctx, "alice", "a1"), nil)
	_, _, err = s.Grant(ctx, "alice", "a1")
	wantErr(t, "Grant after delete", err, meta.ErrNotFound)
	wantErr(t, "DeleteGrant twice", s.DeleteGrant(ctx, "alice", "a1"), meta.ErrNotFound)
	wantErr(t, "DeleteGrant unknown token", s.DeleteGrant(ctx, "alice", "zz"), meta.ErrNotFound)
	wantTokens(t, s, "alice", meta.KindApp, "a1")

	rev, err = s.PutGrant(ctx, "alice", "a1", 0, []byte("again"))
	if err != nil || rev != 1 {
		t.Fatalf("PutGrant after delete = %d %v, want 1", rev, err)
	}
}

// bound returns an app token of user bound to session.
func bound(user, id, session string, minutes int) *meta.Token {
	t := token(user, id, meta.KindApp, minutes)
	t.Session = session
	return t
}

func mustCreateTokens(t *testing.T, s meta.Store, toks ...*meta.Token) {
	t.Helper()
	for _, tok := range toks {
		if err := s.CreateToken(ctx, tok); err != nil {
			t.Fatalf("CreateToken %s: %v", tok.ID, err)
		}
	}
}

func mustGrant(t *testing.T, s meta.Store, user string, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if _, err := s.PutGrant(ctx, user, id, 0, []byte("grant "+id)); err != nil {
			t.Fatalf("PutGrant %s: %v", id, err)
		}
	}
}

// wantGone fails t unless the token id is gone: not found by id or hash,
// and without a grant.
func wantGone(t *testing.T, s meta.Store, user, id string) {
	t.Helper()
	if _, err := s.TokenByID(ctx, id); !errors.Is(err, meta.ErrNotFound) {
		t.Errorf("TokenByID(%s) after its session ended: %v, want ErrNotFound", id, err)
	}
	if _, err := s.TokenByHash(ctx, token(user, id, "", 0).Hash); !errors.Is(err, meta.ErrNotFound) {
		t.Errorf("TokenByHash(%s) after its session ended: %v, want ErrNotFound", id, err)
	}
	if _, _, err := s.Grant(ctx, user, id); !errors.Is(err, meta.ErrNotFound) {
		t.Errorf("Grant(%s) after its session ended: %v, want ErrNotFound", id, err)
	}
}

// wantLive fails t unless the token id is there with its grant.
func wantLive(t *testing.T, s meta.Store, user, id string) {
	t.Helper()
	if _, err := s.TokenByID(ctx, id); err != nil {
		t.Errorf("TokenByID(%s): %v", id, err)
	}
	if _, err := s.TokenByHash(ctx, token(user, id, "", 0).Hash); err != nil {
		t.Errorf("TokenByHash(%s): %v", id, err)
	}
	if _, g, err := s.Grant(ctx, user, id); err != nil || string(g) != "grant "+id {
		t.Errorf("Grant(%s) = %q %v", id, g, err)
	}
}

func testTokenByID(t *testing.T, s meta.Store) {
	mustCreateAccount(t, s, "alice")
	mustCreateAccount(t, s, "bob")
	toks := []*meta.Token{
		token("alice", "s0", meta.KindSession, 0),
		bound("alice", "a0", "s0", 1),
		token("alice", "d0", meta.KindDevice, 2),
		token("bob", "b0", meta.KindSession, 0),
	}
	mustCreateTokens(t, s, toks...)
	// Ids are global: no user is asked for, and any user's token is found.
	for _, tok := range toks {
		got, err := s.TokenByID(ctx, tok.ID)
		wantErr(t, "TokenByID "+tok.ID, err, nil)
		sameToken(t, got, tok)
	}
	_, err := s.TokenByID(ctx, "zz")
	wantErr(t, "TokenByID unknown", err, meta.ErrNotFound)
	_, err = s.TokenByID(ctx, "")
	wantErr(t, "TokenByID empty", err, meta.ErrNotFound)

	// Session round-trips through TokenByHash and Tokens, and is empty
	// for tokens bound to nothing.
	got, err := s.TokenByHash(ctx, toks[1].Hash)
	wantErr(t, "TokenByHash", err, nil)
	if got.Session != "s0" {
		t.Errorf("TokenByHash Session = %q, want s0", got.Session)
	}
	apps, _ := s.Tokens(ctx, "alice", meta.KindApp)
	if len(apps) != 1 || apps[0].Session != "s0" {
		t.Fatalf("Tokens(app) = %+v, want a0 bound to s0", apps)
	}
	devs, _ := s.Tokens(ctx, "alice", meta.KindDevice)
	if len(devs) != 1 || devs[0].Session != "" {
		t.Fatalf("Tokens(device) = %+v, want d0 bound to nothing", devs)
	}

	// TouchToken shows through TokenByID.
	seen, later := t0.Add(time.Hour), t0.Add(40*24*time.Hour)
	wantErr(t, "TouchToken", s.TouchToken(ctx, "s0", seen, later), nil)
	got, _ = s.TokenByID(ctx, "s0")
	if !got.LastSeen.Equal(seen) || !got.Expires.Equal(later) {
		t.Errorf("TokenByID after TouchToken: LastSeen %v Expires %v, want %v %v", got.LastSeen, got.Expires, seen, later)
	}

	// A token bound to a session that is not the user's, or to none that
	// exists, is refused and not stored.
	wantErr(t, "CreateToken bound to unknown session", s.CreateToken(ctx, bound("alice", "a9", "zz", 3)), meta.ErrNotFound)
	wantErr(t, "CreateToken bound to another user's session", s.CreateToken(ctx, bound("alice", "a8", "b0", 3)), meta.ErrNotFound)
	for _, id := range []string{"a9", "a8"} {
		_, err := s.TokenByID(ctx, id)
		wantErr(t, "TokenByID of a refused token", err, meta.ErrNotFound)
	}
	wantTokens(t, s, "alice", meta.KindApp, "a0")
}

// sessionSetup stores, for alice, sessions s0 and s1, apps a1 and a2 bound
// to s0, a3 bound to s1, a device token d0 and an unbound app token u0, all
// with grants; and for bob a session b0 with an app bound to it.
func sessionSetup(t *testing.T, s meta.Store) {
	t.Helper()
	mustCreateAccount(t, s, "alice")
	mustCreateAccount(t, s, "bob")
	mustCreateTokens(t, s,
		token("alice", "s0", meta.KindSession, 0),
		token("alice", "s1", meta.KindSession, 1),
		bound("alice", "a1", "s0", 2),
		bound("alice", "a2", "s0", 3),
		bound("alice", "a3", "s1", 4),
		token("alice", "d0", meta.KindDevice, 5),
		token("alice", "u0", meta.KindApp, 6),
		token("bob", "b0", meta.KindSession, 0),
		bound("bob", "ba", "b0", 1),
	)
	mustGrant(t, s, "alice", "a1", "a2", "a3", "d0", "u0")
	mustGrant(t, s, "bob", "ba")
}

func testBoundTokens(t *testing.T, s meta.Store) {
	sessionSetup(t, s)

	// Deleting an app token leaves its session and the other apps.
	wantErr(t, "DeleteToken a2", s.DeleteToken(ctx, "alice", "a2"), nil)
	wantGone(t, s, "alice", "a2")
	wantTokens(t, s, "alice", meta.KindSession, "s0", "s1")
	wantLive(t, s, "alice", "a1")

	// Another user cannot delete the session, nor so its apps.
	wantErr(t, "DeleteToken of another user", s.DeleteToken(ctx, "bob", "s0"), meta.ErrNotFound)
	wantLive(t, s, "alice", "a1")

	// Deleting the session deletes its apps and their grants; the other
	// session's app, the device token and the unbound app stay.
	wantErr(t, "DeleteToken s0", s.DeleteToken(ctx, "alice", "s0"), nil)
	wantGone(t, s, "alice", "a1")
	wantTokens(t, s, "alice", meta.KindSession, "s1")
	wantTokens(t, s, "alice", meta.KindApp, "a3", "u0")
	wantTokens(t, s, "alice", meta.KindDevice, "d0")
	for _, id := range []string{"a3", "d0", "u0"} {
		wantLive(t, s, "alice", id)
	}
	wantLive(t, s, "bob", "ba")
	wantErr(t, "DeleteToken s0 twice", s.DeleteToken(ctx, "alice", "s0"), meta.ErrNotFound)
}

func testBoundTokensDeleteTokens(t *testing.T, s meta.Store) {
	sessionSetup(t, s)
	mustCreateTokens(t, s, token("alice", "s2", meta.KindSession, 7), bound("alice", "a4", "s2", 8))
	mustGrant(t, s, "alice", "a4")

	// Deleting the sessions but s1 deletes the apps of s0 and s2 only.
	wantErr(t, "DeleteTokens", s.DeleteTokens(ctx, "alice", meta.KindSession, "s1"), nil)
	wantTokens(t, s, "alice", meta.KindSession, "s1")
	wantTokens(t, s, "alice", meta.KindApp, "a3", "u0")
	wantTokens(t, s, "alice", meta.KindDevice, "d0")
	for _, id := range []string{"a1", "a2", "a4"} {
		wantGone(t, s, "alice", id)
	}
	for _, id := range []string{"a3", "d0", "u0"} {
		wantLive(t, s, "alice", id)
	}
	wantTokens(t, s, "bob", meta.KindSession, "b0")
	wantLive(t, s, "bob", "ba")

	// Deleting app tokens leaves the sessions.
	wantErr(t, "DeleteTokens app", s.DeleteTokens(ctx, "alice", meta.KindApp, ""), nil)
	wantTokens(t, s, "alice", meta.KindSession, "s1")
	wantTokens(t, s, "alice", meta.KindApp)
	wantLive(t, s, "alice", "d0")
}

func testBoundTokensUpdateLogin(t *testing.T, s meta.Store) {
	sessionSetup(t, s)
	u := newLogin()
	u.KeepSession = "s1"
	// A failed update ends nothing.
	u.IfKeyringRev = 7
	_, err := s.UpdateLogin(ctx, "alice", u)
	wantErr(t, "UpdateLogin at wrong revision", err, meta.ErrConflict)
	wantTokens(t, s, "alice", meta.KindApp, "a1", "a2", "a3", "u0")

	// Sessions other than KeepSession end with their apps; the apps of
	// KeepSession stay, and so do device and unbound tokens.
	u.IfKeyringRev = 1
	if _, err := s.UpdateLogin(ctx, "alice", u); err != nil {
		t.Fatal(err)
	}
	wantTokens(t, s, "alice", meta.KindSession, "s1")
	wantTokens(t, s, "alice", meta.KindApp, "a3", "u0")
	wantTokens(t, s, "alice", meta.KindDevice, "d0")
	for _, id := range []string{"a1", "a2"} {
		wantGone(t, s, "alice", id)
	}
	for _, id := range []string{"a3", "d0", "u0"} {
		wantLive(t, s, "alice", id)
	}
	wantLive(t, s, "bob", "ba")

	// A recovery (no session kept) ends every session and every bound app.
	u.IfKeyringRev, u.KeepSession = 2, ""
	if _, err := s.UpdateLogin(ctx, "alice", u); err != nil {
		t.Fatal(err)
	}
	wantTokens(t, s, "alice", meta.KindSession)
	wantTokens(t, s, "alice", meta.KindApp, "u0")
	wantGone(t, s, "alice", "a3")
	wantLive(t, s, "alice", "d0")
	wantLive(t, s, "bob", "ba")
}

// testMaxTokens checks that an account holds at most MaxTokens tokens of a
// kind: a new session past it ends the least recently used one and the
// tokens bound to it; a new app token past it is ErrTooMany; another
// account is not held back.
func testMaxTokens(t *testing.T, s meta.Store) {
	mustCreateAccount(t, s, "alice")
	mustCreateAccount(t, s, "bob")
	// Session i was last seen at minute MaxTokens-i: session MaxTokens-1
	// is the least recently used.
	for i := range meta.MaxTokens {
		wantErr(t, "CreateToken", s.CreateToken(ctx, token("alice", fmt.Sprintf("s%04d", i), meta.KindSession, meta.MaxTokens-i)), nil)
	}
	lru := fmt.Sprintf("s%04d", meta.MaxTokens-1)
	bound := token("alice", "bound", meta.KindApp, 0)
	bound.Session = lru
	wantErr(t, "CreateToken bound", s.CreateToken(ctx, bound), nil)
	wantErr(t, "CreateToken past MaxTokens", s.CreateToken(ctx, token("alice", "snew", meta.KindSession, 2*meta.MaxTokens)), nil)
	ts, err := s.Tokens(ctx, "alice", meta.KindSession)
	if err != nil || len(ts) != meta.MaxTokens {
		t.Fatalf("%d sessions (%v), want %d", len(ts), err, meta.MaxTokens)
	}
	for _, id := range []string{lru, "bound"} {
		if _, err := s.TokenByID(ctx, id); !errors.Is(err, meta.ErrNotFound) {
			t.Fatalf("%s after a session past MaxTokens: %v, want ErrNotFound", id, err)
		}
	}
	for i := range meta.MaxTokens {
		wantErr(t, "CreateToken app", s.CreateToken(ctx, token("alice", fmt.Sprintf("a%04d", i), meta.KindApp, i)), nil)
	}
	wantErr(t, "CreateToken app past MaxTokens", s.CreateToken(ctx, token("alice", "anew", meta.KindApp, 0)), meta.ErrTooMany)
	wantErr(t, "CreateToken for bob", s.CreateToken(ctx, token("bob", "b1", meta.KindApp, 0)), nil)
}
