package web_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"os"
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

// queueCovers lists the rows whose size or date the upload queue covers
// (empty: none), and whether the queue sits above the listing.
const queueCovers = `(() => {
	const q = document.querySelector("#queue").getBoundingClientRect();
	const hit = (r) => r.width > 0 && r.height > 0 && r.left < q.right && q.left < r.right && r.top < q.bottom && q.top < r.bottom;
	const rows = [...document.querySelectorAll("#items li[data-id]")].filter((li) => [...li.querySelectorAll(".size, .date")].some((e) => hit(e.getBoundingClientRect())));
	const above = q.bottom <= document.querySelector("#listing").getBoundingClientRect().top;
	return rows.map((li) => li.querySelector(".name").title).join("|") + (above ? "" : "!below");
})()`

// atSizes runs check at the phone's and the desktop's sizes (the
// screenshots'), leaving the tab at the desktop's.
func atSizes(tab *browsertest.Tab, check func(size string)) {
	tab.Do(chromedp.EmulateViewport(browsertest.Phone[0], browsertest.Phone[1], chromedp.EmulateScale(2), chromedp.EmulateMobile))
	check("phone")
	tab.Do(chromedp.EmulateViewport(browsertest.Desktop[0], browsertest.Desktop[1]))
	check("desktop")
}

