// Package vcard reads and writes vCard 2.1, 3.0 and 4.0 (RFC 2426, RFC 6350,
// RFC 6868) and maps cards to and from the JSON content of the contacts
// doctype, io.hearth.contacts version 1 (spec/contacts.md).
//
// Three layers:
//
//   - Parse reads text into Cards: ordered property lists, unfolded, with
//     transfer encodings (QUOTED-PRINTABLE, CHARSET) undone and 2.1
//     conventions turned into 3.0/4.0 ones, but otherwise as written.
//   - Decode maps a Card to a Contact (the document); whatever the model has
//     no member for is kept in Contact.Extra and Contact.Meta. Encode writes a
//     Contact as vCard 4.0 or 3.0.
//   - Import and Export do both for whole files.
//
// The package uses the standard library only and has no OS-specific code: it
// runs in the browser under GOOS=js GOARCH=wasm.
package vcard

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Limits (spec/contacts.md §6).
const (
	MaxInputBytes    = 64 << 20  // a file given to Parse or Import
	MaxCards         = 100000    // cards in one file
	MaxCardBytes     = 1 << 20   // one card's unfolded text
	MaxProps         = 2000      // properties in one card
	MaxPhotoBytes    = 384 << 10 // a photo, decoded
	MaxDocumentBytes = 900 << 10 // a Contact's JSON
)

// Parse reads every card of r (at most MaxInputBytes).
func Parse(r io.Reader) ([]Card, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxInputBytes+1))
	if err != nil {
		return nil, err
	}
	return ParseBytes(data)
}

type logLine struct {
	text []byte
	line int
}

