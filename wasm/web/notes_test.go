package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/client/vcard"
	"github.com/hearthcloud/hearth/wasm/web/browsertest"
)

const notesDoctype = "io.hearth.notes"

// The status line of an edit kept in the browser (notes.js).
const notSent = "Not saved yet: the server cannot be reached; kept in this browser and sent when it is back"

// unreachable stands between the browser and hearthd: while down, every
// request of the browser to the API (an app's requests cross origins, and
// carry an Origin) is dropped unanswered, the connection closed, as when
// the server cannot be reached; the pages already loaded stay, and the
// test's own client (another device) still reaches it.
type unreachable struct{ down atomic.Bool }

func (u *unreachable) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u.down.Load() && strings.HasPrefix(r.URL.Path, "/v1/") && r.Header.Get("Origin") != "" {
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				conn.Close()
			}
			return
		}
		next.ServeHTTP(w, r)
	})
}

// newNoteOpen: a new note is open, its title to type.
const newNoteOpen = `document.activeElement.id === "title" && document.querySelector("#title").value === ""`

// saved: the status line says the note is saved.
const saved = `document.querySelector("#status").textContent === "Saved"`

// enter presses Enter as a keyboard does: the text it types ("\r") goes
// with its keydown, so that a page that handles the keydown (and
// prevents its default) types nothing (chromedp's KeyEvent sends the text
// as an event of its own, to whatever has the focus by then).
var enter = chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
	for _, typ := range []input.DispatchKeyEventType{input.DispatchKeyEventTypeKeyDown, input.DispatchKeyEventTypeKeyUp} {
		p := input.DispatchKeyEventParams{Type: typ, Key: "Enter", Code: "Enter", WindowsVirtualKeyCode: 13, NativeVirtualKeyCode: 13}
		if typ == input.DispatchKeyEventTypeKeyDown {
			p.Text, p.UnmodifiedText = "\r", "\r"
		}
		if _, err := cdp.Call(ctx, tg, input.DispatchKeyEvent, p); err != nil {
			return err
		}
	}
	return nil
})

// noteTitles lists the titles of Notes' list, top to bottom.
const noteTitles = `[...document.querySelectorAll("#note-list li .title")].map(e => e.textContent).join("|")`

// waitTitles waits until Notes lists the titles want ("a|b|c"), top to
// bottom.
func waitTitles(t *testing.T, tab *browsertest.Tab, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := browsertest.Eval[string](tab, noteTitles)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Notes lists %q, want %q", got, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// openNote clicks the note titled title in Notes' list.
func openNote(tab *browsertest.Tab, title string) {
	tab.WaitTrue(`(() => { const t = [...document.querySelectorAll("#note-list li .title")].find((e) => e.textContent === ` + jsString(title) + `);
		if (t) t.closest("button").click(); return !!t; })()`)
}

// noteID finds the id of the note titled title, natively.
func noteID(t *testing.T, dev *client.Client, title string) string {
	t.Helper()
	ids, err := dev.List(context.Background(), notesDoctype)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		d, err := dev.Get(context.Background(), notesDoctype, id)
		if err == nil && strings.Contains(string(d.Content), `"title":"`+title+`"`) {
			return id
		}
	}
	t.Fatalf("no note titled %q", title)
	return ""
}

// vaultHolds reports, as JSON, the keys of Hearth's IndexedDB vault at the
// page's origin, those whose records hold marker's bytes anywhere (found),
// and how many kept writes (outbox: records) it holds.
func vaultHolds(marker string) string {
	return `new Promise((resolve) => { const q = indexedDB.open("hearth"); q.onsuccess = () => {
	const db = q.result, tx = db.transaction("vault"), s = tx.objectStore("vault"), kr = s.getAllKeys(), vr = s.getAll();
	tx.oncomplete = () => {
		const m = new TextEncoder().encode(` + jsString(marker) + `);
		const has = (u8) => { outer: for (let i = 0; i + m.length <= u8.length; i++) { for (let j = 0; j < m.length; j++) if (u8[i + j] !== m[j]) continue outer; return true; } return false; };
		const bytesOf = (v) => v instanceof ArrayBuffer ? new Uint8Array(v) : ArrayBuffer.isView(v) ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength) : null;
		const parts = (v) => { if (v instanceof CryptoKey) return []; const b = bytesOf(v); if (b) return [b];
			if (v && typeof v === "object") return Object.values(v).flatMap(parts); return [new TextEncoder().encode(String(v))]; };
		const keys = kr.result.map(String), found = keys.filter((k, i) => parts(vr.result[i]).some(has));
		resolve(JSON.stringify({ keys, found, outbox: keys.filter((k) => k.startsWith("outbox:")).length })); }; };
	q.onerror = () => resolve("{}"); })`
}

