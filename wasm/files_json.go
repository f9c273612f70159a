package wasm

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// A jsonAppender encodes itself as JSON, as encoding/json would, without
// reflection: CallJSON appends its JSON as it is. filesTree answers with
// thousands of items, which encoding/json (reflection, then a second
// pass that checks a Marshaler's output) took the WebAssembly client
// about 150 ms to encode for 10,000 (BENCHMARKS.md, Issue 16).
type jsonAppender interface {
	appendJSON(b []byte) []byte
}

// appendJSON encodes r as encoding/json does (TestFilesTreeJSON).
func (r *FilesTreeResult) appendJSON(b []byte) []byte {
	b = append(b, `{"items":`...)
	if r.Items == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range r.Items {
			if i > 0 {
				b = append(b, ',')
			}
			b = r.Items[i].appendJSON(b)
		}
		b = append(b, ']')
	}
	b = append(b, `,"versionsKept":`...)
	b = strconv.AppendInt(b, int64(r.VersionsKept), 10)
	if len(r.Malformed) > 0 {
		b = append(b, `,"malformed":[`...)
		for i, id := range r.Malformed {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, id)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

func (it *FileItem) appendJSON(b []byte) []byte {
	b = append(b, `{"id":`...)
	b = appendJSONString(b, it.ID)
	b = append(b, `,"rev":`...)
	b = strconv.AppendUint(b, it.Rev, 10)
	b = append(b, `,"kind":`...)
	b = appendJSONString(b, it.Kind)
	if it.Name != "" {
		b = append(b, `,"name":`...)
		b = appendJSONString(b, it.Name)
	}
	b = append(b, `,"parent":`...)
	b = appendJSONString(b, it.Parent)
	if it.Type != "" {
		b = append(b, `,"type":`...)
		b = appendJSONString(b, it.Type)
	}
	b = append(b, `,"length":`...)
	b = strconv.AppendInt(b, it.Length, 10)
	b = appendJSONTime(b, `,"modified":`, it.Modified)
	b = appendJSONTime(b, `,"trashed":`, it.Trashed)
	if it.InTrash {
		b = append(b, `,"inTrash":true`...)
	}
	if len(it.From) > 0 {
		b = append(b, `,"from":[`...)
		for i, f := range it.From {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, f)
		}
		b = append(b, ']')
	}
	if it.FromGone {
		b = append(b, `,"fromGone":true`...)
	}
	if it.Versions != 0 {
		b = append(b, `,"versions":`...)
		b = strconv.AppendInt(b, int64(it.Versions), 10)
	}
	if it.OldFormat {
		b = append(b, `,"oldFormat":true`...)
	}
	return append(b, '}')
}

// appendJSONTime appends member (`,"name":`) and t as encoding/json has a
// time.Time, unless t is zero (omitzero).
func appendJSONTime(b []byte, member string, t time.Time) []byte {
	if t.IsZero() {
		return b
	}
	b = append(b, member...)
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as encoding/json quotes a string: HTML's <, >
// and & escaped, and U+2028, U+2029; invalid UTF-8 as U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, `\b`...)
			case '\f':
				b = append(b, `\f`...)
			case '\n':
				b = append(b, `\n`...)
			case '\r':
				b = append(b, `\r`...)
			case '\t':
				b = append(b, `\t`...)
			default:
				b = append(b, `\u00`...)
				b = append(b, hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, `\u202`...)
			b = append(b, hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
