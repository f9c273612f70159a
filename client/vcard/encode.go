package vcard

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Import reads a file of vCards into contacts. A malformed file is an
// error naming the line; warnings say what was guessed or left out.
func Import(data []byte) ([]Contact, []Warning, error) {
	cards, err := ParseBytes(data)
	if err != nil {
		return nil, nil, err
	}
	out := make([]Contact, 0, len(cards))
	var warns []Warning
	for _, card := range cards {
		warns = append(warns, card.Warnings...)
		c, w := Decode(card)
		warns = append(warns, w...)
		if n := c.size(); n > MaxDocumentBytes {
			return nil, nil, &Error{Line: card.Line, Msg: fmt.Sprintf("card is %d KiB as a document, over %d KiB", n>>10, MaxDocumentBytes>>10)}
		}
		out = append(out, c)
	}
	return out, warns, nil
}

func (c *Contact) size() int {
	b, err := json.Marshal(c)
	if err != nil {
		return MaxDocumentBytes + 1
	}
	return len(b)
}

// Export writes contacts as one vCard file, version "4.0" (the default,
// also for "") or "3.0".
func Export(contacts []Contact, version string) ([]byte, error) {
	var out []byte
	for i, c := range contacts {
		b, err := Encode(c, version)
		if err != nil {
			return nil, fmt.Errorf("contact %d: %w", i, err)
		}
		out = append(out, b...)
	}
	return out, nil
}

type writer struct {
	buf     bytes.Buffer
	v4      bool
	err     error
	groups  map[string]bool
	nextGrp int
}

// Encode writes one contact as a vCard, version "4.0" (the default, also
// for "") or "3.0". Lines end in CRLF and are folded at 75 octets.
func Encode(c Contact, version string) ([]byte, error) {
	switch version {
	case "", "4.0":
		version = "4.0"
	case "3.0":
	default:
		return nil, fmt.Errorf("vcard: cannot write version %q (4.0 or 3.0)", version)
	}
	w := &writer{v4: version == "4.0", groups: map[string]bool{}}
	for _, e := range c.allEntries() {
		w.groups[strings.ToUpper(e.Group)] = true
	}
	for _, a := range c.Addresses {
		w.groups[strings.ToUpper(a.Group)] = true
	}
	for _, m := range c.Meta {
		w.groups[strings.ToUpper(m.Group)] = true
	}
	for _, x := range c.Extra {
		w.groups[strings.ToUpper(x.Group)] = true
	}
	extraHas := func(name string) bool {
		for _, x := range c.Extra {
			if strings.EqualFold(x.Name, name) && x.Group == "" {
				return true
			}
		}
		return false
	}
	meta := func(name string) (string, []Param) {
		m := c.Meta[name]
		return m.Group, mapParams(m.Params)
	}
	single := func(name, value string) {
		g, ps := meta(name)
		w.prop(g, name, ps, value)
	}
	// text writes one of textFields, when set.
	text := func(name string) {
		if v := *textFields[name](&c); v != "" {
			single(name, escapeText(v))
		}
	}

	w.raw("BEGIN:VCARD")
	w.raw("VERSION:" + version)
	text("KIND")
	// An FN kept in Extra (empty, or in an encoding the model cannot hold)
	// is written where FN goes, so that exporting what an export imports
	// gives the same file.
	fnExtra := -1
	switch {
	case c.Name.Full != "":
		single("FN", escapeText(c.Name.Full))
	case !extraHas("FN"):
		single("FN", escapeText(c.derivedFN()))
	default:
		for i, x := range c.Extra {
			if strings.EqualFold(x.Name, "FN") && x.Group == "" {
				fnExtra = i
				w.extra(x)
				break
			}
		}
	}
	parts := c.Name.parts()
	for i := range parts {
		parts[i] = escapeComp(parts[i])
	}
	single("N", strings.Join(parts, ";"))
	if len(c.Nickname) > 0 {
		single("NICKNAME", escapeList(c.Nickname))
	}
	if c.Photo != nil {
		w.photo(c.Photo, c.Meta["PHOTO"])
	}
	if c.Birthday != "" {
		single("BDAY", escapeText(w.date(c.Birthday)))
	}
	if c.Anniversary != "" {
		single("ANNIVERSARY", escapeText(w.date(c.Anniversary)))
	}
	if c.Gender != nil && (c.Gender.Sex != "" || c.Gender.Identity != "") {
		v := escapeText(c.Gender.Sex)
		if c.Gender.Identity != "" {
			v += ";" + escapeText(c.Gender.Identity)
		}
		single("GENDER", v)
	}
	for _, e := range c.Emails {
		w.entry("EMAIL", e, escapeText(e.Value))
	}
	for _, e := range c.Phones {
		w.entry("TEL", e, escapeText(e.Value))
	}
	for _, a := range c.Addresses {
		parts := a.parts()
		for i := range parts {
			parts[i] = escapeComp(parts[i])
		}
		w.entry("ADR", Entry{Types: a.Types, Pref: a.Pref, Label: a.Label, Group: a.Group, Params: a.Params}, strings.Join(parts, ";"))
	}
	if c.Org != nil && (c.Org.Name != "" || len(c.Org.Units) > 0) {
		parts := append([]string{c.Org.Name}, c.Org.Units...)
		for i := range parts {
			parts[i] = escapeText(parts[i])
		}
		single("ORG", strings.Join(parts, ";"))
	}
	text("TITLE")
	text("ROLE")
	for _, e := range c.URLs {
		w.entry("URL", e, escapeText(e.Value))
	}
	for _, e := range c.IMPP {
		w.entry("IMPP", e, escapeText(e.Value))
	}
	for _, e := range c.Related {
		w.entry("RELATED", e, escapeText(e.Value))
	}
	text("NOTE")
	if len(c.Categories) > 0 {
		single("CATEGORIES", escapeList(c.Categories))
	}
	text("UID")
	text("REV")
	for _, e := range c.Fields {
		w.entry("X-HEARTH-FIELD", e, escapeText(e.Value))
	}
	for i, x := range c.Extra {
		if strings.EqualFold(x.Name, "VERSION") && x.Group == "" {
			continue // the version written is the one asked for
		}
		if i == fnExtra {
			continue // written above
		}
		w.extra(x)
	}
	w.raw("END:VCARD")
	if w.err != nil {
		return nil, w.err
	}
	return w.buf.Bytes(), nil
}

