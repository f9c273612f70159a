package search

import "testing"

// TestPlainText: snippets show a note's words without its Markdown marks,
// and text that is not Markdown is left as it is.
func TestPlainText(t *testing.T) {
	for in, want := range map[string]string{
		"**Lisbon** trip": "Lisbon trip",
		"__bold__ and _it_ and *it* and ***both***":  "bold and it and it and both",
		"# Trip to Lisbon\n\nThe *coast* road.":      "Trip to Lisbon The coast road.",
		"## Learn C# ##":                             "Learn C#",
		"#hashtag and issue #5":                      "#hashtag and issue #5",
		"See [the map](https://x.example/a_(b)) now": "See the map now",
		"![a photo](p.png) of [@Lou](contact:abc)":   "a photo of @Lou",
		"[ref link][r] and [empty][]":                "ref link and empty",
		"`go test` and ``a ` b``":                    "go test and a ` b",
		"`*not emphasis*`":                           "*not emphasis*",
		"> quoted\n> > twice":                        "quoted twice",
		"- one\n* two\n+ three\n12. four\n3) five":   "one two three four five",
		"- [ ] to do\n- [x] done":                    "to do done",
		"~~struck~~ out":                             "struck out",
		"Title\n=====\nbody\n---\nmore":              "Title body more",
		"```go\nfunc *main_x*() {}\n```\nafter":      "func *main_x*() {} after",
		"| a | b |\n|---|:-:|\n| c | d |":            "a b c d",
		"a \\*literal\\* star":                       "a *literal* star",
		"<https://example.org/x_y_z> mail":           "https://example.org/x_y_z mail",
		"snake_case_name and 2*3*4 = 24":             "snake_case_name and 234 = 24",
		"a * b and a _ b and [unclosed":              "a * b and a _ b and [unclosed",
		"jo_doe@example.org":                         "jo_doe@example.org",
		"**unclosed bold":                            "**unclosed bold",
		"Zoë   Ångström\n\tcafé":                     "Zoë Ångström café",
		"plain":                                      "plain",
	} {
		if got := PlainText(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

// TestSnippetWithoutMarks: a snippet is cut from the text without its
// Markdown marks, and marks the words there.
func TestSnippetWithoutMarks(t *testing.T) {
	doc := []byte(`{"title":"Trip","body":"## Plans\n\n**Lisbon**, then the _coast_: see [the map](https://lisbon.example/coast)."}`)
	sn := highlighter("lisbon coast").snippet(doc)
	if sn == nil || sn.Text != "Plans Lisbon, then the coast: see the map." || len(sn.Marks) != 2 {
		t.Fatalf("%+v", sn)
	}
	if got := sn.Text[sn.Marks[0][0]:sn.Marks[0][1]] + "," + sn.Text[sn.Marks[1][0]:sn.Marks[1][1]]; got != "Lisbon,coast" {
		t.Fatalf("marks %q", got)
	}
}
