package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/wasm/web/browsertest"
)

// The malformed documents another app or client may write (spec/apps.md
// §4.2: values are any JSON, or text that is not JSON), and what a
// bundled app must do with them: list the good ones, flag (and let the
// person delete) those it cannot show, and never stop.

// corpusDoc is a document of the corpus: its id, its content as stored
// (written with the native client), and whether the app flags it.
type corpusDoc struct {
	id      string
	content string
	flagged bool
	shown   string // a text the app's list shows for it ("" when flagged)
}

// nest is depth arrays around v.
func nest(depth int, v string) string {
	return strings.Repeat("[", depth) + v + strings.Repeat("]", depth)
}

// textCorpus is the corpus for an app whose documents are objects with a
// text member field ("title": Notes, Tasks), the app showing documents
// that are text (not JSON) as that member.
func textCorpus(field string) []corpusDoc {
	huge := strings.Repeat("W", 200_000)
	return []corpusDoc{
		{"good1", `{"` + field + `":"Buy bread","done":false,"created":1700000000000,"updated":1700000000000}`, false, "Buy bread"},
		{"good2", `{"` + field + `":"Call Lou","created":1700000001000,"updated":1700000001000}`, false, "Call Lou"},
		// Members of the wrong types, converted from primitives only.
		{"number", `{"` + field + `":12345,"updated":"yesterday","created":{"toString":0}}`, false, "12345"},
		{"nulltitle", `{"` + field + `":null,"body":"A body under a null title","done":"yes"}`, false, ""},
		{"oddtime", `{"` + field + `":"Odd times","updated":1e300,"created":-1e300}`, false, "Odd times"},
		// Prototype-pollution keys: data, nothing more.
		{"proto", `{"__proto__":{"` + field + `":"polluted","polluted":1},"` + field + `":"Proto keys"}`, false, "Proto keys"},
		{"ctor", `{"constructor":{"prototype":{"polluted":1}},"` + field + `":"Constructor keys","toString":"x","valueOf":1,"hasOwnProperty":2}`, false, "Constructor keys"},
		// A huge string, and deep nesting where nothing is read.
		{"huge", `{"` + field + `":"` + huge + `"}`, false, "WWWWWWWWWW"},
		{"deepok", `{"` + field + `":"Deep elsewhere","x":` + nest(3000, "1") + `}`, false, "Deep elsewhere"},
		// Text that is not JSON.
		{"notjson", `not JSON at all {"` + field + `":`, false, "not JSON at all"},
		// What cannot be shown.
		{"tostring", `{"` + field + `":{"toString":0}}`, true, ""},
		{"valueof", `{"` + field + `":{"toString":0,"valueOf":0},"body":{"toString":0}}`, true, ""},
		{"arraytitle", `{"` + field + `":["a","b"]}`, true, ""},
		{"deep", `{"` + field + `":` + nest(5000, `"x"`) + `}`, true, ""},
		{"array", `[{"` + field + `":"In an array"}]`, true, ""},
		{"null", `null`, true, ""},
		{"number42", `42`, true, ""},
		{"bool", `true`, true, ""},
	}
}