// ParseBytes is Parse on bytes.
func ParseBytes(data []byte) ([]Card, error) {
	if len(data) > MaxInputBytes {
		return nil, &Error{Line: 1, Msg: fmt.Sprintf("input over %d bytes", MaxInputBytes)}
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	sep := []byte("\n")
	if bytes.IndexByte(data, '\n') < 0 && bytes.IndexByte(data, '\r') >= 0 {
		sep = []byte("\r") // old Mac line ends
	}
	phys := bytes.Split(data, sep)
	for i, l := range phys {
		phys[i] = bytes.TrimSuffix(l, []byte("\r"))
	}

	var cards []Card
	var cur []logLine
	inCard, begin, size := false, 0, 0
	for i := 0; i < len(phys); {
		start := i + 1
		l := phys[i]
		i++
		if len(bytes.TrimSpace(l)) == 0 {
			continue
		}
		if l[0] == ' ' || l[0] == '\t' {
			if !inCard {
				return nil, &Error{Line: start, Msg: "expected BEGIN:VCARD, found a continuation line"}
			}
			// A folded line whose start was a blank line: join it to the
			// line before (a writer that folded after an empty line).
			if len(cur) == 0 {
				return nil, &Error{Line: start, Msg: "continuation line with nothing to continue"}
			}
			last := &cur[len(cur)-1]
			last.text = append(last.text, l[1:]...)
			size += len(l)
			if size > MaxCardBytes {
				return nil, &Error{Line: begin, Msg: fmt.Sprintf("card over %d bytes", MaxCardBytes)}
			}
			continue
		}
		buf := append([]byte(nil), l...)
		for {
			for i < len(phys) && len(phys[i]) > 0 && (phys[i][0] == ' ' || phys[i][0] == '\t') {
				buf = append(buf, phys[i][1:]...)
				i++
				if len(buf) > MaxCardBytes {
					return nil, &Error{Line: start, Msg: fmt.Sprintf("line over %d bytes", MaxCardBytes)}
				}
			}
			// QUOTED-PRINTABLE soft line break: "=" at the end of a line
			// continues the value on the next line, which is not indented.
			if i < len(phys) && len(buf) > 0 && buf[len(buf)-1] == '=' && isQPLine(buf) && !isEndLine(phys[i]) {
				buf = append(buf, '\n')
				buf = append(buf, phys[i]...)
				i++
				if len(buf) > MaxCardBytes {
					return nil, &Error{Line: start, Msg: fmt.Sprintf("line over %d bytes", MaxCardBytes)}
				}
				continue
			}
			break
		}
		upper := strings.ToUpper(string(bytes.TrimSpace(buf)))
		switch {
		case upper == "BEGIN:VCARD":
			if inCard {
				return nil, &Error{Line: start, Msg: fmt.Sprintf("BEGIN:VCARD inside the card begun at line %d (no END:VCARD)", begin)}
			}
			if len(cards) >= MaxCards {
				return nil, &Error{Line: start, Msg: fmt.Sprintf("more than %d cards", MaxCards)}
			}
			inCard, begin, size, cur = true, start, 0, nil
		case upper == "END:VCARD":
			if !inCard {
				return nil, &Error{Line: start, Msg: "END:VCARD without BEGIN:VCARD"}
			}
			c, err := parseCard(cur, begin)
			if err != nil {
				return nil, err
			}
			cards = append(cards, c)
			inCard, cur = false, nil
		case !inCard:
			return nil, &Error{Line: start, Msg: fmt.Sprintf("expected BEGIN:VCARD, found %q", clip(string(buf), 40))}
		default:
			size += len(buf)
			if size > MaxCardBytes {
				return nil, &Error{Line: begin, Msg: fmt.Sprintf("card over %d bytes", MaxCardBytes)}
			}
			if len(cur) >= MaxProps {
				return nil, &Error{Line: start, Msg: fmt.Sprintf("card begun at line %d has more than %d properties", begin, MaxProps)}
			}
			cur = append(cur, logLine{buf, start})
		}
	}
	if inCard {
		last := len(phys)
		for last > 1 && len(bytes.TrimSpace(phys[last-1])) == 0 {
			last--
		}
		return nil, &Error{Line: last, Msg: fmt.Sprintf("card begun at line %d has no END:VCARD", begin)}
	}
	if len(cards) == 0 {
		return nil, &Error{Line: 1, Msg: "no BEGIN:VCARD found: not a vCard file"}
	}
	return cards, nil
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func isEndLine(l []byte) bool {
	return strings.EqualFold(string(bytes.TrimSpace(l)), "END:VCARD")
}

// isQPLine reports whether the parameters of a content line ask for
// QUOTED-PRINTABLE (ENCODING=QUOTED-PRINTABLE, or the bare 2.1 form).
func isQPLine(l []byte) bool {
	end := colonIndex(l)
	if end < 0 {
		end = len(l)
	}
	for i, f := range bytes.Split(l[:end], []byte(";")) {
		if i == 0 {
			continue
		}
		f = bytes.TrimSpace(f)
		if k := bytes.IndexByte(f, '='); k >= 0 {
			if !bytes.EqualFold(bytes.TrimSpace(f[:k]), []byte("ENCODING")) {
				continue
			}
			f = f[k+1:]
		}
		if bytes.EqualFold(f, []byte("QUOTED-PRINTABLE")) {
			return true
		}
	}
	return false
}

// colonIndex is the index of the colon that ends name and parameters,
// skipping quoted parameter values; -1 if none.
func colonIndex(l []byte) int {
	q := false
	for i, c := range l {
		switch {
		case c == '"':
			q = !q
		case c == ':' && !q:
			return i
		}
	}
	return -1
}

func parseCard(lines []logLine, begin int) (Card, error) {
	c := Card{Line: begin, Version: ""}
	for _, l := range lines {
		if len(l.text) > 8 && strings.EqualFold(string(l.text[:8]), "VERSION:") {
			v := strings.TrimSpace(string(l.text[8:]))
			switch {
			case strings.HasPrefix(v, "2."), v == "2":
				c.Version = "2.1"
			case strings.HasPrefix(v, "3."), v == "3":
				c.Version = "3.0"
			case strings.HasPrefix(v, "4."), v == "4":
				c.Version = "4.0"
			default:
				return c, &Error{Line: l.line, Prop: "VERSION", Msg: fmt.Sprintf("unsupported vCard version %q", clip(v, 20))}
			}
			break
		}
	}
	if c.Version == "" {
		c.Version = "3.0"
		c.Warnings = append(c.Warnings, Warning{Line: begin, Msg: "card has no VERSION: read as 3.0"})
	}
	for _, l := range lines {
		p, w, err := parseProperty(l.text, l.line, c.Version)
		if err != nil {
			return c, err
		}
		c.Warnings = append(c.Warnings, w...)
		c.Props = append(c.Props, p)
	}
	return c, nil
}

func isNameChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isNameChar(s[i]) {
			return false
		}
	}
	return true
}

