//go:build hearthtest

// The client tests need the cheap key derivation of the hearthtest tag
// (make test sets it).

package client_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/crypto/kdf"
	"github.com/hearthcloud/hearth/crypto/keyring"
	"github.com/hearthcloud/hearth/crypto/seal"
	"github.com/hearthcloud/hearth/internal/wire"
)

const notes = "io.hearth.notes"

func isGet(r *http.Request, path string) bool {
	return r.Method == "GET" && r.URL.Path == path
}

// keepFirst is a hook that keeps in *into the body of the first GET of
// path (while *into is nil), which a test later serves again as a replay.
func keepFirst(path string, into *[]byte) hook {
	return func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if !isGet(r, path) || *into != nil {
			return false
		}
		rec := capture(next, r)
		*into = bytes.Clone(rec.Body.Bytes())
		replay(w, rec, rec.Body.Bytes())
		return true
	}
}

// TestTamperedDocuments: a document altered, swapped, flagged wrongly, rolled
// back or hidden is refused with ErrIntegrity and changes nothing.
func TestTamperedDocuments(t *testing.T) {
	e := newEnv(t)
	c, _, _ := e.signup("a long test passphrase")
	a, _, _ := c.Create(ctx, notes, []byte("document a"))
	b, _, _ := c.Create(ctx, notes, []byte("document b"))
	pathA, pathB := "/v1/docs/"+notes+"/"+a, "/v1/docs/"+notes+"/"+b

	// Capture revision 1 of a, then move a to revision 2.
	var rev1 []byte
	e.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if !isGet(r, pathA) {
			return false
		}
		rec := capture(next, r)
		rev1 = rec.Body.Bytes()
		replay(w, rec, rec.Body.Bytes())
		return true
	})
	if _, err := c.Get(ctx, notes, a); err != nil {
		t.Fatal(err)
	}
	e.tamper(nil)
	if _, err := c.Put(ctx, notes, a, []byte("document a, v2")); err != nil {
		t.Fatal(err)
	}
	fresh := func() *client.Client { // a device that never saw a
		st := c.State()
		st.Docs = nil
		c2, err := client.Resume(st, nil)
		if err != nil {
			t.Fatal(err)
		}
		return c2
	}

	cases := []struct {
		name  string
		h     hook
		fresh bool // also detected by a device with no memory of the document
	}{
		{"flipped byte", func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
			if !isGet(r, pathA) {
				return false
			}
			rec := capture(next, r)
			body := bytes.Clone(rec.Body.Bytes())
			body[len(body)/2] ^= 1
			replay(w, rec, body)
			return true
		}, true},
		{"b served for a", func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
			if !isGet(r, pathA) {
				return false
			}
			rb, _ := http.NewRequest("GET", pathB, nil)
			rb.Header = r.Header
			recB := capture(next, rb)
			rec := capture(next, r)
			rec.Header().Set("Hearth-Revision", "1")
			rec.Header().Set("ETag", `"1"`)
			replay(w, rec, recB.Body.Bytes())
			return true
		}, true},
		{"older revision under its own number", func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
			if !isGet(r, pathA) {
				return false
			}
			rec := capture(next, r)
			rec.Header().Set("Hearth-Revision", "1")
			replay(w, rec, rev1)
			return true
		}, false},
		{"older revision under the current number", func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
			if !isGet(r, pathA) {
				return false
			}
			rec := capture(next, r)
			replay(w, rec, rev1)
			return true
		}, true},
		{"deletion flag", func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
			if !isGet(r, pathA) {
				return false
			}
			rec := capture(next, r)
			rec.Header().Set("Hearth-Deleted", "true")
			replay(w, rec, rec.Body.Bytes())
			return true
		}, true},
		{"hidden", func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
			if !isGet(r, pathA) {
				return false
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(404)
			w.Write([]byte(`{"error":{"code":"not_found","message":"no such document"}}`))
			return true
		}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.tamper(tc.h)
			defer e.tamper(nil)
			before := stateJSON(t, c)
			_, err := c.Get(ctx, notes, a)
			wantIntegrity(t, "Get", err, c, before)
			_, err = c.Put(ctx, notes, a, []byte("must not be written"))
			wantIntegrity(t, "Put", err, c, before)
			err = c.Delete(ctx, notes, a)
			wantIntegrity(t, "Delete", err, c, before)
			if tc.fresh {
				f := fresh()
				before := stateJSON(t, f)
				_, err := f.Get(ctx, notes, a)
				wantIntegrity(t, "Get on a fresh device", err, f, before)
			}
		})
	}
	e.tamper(nil)
	if d, err := c.Get(ctx, notes, a); err != nil || string(d.Content) != "document a, v2" {
		t.Fatal(d, err)
	}
}

