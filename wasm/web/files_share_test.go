package web_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/crypto/link"
	"github.com/hearthcloud/hearth/wasm/web/browsertest"
)

// TestWebFilesShare: sharing from the Files app (its own origin, an app
// session with the Files grant). The owner shares a file with a password
// and a label, copies the link, makes a second link; a fresh profile opens
// the first with the password and downloads the file byte for byte; the
// owner revokes it from the dialog and the link then shows revoked; the
// shared file carries its mark and the Links view lists both links. A
// request for files on a folder: a fresh profile drops two files; the
// owner opens Files again and they are adopted into the folder, listed as
// dropped for them. Nothing the server received holds a key, a password
// or a name.
func TestWebFilesShare(t *testing.T) {
	env, host := startLinkEnv(t)
	const user, password = "wren", "a files share password"
	ctx := context.Background()
	dev, _, err := client.Signup(ctx, env.ServerURL(), user, password, nil)
	if err != nil {
		t.Fatal(err)
	}
	report := []byte("zq9sharemarker quarterly report\n" + string(bytes.Repeat([]byte("figures "), 5000)))
	if _, err := dev.UploadTo(ctx, "", bytes.NewReader(report), int64(len(report)), "zq9sharemarker report.txt", "text/plain", time.Unix(1795000000, 0), nil); err != nil {
		t.Fatal(err)
	}
	inbox, err := dev.Mkdir(ctx, "", "Inbox")
	if err != nil {
		t.Fatal(err)
	}
	tab := env.NewTab(t)
	installFiles(t, env, tab, user, password)
	waitListed(t, tab, "Inbox", "zq9sharemarker report.txt")

	// Share the file with a password, for Bob; copy the link.
	const linkPassword = "zq9sharemarker-pw fennel"
	selectRows(t, tab, "zq9sharemarker report.txt")
	click(tab, `#selbar [data-act=share]`)
	tab.Do(chromedp.WaitVisible(chromedp.CSS(`dialog.share-dialog[open] [name=password]`)))
	if v := browsertest.Eval[string](tab, `document.querySelector("dialog[open] [name=expires]").value`); v != "604800" {
		t.Errorf("the default expiry is %s seconds, not 7 days", v)
	}
	waitText(t, tab, "dialog[open] .link-list", "No links to this item yet.")
	typeInto(tab, "dialog[open] [name=password]", linkPassword)
	typeInto(tab, "dialog[open] [name=label]", "for Bob")
	click(tab, `dialog[open] .share-form button[type=submit]`)
	tab.WaitTrue(`!!document.querySelector("dialog[open] .link-made input")`)
	bobURL := browsertest.Eval[string](tab, `document.querySelector("dialog[open] .link-made input").value`)
	if _, err := link.ParseURL(bobURL); err != nil {
		t.Fatalf("the link made %q: %v", bobURL, err)
	}
	click(tab, `dialog[open] [data-copy]`)
	tab.WaitTrue(`document.querySelector("dialog[open] .copied").textContent !== ""`)
	waitText(t, tab, "dialog[open] .link-list", "for Bob")
	// A second link, for Carol, of at most 3 opens.
	typeInto(tab, "dialog[open] [name=label]", "for Carol")
	typeInto(tab, "dialog[open] [name=maxOpens]", "3")
	click(tab, `dialog[open] .share-form button[type=submit]`)
	tab.WaitTrue(`document.querySelectorAll("dialog[open] .link-list li[data-link]").length === 2`)
	waitText(t, tab, "dialog[open] .link-list", "opened 0 times of 3")

	// A fresh profile opens Bob's link with the password and downloads.
	stranger, dir := linkTab(t, env)
	openLink(stranger, bobURL)
	t.Logf("link %s; stranger at %s", bobURL, browsertest.Eval[string](stranger, `location.href + " " + document.body.dataset.state`))
	waitState(stranger, "password")
	typeInto(stranger, "#pw-form [name=password]", linkPassword)
	stranger.Do(chromedp.Click(chromedp.CSS("#pw-form button")))
	waitState(stranger, "file-preview")
	stranger.Do(chromedp.Click(chromedp.CSS("#file-download")))
	if got := waitDownload(t, nil, dir, "zq9sharemarker report.txt"); !bytes.Equal(got, report) {
		t.Errorf("the downloaded file differs (%d bytes, want %d)", len(got), len(report))
	}

	// The owner sees the open, and revokes Bob's link from the dialog.
	click(tab, `dialog[open] .row.end button.secondary`)
	tab.WaitTrue(`!document.querySelector("dialog[open]")`)
	row := rowID(t, tab, "zq9sharemarker report.txt")
	tab.WaitTrue(`!!document.querySelector('#items li[data-id="` + row + `"] .shared-mark')`)
	selectRows(t, tab, "zq9sharemarker report.txt")
	click(tab, `#selbar [data-act=share]`)
	bob := mustID(t, bobURL)
	waitText(t, tab, `dialog[open] li[data-link="`+bob+`"]`, "opened once")
	tab.Screenshots("share-dialog")
	click(tab, `dialog[open] [data-revoke="`+bob+`"]`)
	click(tab, `[data-ask-yes]`)
	tab.WaitTrue(`(document.querySelector('dialog[open] li[data-link="` + bob + `"]')||{}).dataset?.state === "revoked"`)
	openLink(stranger, bobURL)
	waitState(stranger, "error-revoked")
	click(tab, `dialog[open] .row.end button.secondary`)

	// The Links view.
	click(tab, "#links-view")
	tab.WaitTrue(`document.querySelectorAll("dialog.links-dialog[open] li[data-link]").length === 2`)
	waitText(t, tab, "dialog.links-dialog[open]", "for Carol")
	tab.Screenshots("links-view")
	click(tab, `dialog.links-dialog[open] .row.end button.secondary:last-child`)
	tab.WaitTrue(`!document.querySelector("dialog[open]")`)
	// In the grid, a shared file's mark sits in its cell's corner.
	click(tab, `[data-view=grid]`)
	tab.WaitTrue(`!!document.querySelector('#items.grid-view li[data-id="` + row + `"] .shared-mark')`)
	tab.Screenshots("shared-grid")
	click(tab, `[data-view=list]`)

	// Request files into Inbox.
	selectRows(t, tab, "Inbox")
	click(tab, `#selbar [data-act=request]`)
	tab.Do(chromedp.WaitVisible(chromedp.CSS(`dialog.share-dialog[open] [name=maxFiles]`)))
	typeInto(tab, "dialog[open] [name=maxFiles]", "5")
	typeInto(tab, "dialog[open] [name=label]", "scans from the accountant")
	click(tab, `dialog[open] .share-form button[type=submit]`)
	tab.WaitTrue(`!!document.querySelector("dialog[open] .link-made input")`)
	dropURL := browsertest.Eval[string](tab, `document.querySelector("dialog[open] .link-made input").value`)
	tab.Screenshots("request-dialog")
	click(tab, `dialog[open] .row.end button.secondary`)

	// A fresh profile drops two files.
	src := t.TempDir()
	dropped := map[string][]byte{
		"zq9sharemarker invoice.txt": []byte("zq9sharemarker invoice: 42 euros\n"),
		"zq9sharemarker scan.png":    testPNG(120, 80),
	}
	var paths []string
	for name, b := range dropped {
		p := filepath.Join(src, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	dropper, _ := linkTab(t, env)
	openLink(dropper, dropURL)
	waitState(dropper, "drop")
	waitText(t, dropper, "#limits", "You can send 5 more files")
	dropper.Do(chromedp.SetUploadFiles(chromedp.CSS("#pick"), paths))
	dropper.WaitTrue(`document.querySelectorAll("#queue li").length === 2`)
	dropper.Do(chromedp.Click(chromedp.CSS("#send")))
	waitState(dropper, "sent")

	// The owner opens Files again: the drops are adopted into Inbox.
	tab.Open(env.AppURL("files", user))
	tab.Do(chromedp.WaitVisible(chromedp.CSS("body[data-ready]")))
	tab.WaitTrue(`document.querySelectorAll("#drops:not([hidden]) #drops-list li").length === 2`)
	waitText(t, tab, "#drops-list", "in “Inbox”")
	tab.Screenshots("drops")
	docs := waitFiles(t, dev, "the drops adopted", func(d []fileDoc) bool {
		n := 0
		for _, f := range d {
			if f.Kind == "file" && f.Parent == inbox {
				n++
			}
		}
		return n == 2
	})
	for name, want := range dropped {
		f := named(docs, name, inbox)
		if f == nil {
			t.Fatalf("%s is not in Inbox: %+v", name, docs)
		}
		var b bytes.Buffer
		if _, err := dev.DownloadProgress(ctx, f.ID, &b, nil); err != nil || !bytes.Equal(b.Bytes(), want) {
			t.Errorf("%s adopted differs: %v", name, err)
		}
	}
	tab.WaitTrue(`document.querySelector("#links-view").dataset.pending === "0"`)
	click(tab, `#drops-list a`)
	tab.WaitTrue(`(document.querySelector("#crumbs [aria-current]")||{}).title === "Inbox"`)
	tab.WaitTrue(`!!document.querySelector("dialog.preview[open]")`)
	tab.Do(chromedp.KeyEvent("\x1b"))
	tab.WaitTrue(`!document.querySelector("dialog[open]")`)

	// Delete forever, in the trash: the invoice goes, its blob too.
	selectRows(t, tab, "zq9sharemarker invoice.txt")
	click(tab, `#selbar [data-act=trash]`)
	waitListed(t, tab, "zq9sharemarker scan.png")
	click(tab, "#trash-view")
	waitListed(t, tab, "zq9sharemarker invoice.txt")
	selectRows(t, tab, "zq9sharemarker invoice.txt")
	if browsertest.Eval[bool](tab, `document.querySelector("#selbar [data-act=forever]").hidden`) {
		t.Fatal("no Delete forever in the trash")
	}
	click(tab, `#selbar [data-act=forever]`)
	click(tab, `[data-ask-yes]`)
	waitText(t, tab, "#empty-line", "The trash is empty.")
	waitFiles(t, dev, "the invoice deleted", func(d []fileDoc) bool { return named(d, "zq9sharemarker invoice.txt", "*") == nil })

	seen := host.bytes()
	for _, u := range []string{bobURL, dropURL} {
		lu, _ := link.ParseURL(u)
		for _, form := range []string{link.EncodeKey(lu.Key), base64.StdEncoding.EncodeToString(lu.Key)} {
			if bytes.Contains(seen, []byte(form)) {
				t.Errorf("a request carried the key of %s", lu.ID)
			}
		}
	}
	if holdsMarker(seen, "zq9sharemarker") {
		i := bytes.Index(seen, []byte("zq9sharemarker"))
		t.Errorf("a request carried a name, a password or content (at %d: %q)", i, seen[max(0, i-300):max(0, i)+40])
	}
}
