package web_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/server"
	"github.com/hearthcloud/hearth/server/meta"
	"github.com/hearthcloud/hearth/wasm/web/browsertest"
)

// TestWebQuota walks Home on a server whose sign-up needs an invitation
// and whose accounts get a quota: the sign-up form asks for the code (a
// wrong one is refused, saying so), the storage card shows the empty
// account, then one nearly full (a bar and a warning) and one full (a
// plain message), and a write Home makes on a full account (installing an
// app) fails saying the account is full; deleting makes room again.
func TestWebQuota(t *testing.T) {
	env := browsertest.Start(t, browsertest.Options{Server: func(c *server.Config) { c.SignupInv = true }})
	const user, password = "a-rather-long-user-name-for-you", "a quota password"
	ctx := context.Background()
	adm, err := server.OpenAdmin(env.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()

	home := env.NewTab(t)
	// The refusals this test provokes, as the browser logs them.
	home.Allow(`403 \(Forbidden\) http://home.localhost:\d+/v1/accounts`)
	home.Allow(`413 \(Payload Too Large\)|413 \(Content Too Large\)`)
	home.Open(env.HomeURL() + "/")
	homeForm(t, home, "signup")
	home.Do(chromedp.WaitVisible(chromedp.CSS("#signup-invite input")))
	typeInto(home, "#signup-form [name=user]", user)
	typeInto(home, "#signup-form [name=password]", password)
	typeInto(home, "#signup-form [name=password2]", password)
	typeInto(home, "#signup-form [name=invite]", "abcd-efgh-ijkl-mnop-qrst")
	home.Do(chromedp.Click(chromedp.CSS("#signup-form button[type=submit]")))
	waitText(t, home, "#signup-msg", "This invitation code does not work")
	home.Screenshots("signup-invite-refused")
	if _, err := adm.Quota(ctx, user); err == nil {
		t.Fatal("a wrong invitation created the account")
	}
	code, _, err := adm.Invite(ctx, time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	typeInto(home, "#signup-form [name=invite]", strings.ToUpper(code))
	home.Screenshots("signup-invite")
	home.Do(chromedp.Click(chromedp.CSS("#signup-form button[type=submit]")))
	saveRecoveryKey(t, home)
	waitView(t, home, "dashboard", "#signup-msg")
	waitText(t, home, "#storage-text", "Nothing stored yet. This server sets no limit.")
	waitText(t, home, "#storage-docs", "0 documents")
	home.ScreenshotsOf("storage-empty", "#storage")

	// Another device stores some documents.
	dev, err := client.Login(ctx, env.ServerURL(), user, password, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := dev.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"one", "two", "three"} {
		if _, err := dev.Put(ctx, "io.hearth.notes", id, bytes.Repeat([]byte("n"), 30000)); err != nil {
			t.Fatal(err)
		}
	}
	q, err := adm.Quota(ctx, user)
	if err != nil {
		t.Fatal(err)
	}
	used := q.Used.Bytes

	// Nearly full: 95 % of the bytes.
	if err := adm.SetQuota(ctx, user, meta.Limits{Bytes: used * 100 / 95, Docs: 1000}); err != nil {
		t.Fatal(err)
	}
	home.Open(env.HomeURL() + "/")
	waitView(t, home, "dashboard", "#signin-msg")
	waitText(t, home, "#storage-text", "used (95%)")
	waitText(t, home, "#storage-docs", "3 of 1,000 documents")
	waitText(t, home, "#storage-msg", "almost full")
	if !browsertest.Eval[bool](home, `document.querySelector("#storage-bar").classList.contains("near") && !document.querySelector("#storage-bar").hidden`) {
		t.Fatal("the storage bar does not show the account nearly full")
	}
	home.ScreenshotsOf("storage-near-full", "#storage")

	// Full: the card says so, and a write Home makes fails saying why.
	if err := adm.SetQuota(ctx, user, meta.Limits{Bytes: used, Docs: meta.DefaultLimit}); err != nil {
		t.Fatal(err)
	}
	home.Open(env.HomeURL() + "/")
	waitView(t, home, "dashboard", "#signin-msg")
	waitText(t, home, "#storage-text", "used (100%)")
	waitText(t, home, "#storage-msg", "Your Hearth is full")
	home.ScreenshotsOf("storage-full", "#storage")
	home.Do(chromedp.SetUploadFiles(chromedp.CSS("#install-file"), []string{zipApp(t, filepath.Join("..", "..", "spec", "example-app"), func(m string) string { return m })}))
	waitView(t, home, "install", "#store-msg")
	home.Do(chromedp.Click(chromedp.CSS("#install-allow")))
	waitText(t, home, "#install-msg", "Your Hearth is full")
	home.Screenshots("install-account-full")
	if apps, err := dev.InstalledApps(ctx); err != nil || len(apps) != 0 {
		t.Fatalf("installed on a full account: %v %v", apps, err)
	}
	if _, err := dev.Put(ctx, "io.hearth.notes", "four", []byte("more")); !errors.Is(err, client.ErrAccountFull) {
		t.Fatalf("a note on a full account: %v, want ErrAccountFull", err)
	}

	// Deleting makes room.
	if err := dev.Delete(ctx, "io.hearth.notes", "one"); err != nil {
		t.Fatal(err)
	}
	home.Do(chromedp.Click(chromedp.CSS("#install-deny")))
	waitView(t, home, "dashboard", "#store-msg")
	home.Open(env.HomeURL() + "/")
	waitView(t, home, "dashboard", "#signin-msg")
	waitText(t, home, "#storage-docs", "2 documents")
	if browsertest.Eval[string](home, `document.querySelector("#storage-msg").hidden ? "" : document.querySelector("#storage-msg").textContent`) != "" {
		t.Fatal("the storage card still warns after a deletion made room")
	}
	home.Check()
}