// feedHook rewrites the JSON of unfiltered feed pages.
func feedHook(edit func(p map[string]any)) hook {
	return func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if !isGet(r, "/v1/changes") {
			return false
		}
		rec := capture(next, r)
		if rec.Code != 200 {
			replay(w, rec, rec.Body.Bytes())
			return true
		}
		var p map[string]any
		d := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
		d.UseNumber()
		if err := d.Decode(&p); err != nil {
			panic(err)
		}
		edit(p)
		body, _ := json.Marshal(p)
		replay(w, rec, body)
		return true
	}
}

func changesOf(p map[string]any) []any { return p["changes"].([]any) }

func entry(p map[string]any, i int) map[string]any { return changesOf(p)[i].(map[string]any) }

// rechain recomputes every chain value from since_chain, as a host that
// rewrites history consistently would.
func rechain(p map[string]any) {
	var cur [32]byte
	copy(cur[:], bytesOf(p["since_chain"]))
	for _, x := range changesOf(p) {
		m := x.(map[string]any)
		seq, _ := strconv.ParseUint(string(m["seq"].(json.Number)), 10, 64)
		rev, _ := strconv.ParseUint(string(m["rev"].(json.Number)), 10, 64)
		e := wire.ChainEntry{Seq: seq, Doctype: m["doctype"].(string), ID: m["id"].(string), Rev: rev, Deleted: m["deleted"].(bool)}
		copy(e.Digest[:], bytesOf(m["digest"]))
		cur = wire.NextChain(cur, e)
		m["chain"] = bytes.Clone(cur[:])
	}
}

