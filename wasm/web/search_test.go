package web_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/wasm/web/browsertest"
)

// TestWebSearch: Home's search box, in headless Chromium. Signed in, a
// person types; results come grouped by app (Notes) or doctype, with the
// words marked; every word is required ("lisbon coast"), accents and case
// do not matter ("zoe" finds Zoë), snippets show a note's text without its
// Markdown marks, and the results of a query go as soon as the next is
// typed, never shown under it. A result opens the note in Notes. A note
// another device writes is found at the next query. A second browser loads
// the index the first stored instead of indexing again. Neither the words
// searched for nor the indexed text reach the host.
func TestWebSearch(t *testing.T) {
	rec := &requestRecorder{}
	env := browsertest.Start(t, browsertest.Options{Wrap: rec.wrap})
	mk := make([]byte, 8)
	rand.Read(mk)
	marker := "zq" + hex.EncodeToString(mk) // one word, lower case: as indexed
	const user, password = "sol", "a search password"

	// The account and its data, from another device.
	ctx := context.Background()
	dev, _, err := client.Signup(ctx, env.ServerURL(), user, password, nil)
	if err != nil {
		t.Fatal(err)
	}
	var items []client.Item
	for i := range 40 {
		items = append(items, client.Item{Content: fmt.Appendf(nil, `{"title":"Note %d","body":"Groceries and errands for day %d.","updated":%d}`, i, i, 1_700_000_000_000+i)})
	}
	items[23] = client.Item{ID: "tripnote", Content: []byte(`{"title":"Trip to Lisbon","body":"Train to Lisbon, then the coast road south; ask about ` + marker + ` at the station.","updated":1700000009999}`)}
	items = append(items, client.Item{ID: "walk", Content: []byte("{\"title\":\"\",\"body\":\"## Sintra day\\n\\n**Pena** palace, then _Cascais_: see [the map](https://example.org/cascais) and `tram 28`.\",\"updated\":1700000008888}")})
	if _, err := dev.PutMany(ctx, "io.hearth.notes", items); err != nil {
		t.Fatal(err)
	}
	for id, c := range map[string]string{"lou": `{"name":"Lou","city":"Lisbon"}`, "zoe": `{"name":{"full":"Zoë Ångström"},"city":"Porto"}`} {
		if _, err := dev.Put(ctx, "io.hearth.contacts", id, []byte(c)); err != nil {
			t.Fatal(err)
		}
	}

	home := env.NewTab(t)
	signIn := func(tab *browsertest.Tab) { signInHome(t, env, tab, user, password) }
	signIn(home)
	// Connect Notes once, so that a result can open in it.
	home.Open(env.AppURL("notes", user) + "/")
	home.Do(chromedp.WaitVisible(chromedp.CSS("#connect-allow")), chromedp.Click(chromedp.CSS("#connect-allow")))
	home.WaitOrigin(strings.TrimSuffix(env.AppURL("notes", user), "/"))
	home.Do(chromedp.WaitVisible(chromedp.CSS("body[data-ready]")))
	home.Open(env.HomeURL() + "/")
	waitView(t, home, "dashboard", "#signin-msg")

	query := func(tab *browsertest.Tab, q string) {
		t.Helper()
		typeInto(tab, "#search", q)
		tab.WaitTrue(`document.querySelector("#search-results").dataset.query === ` + jsString(q))
	}
	start := time.Now()
	query(home, "lisbo")
	t.Logf("first search (starting the search worker, building two indexes): %v", time.Since(start))
	query(home, "lisbon")
	got := browsertest.Eval[string](home, `[...document.querySelectorAll("#search-results section")].map(s =>
		s.dataset.doctype + "|" + s.querySelector("h3").textContent + "|" +
		[...s.querySelectorAll("li [data-id]")].map(a => a.dataset.id + ":" + a.querySelector("strong").textContent + ":" +
			[...a.querySelectorAll("mark")].map(m => m.textContent).join(",")).join(";")).join("\n")`)
	want := "io.hearth.contacts|io.hearth.contacts (1)|lou:Lou:Lisbon\n" +
		"io.hearth.notes|Notes (1)|tripnote:Trip to Lisbon:Lisbon"
	if got != want {
		t.Fatalf("results:\n%s\nwant:\n%s", got, want)
	}
	home.Screenshots("search")

	// Every word is required: Lou lives in Lisbon, without a coast.
	hits := func(tab *browsertest.Tab) string {
		return browsertest.Eval[string](tab, `[...document.querySelectorAll("#search-results [data-id]")].map(a => a.dataset.id).join(",")`)
	}
	query(home, "lisbon coast")
	if ids := hits(home); ids != "tripnote" {
		t.Fatalf("lisbon coast: %q", ids)
	}
	query(home, "lisbon OR porto")
	if ids := strings.Split(hits(home), ","); !sameElements(ids, []string{"lou", "zoe", "tripnote"}) {
		t.Fatalf("lisbon OR porto: %q", ids)
	}
	// Accents and case do not matter; the word is marked as written.
	for _, q := range []string{"zoe", "ZOE ANGSTROM", "Zoë"} {
		query(home, q)
		got := browsertest.Eval[string](home, `[...document.querySelectorAll("#search-results [data-id]")].map(a => a.dataset.id + ":" + a.querySelector("strong").textContent + ":" +
			[...a.querySelectorAll("mark")].map(m => m.textContent).join(",")).join(";")`)
		if !strings.HasPrefix(got, "zoe:Zoë Ångström:Zoë") || strings.Contains(got, ";") {
			t.Fatalf("%s: %q", q, got)
		}
	}
	home.Screenshots("search-folded")
	// A note's snippet shows its text, not its Markdown; a note without a
	// title is named by its first line.
	query(home, "cascais")
	got = browsertest.Eval[string](home, `(() => { const a = document.querySelector("#search-results [data-id=walk]");
		return a ? a.querySelector("strong").textContent + "|" + a.querySelector(".snippet").textContent + "|" + [...a.querySelectorAll("mark")].map(m => m.textContent).join(",") : ""; })()`)
	if got != "Sintra day|Sintra day Pena palace, then Cascais: see the map and tram 28.|Cascais" {
		t.Fatalf("snippet: %q", got)
	}
	home.Screenshots("search-snippet")

	// The results of a query go as soon as another is typed, and results
	// are never shown under a query they do not answer, however the
	// answers arrive.
	query(home, "lisbon")
	if !browsertest.Eval[bool](home, `(() => {
		const out = document.querySelector("#search-results"), box = document.querySelector("#search");
		window.mixed = [];
		new MutationObserver(() => {
			if (out.querySelector("[data-id]") && out.dataset.query !== box.value) window.mixed.push(out.dataset.query + " under " + box.value);
		}).observe(out, { childList: true, subtree: true, attributes: true });
		box.value = "zoe"; box.dispatchEvent(new Event("input", { bubbles: true }));
		return !out.querySelector("[data-id]") && out.dataset.query === undefined && out.getAttribute("aria-busy") === "true" && out.textContent === "Searching…";
	})()`) {
		t.Fatalf("the previous results stay while the next query runs: %q", browsertest.Eval[string](home, `document.querySelector("#search-results").textContent`))
	}
	home.WaitTrue(`document.querySelector("#search-results").dataset.query === "zoe"`)
	// Queries typed faster than they are answered.
	browsertest.Eval[bool](home, `(() => { const box = document.querySelector("#search");
		["lisbon", "lisbon co", "zoe", "cascais", "lisbon coast", "porto", "lisbon"].forEach((q, i) => setTimeout(() => {
			box.value = q; box.dispatchEvent(new Event("input", { bubbles: true })); }, i * 90 + (i % 2) * 40)); return true; })()`)
	time.Sleep(1500 * time.Millisecond)
	home.WaitTrue(`document.querySelector("#search-results").dataset.query === "lisbon"`)
	if mixed := browsertest.Eval[string](home, `window.mixed.join("; ")`); mixed != "" {
		t.Fatalf("results shown under another query: %s", mixed)
	}
	if ids := hits(home); ids != "lou,tripnote" {
		t.Fatalf("lisbon, at the end: %q", ids)
	}
	query(home, marker[:6]) // the word being typed is a prefix
	if ids := browsertest.Eval[string](home, `[...document.querySelectorAll("#search-results [data-id]")].map(a => a.dataset.id).join(",")`); ids != "tripnote" {
		t.Fatalf("prefix: %q", ids)
	}
	query(home, `"road coast"`)
	waitText(t, home, "#search-results", "Nothing matches.")
	typeInto(home, "#search", `title:"unclosed`)
	waitText(t, home, "#search-status", "not finished")

	// A note another device writes is found at the next query.
	if _, err := dev.Put(ctx, "io.hearth.notes", "fresh", []byte(`{"title":"Saudade","body":"a word from Lisbon"}`)); err != nil {
		t.Fatal(err)
	}
	// The indexes catch up with the feed at most once a second: a person
	// typing finds the note within a second or two.
	start = time.Now()
	for q := "saudade"; ; q += " " {
		query(home, q)
		ids := browsertest.Eval[string](home, `[...document.querySelectorAll("#search-results [data-id]")].map(a => a.dataset.id).join(",")`)
		if ids == "fresh" {
			break
		}
		if time.Since(start) > 5*time.Second {
			t.Fatalf("the new note: %q", ids)
		}
		time.Sleep(300 * time.Millisecond)
	}
	t.Logf("a note written on another device found in %v", time.Since(start))

	// A result opens the note in Notes.
	query(home, "lisbon coast")
	home.Do(chromedp.Click(chromedp.CSS(`#search-results [data-id=tripnote]`)))
	home.WaitOrigin(strings.TrimSuffix(env.AppURL("notes", user), "/"))
	home.WaitTrue(`!!document.querySelector("#title") && document.querySelector("#title").value === "Trip to Lisbon"`)

	// A second browser loads the stored indexes: it downloads segments and
	// indexes nothing again (no document is fetched to be indexed: the
	// feed is read from where the stored index ends).
	time.Sleep(500 * time.Millisecond) // the first browser stores in the background
	before := len(rec.bytes())
	other := env.NewDevice(t).NewTab(t)
	signIn(other)
	query(other, "saudade")
	if ids := browsertest.Eval[string](other, `[...document.querySelectorAll("#search-results [data-id]")].map(a => a.dataset.id).join(",")`); ids != "fresh" {
		t.Fatalf("second browser: %q", ids)
	}
	after := string(rec.bytes()[before:])
	if !strings.Contains(after, "GET /v1/index/io.hearth.notes/manifest") || !strings.Contains(after, "GET /v1/index/io.hearth.notes/segments/") {
		t.Fatalf("the second browser did not load the stored index")
	}
	// It keeps the sealed segments (IndexedDB): after a reload, opening
	// the index downloads none again.
	before = len(rec.bytes())
	other.Open(env.HomeURL() + "/")
	waitView(t, other, "dashboard", "#signin-msg")
	query(other, "saudade")
	if ids := browsertest.Eval[string](other, `[...document.querySelectorAll("#search-results [data-id]")].map(a => a.dataset.id).join(",")`); ids != "fresh" {
		t.Fatalf("second browser, reloaded: %q", ids)
	}
	if after := string(rec.bytes()[before:]); strings.Contains(after, "GET /v1/index/io.hearth.notes/segments/") {
		t.Fatalf("the reloaded page downloaded segments again")
	}
	vault := `new Promise(r => { const q = indexedDB.open("hearth"); q.onsuccess = () => { const db = q.result;
		if (!db.objectStoreNames.contains("vault")) return r(0); const c = db.transaction("vault").objectStore("vault").count();
		c.onsuccess = () => r(c.result); }; q.onerror = () => r(-1); })`
	if n := browsertest.Eval[int](other, vault); n < 3 {
		t.Fatalf("%d records in the vault: no segment cached", n)
	}
	// Signing out wipes the cached segments with the session.
	other.Do(chromedp.Click(chromedp.CSS("#signout")))
	other.Do(chromedp.WaitVisible(chromedp.CSS("#signin-form")))
	if keys := browsertest.Eval[string](other, vaultKeys); keys != "memkey,memory" {
		t.Fatalf("after sign-out, the vault holds %q", keys)
	}

	// Nothing searched for or indexed reached the host.
	// (Short words are looked for in the clear only: their base64 forms at
	// every alignment are too short not to occur in ciphertext by chance.)
	seen := rec.bytes()
	if holdsMarker(seen, marker) {
		t.Errorf("the marker reached the server")
	}
	for _, w := range []string{"saudade", "lisbon", "coast"} {
		if strings.Contains(strings.ToLower(string(seen)), w) {
			t.Errorf("%q reached the server", w)
		}
	}
	filepath.WalkDir(env.Dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := os.ReadFile(p)
		if holdsMarker(b, marker) || strings.Contains(strings.ToLower(string(b)), "saudade") {
			t.Errorf("a searched word is in %s", p)
		}
		return nil
	})
}

func sameElements(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