// contactsCorpus is the corpus for Contacts (spec/contacts.md).
func contactsCorpus() []corpusDoc {
	return []corpusDoc{
		{"good1", `{"v":1,"name":{"full":"Lou Reed"},"emails":[{"value":"lou@example.org","types":["home"]}]}`, false, "Lou Reed"},
		{"good2", `{"v":1,"name":{"given":"Ada","family":"Lovelace"},"org":{"name":"Analytical"}}`, false, "Ada Lovelace"},
		{"stringname", `{"v":1,"name":"Plain Name"}`, false, "Plain Name"},
		{"numbers", `{"v":1,"name":{"full":42},"title":7,"emails":[{"value":5,"types":[1,"work"]}]}`, false, "42"},
		{"proto", `{"v":1,"__proto__":{"name":{"full":"polluted"}},"name":{"full":"Proto Person","__proto__":{"x":1}},"constructor":{"prototype":{"polluted":1}}}`, false, "Proto Person"},
		{"huge", `{"v":1,"name":{"full":"` + strings.Repeat("Z", 200_000) + `"}}`, false, "ZZZZZZZZZZ"},
		{"deepok", `{"v":1,"name":{"full":"Deep Extra"},"meta":` + nest(3000, "1") + `}`, false, "Deep Extra"},
		{"nameobj", `{"v":1,"name":{"full":{"toString":0}}}`, true, ""},
		{"namearray", `{"v":1,"name":["Lou"]}`, true, ""},
		{"emailsnull", `{"v":1,"name":{"full":"Null Email"},"emails":[null]}`, true, ""},
		{"emailsobj", `{"v":1,"name":{"full":"Emails Object"},"emails":{"value":"x@example.org"}}`, true, ""},
		{"emailvalue", `{"v":1,"name":{"full":"Email Value"},"emails":[{"value":{"toString":0}}]}`, true, ""},
		{"types", `{"v":1,"name":{"full":"Types"},"phones":[{"value":"1","types":[{"toString":0}]}]}`, true, ""},
		{"addr", `{"v":1,"name":{"full":"Address"},"addresses":[{"street":["a"]}]}`, true, ""},
		{"org", `{"v":1,"name":{"full":"Org"},"org":"Acme"}`, true, ""},
		{"photo", `{"v":1,"name":{"full":"Photo"},"photo":{"type":"image/png","data":{"toString":0}}}`, true, ""},
		{"deep", `{"v":1,"name":{"full":` + nest(5000, `"x"`) + `}}`, true, ""},
		{"notjson", `BEGIN:VCARD not JSON`, true, ""},
		{"array", `[1,2,3]`, true, ""},
		{"null", `null`, true, ""},
	}
}

// putCorpus writes the corpus natively.
func putCorpus(t *testing.T, dev *client.Client, doctype string, docs []corpusDoc) {
	t.Helper()
	for _, d := range docs {
		if _, err := dev.Put(context.Background(), doctype, d.id, []byte(d.content)); err != nil {
			t.Fatalf("%s: %v", d.id, err)
		}
	}
}

func flaggedCount(docs []corpusDoc) int {
	n := 0
	for _, d := range docs {
		if d.flagged {
			n++
		}
	}
	return n
}

// checkList checks an app's list (sel) against the corpus: each good
// document shows, as many rows are flagged as the corpus has malformed
// documents (less gone), and nothing was polluted.
func checkList(t *testing.T, tab *browsertest.Tab, sel string, docs []corpusDoc, gone int) {
	t.Helper()
	for _, d := range docs {
		if !d.flagged && d.shown != "" {
			waitText(t, tab, sel, d.shown)
		}
	}
	want := flaggedCount(docs) - gone
	tab.WaitTrue(fmt.Sprintf(`document.querySelectorAll(%s).length === %d`, jsString(sel+" [data-flagged]"), want))
	if got := browsertest.Eval[string](tab, `[...document.querySelectorAll(`+jsString(sel+" [data-flagged] strong")+`)].map(e => e.textContent).join("|")`); want > 0 && !strings.Contains(got, "could not be shown") {
		t.Fatalf("flagged rows say %q", got)
	}
	if p := browsertest.Eval[string](tab, `String(({}).polluted) + String(({}).title) + String(Object.prototype.polluted)`); p != "undefinedundefinedundefined" {
		t.Fatalf("the prototype was polluted: %s", p)
	}
	// Nothing runs off the page: the list is no wider than the window.
	if w := browsertest.Eval[bool](tab, `document.documentElement.scrollWidth <= window.innerWidth + 1`); !w {
		t.Fatalf("the page is wider than the window: %d > %d", browsertest.Eval[int](tab, `document.documentElement.scrollWidth`), browsertest.Eval[int](tab, `window.innerWidth`))
	}
}

// deleteOneFlagged deletes the first flagged row through the app (the
// person confirms) and checks the document is gone from the server.
func deleteOneFlagged(t *testing.T, tab *browsertest.Tab, dev *client.Client, doctype, sel string, docs []corpusDoc) {
	t.Helper()
	before := browsertest.Eval[int](tab, `document.querySelectorAll(`+jsString(sel+" [data-flagged]")+`).length`)
	// Clicked by a query at the moment of the click: a change arriving from
	// the feed may draw the list again, replacing the node.
	tab.WaitTrue(`(() => { const b = document.querySelector(` + jsString(sel+" [data-delete-flagged]") + `); if (!b) return false; b.click(); return true; })()`)
	answerYes(t, tab)
	tab.WaitTrue(fmt.Sprintf(`document.querySelectorAll(%s).length === %d`, jsString(sel+" [data-flagged]"), before-1))
	ids, err := dev.List(context.Background(), doctype)
	if err != nil {
		t.Fatal(err)
	}
	left := map[string]bool{}
	for _, id := range ids {
		left[id] = true
	}
	n := 0
	for _, d := range docs {
		if d.flagged && !left[d.id] {
			n++
		}
		if !d.flagged && !left[d.id] {
			t.Fatalf("a good document, %s, was deleted", d.id)
		}
	}
	if n != 1 {
		t.Fatalf("%d malformed documents deleted, want 1", n)
	}
}

