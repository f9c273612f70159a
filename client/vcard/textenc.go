package vcard

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// The text encodings of property values and parameters: RFC 6868's caret
// escapes, QUOTED-PRINTABLE and the charsets of vCard 2.1 (CHARSET).

// decodeCaret undoes RFC 6868: ^n newline, ^' double quote, ^^ caret.
func decodeCaret(s string) string {
	if !strings.Contains(s, "^") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '^' && i+1 < len(s) {
			switch s[i+1] {
			case 'n', 'N':
				b.WriteByte('\n')
				i++
				continue
			case '\'':
				b.WriteByte('"')
				i++
				continue
			case '^':
				b.WriteByte('^')
				i++
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func encodeCaret(s string) string {
	if !strings.ContainsAny(s, "^\n\"") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '^':
			b.WriteString("^^")
		case '\n':
			b.WriteString("^n")
		case '"':
			b.WriteString("^'")
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// qpDecode undoes QUOTED-PRINTABLE leniently: "=XX" is a byte, "=" before a
// line end is a soft break, any other "=" is itself.
func qpDecode(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] != '=' {
			out = append(out, b[i])
			continue
		}
		if i+1 == len(b) {
			break
		}
		if b[i+1] == '\n' {
			i++
			continue
		}
		if b[i+1] == '\r' && i+2 < len(b) && b[i+2] == '\n' {
			i += 2
			continue
		}
		if i+2 < len(b) {
			h, ok1 := unhex(b[i+1])
			l, ok2 := unhex(b[i+2])
			if ok1 && ok2 {
				out = append(out, h<<4|l)
				i += 2
				continue
			}
		}
		out = append(out, '=')
	}
	return out
}

// qpEncode writes b as QUOTED-PRINTABLE on one line, never ending in "=".
func qpEncode(b []byte) string {
	var s strings.Builder
	for _, c := range b {
		if c > ' ' && c <= '~' && c != '=' {
			s.WriteByte(c)
		} else {
			fmt.Fprintf(&s, "=%02X", c)
		}
	}
	return s.String()
}

// toUTF8 converts b from charset. note is set when the bytes were not what
// the charset said; ok is false when the charset is not supported and b is
// not UTF-8.
func toUTF8(b []byte, charset string) (text, note string, ok bool) {
	switch strings.ToLower(strings.TrimSpace(charset)) {
	case "", "utf-8", "utf8", "us-ascii", "ascii":
		if utf8.Valid(b) {
			return string(b), "", true
		}
		return decodeCharset(b, "windows-1252"), "value is not UTF-8: read as Windows-1252", true
	case "iso-8859-1", "latin1", "iso8859-1", "iso_8859-1", "l1":
		return decodeCharset(b, "iso-8859-1"), "", true
	case "windows-1252", "cp1252", "x-cp1252":
		return decodeCharset(b, "windows-1252"), "", true
	}
	if utf8.Valid(b) {
		return string(b), "", true
	}
	return "", "", false
}

var cp1252 = [32]rune{
	0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D, 0x017D, 0x8F,
	0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178,
}

func decodeCharset(b []byte, cs string) string {
	var s strings.Builder
	for _, c := range b {
		switch {
		case c < 0x80:
			s.WriteByte(c)
		case c < 0xA0 && cs == "windows-1252":
			s.WriteRune(cp1252[c-0x80])
		default:
			s.WriteRune(rune(c))
		}
	}
	return s.String()
}