// TestWebFilesUX walks what a new user found in Files (issue 16): the
// upload queue never covers the listing's columns (at both sizes, open
// and folded); a rename, a move and the trash say so in a toast that
// takes no focus, each with Undo; the trash says where each item came
// from, and a restore puts it back there, making its folder again if it
// is gone; an upload of bytes the file holds already is "Unchanged"
// (nothing sent, no version); a file over the server's largest, and one
// past the quota, say the limit in numbers.
func TestWebFilesUX(t *testing.T) {
	env := browsertest.Start(t, browsertest.Options{Server: func(c *server.Config) { c.MaxBlobSize = 12_000_000 }})
	const user, password = "uma", "a files ux password"
	ctx := context.Background()
	dev, _, err := client.Signup(ctx, env.ServerURL(), user, password, nil)
	if err != nil {
		t.Fatal(err)
	}
	tab := env.NewTab(t)
	tab.Allow(`413 \(Payload Too Large\)|413 \(Content Too Large\)`) // the upload past the quota, below
	installFiles(t, env, tab, user, password)

	// The queue, in the page's flow: a folder of many files uploaded, the
	// queue left open, nothing of the listing under it.
	src := t.TempDir()
	many := map[string][]byte{}
	for i := range 16 {
		many[fmt.Sprintf("Reports/report %02d.txt", i+1)] = []byte(strings.Repeat("r", 1000*(i+1)))
	}
	writeTree(t, src, many)
	tab.Do(chromedp.SetUploadFiles(chromedp.CSS("#pick-folder"), []string{filepath.Join(src, "Reports")}))
	waitQueueDone(t, tab, 16)
	openFolder(t, tab, "Reports")
	tab.WaitTrue(`document.querySelectorAll("#items li[data-id]").length === 16`)
	atSizes(tab, func(size string) {
		if got := browsertest.Eval[string](tab, queueCovers); got != "" {
			t.Errorf("%s: the queue covers the columns of %q", size, got)
		}
	})
	waitText(t, tab, "#queue-sum", "136 kB of 136 kB")
	tab.Screenshots("queue")
	click(tab, "#queue-fold")
	tab.WaitTrue(`document.querySelector("#queue-list").hidden && document.querySelector("#queue-fold").getAttribute("aria-expanded") === "false"`)
	atSizes(tab, func(size string) {
		if got := browsertest.Eval[string](tab, queueCovers); got != "" {
			t.Errorf("%s, folded: the queue covers the columns of %q", size, got)
		}
	})
	tab.Screenshots("queue-folded")
	click(tab, "#queue-clear")
	tab.WaitTrue(`document.querySelector("#queue").hidden`)

	// A rename says so, with Undo; the focus stays where it was.
	docs := fileDocs(t, dev)
	reports := named(docs, "Reports", "")
	r1 := named(docs, "report 01.txt", reports.ID)
	selectRows(t, tab, "report 01.txt")
	click(tab, `#selbar [data-act=rename]`)
	typeInto(tab, "dialog.files-dialog [name=name]", "summary.txt")
	click(tab, `dialog.files-dialog button[type=submit]`)
	waitText(t, tab, "#toast", "Renamed to “summary.txt”")
	if browsertest.Eval[bool](tab, `document.querySelector("#toast").contains(document.activeElement)`) {
		t.Error("the toast took the focus")
	}
	if role := browsertest.Eval[string](tab, `document.querySelector("#toast").getAttribute("role") + " " + document.querySelector("#toast").getAttribute("aria-live")`); role != "status polite" {
		t.Errorf("the toast is %q", role)
	}
	tab.Screenshots("toast-rename")
	click(tab, "#toast .toast-undo")
	waitText(t, tab, "#toast", "Renamed back to “report 01.txt”")
	waitFiles(t, dev, "renamed back", func(d []fileDoc) bool { f := named(d, "report 01.txt", reports.ID); return f != nil && f.ID == r1.ID })

	// A move, undone: back where it was.
	click(tab, "#new-folder")
	typeInto(tab, "dialog.files-dialog [name=name]", "Old")
	click(tab, `dialog.files-dialog button[type=submit]`)
	old := waitFiles(t, dev, "Old made", func(d []fileDoc) bool { return named(d, "Old", reports.ID) != nil })
	oldID := named(old, "Old", reports.ID).ID
	selectRows(t, tab, "report 02.txt", "report 03.txt")
	click(tab, `#selbar [data-act=move]`)
	click(tab, `dialog.files-dialog [data-folder="`+oldID+`"]`)
	click(tab, `dialog.files-dialog [data-move-here]`)
	waitText(t, tab, "#toast", "Moved 2 items to “Old”")
	waitFiles(t, dev, "moved", func(d []fileDoc) bool {
		return named(d, "report 02.txt", oldID) != nil && named(d, "report 03.txt", oldID) != nil
	})
	tab.Screenshots("toast-move")
	click(tab, "#toast .toast-undo")
	waitText(t, tab, "#toast", "Moved back")
	waitFiles(t, dev, "moved back", func(d []fileDoc) bool {
		return named(d, "report 02.txt", reports.ID) != nil && named(d, "report 03.txt", reports.ID) != nil
	})

	// The trash, undone.
	selectRows(t, tab, "report 04.txt", "report 05.txt")
	click(tab, `#selbar [data-act=trash]`)
	waitText(t, tab, "#toast", "2 items moved to the trash")
	waitFiles(t, dev, "trashed", func(d []fileDoc) bool { f := named(d, "report 04.txt", reports.ID); return f != nil && f.Trashed != 0 })
	tab.Screenshots("toast-trash")
	click(tab, "#toast .toast-undo")
	waitText(t, tab, "#toast", "Back from the trash")
	waitFiles(t, dev, "restored", func(d []fileDoc) bool {
		f, g := named(d, "report 04.txt", reports.ID), named(d, "report 05.txt", reports.ID)
		return f != nil && g != nil && f.Trashed == 0 && g.Trashed == 0
	})

	// The trash says where each item came from; its folder gone, a
	// restore makes it again and says so.
	selectRows(t, tab, "report 06.txt")
	click(tab, `#selbar [data-act=trash]`)
	waitText(t, tab, "#toast", "moved to the trash")
	click(tab, "#trash-view")
	waitText(t, tab, "#items", "from Reports")
	tab.Screenshots("trash-from")
	// The folder goes (deleted alone, as an older client might).
	if err := dev.Delete(ctx, filesDoctype, reports.ID); err != nil {
		t.Fatal(err)
	}
	waitText(t, tab, "#items", "from Reports (gone: a restore makes it again)")
	tab.Screenshots("trash-from-gone")
	selectRows(t, tab, "report 06.txt")
	click(tab, `#selbar [data-act=restore]`)
	waitText(t, tab, "#toast", "Restored “report 06.txt” to “Reports”; “Reports” was made again.")
	tab.Screenshots("toast-restored")
	docs = waitFiles(t, dev, "restored into Reports made again", func(d []fileDoc) bool {
		f, again := named(d, "report 06.txt", "*"), named(d, "Reports", "")
		return f != nil && f.Trashed == 0 && again != nil && again.ID != reports.ID && f.Parent == again.ID
	})
	reports = named(docs, "Reports", "")

	// The same bytes again: "Unchanged", nothing sent, no version; other
	// bytes: a version.
	click(tab, "#trash-view")
	openFolder(t, tab, "Reports")
	again := t.TempDir()
	writeTree(t, again, map[string][]byte{"report 06.txt": many["Reports/report 06.txt"]})
	tab.Do(chromedp.SetUploadFiles(chromedp.CSS("#pick-files"), []string{filepath.Join(again, "report 06.txt")}))
	waitQueueDone(t, tab, 1)
	waitText(t, tab, "#queue-list", "Unchanged")
	tab.Screenshots("upload-unchanged")
	if f := named(fileDocs(t, dev), "report 06.txt", reports.ID); f == nil || len(f.Versions) != 0 {
		t.Fatalf("an unchanged upload made a version: %+v", f)
	}
	click(tab, "#queue-clear")
	writeTree(t, again, map[string][]byte{"report 06.txt": []byte(strings.Repeat("R", 6000))})
	tab.Do(chromedp.SetUploadFiles(chromedp.CSS("#pick-files"), []string{filepath.Join(again, "report 06.txt")}))
	waitQueueDone(t, tab, 1)
	waitText(t, tab, "#queue-list", "Done")
	docs = waitFiles(t, dev, "a version", func(d []fileDoc) bool {
		f := named(d, "report 06.txt", reports.ID)
		return f != nil && len(f.Versions) == 1
	})
	// Its bytes were read twice (compared, then sent): what went up is the file.
	var sent bytes.Buffer
	if _, err := dev.Download(ctx, named(docs, "report 06.txt", reports.ID).ID, &sent); err != nil || sent.String() != strings.Repeat("R", 6000) {
		t.Fatalf("the new version holds %d bytes %.20q, %v", sent.Len(), sent.String(), err)
	}
	// The browser's mac (hash-wasm, in JavaScript) is the native client's.
	if u, err := dev.UploadFile(ctx, reports.ID, strings.NewReader(strings.Repeat("R", 6000)), 6000, "report 06.txt", "", time.Time{}, nil); err != nil || !u.Unchanged {
		t.Fatalf("the same bytes from the native client: %+v, %v", u, err)
	}
	click(tab, "#queue-clear")

	// A large file, sealed by the seal worker (which reads the Blob
	// itself): its mac is made beside it, the same again is unchanged, in
	// the browser and natively.
	large := make([]byte, 10_000_000)
	rand.Read(large)
	writeTree(t, again, map[string][]byte{"scan.tiff": large})
	for i, want := range []string{"Done", "Unchanged"} {
		tab.Do(chromedp.SetUploadFiles(chromedp.CSS("#pick-files"), []string{filepath.Join(again, "scan.tiff")}))
		waitQueueDone(t, tab, 1)
		waitText(t, tab, "#queue-list", want)
		click(tab, "#queue-clear")
		if i == 0 {
			waitFiles(t, dev, "the large file", func(d []fileDoc) bool { return named(d, "scan.tiff", reports.ID) != nil })
		}
	}
	if u, err := dev.UploadFile(ctx, reports.ID, bytes.NewReader(large), int64(len(large)), "scan.tiff", "", time.Time{}, nil); err != nil || !u.Unchanged {
		t.Fatalf("the large file from the native client: %+v, %v", u, err)
	}

	// Too large for this server, and past the quota: in numbers.
	big := filepath.Join(t.TempDir(), "film.iso")
	if err := os.WriteFile(big, make([]byte, 13_000_000), 0o644); err != nil {
		t.Fatal(err)
	}
	tab.Do(chromedp.SetUploadFiles(chromedp.CSS("#pick-files"), []string{big}))
	waitText(t, tab, "#queue-list", "film.iso is 13 MB; this server takes files up to 12 MB.")
	tab.Screenshots("upload-too-large")
	click(tab, "#queue-clear")
	adm, err := server.OpenAdmin(env.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	q, err := adm.Quota(ctx, user)
	if err != nil {
		t.Fatal(err)
	}
	if err := adm.SetQuota(ctx, user, meta.Limits{Bytes: q.Used.Bytes + 500_000}); err != nil {
		t.Fatal(err)
	}
	mid := filepath.Join(t.TempDir(), "archive.zip")
	if err := os.WriteFile(mid, make([]byte, 1_500_000), 0o644); err != nil {
		t.Fatal(err)
	}
	tab.Do(chromedp.SetUploadFiles(chromedp.CSS("#pick-files"), []string{mid}))
	waitText(t, tab, "#queue-list", "Not enough space: ")
	waitText(t, tab, "#queue-list", " left of ")
	tab.Screenshots("upload-no-room")
}
