//go:build hearthtest

package client_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/crypto/keyring"
	"github.com/hearthcloud/hearth/crypto/seal"
)

const contacts = "io.hearth.contacts"

// grantee is an app connected to an existing account c.
type grantee struct {
	tokenID string
	id      *age.X25519Identity
	app     *client.App
}

func connectTo(t *testing.T, e *env, c *client.Client, name string, scopes []client.Scope) *grantee {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	info, tok, err := c.CreateToken(ctx, name, client.KindApp, scopes)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.GrantNamed(ctx, info.ID, name, client.KindApp, id.Recipient().String(), scopes); err != nil {
		t.Fatal(err)
	}
	signer, err := c.SigningKey()
	if err != nil {
		t.Fatal(err)
	}
	app, err := client.ConnectApp(ctx, e.url, c.User(), tok, id, signer, nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	return &grantee{tokenID: info.ID, id: id, app: app}
}

// grantedKeys opens the grant the server holds for g as g would, and
// returns the key set it gives for doctype: what a revoked app keeps.
func grantedKeys(t *testing.T, e *env, c *client.Client, g *grantee, doctype string) *seal.KeySet {
	t.Helper()
	res, b := rawCall(t, e, "GET", "/v1/grants/"+g.tokenID, c.State().Token, nil, nil)
	if res.StatusCode != 200 {
		t.Fatal(res.Status)
	}
	signer, _ := c.SigningKey()
	gr, err := keyring.OpenGrant(b, g.id, signer, c.User(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if gr.Doctypes[doctype] == nil {
		t.Fatalf("the grant holds no %s", doctype)
	}
	return gr.Doctypes[doctype].Keys
}

// grantRev is the server's revision of g's grant.
func grantRev(t *testing.T, e *env, c *client.Client, tokenID string) string {
	t.Helper()
	res, _ := rawCall(t, e, "GET", "/v1/grants/"+tokenID, c.State().Token, nil, nil)
	if res.StatusCode != 200 {
		t.Fatal(res.Status)
	}
	return res.Header.Get("Hearth-Revision")
}

type rawDoc struct {
	ID     string `json:"id"`
	Rev    uint64 `json:"rev"`
	Sealed []byte `json:"sealed"`
}

// rawDocs reads the sealed current revisions of ids as the host stores them.
func rawDocs(t *testing.T, e *env, c *client.Client, doctype string, ids []string) []rawDoc {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"ids": ids})
	res, b := rawCall(t, e, "POST", "/v1/docs/"+doctype+"/_bulk_get", c.State().Token, body, nil)
	if res.StatusCode != 200 {
		t.Fatal(res.Status, string(b))
	}
	var ans struct {
		Docs []rawDoc `json:"docs"`
	}
	if err := json.Unmarshal(b, &ans); err != nil || len(ans.Docs) != len(ids) {
		t.Fatal(err, len(ans.Docs))
	}
	return ans.Docs
}

type progressLog struct {
	mu    sync.Mutex
	calls [][2]int
}

func (p *progressLog) fn(done, total int) {
	p.mu.Lock()
	p.calls = append(p.calls, [2]int{done, total})
	p.mu.Unlock()
}

// check: done and total never go down, done never passes total, and the
// last call has done == total.
func (p *progressLog) check(t *testing.T, minTotal int) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.calls) < 2 {
		t.Fatalf("progress called %d times", len(p.calls))
	}
	for i, c := range p.calls {
		if c[0] > c[1] || i > 0 && (c[0] < p.calls[i-1][0] || c[1] < p.calls[i-1][1]) {
			t.Fatalf("progress not monotonic: %v", p.calls)
		}
	}
	last := p.calls[len(p.calls)-1]
	if last[0] != last[1] || last[1] < minTotal {
		t.Fatalf("progress ends at %v (want done == total >= %d)", last, minTotal)
	}
}