// TestTamperedFeed: every §8.6.3 check fails the page with ErrIntegrity and
// leaves the State as it was.
func TestTamperedFeed(t *testing.T) {
	e := newEnv(t)
	c1, user, _ := e.signup("a long test passphrase")
	a, _, _ := c1.Create(ctx, notes, []byte("a1"))
	b, _, _ := c1.Create(ctx, notes, []byte("b1"))
	c2, err := client.Login(ctx, e.url, user, "a long test passphrase", "", opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := c2.Sync(ctx, 0, nil); err != nil {
		t.Fatal(err)
	}
	c1.Put(ctx, notes, a, []byte("a2"))
	c1.Put(ctx, notes, b, []byte("b2"))
	c1.Put(ctx, notes, a, []byte("a3"))
	// c2 is at seq 2; the feed holds 3, 4, 5.

	cases := []struct {
		name string
		edit func(p map[string]any)
	}{
		{"gap", func(p map[string]any) {
			p["changes"] = append(changesOf(p)[:1], changesOf(p)[2:]...)
			p["last_seq"] = json.Number("4")
			rechain(p)
		}},
		{"entry dropped at the end", func(p map[string]any) {
			p["changes"] = changesOf(p)[:2]
			rechain(p)
		}},
		{"altered chain", func(p map[string]any) {
			ch := b64(entry(p, 1)["chain"].(string))
			ch[0] ^= 1
			entry(p, 1)["chain"] = ch
		}},
		{"altered revision, chain recomputed", func(p map[string]any) {
			entry(p, 0)["rev"] = json.Number("7")
			rechain(p)
		}},
		{"other since_chain", func(p map[string]any) {
			sc := b64(p["since_chain"].(string))
			sc[31] ^= 1
			p["since_chain"] = sc
			rechain(p)
		}},
		{"lower last_seq", func(p map[string]any) {
			p["last_seq"] = json.Number("1")
			p["changes"] = []any{}
		}},
		{"other since", func(p map[string]any) {
			p["since"] = json.Number("0")
		}},
		{"swapped body, digest and chain recomputed", func(p map[string]any) {
			// entry 0 is a@2, entry 1 b@2: serve b's body as a's.
			entry(p, 0)["sealed"] = entry(p, 1)["sealed"]
			entry(p, 0)["digest"] = entry(p, 1)["digest"]
			rechain(p)
		}},
		{"body not matching digest", func(p map[string]any) {
			s := b64(entry(p, 2)["sealed"].(string))
			s[40] ^= 1
			entry(p, 2)["sealed"] = s
		}},
		{"deleted flag, chain recomputed", func(p map[string]any) {
			entry(p, 2)["deleted"] = true
			rechain(p)
		}},
		{"older revision of a document", func(p map[string]any) {
			// A consistent feed that ends before a's revision 3, for a device
			// that already read revision 3.
			if p["since"].(json.Number) != "2" { // asked again: the feed ends
				p["changes"], p["last_seq"] = []any{}, p["since"]
				return
			}
			p["changes"] = changesOf(p)[:2]
			p["last_seq"] = json.Number("4")
			rechain(p)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "older revision of a document" {
				if _, err := c2.Get(ctx, notes, a); err != nil {
					t.Fatal(err)
				}
			}
			e.tamper(feedHook(tc.edit))
			defer e.tamper(nil)
			before := stateJSON(t, c2)
			called := false
			err := c2.Sync(ctx, 0, func(client.Change) error { called = true; return nil })
			wantIntegrity(t, "Sync", err, c2, before)
			if called {
				t.Error("fn was called with an unverified page")
			}
		})
	}
	// The server answering 400 to the remembered seq is a rollback.
	e.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if !isGet(r, "/v1/changes") {
			return false
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(400)
		w.Write([]byte(`{"error":{"code":"bad_request","message":"since is past the end of the feed"}}`))
		return true
	})
	before := stateJSON(t, c2)
	wantIntegrity(t, "Sync behind", c2.Sync(ctx, 0, nil), c2, before)
	e.tamper(nil)
	var got []string
	if err := c2.Sync(ctx, 0, func(ch client.Change) error {
		if ch.Doc != nil {
			got = append(got, string(ch.Doc.Content))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "b2,a3" {
		t.Fatal(got)
	}
}

// TestTamperedKeyring: an older keyring is refused by a device that opened a
// newer one, under its own revision number or under the current one.
func TestTamperedKeyring(t *testing.T) {
	e := newEnv(t)
	c1, user, _ := e.signup("a long test passphrase")
	var old []byte
	e.tamper(keepFirst("/v1/keyring", &old))
	c2, err := client.Login(ctx, e.url, user, "a long test passphrase", "", opts) // opens revision 1
	if err != nil {
		t.Fatal(err)
	}
	e.tamper(nil)
	id, _, err := c1.Create(ctx, notes, []byte("x")) // keyring revision 2
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c2.Get(ctx, notes, id); err != nil { // c2 loads revision 2
		t.Fatal(err)
	}
	if c2.State().KeyringRev != 2 {
		t.Fatal(c2.State().KeyringRev)
	}
	for _, label := range []string{"1", "2"} {
		c3, err := client.Resume(c2.State(), nil) // loads the keyring when first needed
		if err != nil {
			t.Fatal(err)
		}
		e.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
			if !isGet(r, "/v1/keyring") {
				return false
			}
			rec := capture(next, r)
			rec.Header().Set("Hearth-Revision", label)
			rec.Header().Set("ETag", `"`+label+`"`)
			replay(w, rec, old)
			return true
		})
		before := stateJSON(t, c3)
		_, err = c3.Get(ctx, notes, id)
		wantIntegrity(t, "old keyring as revision "+label, err, c3, before)
		_, _, err = c3.Create(ctx, "io.hearth.tasks", []byte("y"))
		wantIntegrity(t, "old keyring as revision "+label+" (write)", err, c3, before)
		e.tamper(nil)
	}
	// A login whose keyring fails to open fails.
	e.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if !isGet(r, "/v1/keyring") {
			return false
		}
		rec := capture(next, r)
		body := bytes.Clone(rec.Body.Bytes())
		body[len(body)-1] ^= 1
		replay(w, rec, body)
		return true
	})
	if _, err := client.Login(ctx, e.url, user, "a long test passphrase", "", opts); !strings.HasPrefix(errString(err), "integrity check failed") {
		t.Fatalf("login with a damaged keyring: %v", err)
	}
	e.tamper(nil)
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func bytesOf(v any) []byte {
	if b, ok := v.([]byte); ok {
		return b
	}
	return b64(v.(string))
}