func (c *Contact) allEntries() []Entry {
	var all []Entry
	for _, l := range [][]Entry{c.Emails, c.Phones, c.URLs, c.IMPP, c.Related, c.Fields} {
		all = append(all, l...)
	}
	return all
}

// derivedFN is what FN says when the contact has no full name.
func (c *Contact) derivedFN() string {
	var parts []string
	for _, s := range []string{c.Name.Prefix, c.Name.Given, c.Name.Additional, c.Name.Family, c.Name.Suffix} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	switch {
	case len(parts) > 0:
		return strings.Join(parts, " ")
	case c.Org != nil && c.Org.Name != "":
		return c.Org.Name
	case len(c.Emails) > 0:
		return c.Emails[0].Value
	case len(c.Phones) > 0:
		return c.Phones[0].Value
	}
	return ""
}

func escapeList(items []string) string {
	out := make([]string, len(items))
	for i, s := range items {
		out[i] = escapeText(s)
	}
	return strings.Join(out, ",")
}

// escapeURI escapes only what unescaping would change: backslash, line end.
func escapeURI(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	return strings.ReplaceAll(s, "\n", `\n`)
}

func (w *writer) date(s string) string {
	if w.v4 {
		return basicDate(s)
	}
	return normDate(s)
}

func (w *writer) fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

func (w *writer) newGroup() string {
	for {
		w.nextGrp++
		g := "item" + strconv.Itoa(w.nextGrp)
		if !w.groups[strings.ToUpper(g)] {
			w.groups[strings.ToUpper(g)] = true
			return g
		}
	}
}

func (w *writer) entry(name string, e Entry, value string) {
	group := e.Group
	if e.Label != "" && group == "" {
		group = w.newGroup()
	}
	var ps []Param
	types := append([]string(nil), e.Types...)
	if e.Pref == 1 && !w.v4 {
		types = append(types, "pref")
	}
	if len(types) > 0 {
		ps = append(ps, Param{Name: "TYPE", Values: types})
	}
	if e.Pref != 0 && (w.v4 || e.Pref != 1) {
		ps = append(ps, Param{Name: "PREF", Values: []string{strconv.Itoa(e.Pref)}})
	}
	for _, q := range mapParams(e.Params) {
		ps = appendParam(ps, q.Name, q.Values...)
	}
	w.prop(group, name, ps, value)
	if e.Label != "" {
		w.prop(group, "X-ABLabel", nil, escapeText(e.Label))
	}
}

