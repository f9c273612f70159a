//go:build hearthtest

package client_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/hearthcloud/hearth/client"
)

// TestRestoreWhereFrom: an item put in the trash records the path of its
// folder (trashed_from, §6.3); the tree says where it came from (the
// folder's path now, while it is there); restored, it goes back into its
// folder, or, that folder gone, into the path recorded, its folders
// found by name or made again; with no path known, to the root; a name
// taken there meanwhile gets " (2)".
func TestRestoreWhereFrom(t *testing.T) {
	e := newEnv(t)
	c, _, _ := e.signup("a long test passphrase")
	docs := mkdir(t, c, "", "Docs")
	work := mkdir(t, c, docs, "Work")
	report := upTo(t, c, work, "report.txt", []byte("q3"))
	notes := upTo(t, c, work, "notes.txt", []byte("n"))
	if err := c.Trash(ctx, []string{report, notes}); err != nil {
		t.Fatal(err)
	}
	if doc, _ := fileContent(t, c, report); strings.Join(asStrings(doc["trashed_from"]), "/") != "Docs/Work" {
		t.Fatalf("trashed_from: %v", doc["trashed_from"])
	}
	if err := c.Rename(ctx, work, "Work 2024"); err != nil {
		t.Fatal(err)
	}
	it := files(t, c).Item(report)
	if strings.Join(it.TrashedFrom, "/") != "Docs/Work 2024" || it.FromGone {
		t.Fatalf("from %q, gone %v", it.TrashedFrom, it.FromGone)
	}
	// The folder goes (deleted alone, as another app might): the path
	// recorded is where it came from, and where it goes back, made again.
	if err := c.Delete(ctx, client.FilesDoctype, work); err != nil {
		t.Fatal(err)
	}
	it = files(t, c).Item(report)
	if strings.Join(it.TrashedFrom, "/") != "Docs/Work" || !it.FromGone {
		t.Fatalf("from %q, gone %v", it.TrashedFrom, it.FromGone)
	}
	if err := c.Restore(ctx, []string{report, notes}); err != nil {
		t.Fatal(err)
	}
	tr := files(t, c)
	if tr.Path(report) != "Docs/Work/report.txt" || tr.Path(notes) != "Docs/Work/notes.txt" || tr.Item(report).Parent == work ||
		tr.Item(tr.Item(report).Parent).Parent != docs || len(tr.Children(docs)) != 1 {
		t.Fatalf("restored to %q and %q", tr.Path(report), tr.Path(notes))
	}
	if doc, _ := fileContent(t, c, report); doc["trashed_from"] != nil {
		t.Fatalf("trashed_from kept: %v", doc["trashed_from"])
	}

	// A name taken meanwhile: " (2)".
	if err := c.Trash(ctx, []string{report}); err != nil {
		t.Fatal(err)
	}
	upTo(t, c, tr.Item(report).Parent, "report.txt", []byte("a new one"))
	if err := c.Restore(ctx, []string{report}); err != nil {
		t.Fatal(err)
	}
	if got := files(t, c).Path(report); got != "Docs/Work/report (2).txt" {
		t.Fatalf("restored as %q", got)
	}

	// No path known (a document of before trashed_from, its folder gone),
	// or a file holding a name of the path: the root.
	old := upTo(t, c, docs, "old.txt", []byte("o"))
	blocked := upTo(t, c, docs, "blocked.txt", []byte("b"))
	if err := c.Trash(ctx, []string{old, blocked}); err != nil {
		t.Fatal(err)
	}
	doc, _ := fileContent(t, c, old)
	delete(doc, "trashed_from")
	b, _ := json.Marshal(doc)
	if _, err := c.Put(ctx, client.FilesDoctype, old, b); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, client.FilesDoctype, docs); err != nil {
		t.Fatal(err)
	}
	upTo(t, c, "", "Docs", []byte("a file called Docs"))
	if err := c.Restore(ctx, []string{old, blocked}); err != nil {
		t.Fatal(err)
	}
	tr = files(t, c)
	if tr.Item(old).Parent != "" || tr.Item(blocked).Parent != "" || tr.Item(old).InTrash || len(tr.Lookup("Docs")) != 1 || tr.Lookup("Docs")[0].Folder {
		t.Fatalf("restored to %q and %q", tr.Path(old), tr.Path(blocked))
	}
}

func asStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}
