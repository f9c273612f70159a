//go:build hearthtest

package client_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/crypto/keyring"
)

// forkHost is a host that keeps two histories of the keyring: the one it
// shows stale serves a device (by session token) the keyring it captured
// earlier, takes that device's keyring writes aside as a fork, and serves
// the fork to every device once fork is set.
type forkHost struct {
	e        *env
	stale    string // the token of the device shown the old keyring
	old      []byte // the keyring captured before the rotation
	oldRev   string
	fork     []byte // the stale device's keyring write, kept aside
	forkRev  string
	serving  atomic.Bool // serve the fork to everyone
	docPuts  atomic.Int64
	docToken string // count document writes with this token
}

func (h *forkHost) hook(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if r.Method == "PUT" && strings.HasPrefix(r.URL.Path, "/v1/docs/") && tok == h.docToken {
		h.docPuts.Add(1)
	}
	switch {
	case isGet(r, "/v1/keyring") && h.serving.Load():
		rec := capture(next, r)
		rec.Header().Set("Hearth-Revision", h.forkRev)
		rec.Header().Set("ETag", `"`+h.forkRev+`"`)
		replay(w, rec, h.fork)
		return true
	case isGet(r, "/v1/keyring") && tok == h.stale:
		rec := capture(next, r)
		rec.Header().Set("Hearth-Revision", h.oldRev)
		rec.Header().Set("ETag", `"`+h.oldRev+`"`)
		replay(w, rec, h.old)
		return true
	case r.Method == "PUT" && r.URL.Path == "/v1/keyring" && tok == h.stale:
		// The stale device writes its revision over the old one: the host
		// keeps it aside and says it took it.
		var in struct {
			Keyring []byte `json:"keyring"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			h.e.t.Error(err)
		}
		h.fork = in.Keyring
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"rev":` + h.forkRev + `}`))
		return true
	}
	return false
}

