package vcard

import (
	"encoding/base64"
	"encoding/json"
	"sort"
	"strings"
)

// Canonical returns the card as the set (a sorted list, duplicates kept)
// of its properties in the normal form the round-trip guarantee speaks of
// (spec/contacts.md §4): group and name upper case; parameters as sets,
// names upper case, TYPE values lower case and split at commas, TYPE=pref
// as PREF=1; values decoded (unescaped, split into components as the
// property's value type says, dates in one form, embedded data as a
// base64 data: URI). VERSION is left out.
func Canonical(card Card) []string {
	out := make([]string, 0, len(card.Props))
	for k := range card.Props {
		p := card.Props[k]
		if strings.EqualFold(p.Name, "VERSION") && p.Group == "" {
			continue
		}
		out = append(out, canonProp(p))
	}
	sort.Strings(out)
	return out
}

func canonProp(p Property) string {
	name := strings.ToUpper(p.Name)
	var value [][]string
	params := p.Params
	if mt, data, rest, ok := binaryOf(&p); ok {
		value = [][]string{{"data:" + mt + ";base64," + base64.StdEncoding.EncodeToString(data)}}
		params = rest
	} else {
		switch name {
		case "FN", "NOTE", "TITLE", "ROLE", "EMAIL", "TEL", "URL", "IMPP", "RELATED", "KIND",
			"UID", "REV", "X-ABLABEL", "X-HEARTH-FIELD", "PHOTO":
			value = [][]string{{unescapeText(p.Value)}}
		case "BDAY", "ANNIVERSARY":
			value = [][]string{{normDate(unescapeText(p.Value))}}
		case "N", "ADR":
			for _, c := range splitUnescaped(p.Value, ';') {
				value = append(value, []string{listJoin(c)})
			}
			value = trimEmpty(value)
		case "ORG", "GENDER":
			for _, c := range splitUnescaped(p.Value, ';') {
				value = append(value, []string{unescapeText(c)})
			}
			value = trimEmpty(value)
		case "NICKNAME", "CATEGORIES":
			var items []string
			for _, c := range splitUnescaped(p.Value, ',') {
				items = append(items, unescapeText(c))
			}
			value = [][]string{items}
		default:
			for _, c := range splitUnescaped(p.Value, ';') {
				var items []string
				for _, it := range splitUnescaped(c, ',') {
					items = append(items, unescapeText(it))
				}
				value = append(value, items)
			}
		}
		if name == "PHOTO" {
			params = dropURIValue(params, false)
		}
	}
	m := map[string]map[string]bool{}
	add := func(n, v string) {
		if m[n] == nil {
			m[n] = map[string]bool{}
		}
		m[n][v] = true
	}
	typePref, hasPref := false, false
	for _, q := range params {
		switch q.Name {
		case "TYPE":
			for _, v := range q.Values {
				for _, t := range strings.Split(v, ",") {
					t = strings.ToLower(strings.TrimSpace(t))
					switch t {
					case "":
					case "pref":
						typePref = true
					default:
						add("TYPE", t)
					}
				}
			}
		case "PREF":
			hasPref = true
			for _, v := range q.Values {
				add("PREF", v)
			}
		default:
			if len(q.Values) == 0 {
				add(q.Name, "")
			}
			for _, v := range q.Values {
				add(q.Name, v)
			}
		}
	}
	if typePref && !hasPref {
		add("PREF", "1")
	}
	type kv struct {
		N string
		V []string
	}
	var ps []kv
	for n, vs := range m {
		l := make([]string, 0, len(vs))
		for v := range vs {
			l = append(l, v)
		}
		sort.Strings(l)
		ps = append(ps, kv{n, l})
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].N < ps[j].N })
	b, _ := json.Marshal(struct {
		G string
		N string
		P []kv
		V [][]string
	}{strings.ToUpper(p.Group), name, ps, value})
	return string(b)
}

func trimEmpty(v [][]string) [][]string {
	for len(v) > 0 && len(v[len(v)-1]) == 1 && v[len(v)-1][0] == "" {
		v = v[:len(v)-1]
	}
	return v
}