// TestLoginKeepsMemory: logging in again with Options.Previous keeps what
// the device remembered, so an older keyring or feed is still refused.
func TestLoginKeepsMemory(t *testing.T) {
	e := newEnv(t)
	c1, user, _ := e.signup("a long test passphrase")
	var old []byte
	e.tamper(keepFirst("/v1/keyring", &old))
	c2, err := client.Login(ctx, e.url, user, "a long test passphrase", "", opts)
	if err != nil {
		t.Fatal(err)
	}
	e.tamper(nil)
	id, _, _ := c1.Create(ctx, notes, []byte("x"))
	if err := c2.Sync(ctx, 0, nil); err != nil {
		t.Fatal(err)
	}
	prev := c2.State()
	if prev.KeyringRev != 2 || prev.FeedSeq != 1 {
		t.Fatalf("%+v", prev)
	}
	o := &client.Options{KDF: kdf.TestParams, Previous: prev}
	c3, err := client.Login(ctx, e.url, user, "a long test passphrase", "", o)
	if err != nil {
		t.Fatal(err)
	}
	if st := c3.State(); st.FeedSeq != 1 || st.KeyringRev != 2 || st.Docs[notes+"/"+id].Rev != 1 || st.Token == prev.Token {
		t.Fatalf("%+v", st)
	}
	// Another account's state is ignored.
	other := *prev
	other.User = "someone-else"
	c4, err := client.Login(ctx, e.url, user, "a long test passphrase", "", &client.Options{KDF: kdf.TestParams, Previous: &other})
	if err != nil || c4.State().FeedSeq != 0 {
		t.Fatal(err)
	}
	// The host serves the old keyring (revision 1) at the next login.
	e.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		switch {
		case isGet(r, "/v1/keyring"):
			rec := capture(next, r)
			rec.Header().Set("Hearth-Revision", "1")
			replay(w, rec, old)
			return true
		case r.Method == "POST" && r.URL.Path == "/v1/login":
			rec := capture(next, r)
			replay(w, rec, bytes.Replace(rec.Body.Bytes(), []byte(`"rev":2`), []byte(`"rev":1`), 1))
			return true
		}
		return false
	})
	// Signed in, halted: it writes nothing until the person decides.
	c5, err := client.Login(ctx, e.url, user, "a long test passphrase", "", &client.Options{KDF: kdf.TestParams, Previous: c3.State()})
	if err != nil || c5.Halted() == "" {
		t.Fatalf("login served an old keyring: %v", err)
	}
	if _, _, err := c5.Create(ctx, "io.hearth.notes", []byte(`{}`)); !errors.Is(err, client.ErrHalted) {
		t.Fatalf("a write after a login served an old keyring: %v", err)
	}
	// Without memory, the same login succeeds: the limit of §1.4.
	if _, err := client.Login(ctx, e.url, user, "a long test passphrase", "", opts); err != nil {
		t.Fatal(err)
	}
	e.tamper(nil)
}

// rawCall sends one request to the real server behind e, with token.
func rawCall(t *testing.T, e *env, method, path, token string, body []byte, hdr map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, e.url+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, b
}

// openKeyring reads the account's keyring and opens it as c's device would.
func openKeyring(t *testing.T, e *env, c *client.Client) (*keyring.Keyring, uint64) {
	t.Helper()
	st := c.State()
	res, b := rawCall(t, e, "GET", "/v1/keyring", st.Token, nil, nil)
	rev, err := strconv.ParseUint(res.Header.Get("Hearth-Revision"), 10, 64)
	if res.StatusCode != 200 || err != nil {
		t.Fatal(res.Status, err)
	}
	var mk [32]byte
	copy(mk[:], st.MasterKey)
	kr, err := keyring.OpenWithMasterKey(b, &mk, st.User, rev)
	if err != nil {
		t.Fatal(err)
	}
	return kr, rev
}

// rotate gives doctype a new key generation in the account's keyring, as a
// device revoking an app does (§4.1), and returns the retired key: what a
// revoked app would still hold.
func rotate(t *testing.T, e *env, c *client.Client, doctype string) *seal.Key {
	t.Helper()
	kr, rev := openKeyring(t, e, c)
	old := kr.Keys(doctype).Current()
	if _, err := kr.Keys(doctype).Rotate(); err != nil {
		t.Fatal(err)
	}
	var mk [32]byte
	copy(mk[:], c.State().MasterKey)
	sealed, err := kr.SealWithMasterKey(&mk, rev+1)
	if err != nil {
		t.Fatal(err)
	}
	recovery, err := kr.SealRecoveryCopy(rev + 1)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{"keyring": sealed, "recovery_keyring": recovery})
	res, b := rawCall(t, e, "PUT", "/v1/keyring", c.State().Token, body, map[string]string{"If-Match": `"` + strconv.FormatUint(rev, 10) + `"`})
	if res.StatusCode != 200 {
		t.Fatal(res.Status, string(b))
	}
	return old
}

