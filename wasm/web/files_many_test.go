package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/wasm/web/browsertest"
)

// docRequests counts the requests for documents (listings and reads, not
// the changes feed) the server gets.
type docRequests struct {
	mu   sync.Mutex
	seen []string
}

func (d *docRequests) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/v1/docs/") && r.Method != http.MethodPut && r.Method != http.MethodDelete {
			d.mu.Lock()
			d.seen = append(d.seen, r.Method+" "+r.URL.Path)
			d.mu.Unlock()
		}
		next.ServeHTTP(w, r)
	})
}

func (d *docRequests) take() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := d.seen
	d.seen = nil
	return out
}

// TestWebFilesMany: a folder of 10,000 files, written by another device,
// lists with only the rows in view (and a margin) in the page; scrolling,
// the keyboard (End, Home, Shift+End, Ctrl+A), shift-click ranges past the
// rows drawn, sorting, the grid and dragging a row onto a folder work on
// all of them; and a reload lists them from this browser's documents
// cache, sealed in IndexedDB, without reading a document from the server.
func TestWebFilesMany(t *testing.T) {
	var reqs docRequests
	env := browsertest.Start(t, browsertest.Options{Wrap: reqs.wrap})
	const user, password = "reed", "a files password"
	ctx := context.Background()
	dev, _, err := client.Signup(ctx, env.ServerURL(), user, password, nil)
	if err != nil {
		t.Fatal(err)
	}
	tab := env.NewTab(t)
	installFiles(t, env, tab, user, password)
	small := filepath.Join(t.TempDir(), "small.txt")
	if err := os.WriteFile(small, []byte("small"), 0o644); err != nil {
		t.Fatal(err)
	}
	tab.Do(chromedp.SetUploadFiles(chromedp.CSS("#pick-files"), []string{small}))
	waitQueueDone(t, tab, 1)
	raw, err := dev.Get(ctx, filesDoctype, fileDocs(t, dev)[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	var content map[string]any
	if err := json.Unmarshal(raw.Content, &content); err != nil {
		t.Fatal(err)
	}
	// Written while Files is closed: the first listing reads them from
	// the changes feed.
	tab.Open("about:blank")
	folder, _, err := dev.Create(ctx, filesDoctype, []byte(`{"kind":"folder","name":"Many","parent":"","mtime":1790000000}`))
	if err != nil {
		t.Fatal(err)
	}
	sub, _, err := dev.Create(ctx, filesDoctype, []byte(`{"kind":"folder","name":"Sub","parent":"`+folder+`","mtime":1790000000}`))
	if err != nil {
		t.Fatal(err)
	}
	const many = 10000
	var mu sync.Mutex
	ids := map[string]string{} // name → id
	for from := 0; from < many; from += 1000 {
		items := make([]client.Item, 1000)
		for k := range items {
			i := from + k
			c := map[string]any{"kind": "file", "parent": folder, "blob": content["blob"], "digest": content["digest"], "size": content["size"],
				"type": "text/plain", "length": i, "mtime": 1790000000 + i, "name": fmt.Sprintf("file %05d.txt", i)}
			items[k].Content, _ = json.Marshal(c)
		}
		res, err := dev.PutMany(ctx, filesDoctype, items)
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		for k, r := range res {
			ids[fmt.Sprintf("file %05d.txt", from+k)] = r.ID
		}
		mu.Unlock()
	}
	total := strconv.Itoa(many + 1) // and Sub

	// The first listing: every item counted, few drawn; the folder's size
	// at the root is all of theirs.
	tab.Open(env.AppURL("files", user) + "/")
	tab.Do(chromedp.WaitVisible(chromedp.CSS("body[data-ready]")))
	waitText(t, tab, `#items li[data-id="`+folder+`"] .size`, "50 MB") // 0 + 1 + … + 9,999 bytes
	openFolder(t, tab, "Many")
	tab.WaitTrue(`!!document.querySelector('#items li[aria-setsize="` + total + `"]')`)
	drawn := func() int { return browsertest.Eval[int](tab, `document.querySelectorAll("#items li").length`) }
	if n := drawn(); n > 200 {
		t.Fatalf("%d rows in the page for %s items", n, total)
	}
	waitListedPrefix(t, tab, "Sub", "file 00000.txt", "file 00001.txt")
	tab.Screenshots("many-10000")

	// Scrolling to the end draws the last rows, and still few.
	browsertest.Eval[bool](tab, `(scrollTo(0, document.documentElement.scrollHeight), true)`)
	tab.WaitTrue(`!!document.querySelector('#items li[aria-posinset="` + total + `"]')`)
	rowID(t, tab, "file 09999.txt")
	if n := drawn(); n > 200 {
		t.Fatalf("%d rows in the page at the end", n)
	}
	tab.Screenshots("many-10000-end")

	// The keyboard: Home and End go to the first and last rows wherever
	// they are; Shift+End selects from the focused row to the last;
	// Escape clears; Ctrl+A selects all.
	focusOn(tab, `#items li[data-id="`+ids["file 09999.txt"]+`"] .name`)
	tab.Do(chromedp.KeyEvent(kb.Home))
	tab.WaitTrue(`document.activeElement.closest("li").dataset.id === ` + jsString(sub))
	tab.Do(chromedp.KeyEvent(kb.End, chromedp.KeyModifiers(chromedp.ModifierShift)))
	waitText(t, tab, "#sel-count", total+" selected")
	tab.WaitTrue(`document.activeElement.closest("li").dataset.id === ` + jsString(ids["file 09999.txt"]))
	tab.Do(chromedp.KeyEvent(kb.Escape))
	tab.WaitTrue(`document.querySelector("#selbar").hidden`)
	tab.Do(chromedp.KeyEvent("a", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	waitText(t, tab, "#sel-count", total+" selected")
	tab.Do(chromedp.KeyEvent(kb.Escape))
	tab.WaitTrue(`document.querySelector("#selbar").hidden`)
	tab.Do(chromedp.KeyEvent(kb.Home), chromedp.KeyEvent(kb.ArrowDown), chromedp.KeyEvent(kb.ArrowDown))
	tab.WaitTrue(`document.activeElement.closest("li").dataset.id === ` + jsString(ids["file 00001.txt"]))

	// A click, then a shift-click 5,000 rows further: the rows between,
	// never drawn, are selected.
	click(tab, `#items li[data-id="`+ids["file 00001.txt"]+`"] .check`)
	browsertest.Eval[bool](tab, `(() => { const li = document.querySelector('#items li[data-id="`+ids["file 00001.txt"]+`"]');
		scrollTo(0, scrollY + li.getBoundingClientRect().top + 5000 * li.offsetHeight); return true; })()`)
	tab.WaitTrue(`!!document.querySelector('#items li[data-id="` + ids["file 05001.txt"] + `"]')`)
	tab.WaitTrue(`(() => { const c = document.querySelector('#items li[data-id="` + ids["file 05001.txt"] + `"] .check'); c.dispatchEvent(new MouseEvent("click", { bubbles: true, shiftKey: true })); return true; })()`)
	waitText(t, tab, "#sel-count", "5001 selected")
	click(tab, `#selbar [data-act=clear]`)

	// Sorting by size, largest first, and the grid, where End goes to the
	// last cell.
	browsertest.Eval[bool](tab, `(scrollTo(0, 0), true)`)
	focusOn(tab, "#sort") // as a person choosing the order does
	typeIntoSelect(tab, "#sort", "size")
	click(tab, "#order")
	waitListedPrefix(t, tab, "Sub", "file 09999.txt", "file 09998.txt")
	click(tab, `[data-view=grid]`)
	tab.WaitTrue(`document.querySelector("#items").classList.contains("grid-view")`)
	if n := drawn(); n > 800 {
		t.Fatalf("%d cells in the page", n)
	}
	tab.Screenshots("many-10000-grid")
	focusOn(tab, `#items li[data-id="`+ids["file 09999.txt"]+`"] .name`)
	tab.Do(chromedp.KeyEvent(kb.End))
	tab.WaitTrue(`document.activeElement.closest("li").dataset.id === ` + jsString(ids["file 00000.txt"]))
	click(tab, `[data-view=list]`)
	focusOn(tab, "#sort")
	click(tab, "#order")
	typeIntoSelect(tab, "#sort", "name")
	browsertest.Eval[bool](tab, `(scrollTo(0, 0), true)`)

	// A row dragged onto a folder's row moves into it.
	waitListedPrefix(t, tab, "Sub", "file 00000.txt")
	dragOnto(tab, ids["file 00003.txt"], `#items li[data-id="`+sub+`"]`)
	waitFiles(t, dev, "moved into Sub", func(d []fileDoc) bool { return named(d, "file 00003.txt", sub) != nil })
	waitListedPrefix(t, tab, "Sub", "file 00000.txt", "file 00001.txt", "file 00002.txt", "file 00004.txt")

	// A reload lists them all from this browser's documents cache: no
	// listing or read of documents reaches the server, only the feed.
	reqs.take()
	tab.Do(chromedp.Reload())
	tab.Do(chromedp.WaitVisible(chromedp.CSS("body[data-ready]")))
	tab.WaitTrue(`!!document.querySelector('#items li[aria-setsize="` + strconv.Itoa(many) + `"]')`)
	waitListedPrefix(t, tab, "Sub", "file 00000.txt")
	if r := reqs.take(); len(r) != 0 {
		t.Fatalf("a reload read documents from the server: %d requests, %q…", len(r), r[0])
	}
	// The cache is sealed: IndexedDB holds its pages as ciphertext only.
	type vault struct {
		Pages int
		Clear bool
	}
	v := browsertest.Eval[vault](tab, `new Promise((ok, fail) => {
		const r = indexedDB.open("hearth");
		r.onerror = () => fail(r.error);
		r.onsuccess = () => {
			const db = r.result, t = db.transaction("vault").objectStore("vault");
			const range = IDBKeyRange.bound("docs:", "docs:\uffff");
			const ks = t.getAllKeys(range), vs = t.getAll(range);
			vs.onsuccess = () => {
				const dec = new TextDecoder();
				const clear = vs.result.some((v) => !(v && v.iv && v.data instanceof ArrayBuffer) || dec.decode(v.data).includes("file 00042"));
				db.close();
				ok({ Pages: ks.result.length, Clear: clear });
			};
		};
	})`)
	if v.Pages == 0 || v.Clear {
		t.Fatalf("the documents cache in IndexedDB: %+v, want sealed pages", v)
	}
	tab.Screenshots("many-10000-reload")
}

// waitListedPrefix waits for the first rows to be names, in that order.
func waitListedPrefix(t *testing.T, tab *browsertest.Tab, names ...string) {
	t.Helper()
	want := strings.Join(names, "|")
	defer func() {
		if t.Failed() {
			t.Logf("rows: %s", browsertest.Eval[string](tab, `[...document.querySelectorAll("#items li[data-id]")].slice(0, 8).map(li => li.getAttribute("aria-posinset") + ":" + li.querySelector(".name").title + "@" + li.style.top).join(" | ") + " scrollY=" + scrollY`))
		}
	}()
	tab.WaitTrue(`[...document.querySelectorAll("#items li[data-id] .name")].slice(0, ` + strconv.Itoa(len(names)) + `).map(b => b.title).join("|") === ` + jsString(want))
}
