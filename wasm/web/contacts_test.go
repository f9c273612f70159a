package web_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/client/vcard"
	"github.com/hearthcloud/hearth/wasm/web/browsertest"
)

// canonicalExport is what contacts export to, card by card, as the sets of
// vCard properties the round-trip guarantee speaks of (spec/contacts.md §4),
// by full name.
func canonicalExport(t *testing.T, cs []vcard.Contact) map[string][]string {
	t.Helper()
	b, err := vcard.Export(cs, "4.0")
	if err != nil {
		t.Fatal(err)
	}
	cards, err := vcard.ParseBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for i, card := range cards {
		out[cs[i].Name.Full] = vcard.Canonical(card)
	}
	return out
}

// TestWebContacts: Contacts, installed from the store, imports vCard files
// of several vendors in the browser; what it stores exports to the same
// properties as the files imported natively (nothing lost through the
// browser, the sealing and the sync). A contact is found, edited (a field
// of the person's own, a phone, a photo) and saved by itself, with no Save
// button (contactsAutosave: switching contacts and leaving the page
// lose no edit; the filter folds accents), kept across a reload,
// exported. Notes mentions a contact and shows its name as Contacts has
// it now.
func TestWebContacts(t *testing.T) {
	g := &putGate{}
	env := browsertest.Start(t, browsertest.Options{Wrap: g.wrap})
	const user, password = "erin", "a contacts password"
	ctx := context.Background()
	dev, _, err := client.Signup(ctx, env.ServerURL(), user, password, nil)
	if err != nil {
		t.Fatal(err)
	}
	tab := env.NewTab(t)
	signInHome(t, env, tab, user, password)
	waitText(t, tab, "#store", "Contacts")
	tab.Do(chromedp.Click(chromedp.CSS(`[data-install=contacts]`)))
	waitView(t, tab, "install", "#store-msg")
	waitText(t, tab, "#install-scopes", "Read, write and delete your contacts — Your contacts: to list, show, edit, import and export them.")
	tab.Do(chromedp.Click(chromedp.CSS("#install-allow")))
	contactsURL := env.AppURL("contacts", user)
	tab.WaitOrigin(contactsURL)
	tab.Do(chromedp.WaitVisible(chromedp.CSS("body[data-ready]")))
	// Nothing to export yet; contacts are shown with their initials.
	if !browsertest.Eval[bool](tab, `document.querySelector("#export").disabled`) {
		t.Fatal("Export is offered with no contact to export")
	}

	// Import several vendors' files, in the browser.
	samples := []string{"apple-icloud-3.0.vcf", "google-contacts-3.0.vcf", "outlook-2.1.vcf", "android-2.1.vcf",
		"nextcloud-sabre.vcf", "thunderbird-4.0.vcf", "evolution-3.0.vcf", "multi-scripts.vcf"}
	var native []vcard.Contact
	for _, name := range samples {
		path := filepath.Join("..", "..", "client", "vcard", "testdata", name)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		cs, _, err := vcard.Import(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		native = append(native, cs...)
		abs, _ := filepath.Abs(path)
		tab.Do(chromedp.SetUploadFiles(chromedp.CSS("#import-file"), []string{abs}))
		tab.WaitTrue(`/^Imported /.test(document.querySelector("#msg").textContent) && document.querySelector("#msg").dataset.file !== "` + name + `"`)
		browsertest.Eval[bool](tab, `(document.querySelector("#msg").dataset.file = "`+name+`", true)`)
		waitText(t, tab, "#count", "")
	}
	waitText(t, tab, "#count", itoa(len(native))+" contacts")
	if !browsertest.Eval[bool](tab, `!document.querySelector("#export").disabled && !!document.querySelector('#list li[data-id] .avatar.initials')`) {
		t.Fatal("Export is not offered, or no contact shows its initials")
	}
	tab.Screenshots("contacts-imported")

	// What the browser stored exports to what the files import to natively.
	ids, err := dev.List(ctx, vcard.Doctype)
	if err != nil || len(ids) != len(native) {
		t.Fatalf("%d contacts stored (%v), want %d", len(ids), err, len(native))
	}
	var stored []vcard.Contact
	for _, id := range ids {
		d, err := dev.Get(ctx, vcard.Doctype, id)
		if err != nil {
			t.Fatal(err)
		}
		var c vcard.Contact
		if err := json.Unmarshal(d.Content, &c); err != nil {
			t.Fatal(err)
		}
		stored = append(stored, c)
	}
	want, got := canonicalExport(t, native), canonicalExport(t, stored)
	if len(want) != len(got) {
		t.Fatalf("%d names stored, %d imported natively", len(got), len(want))
	}
	for name, props := range want {
		if !slices.Equal(got[name], props) {
			t.Errorf("%s: through the browser\n%q\nnatively\n%q", name, got[name], props)
		}
	}

	// Find one, edit it: a field of one's own, a phone, a photo.
	typeInto(tab, "#search", "appleseed")
	tab.WaitTrue(`document.querySelectorAll("#list li").length === 1`)
	tab.Do(chromedp.Click(chromedp.CSS("#list li button")))
	tab.Do(chromedp.WaitVisible(chromedp.CSS("#editor")))
	if v := browsertest.Eval[string](tab, `document.querySelector("#full").value`); v != "Dr. Johnny Q. Appleseed Jr." {
		t.Fatalf("opened %q", v)
	}
	if !browsertest.Eval[bool](tab, `document.querySelector("#save").hidden`) {
		t.Fatal("the editor shows a Save button: it saves by itself")
	}
	tab.Do(chromedp.Click(chromedp.CSS(`[data-add=fields]`)))
	browsertest.Eval[bool](tab, `(() => { const row = [...document.querySelectorAll("#fields .entry")].pop();
		row.querySelector(".label").value = "Shoe size"; row.querySelector(".value").value = "43";
		row.querySelector(".value").dispatchEvent(new Event("input", { bubbles: true })); return true; })()`)
	tab.Do(chromedp.Click(chromedp.CSS(`[data-add=phones]`)))
	browsertest.Eval[bool](tab, `(() => { const row = [...document.querySelectorAll("#phones .entry")].pop();
		row.querySelector(".value").value = "+351 21 000 0000"; row.querySelector(".type").value = "cell";
		row.querySelector(".type").dispatchEvent(new Event("input", { bubbles: true })); return true; })()`)
	img := image.NewRGBA(image.Rect(0, 0, 400, 300))
	for x := 0; x < 400; x++ {
		for y := 0; y < 300; y++ {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 120, 255})
		}
	}
	var pngBuf bytes.Buffer
	png.Encode(&pngBuf, img)
	photoPath := filepath.Join(t.TempDir(), "face.png")
	os.WriteFile(photoPath, pngBuf.Bytes(), 0o644)
	tab.Do(chromedp.SetUploadFiles(chromedp.CSS("#photo-file"), []string{photoPath}))
	tab.WaitTrue(`!document.querySelector("#photo").hidden && document.querySelector("#photo").src.startsWith("data:image/jpeg")`)
	waitText(t, tab, "#status", "Saved") // nothing pressed
	appleseed := waitStored(t, dev, func(c string) bool { return strings.Contains(c, "Shoe size") && strings.Contains(c, `"photo"`) })
	tab.Screenshots("contact-edited")

	contactsAutosave(t, tab, dev, g, appleseed)

	tab.Open(contactsURL + "/")
	tab.Do(chromedp.WaitVisible(chromedp.CSS("body[data-ready]")))
	typeInto(tab, "#search", "shoe")
	tab.WaitTrue(`document.querySelectorAll("#list li").length === 1`)
	tab.Do(chromedp.Click(chromedp.CSS("#list li button")))
	tab.Do(chromedp.WaitVisible(chromedp.CSS("#editor")))
	if got := browsertest.Eval[string](tab, `[...document.querySelectorAll("#fields .entry")].map(r => r.querySelector(".label").value + "=" + r.querySelector(".value").value).join(";")`); !strings.Contains(got, "Shoe size=43") {
		t.Fatalf("fields after a reload: %q", got)
	}
	// Once the image has decoded (naturalWidth is 0 until then).
	for i := 0; !browsertest.Eval[bool](tab, `(() => { const p = document.querySelector("#photo"); return !p.hidden && p.complete && p.naturalWidth > 0; })()`); i++ {
		if i == 100 {
			stored := ""
			for _, id := range ids {
				if d, err := dev.Get(ctx, vcard.Doctype, id); err == nil && strings.Contains(string(d.Content), "Shoe size") {
					stored = fmt.Sprintf("rev %d, photo stored: %v", d.Rev, strings.Contains(string(d.Content), `"photo"`))
				}
			}
			t.Fatalf("the photo is not shown after a reload: %s; the page: %s", stored,
				browsertest.Eval[string](tab, `(() => { const p = document.querySelector("#photo"); return JSON.stringify({hidden: p.hidden, src: (p.getAttribute("src") || "").slice(0, 30), complete: p.complete, w: p.naturalWidth}); })()`))
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !browsertest.Eval[bool](tab, `document.querySelector("#photo").naturalWidth === 256`) {
		t.Fatal("the photo was not kept at 256 pixels")
	}
	var edited vcard.Contact
	for _, id := range ids {
		d, _ := dev.Get(ctx, vcard.Doctype, id)
		var c vcard.Contact
		json.Unmarshal(d.Content, &c)
		if c.Name.Full == "Dr. Johnny Q. Appleseed Jr." {
			edited = c
		}
	}
	exported, err := vcard.Export([]vcard.Contact{edited}, "4.0")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"X-HEARTH-FIELD:43", "X-ABLabel:Shoe size", "TEL;TYPE=cell", "PHOTO:data:image/jpeg;base64,", "X-SOCIALPROFILE", "X-PHONETIC-FIRST-NAME"} {
		if !strings.Contains(string(exported), want) {
			t.Errorf("the edited contact's export lacks %q:\n%s", want, exported)
		}
	}
	tab.Do(chromedp.Click(chromedp.CSS("#export")))
	tab.WaitTrue(`Number(document.querySelector("#export").dataset.exported) > 1000`)

	// Notes mentions a contact and shows its name as it is now.
	notesURL := env.AppURL("notes", user)
	tab.Open(notesURL + "/")
	tab.Do(chromedp.WaitVisible(chromedp.CSS("#connect-allow")))
	waitText(t, tab, "#connect-scopes", "Read your contacts — To show the names of the people a note mentions, and let you pick one.")
	tab.Do(chromedp.Click(chromedp.CSS("#connect-allow")))
	tab.WaitOrigin(notesURL)
	tab.Do(chromedp.WaitVisible(chromedp.CSS("body[data-ready]")))
	tab.Do(chromedp.Click(chromedp.CSS("#new-note")))
	typeInto(tab, "#title", "Lunch")
	tab.WaitTrue(`!document.querySelector("#mention").hidden && document.querySelectorAll("#mention-list [role=option]").length > 5`)
	var johnny string
	for _, id := range ids {
		d, _ := dev.Get(ctx, vcard.Doctype, id)
		if strings.Contains(string(d.Content), "Dr. Johnny Q. Appleseed Jr.") {
			johnny = id
		}
	}
	// The mention picker: typed to find him, then picked with a click.
	tab.Do(chromedp.Click(chromedp.CSS("#mention-open")))
	typeInto(tab, "#mention-input", "johnny")
	tab.Do(chromedp.Click(chromedp.CSS(`#mention-list [data-contact="` + johnny + `"]`)))
	tab.WaitTrue(`document.querySelector("#body").value.includes("(contact:` + johnny + `)")`)
	waitText(t, tab, "#status", "Saved")
	tab.Do(chromedp.Click(chromedp.CSS(`[data-mode=preview]`)))
	waitText(t, tab, "#preview .mention", "@Dr. Johnny Q. Appleseed Jr.")
	// Renamed in Contacts (here by another device): Notes shows the new name.
	edited.Name.Full = "Johnny Appleseed"
	b, _ := json.Marshal(edited)
	if _, err := dev.Put(ctx, vcard.Doctype, johnny, b); err != nil {
		t.Fatal(err)
	}
	waitText(t, tab, "#preview .mention", "@Johnny Appleseed")
	tab.Screenshots("notes-mention")

	// Another app asks Contacts for a contact (spec/apps.md §5): it is not
	// saved by itself, but when the person adds it.
	value := base64.RawURLEncoding.EncodeToString([]byte(`{"name":{"full":"Inês Intent"},"emails":[{"value":"ines@example.org"}]}`))
	tab.Open(env.HomeURL() + "/#intent?from=notes&user=" + user + "&action=create&doctype=" + vcard.Doctype + "&value=" + value + "&state=x")
	waitView(t, tab, "intent", "#intent-msg")
	tab.Do(chromedp.Click(chromedp.CSS("#intent-allow")))
	tab.WaitOrigin(contactsURL)
	tab.WaitTrue(`document.body.dataset.ready === "true" && document.querySelector("#full").value === "Inês Intent" && !document.querySelector("#save").hidden`)
	browsertest.Eval[string](tab, `(() => { const e = document.querySelector("#title"); e.value = "Asked for by Notes";
		e.dispatchEvent(new Event("input", { bubbles: true })); return ""; })()`)
	time.Sleep(1200 * time.Millisecond) // past the pause after which an edit is saved
	if ids, _ := dev.List(ctx, vcard.Doctype); slices.ContainsFunc(ids, func(id string) bool {
		d, err := dev.Get(ctx, vcard.Doctype, id)
		return err == nil && strings.Contains(string(d.Content), "Inês Intent")
	}) {
		t.Fatal("the contact another app asked for was saved before the person added it")
	}
	tab.Screenshots("contact-intent")
	tab.Do(chromedp.Click(chromedp.CSS("#save")))
	tab.WaitOrigin(notesURL)
	waitStored(t, dev, func(c string) bool {
		return strings.Contains(c, "Inês Intent") && strings.Contains(c, "Asked for by Notes")
	})
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// putGate holds the server's answers to writes of contacts while held.
type putGate struct {
	mu   sync.Mutex
	hold chan struct{}
}

func (g *putGate) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, "/v1/docs/"+vcard.Doctype+"/") {
			g.mu.Lock()
			hold := g.hold
			g.mu.Unlock()
			if hold != nil {
				select {
				case <-hold:
				case <-r.Context().Done():
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// close holds the writes until the function it returns is called.
func (g *putGate) close() (open func()) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.hold = make(chan struct{})
	hold := g.hold
	return func() {
		g.mu.Lock()
		g.hold = nil
		g.mu.Unlock()
		close(hold)
	}
}

// waitStored waits until the server holds a contact whose content
// satisfies ok, as another device reads it, and returns its id.
func waitStored(t *testing.T, dev *client.Client, ok func(content string) bool) string {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(browsertest.Timeout)
	for {
		ids, err := dev.List(ctx, vcard.Doctype)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			if d, err := dev.Get(ctx, vcard.Doctype, id); err == nil && ok(string(d.Content)) {
				return id
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the server never held the contact the page edited")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// contactsAutosave: Contacts saves edits by itself, as Notes does: the
// status says "Editing…", "Saving…" (the editor screenshot while the
// server holds the write), then "Saved", and the server has the edit
// without anything pressed. Opening another contact mid-edit, or a new
// one, saves the edit at once (a new contact too); the page being left
// saves at once. The list's filter finds Zoë from "zoe", and "angstrom".
func contactsAutosave(t *testing.T, tab *browsertest.Tab, dev *client.Client, g *putGate, appleseed string) {
	t.Helper()
	input := func(sel, value string) string {
		return `(() => { const e = document.querySelector(` + jsString(sel) + `); e.value = ` + jsString(value) + `;
			e.dispatchEvent(new Event("input", { bubbles: true })); return document.querySelector("#status").textContent; })()`
	}
	// While the server holds the write: "Saving…".
	open := g.close()
	if got := browsertest.Eval[string](tab, input("#title", "Chief shoemaker of the Lisbon workshop")); got != "Editing…" {
		open()
		t.Fatalf("status while typing: %q", got)
	}
	tab.WaitTrue(`document.querySelector("#status").textContent === "Saving…"`)
	tab.Screenshots("contact-saving", "#title")
	open()
	waitText(t, tab, "#status", "Saved")
	waitStored(t, dev, func(c string) bool { return strings.Contains(c, "Chief shoemaker") })

	// Another contact opened mid-edit (long before the pause): the edit
	// is saved, and the editor shows the other one.
	typeInto(tab, "#search", "")
	other := browsertest.Eval[string](tab, `[...document.querySelectorAll("#list li[data-id]")].map(li => li.dataset.id).find(id => id !== `+jsString(appleseed)+`)`)
	shown := browsertest.Eval[string](tab, `(() => { const n = document.querySelector("#notes"); n.value = "Met at the café in Alfama";
		n.dispatchEvent(new Event("input", { bubbles: true }));
		document.querySelector('#list li[data-id="`+other+`"] button').click(); return document.querySelector("#notes").value; })()`)
	if shown == "Met at the café in Alfama" {
		t.Fatal("the editor still shows the first contact")
	}
	waitStored(t, dev, func(c string) bool {
		return strings.Contains(c, "Met at the café in Alfama") && strings.Contains(c, "Chief shoemaker")
	})

	// A new contact, another opened at once: it is created.
	tab.Do(chromedp.Click(chromedp.CSS("#new-contact")))
	browsertest.Eval[bool](tab, `(() => { const f = document.querySelector("#full"); f.value = "Zoë Ångström";
		f.dispatchEvent(new Event("input", { bubbles: true }));
		document.querySelector('#list li[data-id="`+appleseed+`"] button').click(); return true; })()`)
	zoe := waitStored(t, dev, func(c string) bool { return strings.Contains(c, "Zoë Ångström") })
	tab.WaitTrue(`!!document.querySelector('#list li[data-id="` + zoe + `"]')`)
	if n := browsertest.Eval[int](tab, `[...document.querySelectorAll("#list li strong")].filter(s => s.textContent === "Zoë Ångström").length`); n != 1 {
		t.Fatalf("%d contacts named Zoë Ångström in the list", n)
	}

	// The page left (pagehide) mid-edit: saved at once, not after the pause.
	tab.Do(chromedp.Click(chromedp.CSS(`#list li[data-id="` + zoe + `"] button`)))
	tab.WaitTrue(`document.querySelector("#full").value === "Zoë Ångström"`)
	browsertest.Eval[string](tab, input("#org", "Hearth & Sons, Lisbon"))
	if got := browsertest.Eval[string](tab, `(window.dispatchEvent(new PageTransitionEvent("pagehide")), document.querySelector("#status").textContent)`); got != "Saving…" {
		t.Fatalf("status once the page is left: %q", got)
	}
	waitStored(t, dev, func(c string) bool {
		return strings.Contains(c, "Zoë Ångström") && strings.Contains(c, "Hearth & Sons")
	})
	waitText(t, tab, "#status", "Saved")

	// The filter folds case and accents.
	if _, err := dev.Put(context.Background(), vcard.Doctype, "chloe", []byte(`{"v":1,"name":{"full":"Chloé Zoé Marchand-Villeneuve de la Tour d'Auvergne-Saint-Rémy"},"emails":[{"value":"chloe.marchand-villeneuve@example.org"}]}`)); err != nil {
		t.Fatal(err)
	}
	tab.WaitTrue(`!!document.querySelector('#list li[data-id="chloe"]')`)
	for q, want := range map[string]string{"zoe": "Chloé Zoé Marchand-Villeneuve de la Tour d'Auvergne-Saint-Rémy,Zoë Ångström", "ANGSTROM": "Zoë Ångström", "ZOË ång": "Zoë Ångström", "remy": "Chloé Zoé Marchand-Villeneuve de la Tour d'Auvergne-Saint-Rémy"} {
		typeInto(tab, "#search", q)
		if got := browsertest.Eval[string](tab, `[...document.querySelectorAll("#list li strong")].map(s => s.textContent).join(",")`); got != want {
			t.Errorf("filter %q: %q, want %q", q, got, want)
		}
	}
	browsertest.Eval[bool](tab, `(document.querySelector("#back").click(), true)`) // the list, on a phone too
	typeInto(tab, "#search", "zoe")
	waitText(t, tab, "#count", "2 of ")
	tab.Screenshots("contacts-filter")
	// A filter that matches nothing says so.
	typeInto(tab, "#search", "nobody by this name")
	waitText(t, tab, "#list", "No contact matches “nobody by this name”.")
	waitText(t, tab, "#count", "0 of ")
	tab.Screenshots("contacts-filter-none")
	typeInto(tab, "#search", "")
}
