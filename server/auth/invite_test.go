package auth

import (
	"regexp"
	"strings"
	"testing"
)

var inviteForm = regexp.MustCompile(`^[a-z2-7]{4}(-[a-z2-7]{4}){4}$`)

func TestInviteCodes(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		code, hash := NewInvite()
		if !inviteForm.MatchString(code) || seen[code] {
			t.Fatalf("NewInvite() = %q (seen: %v)", code, seen[code])
		}
		seen[code] = true
		for _, typed := range []string{code, strings.ToUpper(code), strings.ReplaceAll(code, "-", ""), strings.ReplaceAll(code, "-", " ") + " "} {
			if h, ok := InviteHash(typed); !ok || h != hash {
				t.Fatalf("InviteHash(%q) = %x %v, want %x", typed, h, ok, hash)
			}
		}
	}
	for _, bad := range []string{"", "abcd", "abcd-efgh-ijkl-mnop-qrs", "abcd-efgh-ijkl-mnop-qrstu", "abcd-efgh-ijkl-mnop-qrs1",
		"abcd-efgh-ijkl-mnop-qrs\u00e9", "abcd-efgh-ijkl-mnop-qrs\x00"} {
		if _, ok := InviteHash(bad); ok {
			t.Errorf("InviteHash(%q) accepted", bad)
		}
	}
}

// FuzzInviteHash: any input is accepted only when it normalises to 20
// characters of the alphabet, and then hashes as its normal form does.
func FuzzInviteHash(f *testing.F) {
	code, _ := NewInvite()
	for _, s := range []string{code, strings.ToUpper(code), "", "----", "abcd efgh ijkl mnop qrst", "ABCD-EFGH-IJKL-MNOP-QRS8"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, ok := InviteHash(s)
		norm := strings.Map(func(r rune) rune { // ASCII only: no Kelvin sign
			switch {
			case r == '-' || r == ' ':
				return -1
			case 'A' <= r && r <= 'Z':
				return r + 'a' - 'A'
			}
			return r
		}, s)
		want := len(norm) == inviteChars && strings.Trim(norm, "abcdefghijklmnopqrstuvwxyz234567") == "" && len(s) <= 4*inviteChars
		if ok != want {
			t.Fatalf("InviteHash(%q) ok = %v, want %v", s, ok, want)
		}
		if ok {
			if h2, ok2 := InviteHash(norm); !ok2 || h2 != h {
				t.Fatalf("InviteHash(%q) differs from its normal form's", s)
			}
		}
	})
}
