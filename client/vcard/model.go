package vcard

import (
	"encoding/base64"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Doctype is the doctype of contact documents.
const Doctype = "io.hearth.contacts"

// Contact is the JSON content of one io.hearth.contacts document, version 1
// (spec/contacts.md §2). The zero value of a member means "absent".
type Contact struct {
	V           int             `json:"v"`
	Kind        string          `json:"kind,omitempty"`
	Name        Name            `json:"name"`
	Nickname    []string        `json:"nickname,omitempty"`
	Photo       *Photo          `json:"photo,omitempty"`
	Birthday    string          `json:"birthday,omitempty"`
	Anniversary string          `json:"anniversary,omitempty"`
	Gender      *Gender         `json:"gender,omitempty"`
	Emails      []Entry         `json:"emails,omitempty"`
	Phones      []Entry         `json:"phones,omitempty"`
	Addresses   []Address       `json:"addresses,omitempty"`
	Org         *Org            `json:"org,omitempty"`
	Title       string          `json:"title,omitempty"`
	Role        string          `json:"role,omitempty"`
	URLs        []Entry         `json:"urls,omitempty"`
	IMPP        []Entry         `json:"impp,omitempty"`
	Related     []Entry         `json:"related,omitempty"`
	Notes       string          `json:"notes,omitempty"`
	Categories  []string        `json:"categories,omitempty"`
	UID         string          `json:"uid,omitempty"`
	Rev         string          `json:"rev,omitempty"`
	Fields      []Entry         `json:"fields,omitempty"`
	Meta        map[string]Meta `json:"meta,omitempty"`
	Extra       []Extra         `json:"extra,omitempty"`
}

// Name is N and FN. Each part of N that is a list in vCard is one string
// here with its items joined by ",".
type Name struct {
	Full       string `json:"full,omitempty"`
	Given      string `json:"given,omitempty"`
	Family     string `json:"family,omitempty"`
	Additional string `json:"additional,omitempty"`
	Prefix     string `json:"prefix,omitempty"`
	Suffix     string `json:"suffix,omitempty"`
}

func (n Name) parts() []string {
	return []string{n.Family, n.Given, n.Additional, n.Prefix, n.Suffix}
}

// Entry is one item of a list: an email address, a phone number, a URL, an
// instant-messaging address, a related person, or a free field.
type Entry struct {
	Value  string              `json:"value"`
	Types  []string            `json:"types,omitempty"`
	Pref   int                 `json:"pref,omitempty"`
	Label  string              `json:"label,omitempty"`
	Group  string              `json:"group,omitempty"`
	Params map[string][]string `json:"params,omitempty"`
}

// Address is one ADR.
type Address struct {
	POBox    string              `json:"pobox,omitempty"`
	Extended string              `json:"extended,omitempty"`
	Street   string              `json:"street,omitempty"`
	Locality string              `json:"locality,omitempty"`
	Region   string              `json:"region,omitempty"`
	Postcode string              `json:"postcode,omitempty"`
	Country  string              `json:"country,omitempty"`
	Types    []string            `json:"types,omitempty"`
	Pref     int                 `json:"pref,omitempty"`
	Label    string              `json:"label,omitempty"`
	Group    string              `json:"group,omitempty"`
	Params   map[string][]string `json:"params,omitempty"`
}

func (a Address) parts() []string {
	return []string{a.POBox, a.Extended, a.Street, a.Locality, a.Region, a.Postcode, a.Country}
}

// Photo is an embedded image (Type and Data, base64) or a link (URI).
type Photo struct {
	Type string `json:"type,omitempty"`
	Data string `json:"data,omitempty"`
	URI  string `json:"uri,omitempty"`
}

// Gender is GENDER: sex is M, F, O, N, U or empty; identity is free text.
type Gender struct {
	Sex      string `json:"sex,omitempty"`
	Identity string `json:"identity,omitempty"`
}

// Org is ORG: the organization and its units, outermost first.
type Org struct {
	Name  string   `json:"name,omitempty"`
	Units []string `json:"units,omitempty"`
}

// Meta is what a single-valued member's vCard property had besides its
// value: its group and parameters.
type Meta struct {
	Group  string              `json:"group,omitempty"`
	Params map[string][]string `json:"params,omitempty"`
}

// Extra is a property the model has no member for, kept as read: Value is
// in vCard 3.0/4.0 escaped form.
type Extra struct {
	Name   string              `json:"name"`
	Group  string              `json:"group,omitempty"`
	Params map[string][]string `json:"params,omitempty"`
	Value  string              `json:"value"`
}

// Single-valued members and the property each comes from.
var singleProps = map[string]bool{
	"FN": true, "N": true, "NICKNAME": true, "PHOTO": true, "BDAY": true, "ANNIVERSARY": true,
	"GENDER": true, "ORG": true, "TITLE": true, "ROLE": true, "NOTE": true, "CATEGORIES": true,
	"UID": true, "REV": true, "KIND": true,
}

// entryProp reports whether p becomes an Entry or an Address.
func entryProp(p *Property) bool {
	if p.hasParam("ENCODING") {
		return false // binary, or an undecodable character set: kept as is
	}
	switch strings.ToUpper(p.Name) {
	case "EMAIL", "TEL", "URL", "IMPP", "RELATED", "X-HEARTH-FIELD":
		return true
	case "ADR":
		return len(splitUnescaped(p.Value, ';')) <= 7
	}
	return false
}

// Decode maps a card to a contact. Nothing is lost: what the model has no
// member for goes to Extra. The only exception is a photo over
// MaxPhotoBytes, left out with a warning.
func Decode(card Card) (Contact, []Warning) {
	c := Contact{V: 1}
	var warns []Warning

	// Labels: a group with exactly one entry property and exactly one
	// parameterless, non-empty X-ABLabel gives the entry its label.
	type gstat struct {
		entries, labels int
		label           string
		ok              bool
	}
	groups := map[string]*gstat{}
	for k := range card.Props {
		p := &card.Props[k]
		if p.Group == "" {
			continue
		}
		g := groups[strings.ToUpper(p.Group)]
		if g == nil {
			g = &gstat{}
			groups[strings.ToUpper(p.Group)] = g
		}
		switch {
		case entryProp(p):
			g.entries++
		case strings.EqualFold(p.Name, "X-ABLABEL"):
			g.labels++
			g.label = unescapeText(p.Value)
			g.ok = len(p.Params) == 0 && g.label != ""
		}
	}
	labelOf := func(group string) (string, bool) {
		g := groups[strings.ToUpper(group)]
		if g != nil && g.entries == 1 && g.labels == 1 && g.ok {
			return g.label, true
		}
		return "", false
	}

	seen := map[string]bool{}
	for k := range card.Props {
		p := card.Props[k]
		name := strings.ToUpper(p.Name)
		if name == "X-ABLABEL" {
			if _, ok := labelOf(p.Group); ok {
				continue
			}
		}
		if entryProp(&p) {
			label, _ := labelOf(p.Group)
			if name == "ADR" {
				a := Address{Label: label, Group: p.Group}
				a.Types, a.Pref, a.Params = entryParams(p.Params)
				comps := splitUnescaped(p.Value, ';')
				for len(comps) < 7 {
					comps = append(comps, "")
				}
				f := []*string{&a.POBox, &a.Extended, &a.Street, &a.Locality, &a.Region, &a.Postcode, &a.Country}
				for i := range f {
					*f[i] = listJoin(comps[i])
				}
				c.Addresses = append(c.Addresses, a)
				continue
			}
			e := Entry{Value: unescapeText(p.Value), Label: label, Group: p.Group}
			e.Types, e.Pref, e.Params = entryParams(p.Params)
			switch name {
			case "EMAIL":
				c.Emails = append(c.Emails, e)
			case "TEL":
				c.Phones = append(c.Phones, e)
			case "URL":
				c.URLs = append(c.URLs, e)
			case "IMPP":
				c.IMPP = append(c.IMPP, e)
			case "RELATED":
				c.Related = append(c.Related, e)
			case "X-HEARTH-FIELD":
				c.Fields = append(c.Fields, e)
			}
			continue
		}
		if singleProps[name] && !seen[name] && (name == "PHOTO" || !p.hasParam("ENCODING")) {
			if params, w, ok := c.decodeSingle(name, p); ok {
				seen[name] = true
				if c.Meta == nil {
					c.Meta = map[string]Meta{}
				}
				if p.Group != "" || len(params) > 0 {
					c.Meta[name] = Meta{Group: p.Group, Params: paramMap(params)}
				}
				continue
			} else if w != "" {
				warns = append(warns, Warning{Line: p.Line, Prop: p.Name, Msg: w})
				continue
			}
		}
		c.Extra = append(c.Extra, Extra{Name: p.Name, Group: p.Group, Params: paramMap(p.Params), Value: p.Value})
	}
	if len(c.Meta) == 0 {
		c.Meta = nil
	}
	return c, warns
}

// decodeSingle sets the member for p if p has a value the model can hold,
// and returns the parameters left for Meta. A non-empty warning with ok

// textFields are the single text properties of the model and the field
// of Contact each fills: one table for reading and writing them.
var textFields = map[string]func(*Contact) *string{
	"FN":    func(c *Contact) *string { return &c.Name.Full },
	"TITLE": func(c *Contact) *string { return &c.Title },
	"ROLE":  func(c *Contact) *string { return &c.Role },
	"NOTE":  func(c *Contact) *string { return &c.Notes },
	"UID":   func(c *Contact) *string { return &c.UID },
	"REV":   func(c *Contact) *string { return &c.Rev },
	"KIND":  func(c *Contact) *string { return &c.Kind },
}

// false means p is dropped.
func (c *Contact) decodeSingle(name string, p Property) (params []Param, warning string, ok bool) {
	params = p.Params
	switch name {
	case "N":
		comps := splitUnescaped(p.Value, ';')
		if len(comps) > 5 {
			return nil, "", false
		}
		for len(comps) < 5 {
			comps = append(comps, "")
		}
		full := c.Name.Full
		c.Name = Name{Full: full, Family: listJoin(comps[0]), Given: listJoin(comps[1]), Additional: listJoin(comps[2]), Prefix: listJoin(comps[3]), Suffix: listJoin(comps[4])}
		return params, "", true
	case "PHOTO":
		ph, params, ok := decodeMedia(p)
		if !ok {
			return nil, "", false
		}
		if ph.Data != "" && base64.StdEncoding.DecodedLen(len(ph.Data)) > MaxPhotoBytes+3 {
			return nil, fmt.Sprintf("photo of %d KiB left out (over %d KiB)", base64.StdEncoding.DecodedLen(len(ph.Data))>>10, MaxPhotoBytes>>10), false
		}
		c.Photo = &ph
		return params, "", true
	}
	v := unescapeText(p.Value)
	switch name {
	case "NICKNAME", "CATEGORIES":
		items := splitUnescaped(p.Value, ',')
		for i := range items {
			items[i] = unescapeText(items[i])
		}
		if name == "NICKNAME" {
			c.Nickname = items
		} else {
			c.Categories = items
		}
		return params, "", true
	}
	if v == "" {
		return nil, "", false
	}
	if f, ok := textFields[name]; ok {
		*f(c) = v
		return params, "", true
	}
	switch name {
	case "BDAY":
		c.Birthday = normDate(v)
	case "ANNIVERSARY":
		c.Anniversary = normDate(v)
	case "GENDER":
		comps := splitUnescaped(p.Value, ';')
		if len(comps) > 2 {
			return nil, "", false
		}
		g := Gender{Sex: unescapeText(comps[0])}
		if len(comps) == 2 {
			g.Identity = unescapeText(comps[1])
		}
		if g.Sex == "" && g.Identity == "" {
			return nil, "", false
		}
		c.Gender = &g
	case "ORG":
		comps := splitUnescaped(p.Value, ';')
		for i := range comps {
			comps[i] = unescapeText(comps[i])
		}
		for len(comps) > 0 && comps[len(comps)-1] == "" {
			comps = comps[:len(comps)-1]
		}
		if len(comps) == 0 {
			return nil, "", false
		}
		c.Org = &Org{Name: comps[0]}
		if len(comps) > 1 {
			c.Org.Units = comps[1:]
		}
	default:
		return nil, "", false
	}
	return params, "", true
}

// entryParams splits TYPE and PREF off: types lower case without "pref"
// (which becomes pref 1 when there is no PREF), pref from a single PREF of
// 1 to 100; everything else is returned as a map.
func entryParams(ps []Param) (types []string, pref int, rest map[string][]string) {
	var prefs []string
	typePref := false
	for _, q := range ps {
		switch q.Name {
		case "TYPE":
			for _, v := range q.Values {
				for _, t := range strings.Split(v, ",") {
					t = strings.ToLower(strings.TrimSpace(t))
					switch {
					case t == "":
					case t == "pref":
						typePref = true
					case !contains(types, t):
						types = append(types, t)
					}
				}
			}
		case "PREF":
			prefs = append(prefs, q.Values...)
		default:
			if rest == nil {
				rest = map[string][]string{}
			}
			rest[q.Name] = append(rest[q.Name], q.Values...)
		}
	}
	switch {
	case len(prefs) == 1 && validPref(prefs[0]):
		pref, _ = strconv.Atoi(prefs[0])
	case len(prefs) > 0:
		if rest == nil {
			rest = map[string][]string{}
		}
		rest["PREF"] = prefs
	case typePref:
		pref = 1
	}
	return types, pref, rest
}

func validPref(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n >= 1 && n <= 100 && strconv.Itoa(n) == s
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func paramMap(ps []Param) map[string][]string {
	if len(ps) == 0 {
		return nil
	}
	m := map[string][]string{}
	for _, q := range ps {
		m[q.Name] = append(m[q.Name], q.Values...)
	}
	return m
}

// mapParams turns a map back into parameters, names sorted.
func mapParams(m map[string][]string) []Param {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	ps := make([]Param, 0, len(names))
	for _, n := range names {
		ps = append(ps, Param{Name: strings.ToUpper(n), Values: m[n]})
	}
	return ps
}

// splitUnescaped splits s at each sep not escaped by a backslash; the
// pieces keep their escapes.
func splitUnescaped(s string, sep byte) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case sep:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// listJoin unescapes a component that may be a ","-separated list and
// joins its items with ",".
func listJoin(comp string) string {
	items := splitUnescaped(comp, ',')
	for i := range items {
		items[i] = unescapeText(items[i])
	}
	return strings.Join(items, ",")
}

// unescapeText undoes text escaping: \n \N newline, \, \; \\ the
// character, and \: and \" (which Apple's exports write) the character;
// any other backslash is kept.
func unescapeText(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			switch s[i+1] {
			case 'n', 'N':
				b.WriteByte('\n')
				i++
				continue
			case ',', ';', ':', '"', '\\':
				b.WriteByte(s[i+1])
				i++
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// escapeText escapes text for a value: \ , ; and line ends.
func escapeText(s string) string {
	if !strings.ContainsAny(s, "\\,;\n") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', ',', ';':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				continue
			}
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// escapeComp escapes a structured component whose "," are list separators.
func escapeComp(s string) string {
	items := strings.Split(s, ",")
	for i := range items {
		items[i] = escapeText(items[i])
	}
	return strings.Join(items, ",")
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// normDate writes the dates vCard allows in several forms one way:
// 19850412 and 1985-04-12 as 1985-04-12, --0412 and --04-12 as --04-12,
// keeping any time after them as written. Other text is returned as is.
func normDate(s string) string {
	date, rest := s, ""
	if i := strings.IndexByte(s, 'T'); i >= 0 {
		date, rest = s[:i], s[i:]
	}
	switch {
	case len(date) == 8 && isDigits(date):
		return date[:4] + "-" + date[4:6] + "-" + date[6:] + rest
	case len(date) == 10 && isDigits(date[:4]) && date[4] == '-' && isDigits(date[5:7]) && date[7] == '-' && isDigits(date[8:]):
		return date + rest
	case len(date) == 6 && date[:2] == "--" && isDigits(date[2:]):
		return "--" + date[2:4] + "-" + date[4:] + rest
	case len(date) == 7 && date[:2] == "--" && isDigits(date[2:4]) && date[4] == '-' && isDigits(date[5:]):
		return date + rest
	}
	return s
}

// basicDate is normDate's result in ISO 8601 basic format (vCard 4.0).
func basicDate(s string) string {
	n := normDate(s)
	if n != s {
		return s
	}
	date, rest := s, ""
	if i := strings.IndexByte(s, 'T'); i >= 0 {
		date, rest = s[:i], s[i:]
	}
	switch {
	case len(date) == 10 && isDigits(date[:4]) && date[4] == '-' && date[7] == '-':
		return date[:4] + date[5:7] + date[8:] + rest
	case len(date) == 7 && date[:2] == "--" && date[4] == '-':
		return "--" + date[2:4] + date[5:] + rest
	}
	return s
}

// DisplayLabel is the text to show for a label: Apple's built-in labels
// are written _$!<Name>!$_ and show as Name.
func DisplayLabel(label string) string {
	if strings.HasPrefix(label, "_$!<") && strings.HasSuffix(label, ">!$_") && len(label) > 8 {
		return label[4 : len(label)-4]
	}
	return label
}