// TestSecurity14KeyringFork: a host rolls the keyring back for a stale
// device, lets it write its own next revision (a fork without the rotation
// an uninstall made), and serves that fork to every device. Every device
// that opened the revision the fork replaces refuses it, the one that made
// that revision included, halts, and seals nothing with the revoked key.
func TestSecurity14KeyringFork(t *testing.T) {
	e := newEnv(t)
	a, user, _ := e.signup("a long test passphrase")
	id, _, err := a.Create(ctx, notes, []byte("before")) // keyring revision 2: notes
	if err != nil {
		t.Fatal(err)
	}
	// The host keeps revision 2 as the stale device reads it.
	h := &forkHost{e: e, oldRev: "2", forkRev: "3"}
	e.tamper(keepFirst("/v1/keyring", &h.old))
	stale, err := client.Login(ctx, e.url, user, "a long test passphrase", "", opts)
	if err != nil {
		t.Fatal(err)
	}
	e.tamper(nil)
	mustCatchUp(t, stale)
	other, err := client.Login(ctx, e.url, user, "a long test passphrase", "", opts)
	if err != nil {
		t.Fatal(err)
	}
	mustCatchUp(t, other)

	// a uninstalls an app that held notes: revision 3, notes generation 2.
	info, _, err := a.CreateToken(ctx, "bookmarks", client.KindApp, []client.Scope{{Doctype: notes, Verbs: []string{"read", "write"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Revoke(ctx, info.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Put(ctx, notes, id, []byte("after the uninstall")); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Get(ctx, notes, id); err != nil { // opens revision 3
		t.Fatal(err)
	}
	if a.State().KeyringRev != 3 || other.State().KeyringRev != 3 || a.State().Gens[notes] != 2 {
		t.Fatalf("a at %d, other at %d, notes generation %d", a.State().KeyringRev, other.State().KeyringRev, a.State().Gens[notes])
	}

	// The host shows the stale device revision 2 again; it adds a doctype,
	// writing its own revision 3 without notes generation 2.
	h.stale = stale.State().Token
	e.tamper(h.hook)
	if _, _, err := stale.Create(ctx, "io.hearth.tasks", []byte("stale")); err != nil {
		t.Fatal(err)
	}
	if h.fork == nil {
		t.Fatal("the stale device wrote no keyring")
	}

	// Every other device is served the fork as revision 3.
	h.serving.Store(true)
	h.docToken = a.State().Token
	for name, c := range map[string]*client.Client{"the device that made revision 3": a, "another device": other} {
		c, err := client.Resume(c.State(), opts)
		if err != nil {
			t.Fatal(err)
		}
		err = c.VerifyKeyring(ctx)
		if !errors.Is(err, client.ErrIntegrity) || !strings.Contains(err.Error(), "forked") {
			t.Fatalf("%s: %v, want the fork refused", name, err)
		}
		t.Logf("%s: %v", name, err)
		if c.Halted() == "" {
			t.Fatalf("%s did not halt", name)
		}
		if _, err := c.Put(ctx, notes, id, []byte("sealed with the revoked key?")); !errors.Is(err, client.ErrHalted) {
			t.Fatalf("%s wrote after the fork: %v", name, err)
		}
		if _, _, err := c.Create(ctx, notes, []byte("new note")); !errors.Is(err, client.ErrHalted) {
			t.Fatalf("%s created after the fork: %v", name, err)
		}
		// The halt is remembered: a resumed device still refuses.
		again, err := client.Resume(c.State(), opts)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := again.Create(ctx, notes, []byte("new note")); !errors.Is(err, client.ErrHalted) {
			t.Fatalf("%s, resumed, created after the fork: %v", name, err)
		}
	}
	if n := h.docPuts.Load(); n != 0 {
		t.Fatalf("the device that uninstalled the app sent %d document writes after the fork", n)
	}
}

// TestSealNeverOlderGeneration: a device that remembers no keyring digest
// (a state from before digests) but saw notes sealed with generation 2 is
// served a keyring of its revision, on a fork, without generation 2: it
// refuses the keyring, halts, and seals nothing with generation 1 (§4.1).
func TestSealNeverOlderGeneration(t *testing.T) {
	e := newEnv(t)
	a, user, _ := e.signup("a long test passphrase")
	id, _, err := a.Create(ctx, notes, []byte("gen 1"))
	if err != nil {
		t.Fatal(err)
	}
	var gen1 []byte // keyring revision 2, notes generation 1
	e.tamper(keepFirst("/v1/keyring", &gen1))
	b, err := client.Login(ctx, e.url, user, "a long test passphrase", "", opts)
	if err != nil {
		t.Fatal(err)
	}
	mustCatchUp(t, b)
	e.tamper(nil)
	rotate(t, e, a, notes) // revision 3: notes generation 2, by another device
	if err := a.VerifyKeyring(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Put(ctx, notes, id, []byte("gen 2")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(ctx, notes, id); err != nil {
		t.Fatal(err)
	}
	st := b.State()
	if st.Gens[notes] != 2 || st.KeyringRev != 3 {
		t.Fatalf("keyring revision %d, generations seen %v", st.KeyringRev, st.Gens)
	}
	st.KeyringDigest = nil // remembered before digests

	// A fork of revision 3 that a stale device would write over revision 2.
	var mk [32]byte
	copy(mk[:], st.MasterKey)
	kr2, err := keyring.OpenWithMasterKey(gen1, &mk, user, 2)
	if err != nil {
		t.Fatal(err)
	}
	forked, err := kr2.SealWithMasterKey(&mk, 3)
	if err != nil {
		t.Fatal(err)
	}
	var docPuts atomic.Int64
	e.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if r.Method == "PUT" && strings.HasPrefix(r.URL.Path, "/v1/docs/") {
			docPuts.Add(1)
		}
		if !isGet(r, "/v1/keyring") {
			return false
		}
		rec := capture(next, r)
		replay(w, rec, forked)
		return true
	})
	c, err := client.Resume(st, opts)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.Create(ctx, notes, []byte("new"))
	if !errors.Is(err, client.ErrIntegrity) || !strings.Contains(err.Error(), "lacks key generation 2") {
		t.Fatalf("Create with a keyring lacking generation 2: %v", err)
	}
	t.Log(err)
	if c.Halted() == "" {
		t.Fatal("no halt")
	}
	if _, err := c.Put(ctx, notes, id, []byte("again")); !errors.Is(err, client.ErrHalted) {
		t.Fatal(err)
	}
	if docPuts.Load() != 0 {
		t.Fatal("a document was written")
	}
}

// TestFreshDeviceCatchesUp: a new device is served an old keyring (without
// the rotation of notes) as the current one. It writes nothing before it
// has read the changes feed to its end; reading it, it meets notes sealed
// with a generation that keyring lacks, reports the rollback and halts.
func TestFreshDeviceCatchesUp(t *testing.T) {
	e := newEnv(t)
	a, user, _ := e.signup("a long test passphrase")
	id, _, err := a.Create(ctx, notes, []byte("gen 1"))
	if err != nil {
		t.Fatal(err)
	}
	var old []byte // revision 2: notes generation 1
	e.tamper(keepFirst("/v1/keyring", &old))
	if err := a.VerifyKeyring(ctx); err != nil {
		t.Fatal(err)
	}
	e.tamper(nil)
	rotate(t, e, a, notes) // revision 3: an app was uninstalled elsewhere
	if err := a.VerifyKeyring(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Put(ctx, notes, id, []byte("gen 2")); err != nil {
		t.Fatal(err)
	}

	var writes atomic.Int64
	e.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		switch {
		case r.Method == "POST" && r.URL.Path == "/v1/login":
			rec := capture(next, r)
			var ans map[string]any
			json.Unmarshal(rec.Body.Bytes(), &ans)
			ans["keyring"] = map[string]any{"rev": 2}
			b, _ := json.Marshal(ans)
			replay(w, rec, b)
			return true
		case isGet(r, "/v1/keyring"):
			rec := capture(next, r)
			rec.Header().Set("Hearth-Revision", "2")
			rec.Header().Set("ETag", `"2"`)
			replay(w, rec, old)
			return true
		case r.Method != "GET" && (strings.HasPrefix(r.URL.Path, "/v1/docs/") || r.URL.Path == "/v1/keyring" || strings.HasPrefix(r.URL.Path, "/v1/doctypes/")):
			writes.Add(1)
		}
		return false
	})
	f, err := client.Login(ctx, e.url, user, "a long test passphrase", "", opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.Create(ctx, notes, []byte("written first?")); !errors.Is(err, client.ErrNotCaughtUp) {
		t.Fatalf("a write before catching up: %v", err)
	}
	err = f.CatchUp(ctx)
	if !errors.Is(err, client.ErrIntegrity) || f.Halted() == "" {
		t.Fatalf("catching up: %v, halted %q", err, f.Halted())
	}
	t.Log(err)
	if _, _, err := f.Create(ctx, notes, []byte("written after?")); !errors.Is(err, client.ErrHalted) {
		t.Fatalf("a write after the rollback was reported: %v", err)
	}
	if n := writes.Load(); n != 0 {
		t.Fatalf("the new device sent %d writes", n)
	}
}

// TestRollbackHaltsUntilAccepted: once a device reported a rollback of the
// changes feed it writes nothing, also after a restart (the halt is in its
// State), until the user accepts what the server holds now.
func TestRollbackHaltsUntilAccepted(t *testing.T) {
	e := newEnv(t)
	c, _, _ := e.signup("a long test passphrase")
	id, _, err := c.Create(ctx, notes, []byte("one"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Put(ctx, notes, id, []byte("two")); err != nil {
		t.Fatal(err)
	}
	if err := c.Sync(ctx, 0, nil); err != nil {
		t.Fatal(err)
	}
	e.tamper(feedHook(func(p map[string]any) {
		p["last_seq"] = json.Number("1")
	}))
	if err := c.Sync(ctx, 0, nil); !errors.Is(err, client.ErrIntegrity) {
		t.Fatalf("a rolled-back feed: %v", err)
	}
	e.tamper(nil)
	if c.Halted() == "" {
		t.Fatal("no halt")
	}
	d, err := client.Resume(c.State(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Put(ctx, notes, id, []byte("three")); !errors.Is(err, client.ErrHalted) || !errors.Is(err, client.ErrIntegrity) {
		t.Fatalf("a write after the halt: %v", err)
	}
	if err := d.Sync(ctx, 0, nil); err != nil { // reading goes on
		t.Fatal(err)
	}
	if err := d.AcceptServerState(ctx); err != nil {
		t.Fatal(err)
	}
	if d.Halted() != "" || !d.State().CaughtUp {
		t.Fatalf("after accepting: %+v", d.State())
	}
	if rev, err := d.Put(ctx, notes, id, []byte("three")); err != nil || rev != 3 {
		t.Fatal(rev, err)
	}
}

// TestKDFChangeRefused: a device that signed in before is served another
// seed (or other KDF parameters) at prelogin: it refuses as an integrity
// failure, not as a wrong password, and sends no login secret; told that
// the password changed elsewhere, it goes on.
func TestKDFChangeRefused(t *testing.T) {
	e := newEnv(t)
	_, user, _ := e.signup("a long test passphrase")
	b, err := client.Login(ctx, e.url, user, "a long test passphrase", "", opts)
	if err != nil {
		t.Fatal(err)
	}
	st := b.State()
	if st.Seed == nil || st.KDF == nil {
		t.Fatal("the seed and parameters are not remembered")
	}
	for name, edit := range map[string]func(map[string]any){
		"seed":       func(p map[string]any) { p["seed"] = bytes.Repeat([]byte{7}, 32) },
		"parameters": func(p map[string]any) { p["kdf"].(map[string]any)["t"] = 5 },
	} {
		var logins atomic.Int64
		e.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
			switch {
			case r.Method == "POST" && r.URL.Path == "/v1/prelogin":
				rec := capture(next, r)
				var p map[string]any
				json.Unmarshal(rec.Body.Bytes(), &p)
				edit(p)
				body, _ := json.Marshal(p)
				replay(w, rec, body)
				return true
			case r.URL.Path == "/v1/login":
				logins.Add(1)
			}
			return false
		})
		o := *opts
		o.Previous = st
		_, err := client.Login(ctx, e.url, user, "a long test passphrase", "", &o)
		if !errors.Is(err, client.ErrIntegrity) || errors.Is(err, client.ErrBadCredentials) || logins.Load() != 0 {
			t.Fatalf("%s changed: %v, %d login requests", name, err, logins.Load())
		}
		t.Logf("%s: %v", name, err)
		o.KDFChanged = true
		if _, err := client.Login(ctx, e.url, user, "a long test passphrase", "", &o); !errors.Is(err, client.ErrBadCredentials) && err != nil {
			t.Fatalf("%s changed, KDFChanged: %v", name, err)
		}
		if logins.Load() != 1 {
			t.Fatalf("%s changed, KDFChanged: %d login requests", name, logins.Load())
		}
		e.tamper(nil)
	}
}
