package keyring

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/hearthcloud/hearth/crypto/internal/format"
)

// Fuzz tests for what the host serves (sealed keyrings, grants) and what a
// person types (recovery keys), seeded from spec/vectors.

// FuzzOpenKeyring opens arbitrary bytes as every valid vector's keyring:
// no panic, ErrIntegrity alone, success only for the bytes of a vector
// sealed with the same secret, user and revision (a succession's fork and
// its legacy revisions share them).
func FuzzOpenKeyring(f *testing.F) {
	var valid []keyringVector
	sealedFor := map[string]map[string]bool{} // slot, secret, user, rev -> sealed bytes
	inputs := func(v keyringVector) string { return fmt.Sprint(v.Slot, v.Secret, v.User, v.Rev) }
	for _, v := range loadKeyrings(f).Vectors {
		f.Add(unhex(f, v.Sealed))
		if v.Error == "" {
			valid = append(valid, v)
			if sealedFor[inputs(v)] == nil {
				sealedFor[inputs(v)] = map[string]bool{}
			}
			sealedFor[inputs(v)][string(unhex(f, v.Sealed))] = true
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, v := range valid {
			kr, err := v.open(t, data)
			if err != nil {
				if err != ErrIntegrity || kr != nil {
					t.Fatalf("%s: open = %v, %v", v.Name, kr, err)
				}
				continue
			}
			if !sealedFor[inputs(v)][string(data)] {
				t.Fatalf("%s: %x opened, and it is not a vector's sealed bytes", v.Name, data)
			}
		}
	})
}

// FuzzOpenGrant opens arbitrary bytes as a grant for every valid vector's
// grantee, signer and user.
func FuzzOpenGrant(f *testing.F) {
	var valid []grantVector
	sealed := map[string]bool{}
	for _, v := range loadGrants(f) {
		s, err := base64.StdEncoding.DecodeString(v.Sealed)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(s)
		if v.Error == "" {
			valid = append(valid, v)
			sealed[string(s)] = true
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, v := range valid {
			g, err := v.open(t, data)
			if err != nil {
				if err != ErrIntegrity || g != nil {
					t.Fatalf("%s: open = %v, %v", v.Name, g, err)
				}
				continue
			}
			if !sealed[string(data)] {
				t.Fatalf("%s: %q opened, and it is not a vector's sealed bytes", v.Name, data)
			}
		}
	})
}

// normalize is what ParseRecoveryKey ignores: case, separators, the prefix.
func normalize(s string) string {
	s = strings.NewReplacer("-", "", " ", "", "\n", "", "\r", "", "\t", "").Replace(strings.ToUpper(s))
	return strings.TrimPrefix(s, "HEARTH")
}

// FuzzParseRecoveryKey: no panic; a string is accepted only if it is the
// canonical encoding of the key it gives, up to what the reader ignores.
func FuzzParseRecoveryKey(f *testing.F) {
	for _, v := range loadKeyrings(f).RecoveryKeys {
		f.Add(v.String)
	}
	f.Fuzz(func(t *testing.T, s string) {
		rk, err := ParseRecoveryKey(s)
		if err != nil {
			if err != ErrBadRecoveryKey || rk != nil {
				t.Fatalf("ParseRecoveryKey(%q) = %v, %v", s, rk, err)
			}
			return
		}
		if format.IsZero(rk[:]) {
			t.Fatalf("ParseRecoveryKey(%q) gave the zero key", s)
		}
		if normalize(s) != normalize(rk.String()) {
			t.Fatalf("ParseRecoveryKey(%q) accepted a non-canonical form of %s", s, rk)
		}
		if again, err := ParseRecoveryKey(rk.String()); err != nil || *again != *rk {
			t.Fatalf("%s does not parse back: %v", rk, err)
		}
	})
}

// FuzzRecoveryKeyRoundTrip: every non-zero 32-byte key survives String and
// ParseRecoveryKey, in upper or lower case; the zero key is refused.
func FuzzRecoveryKeyRoundTrip(f *testing.F) {
	for _, v := range loadKeyrings(f).RecoveryKeys {
		if v.Key != "" {
			f.Add(unhex(f, v.Key))
		}
	}
	f.Add(make([]byte, 32))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < 32 {
			return
		}
		rk := (*RecoveryKey)(b[:32])
		s := rk.String()
		if len(s) != len("HEARTH-")+11*6-1 {
			t.Fatalf("String() = %q", s)
		}
		for _, s := range []string{s, strings.ToLower(s)} {
			got, err := ParseRecoveryKey(s)
			if format.IsZero(rk[:]) {
				if err != ErrBadRecoveryKey {
					t.Fatalf("zero key: %v", err)
				}
				continue
			}
			if err != nil || *got != *rk {
				t.Fatalf("ParseRecoveryKey(%q) = %x, %v; want %x", s, got, err, rk[:])
			}
		}
	})
}
