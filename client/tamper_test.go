//go:build hearthtest

// The client tests need the cheap key derivation of the hearthtest tag
// (make test sets it).

package client_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/crypto/kdf"
	"github.com/hearthcloud/hearth/spec/wire"
)

const notes = "io.hearth.notes"

func isGet(r *http.Request, path string) bool {
	return r.Method == "GET" && r.URL.Path == path
}

// TestTamperedDocuments: a document altered, swapped, flagged wrongly, rolled
// back or hidden is refused with ErrIntegrity and changes nothing.
func TestTamperedDocuments(t *testing.T) {
	e := newEnv(t)
	c, _, _ := e.signup("pw")
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
	c1, user, _ := e.signup("pw")
	a, _, _ := c1.Create(ctx, notes, []byte("a1"))
	b, _, _ := c1.Create(ctx, notes, []byte("b1"))
	c2, err := client.Login(ctx, e.url, user, "pw", "", opts)
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
	c1, user, _ := e.signup("pw")
	var old []byte
	e.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if isGet(r, "/v1/keyring") && old == nil {
			rec := capture(next, r)
			old = bytes.Clone(rec.Body.Bytes())
			replay(w, rec, rec.Body.Bytes())
			return true
		}
		return false
	})
	c2, err := client.Login(ctx, e.url, user, "pw", "", opts) // opens revision 1
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
	if _, err := client.Login(ctx, e.url, user, "pw", "", opts); !strings.HasPrefix(errString(err), "integrity check failed") {
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
	c1, user, _ := e.signup("pw")
	var old []byte
	e.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if isGet(r, "/v1/keyring") && old == nil {
			rec := capture(next, r)
			old = bytes.Clone(rec.Body.Bytes())
			replay(w, rec, rec.Body.Bytes())
			return true
		}
		return false
	})
	c2, err := client.Login(ctx, e.url, user, "pw", "", opts)
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
	c3, err := client.Login(ctx, e.url, user, "pw", "", o)
	if err != nil {
		t.Fatal(err)
	}
	if st := c3.State(); st.FeedSeq != 1 || st.KeyringRev != 2 || st.Docs[notes+"/"+id].Rev != 1 || st.Token == prev.Token {
		t.Fatalf("%+v", st)
	}
	// Another account's state is ignored.
	other := *prev
	other.User = "someone-else"
	c4, err := client.Login(ctx, e.url, user, "pw", "", &client.Options{KDF: kdf.TestParams, Previous: &other})
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
	_, err = client.Login(ctx, e.url, user, "pw", "", &client.Options{KDF: kdf.TestParams, Previous: c3.State()})
	if !errors.Is(err, client.ErrIntegrity) {
		t.Fatalf("login served an old keyring: %v", err)
	}
	// Without memory, the same login succeeds: the limit of §1.4.
	if _, err := client.Login(ctx, e.url, user, "pw", "", opts); err != nil {
		t.Fatal(err)
	}
	e.tamper(nil)
}
