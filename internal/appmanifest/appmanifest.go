// Package appmanifest reads and checks an app's manifest, hearth-app.json
// (spec/apps.md §1): what the app is, the doctypes and verbs it asks for
// and why, its entry page and the intents it serves. It is strict: any
// member the format does not define, a member given twice or a value that
// breaks a rule is an error that names the member.
//
// It also reads and writes an app's archive, a .zip within the limits of
// spec/apps.md §2 (archive.go), and refuses a name that passes for that of
// an app that comes with Hearth (names.go: Skeleton, CheckName). The
// server, the CLI and the browser all check apps with it.
package appmanifest

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hearthcloud/hearth/internal/jsonscan"
	"github.com/hearthcloud/hearth/internal/wire"
)

// Manifest is an app's manifest.
type Manifest struct {
	Slug        string
	Name        string
	Version     Version
	Description string
	Entry       string
	Permissions []Permission
	Intents     []Intent
	// Features are the browser features the app asks to use (spec/apps.md
	// §1, "features"), in the manifest's order: every other one of
	// Features' names is denied to its origin (Permissions-Policy).
	Features []Feature
}

// Feature is a browser feature an app asks for, and why.
type Feature struct {
	Name   string // one of FeatureNames
	Reason string
}

// FeatureNames are the browser features an origin of Hearth is denied
// unless its app's manifest asks for them (spec/web.md §2), as
// Permissions-Policy names them.
var FeatureNames = []string{"camera", "microphone", "geolocation", "usb", "serial", "hid", "payment", "clipboard-read"}

// Version is MAJOR.MINOR.PATCH.
type Version struct{ Major, Minor, Patch uint32 }

func (v Version) String() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch) }

// Less reports whether v comes before w.
func (v Version) Less(w Version) bool {
	if v.Major != w.Major {
		return v.Major < w.Major
	}
	if v.Minor != w.Minor {
		return v.Minor < w.Minor
	}
	return v.Patch < w.Patch
}

// Permission is a doctype an app asks for, the verbs, and why.
type Permission struct {
	Doctype string
	Verbs   []string // of read, write, delete, in the manifest's order
	Reason  string
}

// Intent is something the app does for other apps.
type Intent struct {
	Action  string
	Doctype string
	Title   string
	Href    string
}

// MaxSize bounds a manifest.
const MaxSize = 64 << 10

// Error is a manifest that breaks a rule: Field names the member
// ("permissions[1].verbs[0]"; "" for the whole manifest).
type Error struct {
	Field   string
	Problem string
}

func (e *Error) Error() string {
	if e.Field == "" {
		return "app manifest: " + e.Problem
	}
	return "app manifest: " + e.Field + ": " + e.Problem
}

func bad(field, format string, a ...any) error {
	return &Error{Field: field, Problem: fmt.Sprintf(format, a...)}
}

var reservedSlugs = map[string]bool{"www": true, "home": true, "api": true, "admin": true, "hearth": true, "static": true, "assets": true}

// internalDoctypes are Hearth's own: no app may ask for them.
var internalDoctypes = map[string]bool{"io.hearth.apps": true, "io.hearth.grants": true, "io.hearth.passkeys": true}

// Internal reports whether doctype is Hearth's own (the apps a person
// agreed to, the grantee records, the passkeys' records): no app or
// device is ever granted it, whatever asks.
func Internal(doctype string) bool { return internalDoctypes[doctype] }

var verbs = map[string]bool{"read": true, "write": true, "delete": true}

// needs gives the verb an intent's action needs on its doctype.
var needs = map[string]string{"create": "write", "edit": "write", "view": "read", "pick": "read"}

// Parse reads and checks a manifest.
func Parse(b []byte) (*Manifest, error) {
	if len(b) > MaxSize {
		return nil, bad("", "larger than %d bytes", MaxSize)
	}
	if !utf8.Valid(b) {
		return nil, bad("", "not UTF-8")
	}
	p := &parser{s: &jsonscan.Scanner{B: b}}
	m, err := p.manifest()
	if err != nil {
		return nil, err
	}
	if err := p.s.End(); err != nil {
		return nil, bad("", "not one JSON object (something follows it)")
	}
	return m, nil
}

type parser struct{ s *jsonscan.Scanner }

// object reads an object whose members are names (required ones marked
// with a leading "!"), calling member for each; field names it in errors.
func (p *parser) object(field string, names []string, member func(name, field string) error) error {
	p.s.WS()
	if p.s.I >= len(p.s.B) || p.s.B[p.s.I] != '{' {
		return bad(field, "not an object")
	}
	allowed := map[string]bool{}
	for _, n := range names {
		allowed[strings.TrimPrefix(n, "!")] = true
	}
	seen := map[string]bool{}
	sub := func(n string) string {
		if field == "" {
			return n
		}
		return field + "." + n
	}
	var inner error
	err := p.s.Object(nil, func(name string) error {
		switch {
		case !allowed[name]:
			inner = bad(sub(name), "not a member of an app manifest here")
		case seen[name]:
			inner = bad(sub(name), "given twice")
		default:
			seen[name] = true
			inner = member(name, sub(name))
		}
		return inner
	})
	if inner != nil {
		return inner
	}
	if err != nil {
		return bad(field, "malformed JSON")
	}
	for _, n := range names {
		if strings.HasPrefix(n, "!") && !seen[n[1:]] {
			return bad(sub(n[1:]), "missing")
		}
	}
	return nil
}

