package appmanifest

import (
	"sort"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Names that imitate others (spec/apps.md §1, "name"). Home shows an app by
// its name: an app installed from an archive may not take, or pass for, the
// name of an app that comes with Hearth ("Notes", "Notes.", "N0tes",
// "No\u200btes", "Ｎｏｔｅｓ", "Nоtes" with a Cyrillic о).

// Skeleton reduces a name to what a person reading it sees: compatibility
// forms folded (NFKD: full-width letters, ligatures), accents and
// invisible characters (format characters such as zero-width spaces and
// joiners) dropped, only letters and digits kept (no white space,
// punctuation or symbols), lower-cased, and letters and digits that look
// alike made one (Cyrillic and Greek look-alikes, 0 and o, 1, i and l, …).
// Two names with the same skeleton are taken for one another.
func Skeleton(name string) string {
	var b strings.Builder
	for _, r := range norm.NFKD.String(strings.ToValidUTF8(name, "")) {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) || unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r) {
			// Marks (accents), format characters, spaces, punctuation,
			// symbols; and the letters a browser draws as nothing (the
			// Hangul fillers, U+115F, U+1160, U+3164, U+FFA0).
			continue
		}
		if c, ok := capitals[r]; ok {
			r = c
		}
		r = unicode.ToLower(r)
		if c, ok := confusables[r]; ok {
			r = c
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Imitates reports whether name is, or passes for, other: their skeletons
// are the same (and not empty).
func Imitates(name, other string) bool {
	s := Skeleton(name)
	return s != "" && s == Skeleton(other)
}

// confusables maps letters and digits that look like a Latin letter in
// common fonts to that letter (after lower-casing): a short list of the
// usual tricks, not Unicode's whole table.
var confusables = map[rune]rune{
	// Digits.
	'0': 'o', '1': 'l', '3': 'e', '5': 's', '8': 'b',
	// Latin letters alike.
	'i': 'l', 'ı': 'l', 'ł': 'l', 'ſ': 's',
	// Cyrillic.
	'а': 'a', 'в': 'b', 'е': 'e', 'ё': 'e', 'һ': 'h', 'і': 'l', 'ї': 'l', 'ј': 'j', 'к': 'k', 'м': 'm', 'н': 'h',
	'о': 'o', 'р': 'p', 'с': 'c', 'т': 't', 'у': 'y', 'х': 'x', 'ѕ': 's', 'ԁ': 'd', 'ԛ': 'q', 'ԝ': 'w', 'ɡ': 'g',
	'ӏ': 'l', 'п': 'n',
	// Armenian.
	'օ': 'o', 'ո': 'n', 'ս': 'u', 'հ': 'h', 'ց': 'g', 'զ': 'q',
	// Greek.
	'α': 'a', 'β': 'b', 'ε': 'e', 'η': 'n', 'ι': 'l', 'κ': 'k', 'ν': 'v', 'ο': 'o', 'ρ': 'p', 'τ': 't', 'υ': 'u',
	'χ': 'x', 'γ': 'y', 'μ': 'u', 'ω': 'w', 'ς': 's',
}

// capitals maps Greek and Cyrillic capitals that look like a Latin capital
// to that letter, lower-cased (their small letters look otherwise: Ν, ν).
var capitals = map[rune]rune{
	'Α': 'a', 'Β': 'b', 'Ε': 'e', 'Ζ': 'z', 'Η': 'h', 'Ι': 'l', 'Κ': 'k', 'Μ': 'm', 'Ν': 'n', 'Ο': 'o', 'Ρ': 'p',
	'Τ': 't', 'Υ': 'y', 'Χ': 'x',
	'А': 'a', 'В': 'b', 'Е': 'e', 'К': 'k', 'М': 'm', 'Н': 'h', 'О': 'o', 'Р': 'p', 'С': 'c', 'Т': 't', 'Х': 'x',
	'І': 'l', 'Ј': 'j', 'Ѕ': 's', 'Ү': 'y',
	// Armenian.
	'Օ': 'o', 'Ս': 'u', 'Տ': 's',
	// Cherokee (capitals; their small letters, U+AB70 on, look alike too).
	'Ꭺ': 'a', 'Ᏼ': 'b', 'Ꮯ': 'c', 'Ꭰ': 'd', 'Ꭼ': 'e', 'Ꮐ': 'g', 'Ꮋ': 'h', 'Ꭻ': 'j', 'Ꮶ': 'k', 'Ꮮ': 'l',
	'Ꮇ': 'm', 'Ꮲ': 'p', 'Ꭱ': 'r', 'Ꮪ': 's', 'Ꭲ': 't', 'Ꮩ': 'v', 'Ꮃ': 'w', 'Ꮓ': 'z',
	// Lisu (all capitals).
	'ꓐ': 'b', 'ꓚ': 'c', 'ꓓ': 'd', 'ꓰ': 'e', 'ꓝ': 'f', 'ꓖ': 'g', 'ꓧ': 'h', 'ꓲ': 'l', 'ꓙ': 'j', 'ꓗ': 'k',
	'ꓡ': 'l', 'ꓟ': 'm', 'ꓠ': 'n', 'ꓑ': 'p', 'ꓣ': 'r', 'ꓢ': 's', 'ꓔ': 't', 'ꓴ': 'u', 'ꓦ': 'v', 'ꓪ': 'w',
	'ꓫ': 'x', 'ꓬ': 'y', 'ꓜ': 'z', 'ꓮ': 'a', 'ꓳ': 'o',
}

// ReservedNames are names no app may take or imitate, besides those of
// the apps that come with Hearth: Hearth's own.
var ReservedNames = []string{"Hearth", "Home"}

// BundledNames are the names of the apps that come with Hearth, by slug
// (their manifests in wasm/web/static/<slug>/, which a test holds this to),
// for clients that do not embed those manifests (the command line).
var BundledNames = map[string]string{"notes": "Notes", "tasks": "Tasks", "contacts": "Contacts", "files": "Files"}

// CheckName refuses the manifest of an app that is not bundled (bundled:
// the bundled apps' names by slug) when its name is, or passes for (see
// Imitates), a bundled app's name or one of ReservedNames: Home shows
// apps by name, and another app may not pass for one the person trusts.
// A bundled app's own manifest keeps its name. The error is an *Error
// naming the member "name".
func CheckName(m *Manifest, bundled map[string]string) error {
	if _, ok := bundled[m.Slug]; ok {
		return nil
	}
	for _, slug := range sortedKeys(bundled) {
		if Imitates(m.Name, bundled[slug]) {
			return bad("name", "%q passes for %q, an app that comes with Hearth: choose another name", m.Name, bundled[slug])
		}
	}
	for _, r := range ReservedNames {
		if Imitates(m.Name, r) {
			return bad("name", "%q passes for %q, Hearth's own: choose another name", m.Name, r)
		}
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