type vaultReport struct {
	Keys   []string `json:"keys"`
	Found  []string `json:"found"`
	Outbox int      `json:"outbox"`
}

// TestWebNotes: Notes' empty state; a note written by the command line
// client (no dates) sorting by its last change among dated notes, before
// and after a reload; many notes with long titles; the editor beside its
// live preview on a wide screen and with a one-row toolbar on a phone; the
// mention picker, filtered by typing without accents and used with the
// keyboard alone; and an edit made while the server cannot be reached:
// kept in IndexedDB sealed (no plaintext), the tab closed, and sent when
// Notes opens again with the server back.
func TestWebNotes(t *testing.T) {
	net := &unreachable{}
	env := browsertest.Start(t, browsertest.Options{Wrap: net.wrap})
	const user, password = "nora", "a notes password"
	ctx := context.Background()
	dev, _, err := client.Signup(ctx, env.ServerURL(), user, password, nil)
	if err != nil {
		t.Fatal(err)
	}
	contacts := map[string]string{}
	for _, name := range []string{"Zoë Saldaña", "Lou Reed", "Björk Guðmundsdóttir", "Chloé Moreau",
		"Alexandria Ocasio-Cortez de la Fuente y Montalbán del Río Grande de Santiago", "Bo", "Zack Snyder"} {
		b, _ := json.Marshal(map[string]any{"name": map[string]string{"full": name}})
		id, _, err := dev.Create(ctx, vcard.Doctype, b)
		if err != nil {
			t.Fatal(err)
		}
		contacts[name] = id
	}

	tab := env.NewTab(t)
	signInHome(t, env, tab, user, password)
	notesURL := env.AppURL("notes", user)
	tab.Open(notesURL + "/")
	tab.Do(chromedp.WaitVisible(chromedp.CSS("#connect-allow")), chromedp.Click(chromedp.CSS("#connect-allow")))
	tab.WaitOrigin(notesURL)
	tab.Do(chromedp.WaitVisible(chromedp.CSS("body[data-ready]")))

	// No notes: both panes say so, with a way to start.
	tab.Do(chromedp.WaitVisible(chromedp.CSS("#list-empty")), chromedp.WaitVisible(chromedp.CSS("#empty [data-new-note]")))
	waitText(t, tab, "#empty", "No notes yet")
	tab.Screenshots("empty")

	// Two dated notes written here, then one from the command line client
	// (text, no dates): it is the newest change, so it comes first.
	tab.Do(chromedp.Click(chromedp.CSS("#empty [data-new-note]")))
	tab.WaitTrue(newNoteOpen)
	typeInto(tab, "#title", "First dated")
	typeInto(tab, "#body", "# Plans\n\nSome *plans* for the week:\n\n- write\n- read\n\n> A quote to keep.\n\nAnd a [link](https://example.org).")
	tab.WaitTrue(saved)
	tab.Do(chromedp.Click(chromedp.CSS("#new-note")))
	tab.WaitTrue(newNoteOpen)
	typeInto(tab, "#title", "Second dated")
	tab.WaitTrue(saved)
	if _, _, err := dev.Create(ctx, notesDoctype, []byte("From the command line\n\nWritten with hearth put.")); err != nil {
		t.Fatal(err)
	}
	waitTitles(t, tab, "From the command line|Second dated|First dated")
	// Editing the first makes it the newest.
	openNote(tab, "First dated")
	tab.WaitTrue(`document.querySelector("#title").value === "First dated"`)
	typeInto(tab, "#title", "First dated, edited")
	tab.WaitTrue(saved)
	waitTitles(t, tab, "First dated, edited|From the command line|Second dated")
	// A reload keeps the order (the feed positions are saved with the state).
	tab.Open(notesURL + "/")
	tab.Do(chromedp.WaitVisible(chromedp.CSS("body[data-ready]")))
	waitTitles(t, tab, "First dated, edited|From the command line|Second dated")

	// Many notes, with long titles.
	long := "A very long title that goes on and on, about the plans for the garden, the roof, the car and the holidays"
	for i := range 24 {
		at := time.Now().Add(-time.Duration(i) * time.Hour).UnixMilli()
		b, _ := json.Marshal(map[string]any{"title": fmt.Sprintf("%s (%d)", long, i), "body": strings.Repeat("Some words of the note. ", 10+i), "created": at, "updated": at})
		if _, _, err := dev.Create(ctx, notesDoctype, b); err != nil {
			t.Fatal(err)
		}
	}
	tab.WaitTrue(`document.querySelectorAll("#note-list li").length === 27`)
	waitText(t, tab, "#count", "27 notes")
	tab.Screenshots("list-many")

	// The editor: side by side with its live preview on a wide screen.
	openNote(tab, "First dated, edited")
	tab.WaitTrue(`document.querySelector("#title").value === "First dated, edited"`)
	tab.WaitTrue(`document.querySelector("#panes").dataset.mode === "split" && !document.querySelector("#body").hidden && !document.querySelector("#preview").hidden`)
	waitText(t, tab, "#preview h1", "Plans")
	if font := browsertest.Eval[string](tab, `getComputedStyle(document.querySelector("#body")).fontFamily`); strings.Contains(font, "monospace") {
		t.Errorf("the editor's font is %s", font)
	}
	typeInto(tab, "#body", "# Plans, live\n\nThe preview follows.")
	waitText(t, tab, "#preview h1", "Plans, live")
	tab.WaitTrue(saved)
	tab.Screenshots("editor")

	// On a phone: one row of tools, Edit and Preview in turn.
	tab.Do(chromedp.EmulateViewport(browsertest.Phone[0], browsertest.Phone[1], chromedp.EmulateScale(2), chromedp.EmulateMobile))
	tab.WaitTrue(`document.querySelector("#panes").dataset.mode === "edit" && document.querySelector("#preview").hidden && document.querySelector("[data-mode=split]").hidden`)
	var bar struct {
		Overflow bool    `json:"overflow"`
		Height   float64 `json:"height"`
		Spread   float64 `json:"spread"`
		Shown    int     `json:"shown"`
	}
	if err := json.Unmarshal([]byte(browsertest.Eval[string](tab, `(() => { const tb = document.querySelector("#editor .toolbar");
		const items = [...tb.querySelectorAll("button")].filter((b) => b.getClientRects().length);
		const mids = items.map((b) => { const r = b.getBoundingClientRect(); return (r.top + r.bottom) / 2; });
		return JSON.stringify({ overflow: tb.scrollWidth > tb.clientWidth, height: tb.getBoundingClientRect().height,
			spread: Math.max(...mids) - Math.min(...mids), shown: items.length }); })()`)), &bar); err != nil {
		t.Fatal(err)
	}
	if bar.Overflow || bar.Height > 64 || bar.Spread > 4 || bar.Shown < 6 {
		t.Errorf("the phone's toolbar is not one row: %+v", bar)
	}
	for _, sel := range []string{"#back", "#mention-open", "#make-task", "#delete"} {
		if l := browsertest.Eval[string](tab, `document.querySelector("`+sel+`").getAttribute("aria-label") || ""`); l == "" {
			t.Errorf("%s has no aria-label", sel)
		}
	}
	tab.Do(chromedp.Click(chromedp.CSS(`[data-mode=preview]`)))
	tab.WaitTrue(`document.querySelector("#body").hidden && !document.querySelector("#preview").hidden`)
	tab.Do(chromedp.Click(chromedp.CSS(`[data-mode=edit]`)))
	tab.Do(chromedp.EmulateViewport(browsertest.Desktop[0], browsertest.Desktop[1]))
	tab.Do(chromedp.Click(chromedp.CSS(`[data-mode=split]`)))
	tab.WaitTrue(`document.querySelector("#panes").dataset.mode === "split"`)

	// The mention picker: "zoe" finds Zoë, with the keyboard alone.
	tab.WaitTrue(`!document.querySelector("#mention").hidden && document.querySelectorAll("#mention-list [role=option]").length === 7`)
	browsertest.Eval[bool](tab, `(() => { const b = document.querySelector("#body"); b.focus(); b.setSelectionRange(b.value.length, b.value.length); document.querySelector("#mention-open").focus(); return true; })()`)
	tab.Do(enter)
	tab.WaitTrue(`!document.querySelector("#mention-popup").hidden && document.activeElement.id === "mention-input"`)
	tab.Screenshots("mention-open")
	tab.Do(chromedp.KeyEvent("zoe"))
	tab.WaitTrue(`[...document.querySelectorAll("#mention-list [role=option]")].map(e => e.textContent).join("|") === "Zoë Saldaña"`)
	tab.Do(chromedp.KeyEvent(kb.ArrowDown))
	tab.WaitTrue(`document.querySelector("#mention-input").getAttribute("aria-activedescendant") === "mention-opt-0"`)
	tab.Do(enter)
	tab.WaitTrue(`document.querySelector("#mention-popup").hidden && document.activeElement.id === "body"`)
	tab.WaitTrue(`document.querySelector("#body").value.endsWith("The preview follows.[@Zoë Saldaña](contact:` + contacts["Zoë Saldaña"] + `)")`)
	waitText(t, tab, "#preview .mention", "@Zoë Saldaña")
	tab.WaitTrue(saved)
	// Nothing matches: it says so; Escape closes, back on the button.
	browsertest.Eval[bool](tab, `(document.querySelector("#mention-open").focus(), true)`)
	tab.Do(enter, chromedp.KeyEvent("xyzzy"))
	tab.WaitTrue(`!document.querySelector("#mention-none").hidden && document.querySelectorAll("#mention-list [role=option]").length === 0`)
	waitText(t, tab, "#mention-none", "No contacts match")
	tab.Screenshots("mention-none")
	tab.Do(chromedp.KeyEvent(kb.Escape))
	tab.WaitTrue(`document.querySelector("#mention-popup").hidden && document.activeElement.id === "mention-open"`)

	// The server cannot be reached: an edit is kept, sealed, and the
	// status line says so.
	const marker = "OFFLINEMARKER4b1d"
	id := noteID(t, dev, "First dated, edited")
	tab.Allow(`net::ERR_`)
	net.down.Store(true)
	typeInto(tab, "#body", "Written with the server away: "+marker)
	waitText(t, tab, "#status", notSent)
	tab.WaitTrue(`!!document.querySelector("#note-list .badge.kept")`)
	tab.Screenshots("offline", "#note-list .badge.kept")
	var vault vaultReport
	if err := json.Unmarshal([]byte(browsertest.Eval[string](tab, vaultHolds(marker))), &vault); err != nil {
		t.Fatal(err)
	}
	if vault.Outbox != 1 || len(vault.Found) != 0 {
		t.Fatalf("the vault holds %+v: want one kept write, and the edit nowhere in plaintext", vault)
	}
	if n := browsertest.Eval[int](tab, `localStorage.length`); n != 0 {
		t.Fatalf("localStorage holds %d items", n)
	}
	if browsertest.Eval[bool](tab, `JSON.stringify(Object.entries(sessionStorage)).includes(`+jsString(marker)+`)`) {
		t.Fatal("sessionStorage holds the edit")
	}
	// The tab closes; the server comes back; Notes opens again, in a new
	// tab, and sends the edit.
	tab.Do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.Close, cdp.Empty{})
		return err
	}))
	net.down.Store(false)
	again := env.NewTab(t)
	again.Open(notesURL + "/")
	again.Do(chromedp.WaitVisible(chromedp.CSS("body[data-ready]")))
	deadline := time.Now().Add(browsertest.Timeout)
	for {
		d, err := dev.Get(ctx, notesDoctype, id)
		if err == nil && strings.Contains(string(d.Content), marker) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the kept edit never reached the server (%v; problems %q)", err, again.Problems())
		}
		time.Sleep(200 * time.Millisecond)
	}
	again.WaitTrue(`!document.querySelector("#note-list .badge.kept")`)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if err := json.Unmarshal([]byte(browsertest.Eval[string](again, vaultHolds(marker))), &vault); err != nil {
			t.Fatal(err)
		}
		if vault.Outbox == 0 && len(vault.Found) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after sending, the vault holds %+v", vault)
		}
	}
	openNote(again, "First dated, edited")
	again.WaitTrue(`document.querySelector("#body").value.includes(` + jsString(marker) + `)`)

	// Kept again, while another device changes the same note: both stay,
	// the kept edit as a conflict copy, which Notes opens and says so.
	const mine = "MINE2c9e"
	again.Allow(`net::ERR_`)
	net.down.Store(true)
	typeInto(again, "#body", "My version, written away: "+mine)
	waitText(t, again, "#status", notSent)
	if _, err := dev.Put(ctx, notesDoctype, id, []byte(`{"title":"First dated, edited","body":"Their version, from another device"}`)); err != nil {
		t.Fatal(err)
	}
	net.down.Store(false)
	waitText(t, again, "#status", "Saved as a separate note")
	again.WaitTrue(`document.querySelector("#body").value.includes("` + mine + `") && !document.querySelector("#conflict").hidden`)
	waitText(t, again, "#conflict", "Conflict copy: your version, written while “First dated, edited” changed on another device.")
	waitText(t, again, "#note-list", "Conflict copy")
	again.Screenshots("conflict")
	if d, err := dev.Get(ctx, notesDoctype, id); err != nil || !strings.Contains(string(d.Content), "Their version") {
		t.Fatalf("the note changed elsewhere: %s, %v", d.Content, err)
	}
	again.Do(chromedp.Click(chromedp.CSS("#conflict button")))
	again.WaitTrue(`document.querySelector("#body").value === "Their version, from another device"`)
}