func (p *parser) str(field string) (string, error) {
	p.s.WS()
	if p.s.I >= len(p.s.B) || p.s.B[p.s.I] != '"' {
		return "", bad(field, "not a string")
	}
	b, err := p.s.Str()
	if err != nil {
		return "", bad(field, "malformed string")
	}
	return string(b), nil
}

func (p *parser) array(field string, max int, elem func(i int, field string) error) (int, error) {
	p.s.WS()
	if p.s.I >= len(p.s.B) || p.s.B[p.s.I] != '[' {
		return 0, bad(field, "not an array")
	}
	n := 0
	var inner error
	err := p.s.Array(func() error {
		if n >= max {
			inner = bad(field, "more than %d items", max)
			return inner
		}
		inner = elem(n, field+"["+strconv.Itoa(n)+"]")
		n++
		return inner
	})
	if inner != nil {
		return n, inner
	}
	if err != nil {
		return n, bad(field, "malformed JSON")
	}
	return n, nil
}

// text checks a name, title, reason or description.
func text(field, v string, max int) error {
	if utf8.RuneCountInString(v) > max {
		return bad(field, "longer than %d characters", max)
	}
	if strings.TrimSpace(v) == "" {
		return bad(field, "empty")
	}
	for _, r := range v {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == '\u2028' || r == '\u2029' {
			return bad(field, "holds a control character")
		}
	}
	return nil
}

// path checks a page's path in the app's folder; fragment allows a
// "#fragment" after it.
func path(field, v string, fragment bool) error {
	rest, frag, hasFrag := strings.Cut(v, "#")
	if hasFrag && !fragment {
		return bad(field, "a path without #")
	}
	if err := checkPath(rest); err != nil {
		return bad(field, "%s", err.Error())
	}
	if !strings.HasSuffix(rest, ".html") {
		return bad(field, "not a page (.html)")
	}
	for i := 0; i < len(frag); i++ {
		if frag[i] < 0x21 || frag[i] > 0x7e {
			return bad(field, "the fragment holds a character that is not printable ASCII")
		}
	}
	return nil
}

// checkPath checks a path in the app's folder (spec/apps.md §1, *paths*).
func checkPath(v string) error {
	if len(v) > 200 || v == "" {
		return errors.New("empty or longer than 200 bytes")
	}
	for _, seg := range strings.Split(v, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("%q is not a path in the app's folder", v)
		}
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
				return fmt.Errorf("%q is not a path in the app's folder (letters, digits, '.', '_' and '-' only)", v)
			}
		}
	}
	return nil
}

func checkSlug(field, v string) error {
	ok := len(v) >= 1 && len(v) <= 32 && v[0] >= 'a' && v[0] <= 'z' && v[len(v)-1] != '-' && !strings.Contains(v, "--")
	for i := 0; ok && i < len(v); i++ {
		c := v[i]
		ok = 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-'
	}
	if !ok {
		return bad(field, "%q is not a slug (a-z, 0-9 and -, starting with a letter, at most 32)", v)
	}
	if reservedSlugs[v] {
		return bad(field, "%q is reserved", v)
	}
	return nil
}

func parseVersion(field, v string) (Version, error) {
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		return Version{}, bad(field, "%q is not MAJOR.MINOR.PATCH", v)
	}
	var n [3]uint32
	for i, s := range parts {
		x, err := strconv.ParseUint(s, 10, 32)
		if err != nil || x >= 1e9 || s != strconv.FormatUint(x, 10) {
			return Version{}, bad(field, "%q is not MAJOR.MINOR.PATCH (decimal numbers, no leading zeros)", v)
		}
		n[i] = uint32(x)
	}
	return Version{n[0], n[1], n[2]}, nil
}

