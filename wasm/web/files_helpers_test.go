package web_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/wasm/web/browsertest"
)

const filesDoctype = "io.hearth.files"

// fileDoc is a document of io.hearth.files as a test reads it.
type fileDoc struct {
	ID       string
	Kind     string           `json:"kind"`
	Name     string           `json:"name"`
	Parent   string           `json:"parent"`
	Trashed  int64            `json:"trashed"`
	Blob     string           `json:"blob"`
	Length   int64            `json:"length"`
	Versions []map[string]any `json:"versions"`
}

// fileDocs reads every live files document natively.
func fileDocs(t *testing.T, dev *client.Client) []fileDoc {
	t.Helper()
	ctx := context.Background()
	ids, err := dev.List(ctx, filesDoctype)
	if err != nil {
		t.Fatal(err)
	}
	docs, err := dev.GetMany(ctx, filesDoctype, ids)
	if err != nil {
		t.Fatal(err)
	}
	var out []fileDoc
	for i, d := range docs {
		if d == nil || d.Deleted {
			continue
		}
		var f fileDoc
		if err := json.Unmarshal(d.Content, &f); err != nil {
			t.Fatalf("%s: %s", ids[i], d.Content)
		}
		f.ID = ids[i]
		out = append(out, f)
	}
	return out
}