// TestWebMalformedNotes: Notes, given a corpus of malformed notes (wrong
// types in every member, prototype-pollution keys, a huge string, deep
// nesting, arrays and other values where an object belongs, text that is
// not JSON), lists the good ones, flags those it cannot show with a way to
// delete them, survives a reload, and flags one that arrives while it is
// open.
func TestWebMalformedNotes(t *testing.T) {
	env := browsertest.Start(t, browsertest.Options{})
	const user, password = "mal", "a malformed password"
	ctx := context.Background()
	dev, _, err := client.Signup(ctx, env.ServerURL(), user, password, nil)
	if err != nil {
		t.Fatal(err)
	}
	docs := textCorpus("title")
	docs = append(docs, corpusDoc{"bodyobj", `{"title":"Body object","body":{"toString":0}}`, true, ""})
	putCorpus(t, dev, "io.hearth.notes", docs)
	// Notes reads the contacts too (names of mentions): malformed ones
	// must not stop it either.
	putCorpus(t, dev, "io.hearth.contacts", contactsCorpus())

	tab := env.NewTab(t)
	signInHome(t, env, tab, user, password)
	notesURL := env.AppURL("notes", user)
	tab.Open(notesURL + "/")
	tab.Do(chromedp.WaitVisible(chromedp.CSS("#connect-allow")), chromedp.Click(chromedp.CSS("#connect-allow")))
	tab.WaitOrigin(notesURL)
	tab.Do(chromedp.WaitVisible(chromedp.CSS("body[data-ready]")))
	checkList(t, tab, "#note-list", docs, 0)
	waitText(t, tab, "#count", fmt.Sprintf("%d notes, %d could not be shown", len(docs), flaggedCount(docs)))
	tab.Screenshots("notes-flagged")

	// Good ones open; the huge one too, and the mention menu lists the
	// good contacts.
	tab.Do(chromedp.Click(chromedp.CSS(`#note-list li:not([data-flagged]) button`)))
	tab.Do(chromedp.WaitVisible(chromedp.CSS("#editor")))
	waitText(t, tab, "#mention", "Lou Reed")
	browsertest.Eval[bool](tab, `(document.querySelector("#back").click(), true)`)

	deleteOneFlagged(t, tab, dev, "io.hearth.notes", "#note-list", docs)

	// A malformed note arriving while Notes is open is flagged too.
	if _, err := dev.Put(ctx, "io.hearth.notes", "live", []byte(`{"title":{"toString":0}}`)); err != nil {
		t.Fatal(err)
	}
	tab.WaitTrue(`!!document.querySelector("#note-list [data-flagged]") && document.querySelectorAll("#note-list [data-flagged]").length === ` + fmt.Sprint(flaggedCount(docs)))

	// A reload lists them again.
	tab.Open(notesURL + "/")
	tab.Do(chromedp.WaitVisible(chromedp.CSS("body[data-ready]")))
	checkList(t, tab, "#note-list", append(docs, corpusDoc{"live", "", true, ""}), 1)
	tab.Screenshots("notes-reloaded")

	// A link to a malformed note says so.
	tab.Open(notesURL + "/#open=live")
	tab.Do(chromedp.WaitVisible(chromedp.CSS("body[data-ready]")))
	waitText(t, tab, "#notes-msg", "could not be shown")
}

