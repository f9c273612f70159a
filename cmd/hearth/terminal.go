package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// What hearth prints that a document, the server or an app manifest
// supplied never reaches the terminal raw: a terminal obeys escape
// sequences (ESC[2J clears it, OSC 52 writes the clipboard), a carriage
// return lets a line overwrite itself, and bidirectional controls reorder
// what is shown. get prints JSON with such characters as \u escapes
// (terminalJSON); the line-oriented outputs write them as visible escapes
// (printable); error messages are made one line of the same (oneLine).

// unsafeRune reports whether r must not reach a terminal raw: a control
// character (C0, DEL, C1), a bidirectional control, or a line or
// paragraph separator.
func unsafeRune(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == '\u2028' || r == '\u2029'
}

// errNotJSON is get's answer to a document that is not JSON text.
var errNotJSON = errors.New("is not JSON text (RFC 8259, in UTF-8), so it is not printed; it was not written by hearth put")

// terminalJSON returns a document's content for printing: the same JSON
// text, byte for byte, except that inside strings each unsafe character
// is written as its \u escape (the same value, to any JSON reader), and
// carriage returns between tokens are dropped; a newline ends it. Content
// that is not JSON text in UTF-8 is errNotJSON, and nothing of it is
// returned.
func terminalJSON(doc []byte) ([]byte, error) {
	if !utf8.Valid(doc) || !json.Valid(doc) {
		return nil, errNotJSON
	}
	out := make([]byte, 0, len(doc)+1)
	inString, escaped := false, false
	for i := 0; i < len(doc); {
		r, n := utf8.DecodeRune(doc[i:])
		switch {
		case !inString && r == '\r':
			// whitespace between tokens: dropped
		case !inString:
			inString = r == '"'
			out = append(out, doc[i:i+n]...)
		case escaped:
			escaped = false
			out = append(out, doc[i:i+n]...)
		case r == '\\':
			escaped = true
			out = append(out, '\\')
		case r == '"':
			inString = false
			out = append(out, '"')
		case unsafeRune(r):
			out = fmt.Appendf(out, `\u%04x`, r)
		default:
			out = append(out, doc[i:i+n]...)
		}
		i += n
	}
	if len(out) == 0 || out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	return out, nil
}

// printable makes text safe to print on one line of a terminal, keeping
// what it was visible: each unsafe character is written as an escape, \t,
// \n and \r as such, other characters below U+0080 as \xHH, the others as
// \uHHHH, and each byte that is not UTF-8 as \xHH (HH of 80 or above).
// Backslashes are left as they are: a text can look like an escape, but
// never act as one.
func printable(text string) string {
	var b strings.Builder
	for i := 0; i < len(text); {
		r, n := utf8.DecodeRuneInString(text[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, text[i])
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case unsafeRune(r) && r < 0x80:
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(text[i : i+n])
		}
		i += n
	}
	return b.String()
}

// oneLine makes s, an error message (which can carry what a server
// answered), one line of plain text: whitespace runs, line breaks
// included, become one space, and the rest is printable.
func oneLine(s string) string {
	return printable(strings.Join(strings.Fields(s), " "))
}

// count says n things: "1 document", "2 documents".
func count[N int | int64 | uint64](n N, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
