package search

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

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

// TestPlainTextSlowInput: text made to make a Markdown reader slow (many
// unclosed brackets, backticks, emphasis marks) is read in linear time.
func TestPlainTextSlowInput(t *testing.T) {
	if raceDetector {
		// make test-wasm runs it, under WebAssembly, without the race
		// detector.
		t.Skip("timing ratios under the race detector are not the code's")
	}
	// Each hostile text at a quarter of its size and whole: linear work
	// takes about 4 times as long on the whole; quadratic work 16 times.
	// A ratio, not a time, so that a slow machine (or WebAssembly) passes.
	for name, text := range map[string]func(k int) string{
		"brackets":  func(k int) string { return strings.Repeat("[", 200*k) },
		"links":     func(k int) string { return strings.Repeat("[a](", 50*k) },
		"ticks":     func(k int) string { return strings.Repeat("`a``b", 40*k) },
		"emphasis":  func(k int) string { return strings.Repeat("*a _", 50*k) + strings.Repeat("b_ ", 50*k) },
		"nested":    func(k int) string { return strings.Repeat("[", 5*k) + "a" + strings.Repeat("](u)", 5*k) },
		"autolinks": func(k int) string { return strings.Repeat("<a", 100*k) },
		"quotes":    func(k int) string { return strings.Repeat("> ", 100*k) + "x" },
	} {
		// Large enough that quadratic work shows far above the slack,
		// which absorbs a garbage collection in WebAssembly.
		quarter, whole := text(1000), text(4000)
		tq, tw := fastest(func() { PlainText(quarter) }), fastest(func() { PlainText(whole) })
		if out := PlainText(whole); len(out) > len(whole) {
			t.Errorf("%s: %d bytes from %d", name, len(out), len(whole))
		}
		if tw > 8*tq+100*time.Millisecond {
			t.Errorf("%s: %v for %d bytes, %v for a quarter of them: not linear", name, tw, len(whole), tq)
		}
	}
}

// fastest is the shortest of three runs of f.
func fastest(f func()) time.Duration {
	best := time.Duration(1 << 62)
	for range 3 {
		start := time.Now()
		f()
		best = min(best, time.Since(start))
	}
	return best
}

// FuzzPlainText: any text gives text no longer, valid UTF-8 when it was,
// without a panic.
func FuzzPlainText(f *testing.F) {
	for _, s := range []string{"**Lisbon** _coast_", "# h\n> q\n- [ ] t", "[a](b) ![c](d) <e://f>", "`x` ``y``", "a\\*b", "```\ncode\n```", "| a | b |\n|---|---|"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := PlainText(s)
		if len(out) > len(s) || utf8.ValidString(s) && !utf8.ValidString(out) {
			t.Fatalf("%q: %q", s, out)
		}
	})
}