// waitFiles waits until the files documents satisfy ok, and returns them.
func waitFiles(t *testing.T, dev *client.Client, what string, ok func([]fileDoc) bool) []fileDoc {
	t.Helper()
	deadline := time.Now().Add(browsertest.Timeout)
	for {
		docs := fileDocs(t, dev)
		if ok(docs) {
			return docs
		}
		if time.Now().After(deadline) {
			t.Fatalf("never %s: %+v", what, docs)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// named is the live document called name in parent (any parent when parent is "*").
func named(docs []fileDoc, name, parent string) *fileDoc {
	for i := range docs {
		if docs[i].Name == name && (parent == "*" || docs[i].Parent == parent) {
			return &docs[i]
		}
	}
	return nil
}

// pngBytes is a small PNG image.
func pngBytes(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for y := range 48 {
		for x := range 64 {
			img.Set(x, y, color.RGBA{uint8(x * 4), uint8(y * 5), 160, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// wavBytes is a second of a quiet 440 Hz tone, 8 kHz mono, 8 bits.
func wavBytes() []byte {
	const rate = 8000
	var b bytes.Buffer
	le := func(v any) { _ = binary.Write(&b, binary.LittleEndian, v) }
	b.WriteString("RIFF")
	le(uint32(36 + rate))
	b.WriteString("WAVEfmt ")
	le(uint32(16))
	le(uint16(1))
	le(uint16(1))
	le(uint32(rate))
	le(uint32(rate))
	le(uint16(1))
	le(uint16(8))
	b.WriteString("data")
	le(uint32(rate))
	for i := range rate {
		b.WriteByte(byte(128 + 20*((i/9)%2*2-1)))
	}
	return b.Bytes()
}

// writeTree writes files (path → content) under dir.
func writeTree(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for p, b := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// rowID is the id of the listed item called name.
func rowID(t *testing.T, tab *browsertest.Tab, name string) string {
	t.Helper()
	var id string
	deadline := time.Now().Add(browsertest.Timeout)
	for id == "" {
		id = browsertest.Eval[string](tab, `(() => { const b = [...document.querySelectorAll("#items li[data-id] .name")].find(b => b.title === `+jsString(name)+`); return b ? b.closest("li").dataset.id : ""; })()`)
		if id == "" && time.Now().After(deadline) {
			t.Fatalf("no row %q (rows %q; problems %q)", name, fileRows(tab), tab.Problems())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return id
}

// fileRows is the names of the rows, top to bottom.
func fileRows(tab *browsertest.Tab) string {
	return browsertest.Eval[string](tab, `[...document.querySelectorAll("#items li[data-id] .name")].map(b => b.title).join("|")`)
}

// waitListed waits for the rows to be names, in that order.
func waitListed(t *testing.T, tab *browsertest.Tab, names ...string) {
	t.Helper()
	want := strings.Join(names, "|")
	deadline := time.Now().Add(browsertest.Timeout)
	for fileRows(tab) != want {
		if time.Now().After(deadline) {
			t.Fatalf("rows %q, want %q (problems %q)", fileRows(tab), want, tab.Problems())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// openFolder opens the listed folder called name.
func openFolder(t *testing.T, tab *browsertest.Tab, name string) {
	t.Helper()
	id := rowID(t, tab, name)
	click(tab, `#items li[data-id="`+id+`"] .name`)
	tab.WaitTrue(`(document.querySelector("#crumbs [aria-current]")||{}).title === ` + jsString(name))
}

// selectRows clicks the checkboxes of the rows called names.
func selectRows(t *testing.T, tab *browsertest.Tab, names ...string) {
	t.Helper()
	browsertest.Eval[bool](tab, `(() => { const b = document.querySelector("#selbar:not([hidden]) [data-act=clear]"); if (b) b.click(); return true; })()`)
	for _, n := range names {
		click(tab, `#items li[data-id="`+rowID(t, tab, n)+`"] .check`)
	}
	waitText(t, tab, "#sel-count", strconv.Itoa(len(names))+" selected")
}

// dropFiles drops paths (files or folders) from outside the page onto
// the element sel, as the person's file manager would
// (Input.dispatchDragEvent).
func dropFiles(t *testing.T, tab *browsertest.Tab, sel string, paths ...string) {
	t.Helper()
	type pt struct{ X, Y float64 }
	at := browsertest.Eval[pt](tab, `(() => { const r = document.querySelector(`+jsString(sel)+`).getBoundingClientRect(); return { X: r.left + r.width / 2, Y: r.top + Math.min(r.height / 2, 40) }; })()`)
	data := &input.DragData{Items: []*input.DragDataItem{}, Files: paths, DragOperationsMask: 1}
	for _, typ := range []input.DispatchDragEventType{input.DispatchDragEventTypeDragEnter, input.DispatchDragEventTypeDragOver, input.DispatchDragEventTypeDrop} {
		tab.Do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, input.DispatchDragEvent, input.DispatchDragEventParams{Type: typ, X: at.X, Y: at.Y, Data: data})
			return err
		}))
	}
}

// dragFilesOver drags paths from outside the page over the element sel
// (into the page first if enter, then over sel; no drop).
func dragFilesOver(t *testing.T, tab *browsertest.Tab, sel string, enter bool, paths ...string) {
	t.Helper()
	type pt struct{ X, Y float64 }
	at := browsertest.Eval[pt](tab, `(() => { const r = document.querySelector(`+jsString(sel)+`).getBoundingClientRect(); return { X: r.left + r.width / 2, Y: r.top + Math.min(r.height / 2, 40) }; })()`)
	data := &input.DragData{Items: []*input.DragDataItem{}, Files: paths, DragOperationsMask: 1}
	types := []input.DispatchDragEventType{input.DispatchDragEventTypeDragOver}
	if enter {
		types = append([]input.DispatchDragEventType{input.DispatchDragEventTypeDragEnter}, types...)
	}
	for _, typ := range types {
		tab.Do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, input.DispatchDragEvent, input.DispatchDragEventParams{Type: typ, X: at.X, Y: at.Y, Data: data})
			return err
		}))
	}
}

// dragOnto drags the listed rows (the selection, when the row is in it)
// onto the element sel, with the page's own drag and drop events.
func dragOnto(tab *browsertest.Tab, rowID, sel string) {
	tab.WaitTrue(`(() => { const from = document.querySelector('#items li[data-id="` + rowID + `"]'); const to = document.querySelector(` + jsString(sel) + `);
		if (!from || !to) return false;
		const dt = new DataTransfer();
		from.dispatchEvent(new DragEvent("dragstart", { bubbles: true, dataTransfer: dt }));
		to.dispatchEvent(new DragEvent("dragover", { bubbles: true, cancelable: true, dataTransfer: dt }));
		to.dispatchEvent(new DragEvent("drop", { bubbles: true, cancelable: true, dataTransfer: dt }));
		from.dispatchEvent(new DragEvent("dragend", { bubbles: true, dataTransfer: dt }));
		return true; })()`)
}

// waitQueueDone waits for the upload queue to have finished, n of its
// uploads (files and folders) done.
func waitQueueDone(t testing.TB, tab *browsertest.Tab, n int) {
	t.Helper()
	deadline := time.Now().Add(2 * browsertest.Timeout)
	for {
		done := browsertest.Eval[int](tab, `document.querySelectorAll("#queue-list li.upload.done").length`)
		if done >= n && browsertest.Eval[bool](tab, `document.querySelector("#queue-title").textContent.startsWith("Uploads:")`) {
			return
		}
		if bad := browsertest.Eval[string](tab, `[...document.querySelectorAll("#queue-list li.upload.failed")].map(li => li.textContent).join("; ")`); bad != "" {
			t.Fatalf("uploads failed: %s", bad)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d uploads done (problems %q)", done, n, tab.Problems())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// installFiles signs in at Home and installs Files; the tab is left on it.
func installFiles(t testing.TB, env *browsertest.Env, tab *browsertest.Tab, user, password string) {
	t.Helper()
	signInHome(t, env, tab, user, password)
	waitText(t, tab, "#store", "Files")
	tab.Do(chromedp.Click(chromedp.CSS(`[data-install=files]`)))
	waitView(t, tab, "install", "#store-msg")
	waitText(t, tab, "#install-scopes", "Read, write and delete your files")
	tab.Do(chromedp.Click(chromedp.CSS("#install-allow")))
	tab.WaitOrigin(env.AppURL("files", user))
	tab.Do(chromedp.WaitVisible(chromedp.CSS("body[data-ready]")))
}

// unzip reads a zip whole: path → content ("" for a folder).
func unzip(t *testing.T, b []byte) map[string]string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("not a zip: %v", err)
	}
	out := map[string]string{}
	for _, f := range zr.File {
		if f.Method != zip.Store || f.Flags&0x8 == 0 && !strings.HasSuffix(f.Name, "/") {
			t.Errorf("%s: method %d, flags %#x: want stored, with a data descriptor", f.Name, f.Method, f.Flags)
		}
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		c, err := io.ReadAll(r)
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		out[f.Name] = string(c)
	}
	return out
}

// waitDownload waits for a finished download called name in dir.
func waitDownload(t testing.TB, tab *browsertest.Tab, dir, name string) []byte {
	t.Helper()
	deadline := time.Now().Add(2 * browsertest.Timeout)
	for {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if _, partial := os.Stat(filepath.Join(dir, name+".crdownload")); err == nil && os.IsNotExist(partial) {
			return b
		}
		if time.Now().After(deadline) {
			ents, _ := os.ReadDir(dir)
			var names []string
			for _, e := range ents {
				names = append(names, e.Name())
			}
			sort.Strings(names)
			if tab == nil {
				t.Fatalf("no download %s in %v", name, names)
			}
			t.Fatalf("no download %s in %v (message %q, problems %q)", name, names,
				browsertest.Eval[string](tab, `document.querySelector("#msg").textContent`), tab.Problems())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// allowDownloads saves the browser's downloads into dir.
func allowDownloads(t testing.TB, tab *browsertest.Tab, dir string) {
	tab.Do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir})
		return err
	}))
}