// TestRetiredKeyGeneration (§5.5): once a device saw a document sealed with
// key generation 2, a later revision sealed with generation 1 (a retired
// key, such as a revoked app keeps) is refused, whether it follows the
// remembered revision, skips ahead of it, or follows a feed entry without a
// body (which must not make the device forget the generation).
func TestRetiredKeyGeneration(t *testing.T) {
	e := newEnv(t)
	c1, user, _ := e.signup("a long test passphrase")
	id, _, err := c1.Create(ctx, notes, []byte("v1")) // generation 1
	if err != nil {
		t.Fatal(err)
	}
	old := rotate(t, e, c1, notes)
	if old.Gen() != 1 {
		t.Fatal(old.Gen())
	}
	c2, err := client.Login(ctx, e.url, user, "a long test passphrase", "", opts)
	if err != nil {
		t.Fatal(err)
	}
	mustCatchUp(t, c2)
	if rev, err := c2.Put(ctx, notes, id, []byte("v2")); err != nil || rev != 2 { // generation 2
		t.Fatal(rev, err)
	}
	if err := c2.Sync(ctx, 0, nil); err != nil {
		t.Fatal(err)
	}
	key := notes + "/" + id
	if g := c2.State().Docs[key].Gen; g != 2 {
		t.Fatalf("generation remembered: %d", g)
	}
	st0 := c2.State() // for the feed case, untouched by the others
	forge := func(rev uint64, prev []byte) []byte {
		var p seal.Digest
		copy(p[:], prev)
		b, err := seal.SealDocument(old, seal.Ref{Doctype: notes, ID: id, Rev: rev}, p, []byte("forged with a retired key"))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	path := "/v1/docs/" + notes + "/" + id
	serve := func(rev uint64, body []byte) hook {
		return func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
			if !isGet(r, path) {
				return false
			}
			rec := capture(next, r)
			rec.Header().Set("Hearth-Revision", strconv.FormatUint(rev, 10))
			rec.Header().Set("ETag", `"`+strconv.FormatUint(rev, 10)+`"`)
			replay(w, rec, body)
			return true
		}
	}
	for _, tc := range []struct {
		name string
		rev  uint64
		body []byte
	}{
		{"next revision", 3, forge(3, c2.State().Docs[key].Digest)},
		{"skipping a revision", 4, forge(4, bytes.Repeat([]byte{7}, 32))},
		{"far ahead", 90, forge(90, bytes.Repeat([]byte{7}, 32))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.tamper(serve(tc.rev, tc.body))
			defer e.tamper(nil)
			before := stateJSON(t, c2)
			_, err := c2.Get(ctx, notes, id)
			wantIntegrity(t, "Get", err, c2, before)
		})
	}

	// The feed: another device writes revision 3 (generation 2); the host
	// leaves its body out and appends a revision 4 sealed with the retired
	// key, chained on revision 3, with the chain recomputed.
	c2, err = client.Resume(st0, nil)
	if err != nil {
		t.Fatal(err)
	}
	c3, err := client.Login(ctx, e.url, user, "a long test passphrase", "", opts)
	if err != nil {
		t.Fatal(err)
	}
	mustCatchUp(t, c3)
	if rev, err := c3.Put(ctx, notes, id, []byte("v3")); err != nil || rev != 3 {
		t.Fatal(rev, err)
	}
	e.tamper(feedHook(func(p map[string]any) {
		if len(changesOf(p)) != 1 {
			return
		}
		e0 := entry(p, 0)
		delete(e0, "sealed")
		forged := forge(4, bytesOf(e0["digest"]))
		dg := seal.DigestOf(forged)
		seq, _ := strconv.ParseUint(string(p["last_seq"].(json.Number)), 10, 64)
		p["changes"] = append(changesOf(p), map[string]any{
			"seq": json.Number(strconv.FormatUint(seq+1, 10)), "doctype": notes, "id": id,
			"rev": json.Number("4"), "deleted": false, "digest": dg[:], "sealed": forged,
		})
		p["last_seq"] = json.Number(strconv.FormatUint(seq+1, 10))
		rechain(p)
	}))
	before := stateJSON(t, c2)
	called := false
	err = c2.Sync(ctx, 0, func(client.Change) error { called = true; return nil })
	wantIntegrity(t, "Sync", err, c2, before)
	if called {
		t.Error("fn was called with an unverified page")
	}
	e.tamper(nil)
	if d, err := c2.Get(ctx, notes, id); err != nil || string(d.Content) != "v3" {
		t.Fatal(d, err)
	}
	if g := c2.State().Docs[key].Gen; g != 2 {
		t.Fatalf("generation remembered: %d", g)
	}
	// A device whose keyring predates the rotation writes with the new
	// generation, reloading the keyring, rather than failing.
	if rev, err := c1.Put(ctx, notes, id, []byte("v4")); err != nil || rev != 4 {
		t.Fatal(rev, err)
	}
	if err := c2.Sync(ctx, 0, nil); err != nil {
		t.Fatal(err)
	}
}

