package wire

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
)

// The grammar of spec/protocol.md §2.1, as regular expressions: a second
// reading of the names the Check functions accept.
var (
	labelRE   = `[a-z0-9](?:[a-z0-9-]*[a-z0-9])?`
	userRE    = regexp.MustCompile(`^` + labelRE + `$`)
	doctypeRE = regexp.MustCompile(`^` + labelRE + `(?:\.` + labelRE + `)+$`)
	idRE      = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
)

// vectorNames returns the user names, doctypes and ids used in
// spec/vectors, for seeds.
func vectorNames(f *testing.F) []string {
	var names []string
	for _, file := range []string{"document.json", "manifest.json", "blob.json", "keyring.json"} {
		b, err := os.ReadFile("../../spec/vectors/" + file)
		if err != nil {
			f.Fatal(err)
		}
		var v struct {
			Vectors []struct {
				Doctype string `json:"doctype"`
				ID      string `json:"id"`
				User    string `json:"user"`
			} `json:"vectors"`
		}
		if err := json.Unmarshal(b, &v); err != nil {
			f.Fatal(err)
		}
		for _, n := range v.Vectors {
			names = append(names, n.Doctype, n.ID, n.User)
		}
	}
	return names
}

// FuzzCheckNames: no panic, and each Check accepts exactly what the grammar
// allows, within its length limit.
func FuzzCheckNames(f *testing.F) {
	for _, n := range vectorNames(f) {
		f.Add(n)
	}
	for _, n := range []string{"", "a", "-", "a-", "a.b", "a..b", ".a.b", "a.b.", "A.b", "a_b", "é.b", "a.b\n", strings.Repeat("a", 33), "home", "home."} {
		f.Add(n)
	}
	f.Fuzz(func(t *testing.T, s string) {
		user := CheckUser(s) == nil
		doctype := CheckDoctype(s) == nil
		id := CheckID(s) == nil
		if want := userRE.MatchString(s) && len(s) <= MaxUserLen; user != want {
			t.Errorf("CheckUser(%q) ok = %v, grammar says %v", s, user, want)
		}
		if want := doctypeRE.MatchString(s) && len(s) <= MaxDoctypeLen; doctype != want {
			t.Errorf("CheckDoctype(%q) ok = %v, grammar says %v", s, doctype, want)
		}
		if want := idRE.MatchString(s); id != want {
			t.Errorf("CheckID(%q) ok = %v, grammar says %v", s, id, want)
		}
		// Accepted names stay accepted, and a user name is a doctype label.
		if user && (CheckUser(strings.Clone(s)) != nil || CheckDoctype(s+"."+s) != nil && len(s+"."+s) <= MaxDoctypeLen) {
			t.Errorf("user %q does not re-validate", s)
		}
		if doctype && CheckDoctype(strings.Clone(s)) != nil {
			t.Errorf("doctype %q does not re-validate", s)
		}
		if newUser := CheckNewUser(s) == nil; newUser != (user && s != ReservedUser) {
			t.Errorf("CheckNewUser(%q) ok = %v, CheckUser %v", s, newUser, user)
		}
		if user && !id {
			t.Errorf("user %q is not a valid id", s)
		}
	})
}