func (p *parser) manifest() (*Manifest, error) {
	m := &Manifest{Entry: "index.html"}
	err := p.object("", []string{"!hearth", "!slug", "!name", "!version", "description", "entry", "!permissions", "intents", "features"}, func(name, field string) error {
		switch name {
		case "hearth":
			lit, err := p.s.Number()
			if err != nil || string(lit) != "1" {
				return bad(field, "not 1 (this reader knows version 1 of the format)")
			}
			return nil
		case "slug":
			v, err := p.str(field)
			if err != nil {
				return err
			}
			m.Slug = v
			return checkSlug(field, v)
		case "name":
			v, err := p.str(field)
			if err != nil {
				return err
			}
			m.Name = v
			return text(field, v, 60)
		case "version":
			v, err := p.str(field)
			if err != nil {
				return err
			}
			m.Version, err = parseVersion(field, v)
			return err
		case "description":
			v, err := p.str(field)
			if err != nil {
				return err
			}
			m.Description = v
			if v == "" {
				return nil
			}
			return text(field, v, 300)
		case "entry":
			v, err := p.str(field)
			if err != nil {
				return err
			}
			m.Entry = v
			return path(field, v, false)
		case "permissions":
			_, err := p.array(field, 32, func(i int, field string) error {
				var pm Permission
				err := p.object(field, []string{"!doctype", "!verbs", "!reason"}, func(name, field string) error {
					switch name {
					case "doctype":
						v, err := p.str(field)
						if err != nil {
							return err
						}
						pm.Doctype = v
						if wire.CheckDoctype(v) != nil {
							return bad(field, "%q is not a doctype (reverse-DNS labels, such as io.hearth.notes)", v)
						}
						if internalDoctypes[v] {
							return bad(field, "%q is Hearth's own: no app may have it", v)
						}
						return nil
					case "verbs":
						_, err := p.array(field, 3, func(i int, field string) error {
							v, err := p.str(field)
							if err != nil {
								return err
							}
							if !verbs[v] {
								return bad(field, "%q is not a verb (read, write, delete)", v)
							}
							for _, w := range pm.Verbs {
								if w == v {
									return bad(field, "%q given twice", v)
								}
							}
							pm.Verbs = append(pm.Verbs, v)
							return nil
						})
						if err == nil && len(pm.Verbs) == 0 {
							return bad(field, "empty")
						}
						return err
					default: // reason
						v, err := p.str(field)
						if err != nil {
							return err
						}
						pm.Reason = v
						return text(field, v, 200)
					}
				})
				if err != nil {
					return err
				}
				for _, q := range m.Permissions {
					if q.Doctype == pm.Doctype {
						return bad(field+".doctype", "%q asked for twice", pm.Doctype)
					}
				}
				m.Permissions = append(m.Permissions, pm)
				return nil
			})
			if err == nil && len(m.Permissions) == 0 {
				return bad(field, "empty: an app asks for at least one doctype")
			}
			return err
		case "features":
			err := p.object(field, FeatureNames, func(name, field string) error {
				v, err := p.str(field)
				if err != nil {
					return err
				}
				m.Features = append(m.Features, Feature{Name: name, Reason: v})
				return text(field, v, 200)
			})
			if e, ok := err.(*Error); ok && e.Field != field && strings.HasPrefix(e.Problem, "not a member") {
				e.Problem = "not a browser feature an app may ask for (" + strings.Join(FeatureNames, ", ") + ")"
			}
			return err
		default: // intents
			_, err := p.array(field, 16, func(i int, field string) error {
				var in Intent
				err := p.object(field, []string{"!action", "!doctype", "!title", "!href"}, func(name, field string) error {
					v, err := p.str(field)
					if err != nil {
						return err
					}
					switch name {
					case "action":
						in.Action = v
						if len(v) < 1 || len(v) > 20 || strings.Trim(v, "abcdefghijklmnopqrstuvwxyz") != "" {
							return bad(field, "%q is not an action (1 to 20 of a-z)", v)
						}
					case "doctype":
						in.Doctype = v
						if wire.CheckDoctype(v) != nil {
							return bad(field, "%q is not a doctype", v)
						}
					case "title":
						in.Title = v
						return text(field, v, 60)
					default: // href
						in.Href = v
						return path(field, v, true)
					}
					return nil
				})
				if err != nil {
					return err
				}
				for _, o := range m.Intents {
					if o.Action == in.Action && o.Doctype == in.Doctype {
						return bad(field, "%s of %s given twice", in.Action, in.Doctype)
					}
				}
				m.Intents = append(m.Intents, in)
				return nil
			})
			return err
		}
	})
	if err != nil {
		return nil, err
	}
	// Intents are checked against the permissions, whichever came first.
	for i, in := range m.Intents {
		field := "intents[" + strconv.Itoa(i) + "]"
		var pm *Permission
		for j := range m.Permissions {
			if m.Permissions[j].Doctype == in.Doctype {
				pm = &m.Permissions[j]
			}
		}
		if pm == nil {
			return nil, bad(field+".doctype", "%q is not one of the app's permissions", in.Doctype)
		}
		if verb, ok := needs[in.Action]; ok && !contains(pm.Verbs, verb) {
			return nil, bad(field+".action", "%s of %s needs %s on it", in.Action, in.Doctype, verb)
		}
	}
	return m, nil
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// ErrNotManifest matches every *Error (errors.Is), for callers that only
// need to know a manifest was refused.
var ErrNotManifest = errors.New("app manifest refused")

// Is makes errors.Is(err, ErrNotManifest) true for every *Error.
func (e *Error) Is(target error) bool { return target == ErrNotManifest }

// CheckSlug checks an app's slug (spec/apps.md §1).
func CheckSlug(slug string) error { return checkSlug("slug", slug) }

// ParseVersion reads MAJOR.MINOR.PATCH (spec/apps.md §1).
func ParseVersion(v string) (Version, error) { return parseVersion("version", v) }