// TestWebMalformedTasks: Tasks, given the corpus, lists the good tasks,
// flags the others with a way to delete them, and survives a reload.
func TestWebMalformedTasks(t *testing.T) {
	env := browsertest.Start(t, browsertest.Options{})
	const user, password = "malt", "a malformed password"
	ctx := context.Background()
	dev, _, err := client.Signup(ctx, env.ServerURL(), user, password, nil)
	if err != nil {
		t.Fatal(err)
	}
	docs := textCorpus("title")
	putCorpus(t, dev, "io.hearth.tasks", docs)
	if err := dev.PutConsent(ctx, &client.AppConsent{App: "tasks", Scopes: []client.Scope{{Doctype: "io.hearth.tasks", Verbs: []string{"read", "write", "delete"}}}}); err != nil {
		t.Fatal(err)
	}
	tab := env.NewTab(t)
	signInHome(t, env, tab, user, password)
	tasksURL := env.AppURL("tasks", user)
	tab.Open(tasksURL + "/")
	tab.WaitOrigin(tasksURL)
	tab.Do(chromedp.WaitVisible(chromedp.CSS("body[data-ready]")))
	checkList(t, tab, "#list", docs, 0)
	tab.Screenshots("tasks-flagged")

	// A good task still checks off.
	// Clicked by a query at the moment of the click: a change arriving
	// from the feed may draw the list again, replacing the node.
	tab.WaitTrue(`(() => { const c = document.querySelector("#list li[data-id=good1] input[type=checkbox]"); if (!c) return false; c.click(); return true; })()`)
	tab.WaitTrue(`document.querySelector("#list li[data-id=good1] input").checked`)
	deleteOneFlagged(t, tab, dev, "io.hearth.tasks", "#list", docs)

	tab.Open(tasksURL + "/")
	tab.Do(chromedp.WaitVisible(chromedp.CSS("body[data-ready]")))
	checkList(t, tab, "#list", docs, 1)
	tab.Screenshots("tasks-reloaded")
	d, err := dev.Get(ctx, "io.hearth.tasks", "good1")
	if err != nil || !strings.Contains(string(d.Content), `"done":true`) {
		t.Fatalf("good1 after checking it off: %s %v", d.Content, err)
	}
}

// TestWebMalformedContacts: Contacts, given a corpus of malformed contacts
// (a name that is an object or a list, emails holding null, entries of
// the wrong types, text that is not JSON, …), lists the good ones, flags
// the others with a way to delete them, exports only the good ones, and
// survives a reload.
func TestWebMalformedContacts(t *testing.T) {
	env := browsertest.Start(t, browsertest.Options{})
	const user, password = "malc", "a malformed password"
	ctx := context.Background()
	dev, _, err := client.Signup(ctx, env.ServerURL(), user, password, nil)
	if err != nil {
		t.Fatal(err)
	}
	docs := contactsCorpus()
	putCorpus(t, dev, "io.hearth.contacts", docs)
	if err := dev.PutConsent(ctx, &client.AppConsent{App: "contacts", Scopes: []client.Scope{{Doctype: "io.hearth.contacts", Verbs: []string{"read", "write", "delete"}}}}); err != nil {
		t.Fatal(err)
	}
	tab := env.NewTab(t)
	signInHome(t, env, tab, user, password)
	contactsURL := env.AppURL("contacts", user)
	tab.Open(contactsURL + "/")
	tab.WaitOrigin(contactsURL)
	tab.Do(chromedp.WaitVisible(chromedp.CSS("body[data-ready]")))
	checkList(t, tab, "#list", docs, 0)
	waitText(t, tab, "#count", fmt.Sprintf("%d contacts, %d could not be shown", len(docs)-flaggedCount(docs), flaggedCount(docs)))
	tab.Screenshots("contacts-flagged")

	// A good one opens and saves; the export holds the good ones only.
	tab.Do(chromedp.Click(chromedp.CSS(`#list li[data-id=numbers] button`)))
	tab.Do(chromedp.WaitVisible(chromedp.CSS("#editor")))
	if v := browsertest.Eval[string](tab, `document.querySelector("#full").value + "|" + document.querySelector("#emails .value").value`); v != "42|5" {
		t.Fatalf("the editor shows %q", v)
	}
	browsertest.Eval[bool](tab, `(scrollTo(0, 0), true)`)
	tab.Screenshots("contacts-numbers")
	browsertest.Eval[bool](tab, `(document.querySelector("#back").click(), true)`)
	tab.Do(chromedp.Click(chromedp.CSS("#export")))
	tab.WaitTrue(`!!document.querySelector("#export").dataset.exported`)
	// Those with numbers for text, a name that is text and deep members
	// vCard has no place for are shown, but not written as vCard.
	waitText(t, tab, "#msg", "Exported 4 contacts; 3 could not be written as vCard.")

	deleteOneFlagged(t, tab, dev, "io.hearth.contacts", "#list", docs)
	tab.Open(contactsURL + "/")
	tab.Do(chromedp.WaitVisible(chromedp.CSS("body[data-ready]")))
	checkList(t, tab, "#list", docs, 1)
	tab.Screenshots("contacts-reloaded")
}

