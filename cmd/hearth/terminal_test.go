package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// hostile is what a document, a server or a manifest could carry to play
// with a terminal: clear the screen, write the clipboard (OSC 52), a NUL,
// a carriage return that overwrites the line, C1's CSI, a right-to-left
// override, a line separator, and bytes that are not UTF-8.
var hostile = []string{"\x1b[2J", "\x1b]52;c;ZXZpbA==\x07", "\x00", "\r", "\u009b31m", "\u202e", "\u2028", "\xff\xfe"}

// inert fails t unless out can reach a terminal: UTF-8, and no unsafe
// character but the newlines and tabs that hearth's own output has.
func inert(t *testing.T, what, out string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Fatalf("%s: not UTF-8: %q", what, out)
	}
	for _, r := range out {
		if unsafeRune(r) && r != '\n' && r != '\t' {
			t.Fatalf("%s: %U reaches the terminal: %q", what, r, out)
		}
	}
}

func TestTerminalJSON(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"a":"b"}`, `{"a":"b"}` + "\n"},
		{"{\"a\": [1, 2]}\n", "{\"a\": [1, 2]}\n"},
		{`{"e":"\u001b[2J","q":"\"\\"}`, `{"e":"\u001b[2J","q":"\"\\"}` + "\n"},
		{"{\r\n\t\"a\": 1\r\n}", "{\n\t\"a\": 1\n}\n"},
		{"{\"b\":\"\u202eexe.txt\",\"c\":\"\u009b2J\x7f\",\"l\":\"a\u2028b\u2029\"}",
			`{"b":"\u202eexe.txt","c":"\u009b2J\u007f","l":"a\u2028b\u2029"}` + "\n"},
		{`"\u202e` + "\u202e\"", `"\u202e\u202e"` + "\n"},
		{"{\"\u200f\":\"é😀\"}", `{"\u200f":"é😀"}` + "\n"},
	} {
		got, err := terminalJSON([]byte(tc.in))
		if err != nil || string(got) != tc.want {
			t.Errorf("terminalJSON(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, in := range append(hostile, "", "plain text", `{"a":1`, "{\"a\":\"\x1b\"}", "{\"a\":\"\xff\"}", "{\"a\":\"b\"}\x00") {
		if got, err := terminalJSON([]byte(in)); !errors.Is(err, errNotJSON) || got != nil {
			t.Errorf("terminalJSON(%q) = %q, %v; want errNotJSON", in, got, err)
		}
	}
}

func TestPrintable(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain, é😀 \\x1b", "plain, é😀 \\x1b"},
		{"\x1b[2J\x1b]52;c;ZXZpbA==\x07", `\x1b[2J\x1b]52;c;ZXZpbA==\x07`},
		{"a\x00b\rc\nd\te\x7f", `a\x00b\rc\nd\te\x7f`},
		{"\u009b31m \u202e \u2066 \u2028", `\u009b31m \u202e \u2066 \u2028`},
		{"\xff\xfeok\xc3", `\xff\xfeok\xc3`},
	} {
		if got := printable(tc.in); got != tc.want {
			t.Errorf("printable(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := oneLine("a \r\n\t b\u2028c\x1b \u202e"); got != `a b c\x1b \u202e` {
		t.Errorf("oneLine = %q", got)
	}
}

// FuzzTerminalJSON: whatever a document holds, get prints either nothing
// (errNotJSON) or JSON text of the same value with nothing unsafe in it.
func FuzzTerminalJSON(f *testing.F) {
	for _, s := range append(hostile, `{"a":"b"}`, "{\r\n\"a\":[1,2.5e3,true,null]}", "[\"\u202e\",\"\u009b\\u0000\"]", `"\\\""`) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		out, err := terminalJSON(doc)
		if err != nil {
			if !errors.Is(err, errNotJSON) || out != nil || utf8.Valid(doc) && json.Valid(doc) {
				t.Fatalf("terminalJSON(%q) = %q, %v", doc, out, err)
			}
			return
		}
		inert(t, "terminalJSON", string(out))
		if !bytes.HasSuffix(out, []byte("\n")) {
			t.Fatalf("no final newline: %q", out)
		}
		var a, b any
		da, db := json.NewDecoder(bytes.NewReader(doc)), json.NewDecoder(bytes.NewReader(out))
		da.UseNumber()
		db.UseNumber()
		if da.Decode(&a) != nil || db.Decode(&b) != nil || !reflect.DeepEqual(a, b) {
			t.Fatalf("terminalJSON(%q) = %q: another value", doc, out)
		}
	})
}

// FuzzPrintable: printable's output is inert, and gives back the text when
// nothing in it needed an escape.
func FuzzPrintable(f *testing.F) {
	for _, s := range append(hostile, "plain", "tab\there") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p := printable(s)
		for _, r := range p {
			if unsafeRune(r) {
				t.Fatalf("printable(%q) = %q", s, p)
			}
		}
		if !utf8.ValidString(p) {
			t.Fatalf("printable(%q) = %q: not UTF-8", s, p)
		}
		clean := utf8.ValidString(s) && !strings.ContainsFunc(s, unsafeRune)
		if clean != (p == s) {
			t.Fatalf("printable(%q) = %q", s, p)
		}
		if o := oneLine(s); strings.ContainsAny(o, "\n\r\t") {
			t.Fatalf("oneLine(%q) = %q", s, o)
		}
	})
}
