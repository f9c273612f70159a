//go:build hearthtest

package client_test

import (
	"bytes"
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
	a, user, _ := e.signup("pw")
	if _, err := a.Upload(ctx, strings.NewReader("first file"), 10, "a.txt", "", time.Time{}, nil); err != nil {
		t.Fatal(err)
	}
	var old []byte // the keyring with files generation 1
	e.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if isGet(r, "/v1/keyring") && old == nil {
			rec := capture(next, r)
			old = bytes.Clone(rec.Body.Bytes())
			replay(w, rec, rec.Body.Bytes())
			return true
		}
		return false
	})
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
	f, err := client.Login(ctx, e.url, user, "pw", "", opts)
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