// TestRevokeRotates (§4.6, property 17): revoking one of two apps granted
// notes ends its token at once, rotates the notes key, grants the new
// generation to the other app only, leaves the contacts app alone, and
// Reseal then seals every note with the new generation (concurrently with
// the other app's writes, which are not lost), drops the old generation
// and does nothing when run again. The revoked app's keys open nothing
// written or re-sealed afterwards.
func TestRevokeRotates(t *testing.T) {
	e := newEnv(t)
	c, _, _ := e.signup("a long test passphrase")
	notesRW := []client.Scope{{Doctype: notes, Verbs: []string{"read", "write"}}}
	contactsR := []client.Scope{{Doctype: contacts, Verbs: []string{"read"}}}
	// The user writes the notes and a contact before granting.
	items := make([]client.Item, 150)
	for i := range items {
		items[i].Content = []byte(fmt.Sprintf(`{"n":%d}`, i))
	}
	res, err := c.PutMany(ctx, notes, items)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(res))
	for i, r := range res {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		ids[i] = r.ID
	}
	contactID, _, err := c.Create(ctx, contacts, []byte("a contact"))
	if err != nil {
		t.Fatal(err)
	}
	// A deleted note: its tombstone is re-sealed too.
	if err := c.Delete(ctx, notes, ids[149]); err != nil {
		t.Fatal(err)
	}
	ids = ids[:149]

	a1 := connectTo(t, e, c, "first", notesRW)
	a2 := connectTo(t, e, c, "second", notesRW)
	a3 := connectTo(t, e, c, "contacts", contactsR)

	// Grantee records exist for every granted token.
	for _, g := range []*grantee{a1, a2, a3} {
		rcpt, scopes, err := c.GranteeRecord(ctx, g.tokenID)
		if err != nil || rcpt != g.id.Recipient().String() || len(scopes) != 1 {
			t.Fatal(rcpt, scopes, err)
		}
	}
	// An app can never be granted the records.
	if _, err := a1.app.List(ctx, client.GrantsDoctype); !errors.Is(err, client.ErrNotGranted) {
		t.Fatal(err)
	}

	old := grantedKeys(t, e, c, a1, notes)
	if old.Current().Gen() != 1 {
		t.Fatal(old.Current().Gen())
	}
	// The keys are right: they open a note written before the revocation.
	before := rawDocs(t, e, c, notes, ids[:1])[0]
	if _, err := seal.OpenDocument(old, seal.Ref{Doctype: notes, ID: before.ID, Rev: before.Rev}, before.Sealed); err != nil {
		t.Fatal(err)
	}
	if _, err := a2.app.Get(ctx, notes, ids[0]); err != nil {
		t.Fatal(err)
	}
	a3Rev := grantRev(t, e, c, a3.tokenID)
	if _, err := a3.app.Get(ctx, contacts, contactID); err != nil {
		t.Fatal(err)
	}

	if _, err := c.Revoke(ctx, "nosuchtoken"); !errors.Is(err, client.ErrNotFound) {
		t.Fatalf("revoking an unknown token: %v", err)
	}
	rot, err := c.Revoke(ctx, a1.tokenID)
	if err != nil {
		t.Fatal(err)
	}
	if rot.Token != a1.tokenID || len(rot.Doctypes) != 1 || rot.Doctypes[notes] != 2 ||
		!slices.Equal(rot.Regranted, []string{a2.tokenID}) || len(rot.Missing) != 0 {
		t.Fatalf("%+v", rot)
	}

	// The token is refused at once.
	if _, err := a1.app.Get(ctx, notes, ids[0]); !errors.Is(err, client.ErrSessionEnded) {
		t.Fatalf("revoked app: %v", err)
	}
	toks, err := c.Tokens(ctx)
	if err != nil || len(toks) != 2 {
		t.Fatal(toks, err)
	}
	// Its grantee record is gone; the others stay.
	if _, _, err := c.GranteeRecord(ctx, a1.tokenID); !errors.Is(err, client.ErrNotFound) {
		t.Fatal(err)
	}
	if _, _, err := c.GranteeRecord(ctx, a2.tokenID); err != nil {
		t.Fatal(err)
	}

	// A note written afterwards is sealed with generation 2, which the
	// revoked app's keys do not open.
	newID, _, err := c.Create(ctx, notes, []byte("after the revocation"))
	if err != nil {
		t.Fatal(err)
	}
	nd := rawDocs(t, e, c, notes, []string{newID})[0]
	if g, _ := seal.DocumentGen(nd.Sealed); g != 2 {
		t.Fatalf("new note sealed with generation %d", g)
	}
	if _, err := seal.OpenDocument(old, seal.Ref{Doctype: notes, ID: newID, Rev: nd.Rev}, nd.Sealed); err == nil {
		t.Fatal("the revoked app's keys open a note written after the revocation")
	}
	// The second app reads it, fetching its new grant by itself.
	if d, err := a2.app.Get(ctx, notes, newID); err != nil || string(d.Content) != "after the revocation" {
		t.Fatal(d, err)
	}
	if g := a2.app.State().Gens[notes]; g != 2 {
		t.Fatalf("second app at generation %d", g)
	}
	// The contacts app is untouched.
	if r := grantRev(t, e, c, a3.tokenID); r != a3Rev {
		t.Fatalf("the contacts grant went from revision %s to %s", a3Rev, r)
	}
	if err := a3.app.RefreshGrant(ctx); err != nil {
		t.Fatal(err)
	}
	if d, err := a3.app.Get(ctx, contacts, contactID); err != nil || string(d.Content) != "a contact" || a3.app.State().Gens[contacts] != 1 {
		t.Fatal(d, err, a3.app.State().Gens)
	}

	if p, err := c.PendingReseal(ctx); err != nil || !slices.Equal(p, []string{notes}) {
		t.Fatal(p, err)
	}

	// Reseal, while the second app writes: new notes, and edits of notes
	// the re-seal has yet to reach or has passed.
	var wg sync.WaitGroup
	var appErr error
	written := map[string]string{}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 10; i++ {
			content := fmt.Sprintf("app2 note %d", i)
			id, _, err := a2.app.Create(ctx, notes, []byte(content))
			if err != nil {
				appErr = err
				return
			}
			written[id] = content
			edit := ids[(i*37)%len(ids)]
			content = fmt.Sprintf("app2 edit %d", i)
			if _, err := a2.app.Put(ctx, notes, edit, []byte(content)); err != nil {
				appErr = err
				return
			}
			written[edit] = content
		}
	}()
	var p progressLog
	for attempt := 0; ; attempt++ {
		err = c.Reseal(ctx, notes, p.fn)
		if !errors.Is(err, client.ErrResealPending) || attempt >= 3 {
			break
		}
	}
	wg.Wait()
	if err != nil || appErr != nil {
		t.Fatal(err, appErr)
	}
	p.check(t, 150)
	t.Logf("progress: %v", p.calls)
	if err := c.Reseal(ctx, notes, nil); err != nil { // what the app wrote last
		t.Fatal(err)
	}

	// Every note, the tombstone and the new ones, is sealed with
	// generation 2, and none opens with the revoked app's keys.
	all, err := c.List(ctx, notes)
	if err != nil || len(all) != 149+1+10 {
		t.Fatal(len(all), err)
	}
	for _, d := range rawDocs(t, e, c, notes, append(slices.Clone(all), res[149].ID)) {
		if g, err := seal.DocumentGen(d.Sealed); err != nil || g != 2 {
			t.Fatalf("%s sealed with generation %d", d.ID, g)
		}
		if _, err := seal.OpenDocument(old, seal.Ref{Doctype: notes, ID: d.ID, Rev: d.Rev}, d.Sealed); err == nil {
			t.Fatalf("the revoked app's keys open %s", d.ID)
		}
	}
	// Nothing was lost: the user and the second app read every note, the
	// second app's writes included.
	docs, err := c.GetMany(ctx, notes, all)
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range docs {
		if want, ok := written[all[i]]; ok && string(d.Content) != want {
			t.Fatalf("%s: %q, want %q", all[i], d.Content, want)
		}
		if n := slices.Index(ids, all[i]); n >= 0 && written[all[i]] == "" && string(d.Content) != fmt.Sprintf(`{"n":%d}`, n) {
			t.Fatalf("%s: %q", all[i], d.Content)
		}
	}
	if _, err := a2.app.GetMany(ctx, notes, all); err != nil {
		t.Fatal(err)
	}

	// The old generation is dropped, and the second app's grant no longer
	// carries it.
	kr, krev := openKeyring(t, e, c)
	if ks := kr.Keys(notes).All(); len(ks) != 1 || ks[0].Gen() != 2 {
		t.Fatalf("%d generations left", len(ks))
	}
	if ks := grantedKeys(t, e, c, a2, notes).All(); len(ks) != 1 || ks[0].Gen() != 2 {
		t.Fatalf("the second app's grant holds %d generations", len(ks))
	}
	if err := a2.app.RefreshGrant(ctx); err != nil {
		t.Fatal(err)
	}
	if p, err := c.PendingReseal(ctx); err != nil || len(p) != 0 {
		t.Fatal(p, err)
	}

	// Running it again does nothing: no write of any kind.
	var writes atomic.Int32
	e.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if r.Method != "GET" && !strings.HasSuffix(r.URL.Path, "/_bulk_get") {
			writes.Add(1)
		}
		return false
	})
	if err := c.Reseal(ctx, notes, nil); err != nil {
		t.Fatal(err)
	}
	e.tamper(nil)
	if n := writes.Load(); n != 0 {
		t.Fatalf("a second Reseal made %d writes", n)
	}
	if _, rev := openKeyring(t, e, c); rev != krev {
		t.Fatal(rev, krev)
	}
}