// limitHook rewrites the feed requests' limit to n, making the feed come in
// pages of n entries, and then applies edit (if not nil) to each page.
func limitHook(n int, edit func(p map[string]any)) hook {
	fh := feedHook(func(p map[string]any) {
		if edit != nil {
			edit(p)
		}
	})
	return func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if !isGet(r, "/v1/changes") {
			return false
		}
		q := r.URL.Query()
		q.Set("limit", strconv.Itoa(n))
		r.URL.RawQuery = q.Encode()
		r.RequestURI = r.URL.RequestURI()
		return fh(w, r, next)
	}
}

func seqOf(m map[string]any) string { return string(m["seq"].(json.Number)) }

// TestFeedWithoutBodies (§8.6.1): an entry without a body is accepted only
// once a later entry for the same document supersedes it, in the same page
// or a later one; the feed ending first is ErrIntegrity, and the State does
// not move past the page that held it. The deletion flag of an entry without
// a body is never reported.
func TestFeedWithoutBodies(t *testing.T) {
	e := newEnv(t)
	c1, user, _ := e.signup("a long test passphrase")
	a, _, _ := c1.Create(ctx, notes, []byte("a1"))
	b, _, _ := c1.Create(ctx, notes, []byte("b1"))
	c2, err := client.Login(ctx, e.url, user, "a long test passphrase", "", opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := c2.Sync(ctx, 0, nil); err != nil {
		t.Fatal(err)
	}
	c1.Put(ctx, notes, a, []byte("a2"))
	c1.Put(ctx, notes, b, []byte("b2"))
	c1.Put(ctx, notes, a, []byte("a3"))
	// c2 is at seq 2; the feed holds 3 (a@2, superseded: no body), 4 (b@2)
	// and 5 (a@3).
	strip := func(seq string) func(p map[string]any) {
		return func(p map[string]any) {
			for _, x := range changesOf(p) {
				if m := x.(map[string]any); seqOf(m) == seq {
					delete(m, "sealed")
				}
			}
		}
	}
	cases := []struct {
		name string
		h    hook
	}{
		{"body of the current revision left out", feedHook(strip("5"))},
		{"body of another current revision left out", feedHook(strip("4"))},
		{"entry without a body injected", feedHook(func(p map[string]any) {
			if len(changesOf(p)) == 0 {
				return
			}
			seq, _ := strconv.ParseUint(string(p["last_seq"].(json.Number)), 10, 64)
			p["changes"] = append(changesOf(p), map[string]any{
				"seq": json.Number(strconv.FormatUint(seq+1, 10)), "doctype": notes, "id": "injected-" + a[:8],
				"rev": json.Number("1"), "deleted": false, "digest": make([]byte, 32),
			})
			p["last_seq"] = json.Number(strconv.FormatUint(seq+1, 10))
			rechain(p)
		})},
		{"body left out, in pages of one", limitHook(1, strip("4"))},
		{"body left out, in pages of two", limitHook(2, strip("5"))},
	}
	st0 := c2.State()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c2, err := client.Resume(st0, nil)
			if err != nil {
				t.Fatal(err)
			}
			e.tamper(tc.h)
			defer e.tamper(nil)
			before := stateJSON(t, c2)
			err = c2.Sync(ctx, 0, nil)
			wantIntegrity(t, "Sync", err, c2, before)
		})
	}
	if c2, err = client.Resume(st0, nil); err != nil {
		t.Fatal(err)
	}
	// Within one page, an unverified page is not delivered.
	e.tamper(feedHook(strip("5")))
	called := false
	c2.Sync(ctx, 0, func(client.Change) error { called = true; return nil })
	if c2, err = client.Resume(st0, nil); err != nil {
		t.Fatal(err)
	}
	if called {
		t.Error("fn was called with an unverified page")
	}
	// In pages of one, a@2 has no body until a@3 comes two pages later, and
	// the host flips its deletion flag (chain recomputed): Sync succeeds,
	// never reporting the flag.
	var forged []byte // the host's chain, from seq 3 on
	e.tamper(limitHook(1, func(p map[string]any) {
		if len(changesOf(p)) != 1 {
			return
		}
		switch seqOf(entry(p, 0)) {
		case "3":
			if _, ok := entry(p, 0)["sealed"]; ok {
				t.Error("the superseded entry has a body")
			}
			entry(p, 0)["deleted"] = true
		case "4", "5":
			p["since_chain"] = forged
		}
		rechain(p)
		forged = bytesOf(entry(p, 0)["chain"])
	}))
	var got []string
	err = c2.Sync(ctx, 0, func(ch client.Change) error {
		s := fmt.Sprintf("%d:%v", ch.Seq, ch.Deleted)
		if ch.Doc != nil {
			s += ":" + string(ch.Doc.Content)
		}
		got = append(got, s)
		return nil
	})
	e.tamper(nil)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "3:false,4:false:b2,5:false:a3" {
		t.Fatal(got)
	}
	if st := c2.State(); st.FeedSeq != 5 || st.Docs[notes+"/"+a].Rev != 3 || st.Docs[notes+"/"+a].FeedRev != 3 {
		t.Fatalf("%+v", st)
	}
	// A real deletion is reported from the opened tombstone (to a device
	// that saw no forged history: c2 now remembers the host's chain).
	if err := c1.Delete(ctx, notes, b); err != nil {
		t.Fatal(err)
	}
	c3, err := client.Login(ctx, e.url, user, "a long test passphrase", "", opts)
	if err != nil {
		t.Fatal(err)
	}
	got = nil
	if err := c3.Sync(ctx, 0, func(ch client.Change) error {
		got = append(got, fmt.Sprintf("%d:%v:%v", ch.Seq, ch.Deleted, ch.Doc != nil && ch.Doc.Deleted))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "1:false:false,2:false:false,3:false:false,4:false:false,5:false:false,6:true:true" {
		t.Fatal(got)
	}
}

// TestTamperedBulkGet (SECURITY.md 13): PutMany reads the current revisions
// with _bulk_get; an altered, swapped, replayed, hidden or reflagged answer
// is refused with ErrIntegrity, and nothing is written.
func TestTamperedBulkGet(t *testing.T) {
	e := newEnv(t)
	c, _, _ := e.signup("a long test passphrase")
	x, _, _ := c.Create(ctx, notes, []byte("x1"))
	y, _, _ := c.Create(ctx, notes, []byte("y1"))
	var x1 []byte
	e.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if !isGet(r, "/v1/docs/"+notes+"/"+x) {
			return false
		}
		rec := capture(next, r)
		x1 = bytes.Clone(rec.Body.Bytes())
		replay(w, rec, rec.Body.Bytes())
		return true
	})
	if _, err := c.Get(ctx, notes, x); err != nil {
		t.Fatal(err)
	}
	e.tamper(nil)
	if _, err := c.Put(ctx, notes, x, []byte("x2")); err != nil {
		t.Fatal(err)
	}
	bulk := func(edit func(docs []any)) hook {
		return func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
			if r.Method != "POST" || r.URL.Path != "/v1/docs/"+notes+"/_bulk_get" {
				return false
			}
			rec := capture(next, r)
			var p map[string]any
			d := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
			d.UseNumber()
			if err := d.Decode(&p); err != nil {
				panic(err)
			}
			edit(p["docs"].([]any))
			body, _ := json.Marshal(p)
			replay(w, rec, body)
			return true
		}
	}
	doc := func(docs []any, i int) map[string]any { return docs[i].(map[string]any) }
	cases := []struct {
		name string
		edit func(docs []any)
	}{
		{"flipped byte", func(docs []any) {
			s := b64(doc(docs, 0)["sealed"].(string))
			s[len(s)/2] ^= 1
			doc(docs, 0)["sealed"] = s
		}},
		{"y served for x", func(docs []any) {
			doc(docs, 0)["sealed"] = doc(docs, 1)["sealed"]
			doc(docs, 0)["rev"] = json.Number("1")
		}},
		{"older revision under its own number", func(docs []any) {
			doc(docs, 0)["sealed"] = x1
			doc(docs, 0)["rev"] = json.Number("1")
		}},
		{"older revision under the current number", func(docs []any) {
			doc(docs, 0)["sealed"] = x1
		}},
		{"deletion flag", func(docs []any) {
			doc(docs, 1)["deleted"] = true
		}},
		{"hidden", func(docs []any) {
			docs[0] = map[string]any{"id": x, "error": map[string]any{"code": "not_found", "message": "no such document"}}
		}},
		{"answers swapped", func(docs []any) {
			docs[0], docs[1] = docs[1], docs[0]
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.tamper(bulk(tc.edit))
			defer e.tamper(nil)
			before := stateJSON(t, c)
			_, err := c.PutMany(ctx, notes, []client.Item{{ID: x, Content: []byte("must not be written")}, {ID: y, Content: []byte("nor this")}})
			wantIntegrity(t, "PutMany", err, c, before)
		})
	}
	e.tamper(nil)
	if d, err := c.Get(ctx, notes, x); err != nil || string(d.Content) != "x2" || d.Rev != 2 {
		t.Fatal(d, err)
	}
	if d, err := c.Get(ctx, notes, y); err != nil || string(d.Content) != "y1" || d.Rev != 1 {
		t.Fatal(d, err)
	}
}

