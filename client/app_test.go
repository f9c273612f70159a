//go:build hearthtest

package client_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/crypto/keyring"
	"github.com/hearthcloud/hearth/crypto/seal"
)

var notesRWD = []client.Scope{{Doctype: notes, Verbs: []string{"read", "write", "delete"}}}

// connected is a user with an app connected to the account as spec/web.md
// §5 describes: Home makes a token, grants it keys for the app's recipient
// and hands the app the token and the signing key it pins.
type connected struct {
	c       *client.Client
	user    string
	tokenID string
	token   string
	id      *age.X25519Identity
	signer  []byte
	app     *client.App
}

func connect(t *testing.T, e *env, scopes []client.Scope) *connected {
	t.Helper()
	c, user, _ := e.signup("a long test passphrase")
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	info, tok, err := c.CreateToken(ctx, "notes", client.KindApp, scopes)
	if err != nil {
		t.Fatal(err)
	}
	if info.Kind != "app" || info.Name != "notes" || !strings.HasPrefix(tok, "hat_") || len(info.Scopes) != len(scopes) {
		t.Fatalf("%+v %q", info, tok)
	}
	if err := c.Grant(ctx, info.ID, id.Recipient().String(), scopes); err != nil {
		t.Fatal(err)
	}
	signer, err := c.SigningKey()
	if err != nil {
		t.Fatal(err)
	}
	app, err := client.ConnectApp(ctx, e.url, user, tok, id, signer, nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	return &connected{c: c, user: user, tokenID: info.ID, token: tok, id: id, signer: signer, app: app}
}

func appStateJSON(t *testing.T, a *client.App) string {
	t.Helper()
	b, err := json.Marshal(a.State())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestApp: an app with a grant for notes (and files) works alongside the
// user's own client: each reads what the other writes, and the app's scoped
// feed shows the user's writes.
func TestApp(t *testing.T) {
	e := newEnv(t)
	scopes := append(slices.Clone(notesRWD), client.Scope{Doctype: client.FilesDoctype, Verbs: []string{"read", "write"}})
	k := connect(t, e, scopes)
	c, app := k.c, k.app
	if got := app.Scopes(); len(got) != 2 || got[0].Doctype != client.FilesDoctype || got[1].Doctype != notes {
		t.Fatalf("%+v", got)
	}
	// The grant added the doctypes to the keyring, as a first write does.
	kr, _ := openKeyring(t, e, c)
	if kr.Keys(notes) == nil || kr.Keys(client.FilesDoctype) == nil {
		t.Fatal("the grant's doctypes are not in the keyring")
	}

	id, rev, err := app.Create(ctx, notes, []byte("from the app"))
	if err != nil || rev != 1 {
		t.Fatal(rev, err)
	}
	if d, err := app.Get(ctx, notes, id); err != nil || string(d.Content) != "from the app" {
		t.Fatal(d, err)
	}
	if rev, err := app.Put(ctx, notes, id, []byte("app, again")); err != nil || rev != 2 {
		t.Fatal(rev, err)
	}
	if d, err := c.Get(ctx, notes, id); err != nil || string(d.Content) != "app, again" {
		t.Fatal(d, err)
	}
	if _, err := c.Put(ctx, notes, id, []byte("user's edit")); err != nil {
		t.Fatal(err)
	}
	if d, err := app.Get(ctx, notes, id); err != nil || string(d.Content) != "user's edit" || d.Rev != 3 {
		t.Fatal(d, err)
	}
	uid, _, err := c.Create(ctx, notes, []byte("user's note"))
	if err != nil {
		t.Fatal(err)
	}
	// The user's other doctypes stay out of the app's feed.
	if _, _, err := c.Create(ctx, "io.hearth.contacts", []byte("secret contact")); err != nil {
		t.Fatal(err)
	}
	if ids, err := app.List(ctx, notes); err != nil || len(ids) != 2 {
		t.Fatal(ids, err)
	}
	seen := map[string]string{}
	if err := app.Sync(ctx, 0, func(ch client.Change) error {
		if ch.Doctype != notes {
			t.Errorf("the app's feed shows %s", ch.Doctype)
		}
		if ch.Doc != nil {
			seen[ch.ID] = string(ch.Doc.Content)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if seen[uid] != "user's note" || seen[id] != "user's edit" {
		t.Fatal(seen)
	}
	if err := app.Delete(ctx, notes, uid); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(ctx, notes, uid); !errors.Is(err, client.ErrNotFound) {
		t.Fatal(err)
	}
	// A long-poll wakes on the user's write.
	if err := app.Sync(ctx, 0, nil); err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(200 * time.Millisecond)
		c.Put(ctx, notes, "later", []byte("while the app waited"))
	}()
	var woke bool
	if err := app.Sync(ctx, 10*time.Second, func(ch client.Change) error {
		woke = woke || ch.ID == "later"
		return nil
	}); err != nil || !woke {
		t.Fatal(woke, err)
	}
	// The user's own verified feed sees the app's writes.
	var userSaw int
	if err := c.Sync(ctx, 0, func(ch client.Change) error {
		if ch.Doctype == notes {
			userSaw++
		}
		return nil
	}); err != nil || userSaw == 0 {
		t.Fatal(userSaw, err)
	}

	// Files, both ways.
	fid, err := app.Upload(ctx, strings.NewReader("file from the app"), 17, "a.txt", "text/plain", time.Time{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if info, err := c.Download(ctx, fid, &buf); err != nil || buf.String() != "file from the app" || info.Name != "a.txt" {
		t.Fatal(info, err, buf.String())
	}
	fid2, err := c.Upload(ctx, strings.NewReader("file from the user"), 18, "b.txt", "", time.Time{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	if _, err := app.Download(ctx, fid2, &buf); err != nil || buf.String() != "file from the user" {
		t.Fatal(err, buf.String())
	}

	// Tokens lists the app's token.
	toks, err := c.Tokens(ctx)
	if err != nil || len(toks) != 1 || toks[0].ID != k.tokenID || toks[0].LastSeen.IsZero() {
		t.Fatalf("%+v %v", toks, err)
	}

	// Each new grant to the app has a higher rev, which the app accepts.
	rev1 := app.State().GrantRev
	for range 2 {
		if err := c.Grant(ctx, k.tokenID, k.id.Recipient().String(), scopes); err != nil {
			t.Fatal(err)
		}
		if err := app.RefreshGrant(ctx); err != nil {
			t.Fatal(err)
		}
		if r := app.State().GrantRev; r <= rev1 {
			t.Fatalf("grant rev %d after %d", r, rev1)
		}
		rev1 = app.State().GrantRev
	}
	// So does one issued by another device of the user, which never
	// issued one.
	c2, err := client.Login(ctx, e.url, k.user, "a long test passphrase", "", opts)
	if err != nil {
		t.Fatal(err)
	}
	mustCatchUp(t, c2)
	if err := c2.Grant(ctx, k.tokenID, k.id.Recipient().String(), scopes); err != nil {
		t.Fatal(err)
	}
	if err := app.RefreshGrant(ctx); err != nil || app.State().GrantRev <= rev1 {
		t.Fatal(app.State().GrantRev, rev1, err)
	}
}

// TestSecurity16AppScope (SECURITY.md #16): what the grant does not give
// fails locally, before any request; what the token does not give the
// server refuses (403); and the keys the app holds open nothing of another
// doctype, even handed its ciphertext.
func TestSecurity16AppScope(t *testing.T) {
	e := newEnv(t)
	k := connect(t, e, []client.Scope{{Doctype: notes, Verbs: []string{"read", "write"}}})
	id, _, err := k.c.Create(ctx, "io.hearth.contacts", []byte("not for the app"))
	if err != nil {
		t.Fatal(err)
	}
	nid, _, err := k.app.Create(ctx, notes, []byte("app note"))
	if err != nil {
		t.Fatal(err)
	}
	var requests atomic.Int64
	e.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		requests.Add(1)
		return false
	})
	checks := map[string]error{}
	_, _, checks["create contacts"] = k.app.Create(ctx, "io.hearth.contacts", []byte("x"))
	_, checks["put contacts"] = k.app.Put(ctx, "io.hearth.contacts", id, []byte("x"))
	_, checks["get contacts"] = k.app.Get(ctx, "io.hearth.contacts", id)
	_, checks["list contacts"] = k.app.List(ctx, "io.hearth.contacts")
	checks["delete note"] = k.app.Delete(ctx, notes, nid) // no delete verb
	_, checks["upload"] = k.app.Upload(ctx, strings.NewReader("x"), 1, "x", "", time.Time{}, nil)
	_, checks["download"] = k.app.Download(ctx, "someid", &bytes.Buffer{})
	_, checks["bulk delete"] = k.app.PutMany(ctx, notes, []client.Item{{ID: nid}})
	for what, err := range checks {
		if !errors.Is(err, client.ErrNotGranted) {
			t.Errorf("%s: %v, want ErrNotGranted", what, err)
		}
	}
	t.Log(checks["delete note"])
	if n := requests.Load(); n != 0 {
		t.Errorf("%d requests sent for refused operations", n)
	}
	e.tamper(nil)
	// Forced past the client, the server refuses the app token.
	for _, r := range []struct{ method, path string }{
		{"GET", "/v1/docs/io.hearth.contacts/" + id},
		{"PUT", "/v1/docs/io.hearth.contacts/" + id},
		{"DELETE", "/v1/docs/" + notes + "/" + nid},
		{"GET", "/v1/keyring"},
		{"GET", "/v1/tokens"},
		{"GET", "/v1/grants/" + k.tokenID},
	} {
		res, b := rawCall(t, e, r.method, r.path, k.token, []byte("x"), map[string]string{"If-Match": `"1"`, "Content-Type": "application/octet-stream"})
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("%s %s with the app token: %s %s", r.method, r.path, res.Status, b)
		}
	}
	// The note is still there.
	if d, err := k.c.Get(ctx, notes, nid); err != nil || string(d.Content) != "app note" {
		t.Fatal(d, err)
	}
	// Nothing decryptable: the grant holds no key of the contacts, and the
	// key it holds opens no contact's ciphertext, under either doctype.
	res, b := rawCall(t, e, "GET", "/v1/grants/"+k.tokenID, k.c.State().Token, nil, nil)
	if res.StatusCode != 200 {
		t.Fatal(res.Status)
	}
	signer, _ := k.c.SigningKey()
	gr, err := keyring.OpenGrant(b, k.id, signer, k.c.User(), nil)
	if err != nil || len(gr.Doctypes) != 1 || gr.Doctypes[notes] == nil {
		t.Fatalf("the app's grant: %v, %v", gr, err)
	}
	contact := rawDocs(t, e, k.c, "io.hearth.contacts", []string{id})[0]
	for _, ref := range []seal.Ref{{Doctype: "io.hearth.contacts", ID: id, Rev: contact.Rev}, {Doctype: notes, ID: id, Rev: contact.Rev}} {
		if _, err := seal.OpenDocument(gr.Doctypes[notes].Keys, ref, contact.Sealed); err == nil {
			t.Fatalf("the app's key opens a contact as %s", ref)
		}
	}
}

// serveGrant makes GET /v1/grants/self answer sealed.
func serveGrant(e *env, sealed []byte) {
	e.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if !isGet(r, "/v1/grants/self") {
			return false
		}
		replay(w, capture(next, r), sealed)
		return true
	})
}

// TestAppForgedGrant: the app accepts only a grant signed with the key it
// pinned, for its own identity and the expected user, and not older than
// the last it opened.
func TestAppForgedGrant(t *testing.T) {
	e := newEnv(t)
	k := connect(t, e, notesRWD)
	recipient := k.id.Recipient()
	before := appStateJSON(t, k.app)
	wantAppIntegrity := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, client.ErrIntegrity) {
			t.Fatalf("%s: %v, want ErrIntegrity", what, err)
		}
		t.Logf("%s: %v", what, err)
		k.app.ClearHaltForTesting()
		if after := appStateJSON(t, k.app); after != before {
			t.Fatalf("%s: the State changed:\n%s\n%s", what, before, after)
		}
	}

	// Forged by the host: a grant with keys of its own, sealed to the
	// app's public recipient, signed by another key.
	other, err := keyring.New(k.user)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.AddDoctype(notes); err != nil {
		t.Fatal(err)
	}
	forged, err := other.Grant(recipient, notesRWD, 1000)
	if err != nil {
		t.Fatal(err)
	}
	serveGrant(e, forged)
	wantAppIntegrity("forged grant, refresh", k.app.RefreshGrant(ctx))
	if _, err := client.ConnectApp(ctx, e.url, k.user, k.token, k.id, k.signer, nil, opts); !errors.Is(err, client.ErrIntegrity) {
		t.Fatalf("forged grant, connect: %v", err)
	}
	e.tamper(nil)
	// The user's genuine grant does not verify under another pinned key.
	if _, err := client.ConnectApp(ctx, e.url, k.user, k.token, k.id, other.SigningKey(), nil, opts); !errors.Is(err, client.ErrIntegrity) {
		t.Fatalf("genuine grant, other signer pinned: %v", err)
	}
	// Signed by the user, but another user name expected.
	if _, err := client.ConnectApp(ctx, e.url, "someone-else", k.token, k.id, k.signer, nil, opts); err == nil {
		t.Fatal("grant of another user accepted")
	}

	// A genuine grant for another recipient.
	id2, _ := age.GenerateX25519Identity()
	krUser, krRev := openKeyring(t, e, k.c)
	toOther, err := krUser.Grant(id2.Recipient(), notesRWD, krRev+100)
	if err != nil {
		t.Fatal(err)
	}
	serveGrant(e, toOther)
	wantAppIntegrity("grant for another recipient", k.app.RefreshGrant(ctx))
	e.tamper(nil)

	// Replay: the grant as it is now, then a newer one; the older is
	// refused once the newer was opened.
	res, old := rawCall(t, e, "GET", "/v1/grants/"+k.tokenID, k.c.State().Token, nil, nil)
	if res.StatusCode != 200 {
		t.Fatal(res.Status)
	}
	if err := k.c.Grant(ctx, k.tokenID, recipient.String(), notesRWD); err != nil {
		t.Fatal(err)
	}
	if err := k.app.RefreshGrant(ctx); err != nil {
		t.Fatal(err)
	}
	before = appStateJSON(t, k.app)
	serveGrant(e, old)
	wantAppIntegrity("replayed grant", k.app.RefreshGrant(ctx))
	// The memory of the newer grant survives in the State.
	if _, err := client.ConnectApp(ctx, e.url, k.user, k.token, k.id, k.signer, k.app.State(), opts); !errors.Is(err, client.ErrIntegrity) {
		t.Fatalf("replayed grant, connect with the previous State: %v", err)
	}
	// A genuine grant of the same rev whose notes key is older than one
	// the app saw granted (the host replays after a rotation).
	krOld, _ := openKeyring(t, e, k.c)
	rotate(t, e, k.c, notes)
	c2, err := client.Login(ctx, e.url, k.user, "a long test passphrase", "", opts)
	if err != nil {
		t.Fatal(err)
	}
	mustCatchUp(t, c2)
	if err := c2.Grant(ctx, k.tokenID, recipient.String(), notesRWD); err != nil {
		t.Fatal(err)
	}
	e.tamper(nil)
	if err := k.app.RefreshGrant(ctx); err != nil {
		t.Fatal(err)
	}
	before = appStateJSON(t, k.app)
	oldGen, err := krOld.Grant(recipient, notesRWD, k.app.State().GrantRev+1)
	if err != nil {
		t.Fatal(err)
	}
	serveGrant(e, oldGen)
	wantAppIntegrity("grant without the newest generation", k.app.RefreshGrant(ctx))
	e.tamper(nil)
	if err := k.app.RefreshGrant(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestAppRotation: a document sealed with a generation the app's grant
// lacks makes it fetch the grant again; without a newer grant it is
// ErrIntegrity.
func TestAppRotation(t *testing.T) {
	e := newEnv(t)
	k := connect(t, e, notesRWD)
	if _, err := k.app.Put(ctx, notes, "n1", []byte("gen 1")); err != nil {
		t.Fatal(err)
	}
	rotate(t, e, k.c, notes)
	c2, err := client.Login(ctx, e.url, k.user, "a long test passphrase", "", opts)
	if err != nil {
		t.Fatal(err)
	}
	mustCatchUp(t, c2)
	if _, err := c2.Put(ctx, notes, "n1", []byte("gen 2")); err != nil {
		t.Fatal(err)
	}
	if _, err := k.app.Get(ctx, notes, "n1"); !errors.Is(err, client.ErrIntegrity) {
		t.Fatalf("generation 2 before the new grant: %v", err)
	}
	if err := c2.Grant(ctx, k.tokenID, k.id.Recipient().String(), notesRWD); err != nil {
		t.Fatal(err)
	}
	if d, err := k.app.Get(ctx, notes, "n1"); err != nil || string(d.Content) != "gen 2" {
		t.Fatal(d, err)
	}
	if k.app.State().Gens[notes] != 2 {
		t.Fatal(k.app.State().Gens)
	}
	// The app's next write uses generation 2, which the user opens.
	if _, err := k.app.Put(ctx, notes, "n1", []byte("app, gen 2")); err != nil {
		t.Fatal(err)
	}
	if d, err := c2.Get(ctx, notes, "n1"); err != nil || string(d.Content) != "app, gen 2" {
		t.Fatal(d, err)
	}
	if ds := k.app.State().Docs[notes+"/n1"]; ds.Gen != 2 {
		t.Fatalf("%+v", ds)
	}
}

// TestAppRevoked: a revoked token ends the app's access.
func TestAppRevoked(t *testing.T) {
	e := newEnv(t)
	k := connect(t, e, notesRWD)
	id, _, err := k.app.Create(ctx, notes, []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	if err := k.c.RevokeToken(ctx, k.tokenID); err != nil {
		t.Fatal(err)
	}
	if _, err := k.app.Get(ctx, notes, id); !errors.Is(err, client.ErrSessionEnded) {
		t.Fatalf("get: %v", err)
	}
	if err := k.app.Sync(ctx, 0, nil); !errors.Is(err, client.ErrSessionEnded) {
		t.Fatalf("sync: %v", err)
	}
	if err := k.app.RefreshGrant(ctx); !errors.Is(err, client.ErrSessionEnded) {
		t.Fatalf("grant: %v", err)
	}
	if toks, err := k.c.Tokens(ctx); err != nil || len(toks) != 0 {
		t.Fatal(toks, err)
	}
	if err := k.c.RevokeToken(ctx, k.tokenID); !errors.Is(err, client.ErrNotFound) {
		t.Fatal(err)
	}
	if err := k.c.Grant(ctx, k.tokenID, k.id.Recipient().String(), notesRWD); !errors.Is(err, client.ErrNotFound) {
		t.Fatalf("grant to a revoked token: %v", err)
	}
}

// TestAppResume: an App's State goes through JSON and resumes, without
// I/O until needed, with its memory.
func TestAppResume(t *testing.T) {
	e := newEnv(t)
	k := connect(t, e, notesRWD)
	id, _, err := k.app.Create(ctx, notes, []byte("before"))
	if err != nil {
		t.Fatal(err)
	}
	if err := k.app.Sync(ctx, 0, nil); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(k.app.State())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", b)
	var st client.AppState
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	var requests atomic.Int64
	e.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		requests.Add(1)
		return false
	})
	app, err := client.ResumeApp(&st, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := app.Create(ctx, "io.hearth.contacts", []byte("x")); !errors.Is(err, client.ErrNotGranted) {
		t.Fatal(err)
	}
	if requests.Load() != 0 {
		t.Fatal("ResumeApp or a refused write made requests")
	}
	e.tamper(nil)
	if got := appStateJSON(t, app); got != string(b) {
		t.Fatalf("resumed State differs:\n%s\n%s", b, got)
	}
	if _, err := k.c.Put(ctx, notes, id, []byte("after")); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := app.Sync(ctx, 0, func(ch client.Change) error {
		n++
		if ch.ID != id || string(ch.Doc.Content) != "after" {
			t.Errorf("%+v", ch)
		}
		return nil
	}); err != nil || n != 1 {
		t.Fatal(n, err)
	}
	if d, err := app.Get(ctx, notes, id); err != nil || string(d.Content) != "after" || d.Rev != 2 {
		t.Fatal(d, err)
	}
	// The resumed app remembers the revision: an older one is refused.
	res, old := rawCall(t, e, "GET", "/v1/docs/"+notes+"/"+id, k.token, nil, nil)
	if res.StatusCode != 200 {
		t.Fatal(res.Status)
	}
	if _, err := k.c.Put(ctx, notes, id, []byte("third")); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Get(ctx, notes, id); err != nil {
		t.Fatal(err)
	}
	e.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if !isGet(r, "/v1/docs/"+notes+"/"+id) {
			return false
		}
		rec := capture(next, r)
		rec.Header().Set("Hearth-Revision", "2")
		rec.Header().Set("ETag", `"2"`)
		replay(w, rec, old)
		return true
	})
	st2, _ := json.Marshal(app.State())
	app2, err := client.ResumeApp(func() *client.AppState {
		var s client.AppState
		json.Unmarshal(st2, &s)
		return &s
	}(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app2.Get(ctx, notes, id); !errors.Is(err, client.ErrIntegrity) {
		t.Fatalf("rolled back document after resume: %v", err)
	}
	e.tamper(nil)
	// Malformed states are refused.
	bad := st
	bad.Identity = "AGE-SECRET-KEY-1NOPE"
	if _, err := client.ResumeApp(&bad, opts); err == nil {
		t.Fatal("bad identity accepted")
	}
	bad = st
	bad.Signer = make([]byte, 32)
	if _, err := client.ResumeApp(&bad, opts); err == nil {
		t.Fatal("bad signer accepted")
	}
}

// TestAppScopedFeedTampered: the scoped feed's checks (§8.6.4).
func TestAppScopedFeedTampered(t *testing.T) {
	e := newEnv(t)
	k := connect(t, e, notesRWD)
	for i := range 3 {
		if _, _, err := k.c.Create(ctx, notes, []byte{'a' + byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := k.c.Create(ctx, "io.hearth.contacts", []byte("c")); err != nil {
		t.Fatal(err)
	}
	cases := map[string]func(p map[string]any){
		"seqs reordered": func(p map[string]any) {
			ch := changesOf(p)
			ch[0], ch[1] = ch[1], ch[0]
		},
		"seq beyond last_seq": func(p map[string]any) {
			entry(p, 2)["seq"] = json.Number("99")
		},
		"body altered": func(p map[string]any) {
			b := bytesOf(entry(p, 1)["sealed"])
			b[len(b)-1] ^= 1
			entry(p, 1)["sealed"] = b
		},
		"digest altered": func(p map[string]any) {
			b := bytesOf(entry(p, 1)["digest"])
			b[0] ^= 1
			entry(p, 1)["digest"] = b
		},
		"doctype not asked for": func(p map[string]any) {
			entry(p, 0)["doctype"] = "io.hearth.contacts"
		},
	}
	for name, edit := range cases {
		before := appStateJSON(t, k.app)
		e.tamper(feedHook(edit))
		err := k.app.Sync(ctx, 0, nil)
		k.app.ClearHaltForTesting()
		if !errors.Is(err, client.ErrIntegrity) {
			t.Errorf("%s: %v", name, err)
		} else if after := appStateJSON(t, k.app); after != before {
			t.Errorf("%s: the State changed", name)
		}
		t.Logf("%s: %v", name, err)
		e.tamper(nil)
	}
	// The chain is not checked: the scoped feed's chains are the
	// account's, over entries the app does not see.
	if err := k.app.Sync(ctx, 0, nil); err != nil {
		t.Fatal(err)
	}
	if k.app.State().FeedSeq < 4 {
		t.Fatal(k.app.State().FeedSeq)
	}
	// The feed going back from the seq the app remembers.
	before := appStateJSON(t, k.app)
	e.tamper(feedHook(func(p map[string]any) { p["last_seq"] = json.Number("1") }))
	err := k.app.Sync(ctx, 0, nil)
	if k.app.State().Halted == "" {
		t.Fatal("a rolled-back feed did not halt the app")
	}
	k.app.ClearHaltForTesting()
	if !errors.Is(err, client.ErrIntegrity) || appStateJSON(t, k.app) != before {
		t.Fatalf("rolled-back feed: %v", err)
	}
	e.tamper(nil)
}
