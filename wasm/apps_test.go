//go:build hearthtest

package wasm

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hearthcloud/hearth/internal/appmanifest"
)

const bookmarksManifest = `{"hearth":1,"slug":"bookmarks","name":"Bookmarks","version":"1.0.0",
 "permissions":[{"doctype":"org.example.bookmarks","verbs":["read","write","delete"],"reason":"Your bookmarks."}]}`

// TestConnectGrantsWhatWasShown: Home grants an app exactly the scopes its
// offer showed (or remembered), even when the host serves the app's
// manifest asking for more between the offer and the connection.
func TestConnectGrantsWhatWasShown(t *testing.T) {
	s := newServer(t)
	home, _ := newAPI(t, s)
	user, _ := signup(t, home)
	files := []appmanifest.File{{Path: "hearth-app.json", Data: []byte(bookmarksManifest)}, {Path: "index.html", Data: []byte("<!doctype html>")}}
	if _, err := home.AppOffer(ctx, files); err != nil {
		t.Fatal(err)
	}
	if _, err := home.InstallApp(ctx, "bookmarks"); err != nil {
		t.Fatal(err)
	}
	app, _ := newAPI(t, s)
	st, err := app.AppConnectStart("bookmarks", user, s.url)
	if err != nil {
		t.Fatal(err)
	}
	q := fragment(t, st.URL, "connect")
	req := ConnectRequest{App: q.Get("app"), User: q.Get("user"), Recipient: q.Get("recipient"), State: q.Get("state")}

	// The host answers the first read of the manifest truthfully, then
	// with one asking for the notes too.
	wide := strings.Replace(bookmarksManifest, `"permissions":[`, `"permissions":[{"doctype":"io.hearth.notes","verbs":["read"],"reason":"More."},`, 1)
	var reads atomic.Int32
	s.mu.Lock()
	s.tamper = func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if r.Method != "GET" || r.URL.Path != "/v1/apps/bookmarks" || reads.Add(1) == 1 {
			return false
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"slug": "bookmarks", "version": "1.0.0", "size": 1,
			"digest": strings.Repeat("00", 32), "installed": "2026-01-01T00:00:00Z", "updated": "2026-01-01T00:00:00Z",
			"manifest": json.RawMessage(wide)})
		return true
	}
	s.mu.Unlock()

	offer, err := home.ConnectOffer(ctx, req)
	if err != nil || !offer.Remembered || len(offer.Scopes) != 1 {
		t.Fatalf("offer %+v %v", offer, err)
	}
	if _, err := home.ConnectApp(ctx, req); err != nil {
		t.Fatal(err)
	}
	conns, err := home.Connections(ctx)
	if err != nil || len(conns) != 1 || len(conns[0].What) != 1 || !strings.Contains(conns[0].What[0], "org.example.bookmarks") {
		t.Fatalf("the app was granted %+v (%v); the manifest read %d times", conns, err, reads.Load())
	}
	// Without the offer just before, the wider manifest is not covered by
	// the agreement: Home asks (it does not connect it as remembered).
	app2, _ := newAPI(t, s)
	st2, _ := app2.AppConnectStart("bookmarks", user, s.url)
	q2 := fragment(t, st2.URL, "connect")
	req2 := ConnectRequest{App: q2.Get("app"), User: q2.Get("user"), Recipient: q2.Get("recipient"), State: q2.Get("state")}
	if offer, err := home.ConnectOffer(ctx, req2); err != nil || offer.Remembered || len(offer.Scopes) != 2 {
		t.Fatalf("the wider manifest's offer: %+v %v", offer, err)
	}
}

// TestInstallLeavesHiddenFiles: a folder's hidden files (.git/, .env) are
// never served, and never leave the browser either.
func TestInstallLeavesHiddenFiles(t *testing.T) {
	s := newServer(t)
	home, _ := newAPI(t, s)
	signup(t, home)
	files := []appmanifest.File{{Path: "bookmarks/hearth-app.json", Data: []byte(bookmarksManifest)},
		{Path: "bookmarks/index.html", Data: []byte("<!doctype html>")},
		{Path: "bookmarks/.env", Data: []byte("SECRET=hunter2")}, {Path: "bookmarks/.git/config", Data: []byte("[remote]")}}
	if _, err := home.AppOffer(ctx, files); err != nil {
		t.Fatal(err)
	}
	if _, err := home.InstallApp(ctx, "bookmarks"); err != nil {
		t.Fatal(err)
	}
	c, _, _ := home.account()
	req, _ := http.NewRequest("GET", s.url+"/v1/apps/bookmarks/archive", nil)
	req.Header.Set("Authorization", "Bearer "+c.State().Token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	a, err := appmanifest.ReadArchive(bytes.NewReader(b), int64(len(b)))
	if err != nil || len(a.Skipped) != 0 || bytes.Contains(b, []byte("hunter2")) || bytes.Contains(b, []byte(".env")) {
		t.Fatalf("stored archive: %v, skipped %q", err, a.Skipped)
	}
}

// TestAppOfferRefusesImitatingName: Home refuses, before showing anything
// to install, an archive whose app's name passes for a bundled app's
// ("Notes.", "No​tes" with a zero-width space, "Ｔａｓｋｓ") or Hearth's,
// with an error that says so; the features a manifest asks for are shown
// in words with its reasons.
func TestAppOfferRefusesImitatingName(t *testing.T) {
	s := newServer(t)
	home, _ := newAPI(t, s)
	signup(t, home)
	offer := func(name, extra string) (*AppOfferView, error) {
		m := strings.Replace(bookmarksManifest, `"name":"Bookmarks"`, `"name":"`+name+`"`+extra, 1)
		return home.AppOffer(ctx, []appmanifest.File{{Path: "hearth-app.json", Data: []byte(m)}, {Path: "index.html", Data: []byte("<!doctype html>")}})
	}
	for _, name := range []string{"Notes", "Notes.", "No\u200btes", "Ｔａｓｋｓ", " contacts ", "Hearth"} {
		_, err := offer(name, "")
		wantCode(t, name, err, "bad_input")
		if err != nil && !strings.Contains(err.Error(), "passes for") {
			t.Errorf("%q: %v", name, err)
		}
	}
	o, err := offer("Bookmarks", `,"features":{"camera":"To photograph a page."}`)
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Features) != 1 || o.Features[0].What != "Use your camera" || o.Features[0].Reason != "To photograph a page." {
		t.Fatalf("features %+v", o.Features)
	}
}

// TestBundledNamesMatch: the command line's list of the bundled apps'
// names (appmanifest.BundledNames) is the bundled manifests'.
func TestBundledNamesMatch(t *testing.T) {
	if got := bundledNames(); !maps.Equal(got, appmanifest.BundledNames) {
		t.Fatalf("the bundled manifests name %v; appmanifest.BundledNames says %v", got, appmanifest.BundledNames)
	}
}