func parseProperty(l []byte, line int, version string) (Property, []Warning, error) {
	p := Property{Line: line}
	i := 0
	for i < len(l) && l[i] != ';' && l[i] != ':' {
		i++
	}
	name := string(l[:i])
	if dot := strings.IndexByte(name, '.'); dot >= 0 {
		p.Group, name = name[:dot], name[dot+1:]
		if !validName(p.Group) {
			return p, nil, &Error{Line: line, Msg: fmt.Sprintf("bad group name %q", clip(p.Group, 40))}
		}
	}
	name = strings.TrimSpace(name)
	if !validName(name) {
		return p, nil, &Error{Line: line, Msg: fmt.Sprintf("bad property name %q (a property is NAME[;PARAM=value]:value)", clip(name, 40))}
	}
	p.Name = name
	if i == len(l) {
		return p, nil, &Error{Line: line, Prop: name, Msg: "no ':' before the value"}
	}
	// Parameters.
	for i < len(l) && l[i] == ';' {
		i++
		j := i
		for j < len(l) && l[j] != '=' && l[j] != ';' && l[j] != ':' {
			j++
		}
		pname := strings.ToUpper(strings.TrimSpace(string(l[i:j])))
		if j == len(l) {
			return p, nil, &Error{Line: line, Prop: name, Msg: "no ':' before the value"}
		}
		if l[j] != '=' {
			// A bare parameter (2.1: TEL;WORK;VOICE).
			i = j
			if pname == "" {
				continue // ";;" or a trailing ';'
			}
			if !validName(pname) {
				return p, nil, &Error{Line: line, Prop: name, Msg: fmt.Sprintf("bad parameter %q", clip(pname, 40))}
			}
			switch pname {
			case "QUOTED-PRINTABLE", "BASE64", "B", "8BIT", "7BIT":
				p.Params = appendParam(p.Params, "ENCODING", pname)
			default:
				p.Params = appendParam(p.Params, "TYPE", pname)
			}
			continue
		}
		if !validName(pname) {
			return p, nil, &Error{Line: line, Prop: name, Msg: fmt.Sprintf("bad parameter name %q", clip(pname, 40))}
		}
		i = j + 1
		var vals []string
		for {
			if i < len(l) && l[i] == '"' {
				k := bytes.IndexByte(l[i+1:], '"')
				if k < 0 {
					return p, nil, &Error{Line: line, Prop: name, Msg: fmt.Sprintf("parameter %s: unterminated quoted value", pname)}
				}
				vals = append(vals, string(l[i+1:i+1+k]))
				i += k + 2
				if i < len(l) && l[i] != ',' && l[i] != ';' && l[i] != ':' {
					return p, nil, &Error{Line: line, Prop: name, Msg: fmt.Sprintf("parameter %s: unexpected %q after a quoted value", pname, l[i])}
				}
			} else {
				k := i
				for k < len(l) && l[k] != ',' && l[k] != ';' && l[k] != ':' {
					if l[k] == '"' {
						return p, nil, &Error{Line: line, Prop: name, Msg: fmt.Sprintf("parameter %s: '\"' inside an unquoted value", pname)}
					}
					k++
				}
				vals = append(vals, string(l[i:k]))
				i = k
			}
			if i >= len(l) {
				return p, nil, &Error{Line: line, Prop: name, Msg: "no ':' before the value"}
			}
			if l[i] != ',' {
				break
			}
			i++
		}
		if version != "2.1" {
			for k, v := range vals {
				vals[k] = decodeCaret(v)
			}
		}
		p.Params = appendParam(p.Params, pname, vals...)
	}
	// l[i] == ':'
	raw := l[i+1:]
	var warns []Warning
	// Parameter values in an 8-bit character set.
	for k := range p.Params {
		for m, v := range p.Params[k].Values {
			if !utf8.ValidString(v) {
				p.Params[k].Values[m] = decodeCharset([]byte(v), "windows-1252")
				warns = append(warns, Warning{Line: line, Prop: name, Msg: "parameter " + p.Params[k].Name + " is not UTF-8: read as Windows-1252"})
			}
		}
	}
	// ENCODING: upper-case known values; consume the transfer encodings.
	enc := ""
	for k := range p.Params {
		if p.Params[k].Name != "ENCODING" {
			continue
		}
		for m, v := range p.Params[k].Values {
			switch strings.ToUpper(v) {
			case "QUOTED-PRINTABLE":
				enc = "QP"
			case "B", "BASE64":
				p.Params[k].Values[m] = "b"
				enc = "b"
			case "8BIT", "7BIT":
				p.Params[k].Values[m] = ""
			}
		}
	}
	charset := ""
	if cs := p.Param("CHARSET"); len(cs) > 0 {
		charset = cs[0]
	}
	switch enc {
	case "b":
		p.Value = stripSpace(raw)
		p.dropParam("CHARSET")
		return p, warns, nil
	case "QP":
		dec := qpDecode(raw)
		text, note, ok := toUTF8(dec, charset)
		if note != "" {
			warns = append(warns, Warning{Line: line, Prop: name, Msg: note})
		}
		if !ok {
			// An unknown character set: keep the value encoded, as written,
			// without the soft line breaks.
			p.Value = qpEncode(dec)
			warns = append(warns, Warning{Line: line, Prop: name, Msg: fmt.Sprintf("character set %q not supported: value kept QUOTED-PRINTABLE encoded", clip(charset, 30))})
			return p, warns, nil
		}
		p.dropParam("ENCODING")
		p.dropParam("CHARSET")
		p.Value = modernize(text, version, strings.ToUpper(name))
		return p, warns, nil
	}
	cleanEncoding(&p)
	text, note, ok := toUTF8(raw, charset)
	if !ok {
		text, note = decodeCharset(raw, "windows-1252"), fmt.Sprintf("character set %q not supported: read as Windows-1252", clip(charset, 30))
	}
	if note != "" {
		warns = append(warns, Warning{Line: line, Prop: name, Msg: note})
	}
	p.dropParam("CHARSET")
	p.Value = modernize(text, version, strings.ToUpper(name))
	return p, warns, nil
}

