package totp

import (
	"bytes"
	"net/url"
	"testing"
	"time"
)

// RFC 6238 Appendix B, SHA-1, truncated to six digits.
func TestRFC6238Vectors(t *testing.T) {
	secret := []byte("12345678901234567890")
	for _, c := range []struct {
		unix int64
		want string
	}{{59, "287082"}, {1111111109, "081804"}, {1111111111, "050471"}, {1234567890, "005924"}, {2000000000, "279037"}} {
		if got := Code(secret, time.Unix(c.unix, 0)); got != c.want {
			t.Errorf("Code at %d = %s, want %s", c.unix, got, c.want)
		}
	}
}

func TestVerifySkewAndSteps(t *testing.T) {
	secret := NewSecret()
	now := time.Unix(1795000000, 0)
	for d, ok := range map[time.Duration]bool{0: true, -30 * time.Second: true, 30 * time.Second: true, -60 * time.Second: false, 90 * time.Second: false} {
		step, got := Verify(secret, Code(secret, now.Add(d)), now)
		if got != ok || ok && step != Step(now.Add(d)) {
			t.Errorf("offset %v: ok=%v step=%d", d, got, step)
		}
	}
	for _, bad := range []string{"", "12345", "1234567", "abcdef"} {
		if _, ok := Verify(secret, bad, now); ok {
			t.Errorf("accepted %q", bad)
		}
	}
	if _, ok := Verify(NewSecret(), Code(secret, now), now); ok {
		t.Error("code of another secret accepted")
	}
}

func TestURI(t *testing.T) {
	secret := NewSecret()
	u, err := URI(secret, "alice")
	if err != nil {
		t.Fatal(err)
	}
	p, err := url.Parse(u)
	if err != nil || p.Scheme != "otpauth" || p.Host != "totp" || p.Query().Get("issuer") != Issuer || p.Query().Get("secret") != b32.EncodeToString(secret) {
		t.Fatalf("URI = %s", u)
	}
}

func TestRecoveryCodes(t *testing.T) {
	codes, hashes := NewRecoveryCodes(RecoveryCodeCount)
	if len(codes) != RecoveryCodeCount || len(hashes) != RecoveryCodeCount {
		t.Fatal("wrong count")
	}
	seen := map[string]bool{}
	for i, c := range codes {
		if len(c) != 14 || c[4] != '-' || c[9] != '-' || seen[c] {
			t.Fatalf("code %q", c)
		}
		seen[c] = true
		if !bytes.Equal(HashRecoveryCode(" "+c[:4]+c[5:9]+" "+c[10:]+" "), hashes[i]) {
			t.Fatal("sloppy copy of a code hashes differently")
		}
	}
}
