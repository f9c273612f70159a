package web_test

import (
	"context"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hearthcloud/hearth/server"
	"github.com/hearthcloud/hearth/server/auth"
	"github.com/hearthcloud/hearth/server/site"
	"github.com/hearthcloud/hearth/wasm/web/browsertest"
)

// rollbackHost serves the real server until rolled back to a copy of its
// data folder taken earlier (a restore of an old backup).
type rollbackHost struct {
	to atomic.Pointer[server.Server]
}

func (h *rollbackHost) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s := h.to.Load(); s != nil {
			s.Handler().ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// backup copies the data folder dir, as a backup made now.
func backup(t *testing.T, dir string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o700)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.Create(filepath.Join(dst, rel))
		if err != nil {
			return err
		}
		defer out.Close()
		_, err = io.Copy(out, in)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// restore makes h serve the backup in dir from now on.
func (h *rollbackHost) restore(t *testing.T, dir string) {
	t.Helper()
	srv, err := server.Open(context.Background(), server.Config{Dir: dir, Web: site.Config{Domain: "localhost"},
		Hash: auth.HashParams{Memory: 64, Time: 1, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.API.Close(); srv.Close() })
	h.to.Store(srv)
}

// TestWebHaltedApp: the host restores an old backup under a person using
// Notes. Notes says that Hearth stopped saving and that the decision is
// Home's, with a way there, and still shows the notes it had; the person
// goes on in Home; Notes, opened again, lists what the server holds and
// writes, with no sign-out. (A host ending Notes' session alone is
// TestAppSessionEndedKeepsMemory, in package wasm.)
func TestWebHaltedApp(t *testing.T) {
	host := &rollbackHost{}
	env := browsertest.Start(t, browsertest.Options{Wrap: host.wrap})
	const user, password = "halted-notes", "a halted password"
	tab := env.NewTab(t)
	tab.Allow(`integrity|rolled back|halted|stopped|401|400|Unauthorized|Bad Request`)
	tab.Open(env.HomeURL() + "/")
	homeForm(t, tab, "signup")
	typeInto(tab, "#signup-form [name=user]", user)
	typeInto(tab, "#signup-form [name=password]", password)
	typeInto(tab, "#signup-form [name=password2]", password)
	tab.Do(chromedp.Click(chromedp.CSS("#signup-form button[type=submit]")))
	saveRecoveryKey(t, tab)
	waitView(t, tab, "dashboard", "#signup-msg")

	notesURL := env.AppURL("notes", user) + "/"
	tab.Open(notesURL)
	tab.Do(chromedp.WaitVisible(chromedp.CSS("#connect-allow")))
	tab.Do(chromedp.Click(chromedp.CSS("#connect-allow")))
	tab.Do(chromedp.WaitVisible(chromedp.CSS("body[data-ready]")))
	newNote := func(title string) {
		t.Helper()
		tab.Do(chromedp.Click(chromedp.CSS("#new-note")))
		typeInto(tab, "#title", title)
		waitText(t, tab, "#note-list", title) // listed once saved
		waitText(t, tab, "#status", "Saved")
	}
	newNote("Kept note")
	time.Sleep(time.Second) // the state is stored
	old := backup(t, env.Dir)
	newNote("Lost note")
	// Home reads the account to its end too.
	tab.Open(env.HomeURL() + "/")
	waitView(t, tab, "dashboard", "#signin-msg")
	waitText(t, tab, "#storage-docs", "4 documents")
	time.Sleep(time.Second)

	// The host restores the backup. Notes, opened, finds the account
	// older than it saw; Home, asked, finds it too.
	host.restore(t, old)
	tab.Open(notesURL)
	tab.Do(chromedp.WaitVisible(chromedp.CSS("#hearth-halted")))
	notice := browsertest.Eval[string](tab, `document.querySelector("#hearth-halted").innerText`)
	for _, want := range []string{"stopped saving", "Home", "older state of your account"} {
		if !strings.Contains(notice, want) {
			t.Fatalf("Notes' notice %q does not say %q", notice, want)
		}
	}
	tab.Do(chromedp.WaitVisible(chromedp.CSS("body[data-ready]")))
	waitText(t, tab, "#note-list", "Lost note") // what it verified before
	if !browsertest.Eval[bool](tab, `document.querySelector("#new-note").disabled`) {
		t.Fatal("a halted Notes offers a new note")
	}
	tab.Screenshots("notes-halted")

	// To Home, where the person decides.
	tab.Do(chromedp.Click(chromedp.CSS("#hearth-halted-home")))
	tab.Do(chromedp.WaitVisible(chromedp.CSS("#halted")))
	tab.Do(chromedp.Click(chromedp.CSS("#halted-accept")))
	tab.Do(chromedp.WaitVisible(chromedp.CSS("#halted-confirm")))
	tab.Do(chromedp.Click(chromedp.CSS("#halted-confirm")))
	tab.Do(chromedp.WaitNotVisible(chromedp.CSS("#halted")))

	// Notes, opened again, goes on with what the server holds.
	tab.Open(notesURL)
	tab.Do(chromedp.WaitVisible(chromedp.CSS("body[data-ready]")))
	waitText(t, tab, "#note-list", "Kept note")
	if browsertest.Eval[bool](tab, `!!document.querySelector("#hearth-halted")`) {
		t.Fatal("Notes still says it stopped after the decision in Home")
	}
	if got := browsertest.Eval[string](tab, `document.querySelector("#note-list").textContent`); strings.Contains(got, "Lost note") {
		t.Fatalf("Notes lists a note the server no longer holds: %q", got)
	}
	newNote("Written after the decision")
	tab.Screenshots("notes-after-decision")
	tab.Open(notesURL)
	tab.Do(chromedp.WaitVisible(chromedp.CSS("body[data-ready]")))
	waitText(t, tab, "#note-list", "Written after the decision")
}
