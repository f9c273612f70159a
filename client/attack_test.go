//go:build hearthtest

package client_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hearthcloud/hearth/client"
)

// Findings of the attack on issue 13's work (a host that rewrites what it
// serves), each a test named for it.

// TestUploadBeforeCatchUp: a fresh device is served an old keyring
// (without the rotation that revoked an app). Before it has read the
// changes feed, an upload must send nothing: the blob would be sealed with
// the generation the revoked app holds, and the host could hand it to that
// app. Upload streams its body past the client's write guard, so it must
// check it itself.
func TestUploadBeforeCatchUp(t *testing.T) {
	e := newEnv(t)
	a, user, _ := e.signup("a long test passphrase")
	if _, err := a.Upload(ctx, strings.NewReader("first file"), 10, "a.txt", "", time.Time{}, nil); err != nil {
		t.Fatal(err)
	}
	var old []byte // the keyring with files generation 1
	e.tamper(keepFirst("/v1/keyring", &old))
	if err := a.VerifyKeyring(ctx); err != nil {
		t.Fatal(err)
	}
	e.tamper(nil)
	oldRev := a.State().KeyringRev
	rotate(t, e, a, client.FilesDoctype) // an app holding files was revoked elsewhere
	if _, err := a.Upload(ctx, strings.NewReader("after the revocation"), 20, "b.txt", "", time.Time{}, nil); err != nil {
		t.Fatal(err)
	}

	var blobPuts atomic.Int64
	e.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		switch {
		case isGet(r, "/v1/keyring"):
			rec := capture(next, r)
			rev := strconv.FormatUint(oldRev, 10)
			rec.Header().Set("Hearth-Revision", rev)
			rec.Header().Set("ETag", `"`+rev+`"`)
			replay(w, rec, old)
			return true
		case r.Method == "POST" && r.URL.Path == "/v1/login":
			rec := capture(next, r)
			var ans map[string]any
			json.Unmarshal(rec.Body.Bytes(), &ans)
			ans["keyring"] = map[string]any{"rev": oldRev}
			b, _ := json.Marshal(ans)
			replay(w, rec, b)
			return true
		case r.Method == "PUT" && strings.HasPrefix(r.URL.Path, "/v1/blobs/"):
			blobPuts.Add(1)
		}
		return false
	})
	f, err := client.Login(ctx, e.url, user, "a long test passphrase", "", opts)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Upload(ctx, strings.NewReader("secret file"), 11, "c.txt", "", time.Time{}, nil)
	if !errors.Is(err, client.ErrNotCaughtUp) {
		t.Errorf("an upload before catching up: %v, want ErrNotCaughtUp", err)
	}
	if n := blobPuts.Load(); n != 0 {
		t.Fatalf("the fresh device sent %d blob uploads before reading the feed (sealed with the revoked generation)", n)
	}
}

// TestAppNeverSealsOlderGeneration (§4.1): an app that has met an item
// sealed with a newer key generation than its grant holds (the user
// rotated the key, revoking another app) must not seal new items with the
// older generation, which the revoked app holds: the host, withholding the
// new grant (serving the old one again, which the app accepts as the same
// grant), would otherwise have every new note sealed for the revoked app.
// The app fetches its grant again and, still lacking the generation,
// refuses to seal (an availability failure the host can cause anyway);
// once the new grant arrives it writes with the new generation.
func TestAppNeverSealsOlderGeneration(t *testing.T) {
	e := newEnv(t)
	k := connect(t, e, notesRWD)
	if _, err := k.app.Put(ctx, notes, "n1", []byte("gen 1")); err != nil {
		t.Fatal(err)
	}
	var oldGrant []byte
	e.tamper(keepFirst("/v1/grants/self", &oldGrant))
	if err := k.app.RefreshGrant(ctx); err != nil {
		t.Fatal(err)
	}
	e.tamper(nil)
	// The user revokes another app: notes generation 2, granted to this
	// app again, and a note sealed with it.
	rotate(t, e, k.c, notes)
	c2, err := client.Login(ctx, e.url, k.user, "a long test passphrase", "", opts)
	if err != nil {
		t.Fatal(err)
	}
	mustCatchUp(t, c2)
	if _, err := c2.Put(ctx, notes, "n1", []byte("gen 2")); err != nil {
		t.Fatal(err)
	}
	if err := c2.Grant(ctx, k.tokenID, k.id.Recipient().String(), notesRWD); err != nil {
		t.Fatal(err)
	}

	// The host withholds the new grant.
	var docPuts atomic.Int64
	e.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		switch {
		case isGet(r, "/v1/grants/self"):
			replay(w, capture(next, r), oldGrant)
			return true
		case r.Method == "PUT" && strings.HasPrefix(r.URL.Path, "/v1/docs/"):
			docPuts.Add(1)
		}
		return false
	})
	if _, err := k.app.Get(ctx, notes, "n1"); !errors.Is(err, client.ErrIntegrity) {
		t.Fatalf("generation 2 without its grant: %v", err)
	}
	if _, _, err := k.app.Create(ctx, notes, []byte("a new secret note")); !errors.Is(err, client.ErrIntegrity) {
		t.Errorf("a new note after meeting generation 2, the grant lacking it: %v, want an integrity error", err)
	}
	if n := docPuts.Load(); n != 0 {
		t.Fatalf("the app sent %d document writes sealed with generation 1 after meeting generation 2", n)
	}
	// The new grant arrives: the app writes, with generation 2.
	e.tamper(nil)
	id, _, err := k.app.Create(ctx, notes, []byte("a new note"))
	if err != nil {
		t.Fatal(err)
	}
	if ds := k.app.State().Docs[notes+"/"+id]; ds.Gen != 2 {
		t.Fatalf("the new note sealed with generation %d, want 2", ds.Gen)
	}
}