// TestResealIndexAndBlobs (§4.6): a search index sealed with the retired
// generation is reset (the manifest names no segment, at seq 0, sealed
// with the new generation; the old segment is deleted); blobs keep their
// generation, which is then kept in the keyring, and still download.
func TestResealIndexAndBlobs(t *testing.T) {
	e := newEnv(t)
	c, _, _ := e.signup("a long test passphrase")
	files := []client.Scope{{Doctype: client.FilesDoctype, Verbs: []string{"read", "write"}}}
	notesR := []client.Scope{{Doctype: notes, Verbs: []string{"read"}}}
	if _, _, err := c.Create(ctx, notes, []byte("indexed")); err != nil {
		t.Fatal(err)
	}
	ref, err := c.PutSegment(ctx, notes, "application/x-test", []byte("segment"))
	if err != nil {
		t.Fatal(err)
	}
	manifest := fmt.Sprintf(`{"v":1,"format":"application/x-test","mapping":"m","seq":3,"docs":1,"segments":[{"id":%q,"size":%d,"digest":%q,"docs":1}]}`,
		ref.ID, ref.Size, base64.StdEncoding.EncodeToString(ref.Digest))
	if _, err := c.PutManifest(ctx, notes, 0, []byte(manifest)); err != nil {
		t.Fatal(err)
	}
	body := bytes.Repeat([]byte("file"), 5000)
	fileID, err := c.Upload(ctx, bytes.NewReader(body), int64(len(body)), "a.txt", "text/plain", time.Unix(1, 0), nil)
	if err != nil {
		t.Fatal(err)
	}
	a := connectTo(t, e, c, "both", append(slices.Clone(files), notesR...))

	rot, err := c.Revoke(ctx, a.tokenID)
	if err != nil || len(rot.Doctypes) != 2 || rot.Doctypes[notes] != 2 || rot.Doctypes[client.FilesDoctype] != 2 {
		t.Fatal(rot, err)
	}
	for _, dt := range []string{notes, client.FilesDoctype} {
		if err := c.Reseal(ctx, dt, nil); err != nil {
			t.Fatal(dt, err)
		}
	}
	// The index: reset, sealed with generation 2, old segment gone.
	content, _, err := c.GetManifest(ctx, notes)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		V        int               `json:"v"`
		Format   string            `json:"format"`
		Mapping  string            `json:"mapping"`
		Seq      uint64            `json:"seq"`
		Segments []json.RawMessage `json:"segments"`
	}
	if err := json.Unmarshal(content, &m); err != nil || m.V != 1 || m.Format != "application/x-test" || m.Mapping != "m" || m.Seq != 0 || m.Segments == nil || len(m.Segments) != 0 {
		t.Fatalf("%s %v", content, err)
	}
	if g := c.Manifests()[notes].Gen; g != 2 {
		t.Fatalf("manifest sealed with generation %d", g)
	}
	if res, _ := rawCall(t, e, "GET", "/v1/index/"+notes+"/segments/"+ref.ID, c.State().Token, nil, nil); res.StatusCode != 404 {
		t.Fatalf("old segment: %s", res.Status)
	}
	kr, _ := openKeyring(t, e, c)
	if n := len(kr.Keys(notes).All()); n != 1 {
		t.Fatalf("notes: %d generations", n)
	}
	// The blob keeps generation 1, so the keyring does too.
	if n := len(kr.Keys(client.FilesDoctype).All()); n != 2 {
		t.Fatalf("files: %d generations", n)
	}
	var out bytes.Buffer
	if _, err := c.Download(ctx, fileID, &out); err != nil || !bytes.Equal(out.Bytes(), body) {
		t.Fatal(err)
	}
	// This device re-sealed what it could: nothing is pending here; a
	// device that did not (another one) sees the files doctype pending.
	if p, err := c.PendingReseal(ctx); err != nil || len(p) != 0 {
		t.Fatal(p, err)
	}
	st := c.State()
	st.Resealed = nil
	other, err := client.Resume(st, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := other.PendingReseal(ctx); err != nil || !slices.Equal(p, []string{client.FilesDoctype}) {
		t.Fatal(p, err)
	}
}

