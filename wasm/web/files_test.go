package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

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
	dev, _, err := client.Signup(ctx, env.ServerURL(), user, password, nil)
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
		"Trips/2024/tickets.pdf": testPDF("Tickets: the 8.15 to the lake, platform 2."),
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

	// Files dragged from outside over a folder's row would go into it: the
	// hint names it and the row is marked while they are over it.
	tripsRow := `#items li[data-kind=folder][data-id="` + named(docs, "Trips", "").ID + `"]`
	tab.WaitTrue(`!!document.querySelector(` + jsString(tripsRow) + `)`)
	dragFilesOver(t, tab, tripsRow, true, filepath.Join(drop, "shopping.txt"))
	waitText(t, tab, "#drop-where", "Drop to upload into “Trips”")
	tab.WaitTrue(`document.querySelector(` + jsString(tripsRow) + `).classList.contains("drop-on")`)
	tab.Screenshots("drop-over-folder")
	dragFilesOver(t, tab, "#crumbs", false, filepath.Join(drop, "shopping.txt"))
	waitText(t, tab, "#drop-where", "Drop to upload into “All files”")
	tab.WaitTrue(`!document.querySelector(".drop-on")`)
	dropFiles(t, tab, "#crumbs", filepath.Join(drop, "shopping.txt")) // a new version of it, where the hint said
	waitQueueDone(t, tab, 1)
	tab.WaitTrue(`document.querySelector("#drop-hint").hidden && !document.querySelector(".drop-on")`)
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
	// Screenshots wait for the viewer to draw (taken as soon as the frame
	// was there, they showed it still loading: a dark, empty frame).
	shootPDF(t, env, tab, tab.Ctx, "preview-pdf", "dialog.preview iframe.preview-frame >>> .pdf-view")
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

	// Rename.
	selectRows(t, tab, "readme.txt")
	click(tab, `#selbar [data-act=rename]`)
	typeInto(tab, "dialog.files-dialog [name=name]", "plan.md")
	click(tab, `dialog.files-dialog button[type=submit]`)
	waitText(t, tab, "dialog.files-dialog .message", "There is an item called “plan.md” here already.")
	typeInto(tab, "dialog.files-dialog [name=name]", strings.Repeat("é", 200)) // 400 bytes
	click(tab, `dialog.files-dialog button[type=submit]`)
	waitText(t, tab, "dialog.files-dialog .message", "That name is too long: at most 255 bytes")
	typeInto(tab, "dialog.files-dialog [name=name]", "packing.txt")
	click(tab, `dialog.files-dialog button[type=submit]`)
	readme := named(docs, "readme.txt", tripsDoc.ID).ID
	waitFiles(t, dev, "renamed", func(d []fileDoc) bool { f := named(d, "packing.txt", tripsDoc.ID); return f != nil && f.ID == readme })
	waitListed(t, tab, "2024", "packing.txt", "plan.md")

	// Move by dragging: a file onto a folder's row, then back up onto a
	// breadcrumb.
	dragOnto(tab, readme, `#items li[data-id="`+y2024.ID+`"]`)
	waitListed(t, tab, "2024", "plan.md")
	waitFiles(t, dev, "moved into 2024", func(d []fileDoc) bool { f := named(d, "packing.txt", y2024.ID); return f != nil })
	openFolder(t, tab, "2024")
	dragOnto(tab, readme, `#crumbs [data-folder=""]`)
	waitFiles(t, dev, "moved to the root", func(d []fileDoc) bool { f := named(d, "packing.txt", ""); return f != nil })

	// Several at once: a checkbox, a shift-click, then Move to…; a folder
	// cannot go into itself.
	click(tab, `#crumbs [data-folder=""]`)
	waitListed(t, tab, "Recipes", "Trips", "packing.txt", "shopping.txt")
	selectRows(t, tab, "Recipes")
	tab.WaitTrue(`(() => { const c = document.querySelector('#items li[data-id="` + rowID(t, tab, "shopping.txt") + `"] .check'); c.dispatchEvent(new MouseEvent("click", { bubbles: true, shiftKey: true })); return true; })()`)
	waitText(t, tab, "#sel-count", "4 selected")
	click(tab, `#items li[data-id="`+rowID(t, tab, "Trips")+`"] .check`)
	waitText(t, tab, "#sel-count", "3 selected")
	click(tab, `#selbar [data-act=move]`)
	tab.WaitTrue(`document.querySelector('dialog.files-dialog [data-folder="` + recipes.ID + `"]').disabled`)
	click(tab, `dialog.files-dialog [data-folder="`+tripsDoc.ID+`"]`)
	click(tab, `dialog.files-dialog [data-move-here]`)
	waitListed(t, tab, "Trips")
	waitFiles(t, dev, "moved into Trips", func(d []fileDoc) bool {
		return named(d, "Recipes", tripsDoc.ID) != nil && named(d, "packing.txt", tripsDoc.ID) != nil && named(d, "shopping.txt", tripsDoc.ID) != nil
	})

	// Versions: a file uploaded twice under one name is one file with an
	// earlier version, which can be restored.
	openFolder(t, tab, "Trips")
	v1, v2 := t.TempDir(), t.TempDir()
	writeTree(t, v1, map[string][]byte{"budget.txt": []byte("first: 100")})
	writeTree(t, v2, map[string][]byte{"budget.txt": []byte("second: 250, with the train")})
	tab.Do(chromedp.SetUploadFiles(chromedp.CSS("#pick-files"), []string{filepath.Join(v1, "budget.txt")}))
	waitQueueDone(t, tab, 1)
	click(tab, "#queue-clear")
	tab.Do(chromedp.SetUploadFiles(chromedp.CSS("#pick-files"), []string{filepath.Join(v2, "budget.txt")}))
	waitQueueDone(t, tab, 1)
	click(tab, "#queue-clear")
	docs = waitFiles(t, dev, "a second version", func(d []fileDoc) bool {
		f := named(d, "budget.txt", tripsDoc.ID)
		return f != nil && len(f.Versions) == 1
	})
	budget := named(docs, "budget.txt", tripsDoc.ID)
	if n := strings.Count(fileRows(tab), "budget.txt"); n != 1 {
		t.Fatalf("budget.txt listed %d times: %s", n, fileRows(tab))
	}
	var got2 bytes.Buffer
	if _, err := dev.Download(ctx, budget.ID, &got2); err != nil || got2.String() != "second: 250, with the train" {
		t.Fatalf("the current version: %q, %v", got2.String(), err)
	}
	selectRows(t, tab, "budget.txt")
	click(tab, `#selbar [data-act=versions]`)
	waitText(t, tab, "dialog.versions-dialog", "Replaced")
	tab.Screenshots("versions")
	click(tab, `dialog.versions-dialog [data-restore-version="0"]`)
	waitFiles(t, dev, "the first version restored", func(d []fileDoc) bool {
		f := named(d, "budget.txt", tripsDoc.ID)
		if f == nil || len(f.Versions) != 1 {
			return false
		}
		var b bytes.Buffer
		_, err := dev.Download(ctx, f.ID, &b)
		return err == nil && b.String() == "first: 100"
	})

	// The trash: a folder and a file go in; what is in the folder goes
	// with it; a restore; emptying deletes for good.
	selectRows(t, tab, "Recipes", "budget.txt")
	click(tab, `#selbar [data-act=trash]`)
	waitListed(t, tab, "2024", "packing.txt", "plan.md", "shopping.txt")
	click(tab, "#trash-view")
	waitListed(t, tab, "Recipes", "budget.txt")
	tab.Screenshots("trash")
	selectRows(t, tab, "budget.txt")
	click(tab, `#selbar [data-act=restore]`)
	waitListed(t, tab, "Recipes")
	waitFiles(t, dev, "restored", func(d []fileDoc) bool { f := named(d, "budget.txt", tripsDoc.ID); return f != nil && f.Trashed == 0 })
	click(tab, "#empty-trash")
	click(tab, "dialog.ask [data-ask-yes]")
	waitText(t, tab, "#empty-line", "The trash is empty.")
	waitFiles(t, dev, "the trash emptied", func(d []fileDoc) bool {
		return named(d, "Recipes", "*") == nil && named(d, "Cakes", "*") == nil && named(d, "bread.txt", "*") == nil && named(d, "lemon.md", "*") == nil &&
			named(d, "budget.txt", "*") != nil
	})
	tab.Screenshots("trash-empty")

	// A folder of many items, some with long names, written by another
	// device: it arrives live.
	raw, err := dev.Get(ctx, filesDoctype, budget.ID)
	if err != nil {
		t.Fatal(err)
	}
	var content map[string]any
	if err := json.Unmarshal(raw.Content, &content); err != nil {
		t.Fatal(err)
	}
	archive, _, err := dev.Create(ctx, filesDoctype, []byte(`{"kind":"folder","name":"Archive of the scanned letters, receipts and statements from the years before the move","parent":"","mtime":1790000000}`))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 40 {
		c := map[string]any{"kind": "file", "parent": archive, "blob": content["blob"], "digest": content["digest"], "size": content["size"],
			"type": "application/pdf", "length": 1000 * (i + 1) * (i + 1), "mtime": 1790000000 + i*86400,
			"name": fmt.Sprintf("Statement %02d.pdf", i+1)}
		if i%5 == 0 {
			c["name"] = fmt.Sprintf("Letter from the insurance company about the claim for the flooded cellar, part %d of many, scanned at 600 dpi.pdf", i/5+1)
		}
		b, _ := json.Marshal(c)
		if _, _, err := dev.Create(ctx, filesDoctype, b); err != nil {
			t.Fatal(err)
		}
	}
	click(tab, "#trash-view")
	tab.WaitTrue(`document.querySelectorAll("#items li[data-id]").length === 2`)
	openFolder(t, tab, "Archive of the scanned letters, receipts and statements from the years before the move")
	tab.WaitTrue(`document.querySelectorAll("#items li[data-id]").length === 40`)
	tab.Screenshots("many")

	// The keyboard: arrows move, Shift+arrows select, Escape clears,
	// Delete puts the selection in the trash.
	first := browsertest.Eval[string](tab, `document.querySelector("#items li[data-id]").dataset.id`)
	focusOn(tab, `#items li[data-id="`+first+`"] .name`)
	tab.Do(chromedp.KeyEvent(kb.ArrowDown, chromedp.KeyModifiers(chromedp.ModifierShift)), chromedp.KeyEvent(kb.ArrowDown, chromedp.KeyModifiers(chromedp.ModifierShift)))
	waitText(t, tab, "#sel-count", "3 selected")
	tab.Do(chromedp.KeyEvent(kb.Escape))
	tab.WaitTrue(`document.querySelector("#selbar").hidden`)
	tab.Do(chromedp.KeyEvent(kb.ArrowDown), chromedp.KeyEvent(" "))
	waitText(t, tab, "#sel-count", "1 selected")
	tab.Do(chromedp.KeyEvent(kb.Delete))
	tab.WaitTrue(`document.querySelectorAll("#items li[data-id]").length === 39`)
	click(tab, `[data-view=grid]`)
	tab.Screenshots("many-grid")
}

// typeIntoSelect chooses value in the <select> sel.
func typeIntoSelect(tab *browsertest.Tab, sel, value string) {
	browsertest.Eval[bool](tab, `(() => { const s = document.querySelector(`+jsString(sel)+`); s.value = `+jsString(value)+`; s.dispatchEvent(new Event("change", { bubbles: true })); return true; })()`)
}