// TestWebMalformedHome: Home, with malformed notes, tasks and contacts and
// malformed records of its own agreements (io.hearth.apps), lists its apps,
// searches (the good documents found, with their titles; a malformed one
// found by its text shows untitled), and opening a malformed note from a
// result makes Notes say it could not be shown; all of it after a reload
// too.
func TestWebMalformedHome(t *testing.T) {
	env := browsertest.Start(t, browsertest.Options{})
	const user, password = "malh", "a malformed password"
	ctx := context.Background()
	dev, _, err := client.Signup(ctx, env.ServerURL(), user, password, nil)
	if err != nil {
		t.Fatal(err)
	}
	notes := textCorpus("title")
	notes = append(notes, corpusDoc{"zebrabad", `{"title":{"toString":0},"body":"a zebra in a malformed note"}`, true, ""},
		corpusDoc{"zebragood", `{"title":"Zebra crossing","body":"a zebra in a good note"}`, false, "Zebra crossing"})
	putCorpus(t, dev, "io.hearth.notes", notes)
	putCorpus(t, dev, "io.hearth.tasks", textCorpus("title"))
	putCorpus(t, dev, "io.hearth.contacts", contactsCorpus())
	for id, content := range map[string]string{"tasks": `{"app":{"toString":0},"scopes":"all"}`, "contacts": `not JSON`} {
		if _, err := dev.Put(ctx, "io.hearth.apps", id, []byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	tab := env.NewTab(t)
	signInHome(t, env, tab, user, password)
	waitText(t, tab, "#apps", "Notes")
	waitText(t, tab, "#store", "Tasks")
	waitText(t, tab, "#store", "Contacts")
	// Connect Notes once, so that a result opens in it.
	notesURL := env.AppURL("notes", user)
	tab.Open(notesURL + "/")
	tab.Do(chromedp.WaitVisible(chromedp.CSS("#connect-allow")), chromedp.Click(chromedp.CSS("#connect-allow")))
	tab.WaitOrigin(notesURL)
	tab.Do(chromedp.WaitVisible(chromedp.CSS("body[data-ready]")))

	search := func(q string, reload bool) {
		t.Helper()
		if reload {
			tab.Open(env.HomeURL() + "/")
			waitView(t, tab, "dashboard", "#signin-msg")
		}
		typeInto(tab, "#search", q)
		tab.WaitTrue(`document.querySelector("#search-results").dataset.query === ` + jsString(q))
	}
	search("zebra", true)
	got := browsertest.Eval[string](tab, `[...document.querySelectorAll("#search-results [data-id]")].map(a => a.dataset.id + ":" + a.querySelector("strong").textContent).sort().join(",")`)
	if !strings.Contains(got, "zebragood:Zebra crossing") || !strings.Contains(got, "zebrabad:Untitled") {
		t.Fatalf("results: %s", got)
	}
	search("bread", false)
	waitText(t, tab, "#search-results", "Buy bread")
	search("lou", false)
	waitText(t, tab, "#search-results", "Lou Reed")
	tab.Screenshots("home-search")

	// A malformed note opened from a result: Notes says so.
	search("zebra", false)
	tab.Do(chromedp.Click(chromedp.CSS(`#search-results [data-id=zebrabad]`)))
	tab.WaitOrigin(notesURL)
	waitText(t, tab, "#notes-msg", "could not be shown")
	tab.Screenshots("notes-opened-malformed")

	// After a reload (a fresh search worker), the same.
	search("zebra", true)
	got2 := browsertest.Eval[string](tab, `[...document.querySelectorAll("#search-results [data-id]")].map(a => a.dataset.id + ":" + a.querySelector("strong").textContent).sort().join(",")`)
	if got2 != got {
		t.Fatalf("after a reload: %s, before %s", got2, got)
	}
	waitText(t, tab, "#apps", "Notes")
}