// cleanEncoding drops ENCODING values emptied (8BIT, 7BIT).
func cleanEncoding(p *Property) {
	for k := 0; k < len(p.Params); k++ {
		if p.Params[k].Name != "ENCODING" {
			continue
		}
		vs := p.Params[k].Values[:0]
		for _, v := range p.Params[k].Values {
			if v != "" {
				vs = append(vs, v)
			}
		}
		p.Params[k].Values = vs
		if len(vs) == 0 {
			p.Params = append(p.Params[:k], p.Params[k+1:]...)
			k--
		}
	}
}

func appendParam(ps []Param, name string, vals ...string) []Param {
	for k := range ps {
		if ps[k].Name == name {
			ps[k].Values = append(ps[k].Values, vals...)
			return ps
		}
	}
	return append(ps, Param{Name: name, Values: vals})
}

func stripSpace(b []byte) string {
	out := make([]byte, 0, len(b))
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			out = append(out, c)
		}
	}
	return string(out)
}

// modernize turns a decoded value into 3.0/4.0 escaped form. For 3.0 and 4.0
// that only means escaping line ends that QUOTED-PRINTABLE produced; a 2.1
// value also gets its commas escaped (they are not separators in 2.1,
// except in NICKNAME and CATEGORIES) and lone backslashes doubled.
func modernize(s, version, name string) string {
	if version != "2.1" {
		if !strings.ContainsAny(s, "\n") {
			return s
		}
		s = strings.ReplaceAll(s, "\r\n", "\n")
		return strings.ReplaceAll(s, "\n", `\n`)
	}
	list := name == "NICKNAME" || name == "CATEGORIES"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\':
			if i+1 < len(s) {
				switch s[i+1] {
				case ';', ',', '\\':
					b.WriteByte('\\')
					b.WriteByte(s[i+1])
					i++
					continue
				case 'n', 'N':
					b.WriteString(`\n`)
					i++
					continue
				}
			}
			b.WriteString(`\\`)
		case ',':
			if list {
				b.WriteByte(',')
			} else {
				b.WriteString(`\,`)
			}
		case '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				continue
			}
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