// TestSecurity17UninstallRotates (SECURITY.md #17): uninstalling an app rotates every doctype it could
// hold even when the server lists none of its tokens (one ended with its
// session; the host hides the other), and never grants the new keys to a
// token of the app that the host lists later (SECURITY.md #17).
func TestSecurity17UninstallRotates(t *testing.T) {
	e := newEnv(t)
	c, _, _ := e.signup("uninstall test passphrase")
	rw := []client.Scope{{Doctype: notes, Verbs: []string{client.VerbRead, client.VerbWrite}}}
	if _, _, err := c.Create(ctx, notes, []byte(`{"t":"before"}`)); err != nil {
		t.Fatal(err)
	}
	if err := c.PutConsent(ctx, &client.AppConsent{App: "bookmarks", Scopes: rw}); err != nil {
		t.Fatal(err)
	}
	a := connectTo(t, e, c, "bookmarks", rw)
	b := connectTo(t, e, c, "bookmarks", rw) // the same app, on another device
	keysA, keysB := grantedKeys(t, e, c, a, notes), grantedKeys(t, e, c, b, notes)
	revB := grantRev(t, e, c, b.tokenID)

	// A's token ended with its session (its record stays).
	if res, _ := rawCall(t, e, "DELETE", "/v1/tokens/"+a.tokenID, c.State().Token, nil, nil); res.StatusCode != 204 {
		t.Fatal(res.Status)
	}
	// The host leaves B out of the first listing, and shows it afterwards
	// as a device of another name.
	var listings atomic.Int32
	e.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if r.Method != "GET" || r.URL.Path != "/v1/tokens" {
			return false
		}
		first := listings.Add(1) == 1
		rec := capture(next, r)
		var ans struct {
			Tokens []map[string]any `json:"tokens"`
		}
		json.Unmarshal(rec.Body.Bytes(), &ans)
		if first {
			ans.Tokens = slices.DeleteFunc(ans.Tokens, func(m map[string]any) bool { return m["id"] == b.tokenID })
		}
		for _, m := range ans.Tokens {
			if m["id"] == b.tokenID {
				m["name"], m["kind"] = "laptop", "device"
			}
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(ans)
		return true
	})
	rotated, err := c.UninstallApp(ctx, "bookmarks", nil)
	e.tamper(nil)
	if err != nil || !slices.Equal(rotated, []string{notes}) {
		t.Fatalf("rotated %v, %v", rotated, err)
	}
	if listings.Load() < 2 {
		t.Fatalf("the tokens were listed %d times", listings.Load())
	}
	// B's token, found by its record, is gone, and was never granted again.
	if res, _ := rawCall(t, e, "GET", "/v1/grants/"+b.tokenID, c.State().Token, nil, nil); res.StatusCode != 404 {
		t.Fatalf("the hidden token of the uninstalled app still has a grant: %s (revision %s before)", res.Status, revB)
	}
	if _, err := b.app.List(ctx, notes); !errors.Is(err, client.ErrSessionEnded) {
		t.Fatalf("the hidden token still works: %v", err)
	}
	id, _, err := c.Create(ctx, notes, []byte(`{"t":"after"}`))
	if err != nil {
		t.Fatal(err)
	}
	nd := rawDocs(t, e, c, notes, []string{id})[0]
	for name, ks := range map[string]*seal.KeySet{"A": keysA, "B": keysB} {
		if _, err := seal.OpenDocument(ks, seal.Ref{Doctype: notes, ID: id, Rev: nd.Rev}, nd.Sealed); err == nil {
			t.Fatalf("the keys %s held open a note written after the uninstall", name)
		}
	}
	if _, _, err := c.GranteeRecord(ctx, a.tokenID); !errors.Is(err, client.ErrNotFound) {
		t.Fatalf("A's grantee record outlived the uninstall: %v", err)
	}
	if _, _, err := c.GranteeRecord(ctx, b.tokenID); !errors.Is(err, client.ErrNotFound) {
		t.Fatalf("B's grantee record outlived the uninstall: %v", err)
	}
}