// TestTamperedRecovery (SECURITY.md 1): Recover refuses a damaged recovery
// copy of the keyring, and an older one when the device remembers a newer
// keyring revision, and resets nothing.
func TestTamperedRecovery(t *testing.T) {
	e := newEnv(t)
	c, user, rk := e.signup("an old test passphrase")
	parsed, err := keyring.ParseRecoveryKey(rk)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{"user": user, "recovery_auth": parsed.Auth(user)})
	res, old := rawCall(t, e, "POST", "/v1/recovery/keyring", "", body, nil)
	if res.StatusCode != 200 || res.Header.Get("Hearth-Revision") != "1" {
		t.Fatal(res.Status)
	}
	id, _, err := c.Create(ctx, notes, []byte("kept")) // keyring revision 2
	if err != nil {
		t.Fatal(err)
	}
	prev := c.State()
	if prev.KeyringRev != 2 {
		t.Fatal(prev.KeyringRev)
	}
	withPrev := &client.Options{KDF: kdf.TestParams, Previous: prev}
	recovery := func(edit func(rec *httptest.ResponseRecorder) []byte) hook {
		return func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
			if r.Method != "POST" || r.URL.Path != "/v1/recovery/keyring" {
				return false
			}
			rec := capture(next, r)
			replay(w, rec, edit(rec))
			return true
		}
	}
	cases := []struct {
		name string
		o    *client.Options
		h    hook
	}{
		{"flipped byte", opts, recovery(func(rec *httptest.ResponseRecorder) []byte {
			b := bytes.Clone(rec.Body.Bytes())
			b[len(b)/2] ^= 1
			return b
		})},
		{"flipped last byte", opts, recovery(func(rec *httptest.ResponseRecorder) []byte {
			b := bytes.Clone(rec.Body.Bytes())
			b[len(b)-1] ^= 1
			return b
		})},
		{"revision header altered", opts, recovery(func(rec *httptest.ResponseRecorder) []byte {
			rec.Header().Set("Hearth-Revision", "3")
			return rec.Body.Bytes()
		})},
		{"older copy under the current revision", opts, recovery(func(rec *httptest.ResponseRecorder) []byte {
			return old
		})},
		{"older copy under its own revision, device remembers a newer one", withPrev, recovery(func(rec *httptest.ResponseRecorder) []byte {
			rec.Header().Set("Hearth-Revision", "1")
			return old
		})},
	}
	resets := 0
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
				if r.URL.Path == "/v1/recovery/reset" {
					resets++
				}
				return tc.h(w, r, next)
			})
			defer e.tamper(nil)
			_, _, err := client.Recover(ctx, e.url, user, rk, "a new test passphrase", "", tc.o)
			if !errors.Is(err, client.ErrIntegrity) || !errors.Is(err, seal.ErrIntegrity) {
				t.Fatalf("got %v, want an integrity error", err)
			}
			t.Log(err)
		})
	}
	if resets != 0 {
		t.Fatalf("%d resets sent", resets)
	}
	// Nothing was reset: the old password still logs in, and the recovery
	// key still recovers.
	if _, err := client.Login(ctx, e.url, user, "an old test passphrase", "", opts); err != nil {
		t.Fatal(err)
	}
	c2, _, err := client.Recover(ctx, e.url, user, rk, "a new test passphrase", "", withPrev)
	if err != nil {
		t.Fatal(err)
	}
	if d, err := c2.Get(ctx, notes, id); err != nil || string(d.Content) != "kept" {
		t.Fatal(d, err)
	}
}
