//go:build hearthtest

package client_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/crypto/link"
)

// Issue 16's links played by the host against a recipient, a dropper and
// the owner adopting drops.

// sawRequest reports whether the server saw a request line holding s.
func (le *linkEnv) sawRequest(s string) bool {
	le.mu.Lock()
	defer le.mu.Unlock()
	for _, line := range strings.Split(le.seen.String(), "\n") {
		if strings.Contains(line, " /v1/") && strings.Contains(line, s) {
			return true
		}
	}
	return false
}

// TestSecurity05LinkPasswordDowngrade: the host lowers the Argon2id
// parameters of a link's password in its public information; the
// recipient refuses before it derives or sends anything.
func TestSecurity05LinkPasswordDowngrade(t *testing.T) {
	le := newLinkEnv(t)
	c, _, _ := le.signup("a long test passphrase")
	id := putFile(t, c, "x.txt", "", []byte("x"))
	url, err := c.Share(ctx, id, client.ShareOptions{Password: "a link password"})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := link.ParseURL(url)
	// The tests' floor is kdf.TestParams (m 64, t 1, p 1): below it, and
	// past the ceiling (the host making the recipient's device work).
	for _, lower := range []map[string]any{{"m": 32}, {"p": 0}, {"alg": "argon2i"}, {"m": 0}, {"m": 1 << 30}, {"t": 1000}} {
		le.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
			if r.Method != "GET" || r.URL.Path != "/v1/links/"+u.ID {
				return false
			}
			rec := capture(next, r)
			var m map[string]any
			json.Unmarshal(rec.Body.Bytes(), &m)
			kdf := m["password"].(map[string]any)["kdf"].(map[string]any)
			for k, v := range lower {
				kdf[k] = v
			}
			b, _ := json.Marshal(m)
			replay(w, rec, b)
			return true
		})
		le.mu.Lock()
		le.seen.Reset()
		le.mu.Unlock()
		if _, err := client.OpenLink(ctx, url, "a link password", nil); err == nil {
			t.Errorf("%v: the link opened", lower)
		}
		if le.sawRequest("/open") {
			t.Errorf("%v: the recipient sent a proof derived with the host's parameters", lower)
		}
	}
}

// TestSecurity15DropRecipientSwapped: the host serves its own recipient
// for a drop link; the dropper's client refuses it and uploads nothing.
func TestSecurity15DropRecipientSwapped(t *testing.T) {
	le := newLinkEnv(t)
	c, _, _ := le.signup("a long test passphrase")
	mkdir(t, c, "", "Inbox")
	url, err := c.Request(ctx, "/Inbox", client.RequestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := link.ParseURL(url)
	host, _ := age.GenerateX25519Identity()
	le.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if r.Method != "GET" || r.URL.Path != "/v1/links/"+u.ID {
			return false
		}
		rec := capture(next, r)
		var m map[string]any
		json.Unmarshal(rec.Body.Bytes(), &m)
		m["drop"].(map[string]any)["recipient"] = host.Recipient().String()
		b, _ := json.Marshal(m)
		replay(w, rec, b)
		return true
	})
	n, err := client.Drop(ctx, url, []client.DropFile{{Name: "a.txt", Size: 1, Content: strings.NewReader("a")}}, nil)
	if n != 0 || !errors.Is(err, client.ErrIntegrity) {
		t.Fatalf("Drop to the host's key = %d, %v", n, err)
	}
	if le.sawRequest("/drops/") {
		t.Error("the dropper uploaded to the host's key")
	}
}

// TestSecurity15DropReplayedAfterAdoption: the host keeps a drop the
// owner adopted (and deleted) and lists it again; the owner must not file
// the stranger's file a second time.
func TestSecurity15DropReplayedAfterAdoption(t *testing.T) {
	openFindings(t, "the host can replay an adopted drop (same id, same bytes, its tag still verifies): AdoptDrops files it again, "+
		"as often as the host likes, since the owner's clients remember no adopted drop ids (a sealed list in the link record would)")
	le := newLinkEnv(t)
	c, _, _ := le.signup("a long test passphrase")
	mkdir(t, c, "", "Inbox")
	url, err := c.Request(ctx, "/Inbox", client.RequestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := link.ParseURL(url)
	if _, err := client.Drop(ctx, url, []client.DropFile{{Name: "scan.pdf", Size: 5, Content: strings.NewReader("scan!")}}, nil); err != nil {
		t.Fatal(err)
	}
	// The host keeps what it served the first time.
	kept := map[string][]byte{}
	le.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if r.Method != "GET" || !strings.HasPrefix(r.URL.Path, "/v1/links/"+u.ID+"/drops") {
			return false
		}
		rec := capture(next, r)
		if b, ok := kept[r.URL.Path]; ok {
			rec.Code = http.StatusOK // gone from the server: the host serves its copy
			replay(w, rec, b)
			return true
		}
		kept[r.URL.Path] = bytes.Clone(rec.Body.Bytes())
		replay(w, rec, rec.Body.Bytes())
		return true
	})
	first, err := c.AdoptDrops(ctx)
	if err != nil || len(first) != 1 || first[0].Err != nil {
		t.Fatalf("AdoptDrops = %+v, %v", first, err)
	}
	again, err := c.AdoptDrops(ctx)
	t.Logf("again: %+v, %v", again, err)
	tr, err := c.Files(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, it := range tr.Lookup("/Inbox/scan.pdf") {
		if !it.Folder {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the replayed drop was filed again: %d files", n)
	}
}