// TestResealSettles: the old generation is dropped only by a re-seal that
// finds nothing left to seal again, a while after one completed; a writer
// that had not fetched its new grant meanwhile loses nothing.
func TestResealSettles(t *testing.T) {
	defer client.SetResealSettleForTesting(300 * time.Millisecond)()
	e := newEnv(t)
	c, _, _ := e.signup("settle test passphrase")
	rw := []client.Scope{{Doctype: notes, Verbs: []string{client.VerbRead, client.VerbWrite}}}
	for i := range 5 {
		if _, _, err := c.Create(ctx, notes, fmt.Appendf(nil, `{"n":%d}`, i)); err != nil {
			t.Fatal(err)
		}
	}
	a := connectTo(t, e, c, "one", rw)
	connectTo(t, e, c, "two", rw)
	if _, err := c.Revoke(ctx, a.tokenID); err != nil {
		t.Fatal(err)
	}
	gens := func() int {
		t.Helper()
		if p, err := c.PendingReseal(ctx); err != nil {
			t.Fatal(err)
		} else if len(p) == 0 {
			return 1
		}
		return 2
	}
	if err := c.Reseal(ctx, notes, nil); err != nil || gens() != 2 {
		t.Fatalf("the first re-seal dropped the old generation (%v)", err)
	}
	if err := c.Reseal(ctx, notes, nil); err != nil || gens() != 2 {
		t.Fatalf("a clean re-seal right after dropped it (%v)", err)
	}
	time.Sleep(350 * time.Millisecond)
	if err := c.Reseal(ctx, notes, nil); err != nil || gens() != 1 {
		t.Fatalf("a clean re-seal after the settling time kept it (%v)", err)
	}
}
