package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/wasm/web/browsertest"
)

// TestWebHalted: the host shows Home a changes feed whose history differs
// from the one Home verified. Home reports it, stops saving (protocol
// §4.7), and after a reload says so on its dashboard, with why; the person
// goes on with what the server holds now, asked twice, and Home saves
// again.
func TestWebHalted(t *testing.T) {
	home, fork := haltHome(t)
	if why := browsertest.Eval[string](home, `document.querySelector("#halted-why").textContent`); !bytes.Contains([]byte(why), []byte("history")) {
		t.Fatalf("the banner says why: %q", why)
	}
	home.ScreenshotsOf("halted", "#halted")
	fork.Store(false)
	home.Do(chromedp.Click(chromedp.CSS("#halted-accept")))
	home.Do(chromedp.WaitVisible(chromedp.CSS("#halted-confirm")))
	home.ScreenshotsOf("halted-confirm", "#halted")
	home.Do(chromedp.Click(chromedp.CSS("#halted-confirm")))
	home.Do(chromedp.WaitNotVisible(chromedp.CSS("#halted")))
	home.Do(chromedp.Reload())
	waitView(t, home, "dashboard", "#signin-msg")
	waitText(t, home, "#storage-docs", "2 documents")
	if !browsertest.Eval[bool](home, `document.querySelector("#halted").hidden`) {
		t.Fatal("still halted after accepting")
	}
	home.Screenshots("halted-accepted")
}

// TestWebHaltedBannerInPlainWords: Home's banner said what happened in the
// client's words, "(the server's changes feed ends before seq 13, which
// this device verified (rolled back))". It says it for people (the server
// now holds an older state of the account than this browser saw), with
// the technical detail behind "Details", shown on a click.
func TestWebHaltedBannerInPlainWords(t *testing.T) {
	home, _ := haltHome(t)
	shown := browsertest.Eval[string](home, `document.querySelector("#halted").innerText`)
	for _, jargon := range []string{"seq", "feed", "chain", "keyring", "verified", "history"} {
		if strings.Contains(strings.ToLower(shown), jargon) {
			t.Errorf("the banner shows %q: %q", jargon, shown)
		}
	}
	if !strings.Contains(shown, "older state of your account than this browser saw") || !strings.Contains(shown, "Details") {
		t.Fatalf("the banner does not say what happened in plain words: %q", shown)
	}
	home.Do(chromedp.Click(chromedp.CSS("#halted-details summary")))
	if why := browsertest.Eval[string](home, `document.querySelector("#halted").innerText`); !strings.Contains(why, "history") {
		t.Fatalf("Details shows no detail: %q", why)
	}
	home.ScreenshotsOf("halted-details", "#halted")
}

// haltHome signs up in Home, lets the host fork the changes feed after a
// write of another device, and returns Home's tab showing its halted
// banner, and the switch of the fork.
func haltHome(t *testing.T) (*browsertest.Tab, *atomic.Bool) {
	t.Helper()
	fork := new(atomic.Bool)
	env := browsertest.Start(t, browsertest.Options{Wrap: func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !fork.Load() || r.Method != "GET" || r.URL.Path != "/v1/changes" || r.URL.Query().Get("since") == "0" {
				next.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			var p map[string]any
			body := rec.Body.Bytes()
			if rec.Code == 200 && json.Unmarshal(body, &p) == nil {
				p["since_chain"] = make([]byte, 32) // another history before since
				body, _ = json.Marshal(p)
			}
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.WriteHeader(rec.Code)
			w.Write(body)
		})
	}})
	const user, password = "halted-user", "a halted password"
	home := env.NewTab(t)
	home.Allow(`integrity`)
	home.Open(env.HomeURL() + "/")
	homeForm(t, home, "signup")
	typeInto(home, "#signup-form [name=user]", user)
	typeInto(home, "#signup-form [name=password]", password)
	typeInto(home, "#signup-form [name=password2]", password)
	home.Do(chromedp.Click(chromedp.CSS("#signup-form button[type=submit]")))
	saveRecoveryKey(t, home)
	waitView(t, home, "dashboard", "#signup-msg")

	// Another device writes; Home's feed takes it in.
	ctx := context.Background()
	dev, err := client.Login(ctx, env.ServerURL(), user, password, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := dev.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := dev.Create(ctx, "io.hearth.notes", []byte(`{"title":"one"}`)); err != nil {
		t.Fatal(err)
	}
	home.Do(chromedp.Reload())
	waitView(t, home, "dashboard", "#signin-msg")
	waitText(t, home, "#storage-docs", "1 document")
	if !browsertest.Eval[bool](home, `document.querySelector("#halted").hidden`) {
		t.Fatal("a banner before any rollback")
	}
	time.Sleep(time.Second) // the worker stores the state it verified
	// The host forks the feed: the next page Home reads names another
	// history before the position it verified.
	fork.Store(true)
	if _, _, err := dev.Create(ctx, "io.hearth.notes", []byte(`{"title":"two"}`)); err != nil {
		t.Fatal(err)
	}
	home.Do(chromedp.Reload())
	home.Do(chromedp.WaitVisible(chromedp.CSS("#halted")))
	return home, fork
}