func (w *writer) photo(ph *Photo, m Meta) {
	ps := mapParams(m.Params)
	switch {
	case ph.Data != "":
		if _, err := base64.StdEncoding.DecodeString(ph.Data); err != nil {
			w.fail(fmt.Errorf("vcard: photo data is not base64: %v", err))
			return
		}
		mt := strings.ToLower(ph.Type)
		if strings.ContainsAny(mt, ",\\\r\n") {
			w.fail(fmt.Errorf("vcard: bad photo media type %q", ph.Type))
			return
		}
		if !w.v4 {
			t, ok := typeForMedia("PHOTO", mt)
			if ok || mt == "" && !hasParamName(ps, "TYPE") {
				head := []Param{{Name: "ENCODING", Values: []string{"b"}}}
				if ok {
					head = append(head, Param{Name: "TYPE", Values: []string{t}})
				}
				for _, q := range ps {
					head = appendParam(head, q.Name, q.Values...)
				}
				w.prop(m.Group, "PHOTO", head, ph.Data)
				return
			}
			ps = append([]Param{{Name: "VALUE", Values: []string{"uri"}}}, ps...)
		}
		w.prop(m.Group, "PHOTO", ps, "data:"+mt+";base64,"+ph.Data)
	case ph.URI != "":
		if !w.v4 {
			ps = append([]Param{{Name: "VALUE", Values: []string{"uri"}}}, ps...)
		}
		w.prop(m.Group, "PHOTO", ps, escapeURI(ph.URI))
	}
}

func (w *writer) extra(x Extra) {
	ps := mapParams(x.Params)
	value := strings.ReplaceAll(strings.ReplaceAll(x.Value, "\r\n", `\n`), "\n", `\n`)
	p := Property{Name: x.Name, Params: ps, Value: value}
	switch {
	case w.v4 && p.isBinary():
		// 4.0 has no ENCODING: an embedded value becomes a data: URI.
		if mt, data, rest, ok := binaryOf(&p); ok && !strings.ContainsAny(mt, ",\\") {
			ps, value = rest, "data:"+mt+";base64,"+base64.StdEncoding.EncodeToString(data)
		}
	case !w.v4 && mediaPrefix(x.Name) != "" && !p.isBinary():
		// 3.0 readers know PHOTO, LOGO, SOUND and KEY as ENCODING=b.
		if mt, data, rest, ok := binaryOf(&p); ok {
			t, tok := typeForMedia(x.Name, mt)
			if tok || mt == "" && !hasParamName(rest, "TYPE") {
				head := []Param{{Name: "ENCODING", Values: []string{"b"}}}
				if tok {
					head = append(head, Param{Name: "TYPE", Values: []string{t}})
				}
				for _, q := range rest {
					head = appendParam(head, q.Name, q.Values...)
				}
				ps, value = head, base64.StdEncoding.EncodeToString(data)
			}
		}
	}
	w.prop(x.Group, x.Name, ps, value)
}

func needsQuote(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ';' || c == ':' || c == ',' || c == ' ' || c == '\t' || c < ' ' || c == 0x7f:
			return true
		}
	}
	return false
}

// prop writes one content line, folded.
func (w *writer) prop(group, name string, ps []Param, value string) {
	if group != "" && !validName(group) {
		w.fail(fmt.Errorf("vcard: bad group name %q", group))
		return
	}
	if !validName(name) {
		w.fail(fmt.Errorf("vcard: bad property name %q", name))
		return
	}
	var b strings.Builder
	if group != "" {
		b.WriteString(group)
		b.WriteByte('.')
	}
	b.WriteString(name)
	for _, q := range ps {
		pname := strings.ToUpper(q.Name)
		if !validName(pname) {
			w.fail(fmt.Errorf("vcard: %s: bad parameter name %q", name, q.Name))
			return
		}
		b.WriteByte(';')
		b.WriteString(pname)
		b.WriteByte('=')
		for i, v := range q.Values {
			if i > 0 {
				b.WriteByte(',')
			}
			v = encodeCaret(v)
			if !utf8.ValidString(v) {
				w.fail(fmt.Errorf("vcard: %s: parameter %s is not UTF-8", name, pname))
				return
			}
			if needsQuote(v) {
				b.WriteByte('"')
				b.WriteString(v)
				b.WriteByte('"')
			} else {
				b.WriteString(v)
			}
		}
	}
	b.WriteByte(':')
	b.WriteString(value)
	line := b.String()
	if !utf8.ValidString(value) {
		w.fail(fmt.Errorf("vcard: %s: value is not UTF-8", name))
		return
	}
	if strings.ContainsAny(value, "\n") {
		w.fail(fmt.Errorf("vcard: %s: raw line end in value", name))
		return
	}
	if u := strings.ToUpper(strings.TrimSpace(line)); u == "BEGIN:VCARD" || u == "END:VCARD" {
		w.fail(fmt.Errorf("vcard: a property would read as %s", u))
		return
	}
	w.raw(line)
}

// raw writes a line folded at 75 octets, never inside a UTF-8 sequence.
func (w *writer) raw(line string) {
	const max = 75
	first := true
	for {
		n := max
		if !first {
			n = max - 1
			w.buf.WriteByte(' ')
		}
		if len(line) <= n {
			w.buf.WriteString(line)
			w.buf.WriteString("\r\n")
			return
		}
		for n > 1 && !utf8.RuneStart(line[n]) {
			n--
		}
		w.buf.WriteString(line[:n])
		w.buf.WriteString("\r\n")
		line = line[n:]
		first = false
	}
}
