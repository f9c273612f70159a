package web_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/wasm/web/browsertest"
)

// TestWebFiles walks the Files app in Chromium: the empty state, a folder
// uploaded with the folder picker and another dropped from outside the
// page (read recursively, folders made), list, grid and the sorts,
// rename, a move by dragging onto a folder and onto a breadcrumb,
// multi-select and Move to…, previews of each kind, a zip of a folder
// downloaded and read back byte for byte, versions, the trash, restore and
// emptying it; with screenshots of each view.
func TestWebFiles(t *testing.T) {
	env := browsertest.Start(t, browsertest.Options{})
	const user, password = "fern", "a files password"
	ctx := context.Background()
	dev, _, err := client.Signup(ctx, env.HomeURL(), user, password, nil)
	if err != nil {
		t.Fatal(err)
	}
	tab := env.NewTab(t)
	installFiles(t, env, tab, user, password)

	// The empty state.
	waitText(t, tab, "#empty-line", "No files yet.")
	tab.Screenshots("empty")

	// A folder, with the folder picker (webkitdirectory).
	img := pngBytes(t)
	wav := wavBytes()
	src := t.TempDir()
	trips := map[string][]byte{
		"Trips/readme.txt":       []byte("Pack light.\nBring the camera.\n"),
		"Trips/plan.md":          []byte("# Plan\n\n- day one: the lake\n- day two: *the hills*\n"),
		"Trips/2024/lake.png":    img,
		"Trips/2024/birds.wav":   wav,
		"Trips/2024/tickets.pdf": []byte(pdfText),
		"Trips/2024/a very long file name that goes on and on, past what any row can show, so that it must be cut short with an ellipsis.txt": []byte("long"),
	}
	writeTree(t, src, trips)
	tab.Do(chromedp.SetUploadFiles(chromedp.CSS("#pick-folder"), []string{filepath.Join(src, "Trips")}))
	waitQueueDone(t, tab, 6)
	docs := waitFiles(t, dev, "the folder uploaded", func(d []fileDoc) bool { return len(d) == 8 })
	tripsDoc := named(docs, "Trips", "")
	if tripsDoc == nil || tripsDoc.Kind != "folder" {
		t.Fatalf("no folder Trips at the root: %+v", docs)
	}
	y2024 := named(docs, "2024", tripsDoc.ID)
	if y2024 == nil || y2024.Kind != "folder" {
		t.Fatalf("no folder 2024 in Trips: %+v", docs)
	}
	if f := named(docs, "lake.png", y2024.ID); f == nil || f.Kind != "file" || f.Length != int64(len(img)) {
		t.Fatalf("lake.png: %+v", f)
	}
	if f := named(docs, "readme.txt", tripsDoc.ID); f == nil {
		t.Fatalf("readme.txt not in Trips: %+v", docs)
	}
	tab.Screenshots("upload-queue")
	click(tab, "#queue-clear")
	tab.WaitTrue(`document.querySelector("#queue").hidden`)

	// A folder and a file dropped from outside the page.
	drop := t.TempDir()
	writeTree(t, drop, map[string][]byte{
		"Recipes/bread.txt":      []byte("flour, water, salt"),
		"Recipes/Cakes/lemon.md": []byte("# Lemon cake"),
		"shopping.txt":           []byte("eggs"),
	})
	dropFiles(t, tab, "#crumbs", filepath.Join(drop, "Recipes"), filepath.Join(drop, "shopping.txt"))
	waitQueueDone(t, tab, 5)
	docs = waitFiles(t, dev, "the drop uploaded", func(d []fileDoc) bool { return len(d) == 13 })
	recipes := named(docs, "Recipes", "")
	cakes := named(docs, "Cakes", "*")
	if recipes == nil || cakes == nil || cakes.Parent != recipes.ID || named(docs, "lemon.md", cakes.ID) == nil || named(docs, "shopping.txt", "") == nil {
		t.Fatalf("the drop: %+v", docs)
	}
	click(tab, "#queue-clear")

	// Sorting: folders first, then by name, size or date.
	waitListed(t, tab, "Recipes", "Trips", "shopping.txt")
	openFolder(t, tab, "Trips")
	waitListed(t, tab, "2024", "plan.md", "readme.txt")
	typeIntoSelect(tab, "#sort", "size")
	waitListed(t, tab, "2024", "readme.txt", "plan.md")
	click(tab, "#order")
	waitListed(t, tab, "2024", "plan.md", "readme.txt")
	click(tab, "#order")
	typeIntoSelect(tab, "#sort", "name")
	// A folder's size is what is in it.
	waitText(t, tab, `#items li[data-id="`+y2024.ID+`"] .size`, "kB")

	// The grid.
	openFolder(t, tab, "2024")
	click(tab, `[data-view=grid]`)
	tab.WaitTrue(`document.querySelector("#items").classList.contains("grid-view")`)
	tab.Screenshots("grid")
	click(tab, `[data-view=list]`)
	tab.Screenshots("long-names")

	// Previews: an image, audio, a PDF, then text and Markdown.
	click(tab, `#items li[data-id="`+rowID(t, tab, "lake.png")+`"] .name`)
	tab.WaitTrue(`(() => { const i = document.querySelector("dialog.preview img"); return !!i && i.complete && i.naturalWidth === 64; })()`)
	tab.Screenshots("preview")
	click(tab, `dialog.preview [aria-label="Previous file"]`)
	tab.WaitTrue(`(() => { const a = document.querySelector("dialog.preview audio"); return !!a && a.readyState >= 1 && a.duration > 0.9; })()`)
	click(tab, `[data-close-preview]`)
	click(tab, `#items li[data-id="`+rowID(t, tab, "tickets.pdf")+`"] .name`)
	tab.WaitTrue(`(() => { const f = document.querySelector("dialog.preview iframe"); return !!f && f.src.startsWith("blob:"); })()`)
	tab.Screenshots("preview-pdf")
	click(tab, `[data-close-preview]`)
	click(tab, `#crumbs [data-folder="`+tripsDoc.ID+`"]`)
	click(tab, `#items li[data-id="`+rowID(t, tab, "plan.md")+`"] .name`)
	waitText(t, tab, "dialog.preview .preview-markdown h1", "Plan")
	waitText(t, tab, "dialog.preview .preview-markdown em", "the hills")
	click(tab, `dialog.preview [aria-label="Next file"]`)
	waitText(t, tab, "dialog.preview pre.preview-text", "Bring the camera.")
	click(tab, `[data-close-preview]`)
	tab.WaitTrue(`!document.querySelector("dialog.preview")`)

	// A zip of the folder, streamed to disk, read back byte for byte.
	dl := t.TempDir()
	allowDownloads(t, tab, dl)
	click(tab, `#crumbs [data-folder=""]`)
	selectRows(t, tab, "Trips")
	click(tab, `#selbar [data-act=download]`)
	got := unzip(t, waitDownload(t, tab, dl, "Trips.zip"))
	want := map[string]string{"Trips/": "", "Trips/2024/": ""}
	for p, b := range trips {
		want[p] = string(b)
	}
	if len(got) != len(want) {
		t.Errorf("the zip holds %d entries, want %d", len(got), len(want))
	}
	for p, b := range want {
		if g, ok := got[p]; !ok || g != b {
			t.Errorf("zip entry %s: %d bytes (present %v), want %d", p, len(g), ok, len(b))
		}
	}
	// One file downloads as itself.
	openFolder(t, tab, "Trips")
	selectRows(t, tab, "readme.txt")
	click(tab, `#selbar [data-act=download]`)
	if b := waitDownload(t, tab, dl, "readme.txt"); !bytes.Equal(b, trips["Trips/readme.txt"]) {
		t.Errorf("readme.txt downloaded as %q", b)
	}
	_ = strings.TrimSpace
}

// typeIntoSelect chooses value in the <select> sel.
func typeIntoSelect(tab *browsertest.Tab, sel, value string) {
	browsertest.Eval[bool](tab, `(() => { const s = document.querySelector(`+jsString(sel)+`); s.value = `+jsString(value)+`; s.dispatchEvent(new Event("change", { bubbles: true })); return true; })()`)
}
