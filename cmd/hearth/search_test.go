package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hearthcloud/hearth/client/search"
)

// TestCLISearch: hearth search prints doctype, id and a snippet for each
// match across doctypes but Hearth's own (a passkey's record); a second
// device finds a note written on the first, also one written after its
// index was stored; reindex rebuilds; a malformed query is a usage error.
func TestCLISearch(t *testing.T) {
	d := startDaemon(t, t.TempDir(), "")
	a := newCLI(t, "search password")
	a.ok("", "signup", "--server", d.url, "--user", "sam")
	var lisbon string
	for i := range 30 {
		body := fmt.Sprintf(`{"title":"Note %d","body":"groceries and errands"}`, i)
		if i == 17 {
			body = `{"title":"Trip","body":"Train to Lisbon, then the coast road south."}`
		}
		id := strings.Fields(a.ok(body, "put", "io.hearth.notes"))[0]
		if i == 17 {
			lisbon = id
		}
	}
	contact := strings.Fields(a.ok(`{"name":"Lou","city":"Lisbon"}`, "put", "io.hearth.contacts"))[0]
	// Hearth's own records are not searched: a passkey's holds its secret.
	a.ok(`{"credential":"AQID","name":"Lisbon laptop","secret":"c2VjcmV0","prf":true}`, "put", "io.hearth.passkeys")

	// Not even when asked for by name.
	a.fails("never indexed", "", "search", "--doctype", "io.hearth.passkeys", "lisbon")

	out := a.ok("", "search", "lisbon")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("search lisbon:\n%s", out)
	}
	want := map[string]string{
		"io.hearth.notes\t" + lisbon:     "Train to Lisbon, then the coast road south.",
		"io.hearth.contacts\t" + contact: "Lisbon",
	}
	for _, l := range lines {
		f := strings.SplitN(l, "\t", 3)
		if len(f) != 3 || want[f[0]+"\t"+f[1]] != f[2] {
			t.Errorf("line %q", l)
		}
	}
	// A doctype nothing was ever written in: no match, not an error.
	if out := a.ok("", "search", "--doctype", "org.example.nothing", "coast"); out != "" {
		t.Fatalf("search of an empty doctype printed %q", out)
	}
	if out := a.ok("", "search", "--doctype", "io.hearth.notes", `"coast road"`); !strings.HasPrefix(out, "io.hearth.notes\t"+lisbon+"\t") {
		t.Fatalf("phrase: %q", out)
	}
	if r := a.run("", "search", `"road coast"`); r.stdout != "" || !strings.Contains(r.stderr, "no match") {
		t.Fatalf("a phrase out of order matched: %+v", r)
	}
	a.fails("malformed query", "", "search", `title:"unclosed`)

	// A second device loads the stored index, and finds what the first
	// wrote since. It keeps the sealed segments it downloaded: a second
	// search downloads none.
	rec := newRecorder(t, d.url)
	b := newCLI(t, "search password")
	b.ok("", "login", "--server", rec.url, "--user", "sam")
	if out := b.ok("", "search", "errands", "--limit", "100"); strings.Count(out, "\n") != 29 {
		t.Fatalf("errands on the second device: %d lines\n%s", strings.Count(out, "\n"), out)
	}
	segGets := func() int { return strings.Count(string(rec.Bytes()), "GET /v1/index/io.hearth.notes/segments/") }
	if segGets() == 0 {
		t.Fatal("the second device downloaded no segment")
	}
	before := segGets()
	b.ok("", "search", "errands")
	if n := segGets() - before; n != 0 {
		t.Fatalf("a second search downloaded %d segments again", n)
	}
	cached, _ := filepath.Glob(filepath.Join(b.home, "index", "*", "io.hearth.notes", "*"))
	if len(cached) == 0 {
		t.Fatal("no segment cached in the state folder")
	}
	// A damaged copy is not used: the segment is downloaded again.
	if err := os.WriteFile(cached[0], []byte("damaged"), 0o600); err != nil {
		t.Fatal(err)
	}
	before = segGets()
	if out := b.ok("", "search", "errands", "--limit", "100"); strings.Count(out, "\n") != 29 {
		t.Fatalf("with a damaged cached segment: %q", out)
	}
	if segGets() == before {
		t.Fatal("the damaged segment was not downloaded again")
	}
	fresh := strings.Fields(a.ok(`{"title":"Saudade","body":"a word"}`, "put", "io.hearth.notes"))[0]
	start := time.Now()
	if out := b.ok("", "search", "saudade"); !strings.Contains(out, fresh) {
		t.Fatalf("the second device did not find the new note: %q", out)
	}
	t.Logf("found a note written on another device in %v", time.Since(start))

	if out := b.ok("", "reindex", "--doctype", "io.hearth.notes"); !strings.Contains(out, "io.hearth.notes: 31 documents indexed") {
		t.Fatalf("reindex: %q", out)
	}
	if out := a.ok("", "search", "saudade"); !strings.Contains(out, fresh) {
		t.Fatalf("after reindex: %q", out)
	}
}

// TestSnippetLinePrintable: a snippet cannot carry terminal escapes, line
// breaks or bidirectional controls to the terminal: they show as visible
// escapes.
func TestSnippetLinePrintable(t *testing.T) {
	text := "a\x1b[2Jb\nc\u202ed\u0085e"
	got := snippetLine(&search.Snippet{Text: text, Marks: [][2]int{{0, 1}}}, false)
	if got != `a\x1b[2Jb\nc\u202ed\u0085e` {
		t.Fatalf("%q", got)
	}
}
