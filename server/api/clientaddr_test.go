package api

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"
)

var testTrusted = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}

func trustedTest(ip netip.Addr) bool {
	for _, p := range testTrusted {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// TestForwardedFor: the right-most forwarded address that is not a trusted
// proxy's; the peer's own (ok false) when the walk meets something that is
// not an address.
func TestForwardedFor(t *testing.T) {
	for _, c := range []struct {
		name, value string
		want        string // "" : not ok
	}{
		{"X-Forwarded-For", "198.51.100.7", "198.51.100.7"},
		{"X-Forwarded-For", "1.2.3.4, 198.51.100.7", "198.51.100.7"},
		{"X-Forwarded-For", "198.51.100.7, 10.0.0.2, 10.9.9.9", "198.51.100.7"},
		{"X-Forwarded-For", "10.0.0.1, 10.0.0.2", "10.0.0.1"},
		{"X-Forwarded-For", "garbage, 198.51.100.7", "198.51.100.7"},
		{"X-Forwarded-For", "198.51.100.7, garbage", ""},
		{"X-Forwarded-For", "198.51.100.7:1234", "198.51.100.7"},
		{"X-Forwarded-For", "[2001:db8::1]:443", "2001:db8::1"},
		{"X-Forwarded-For", "2001:db8::1, fd00::5", "2001:db8::1"},
		{"X-Forwarded-For", "::ffff:198.51.100.7", "198.51.100.7"},
		{"X-Forwarded-For", "fe80::1%eth0", "fe80::1"},
		{"X-Forwarded-For", "", ""},
		{"Forwarded", `for=192.0.2.60;proto=http;by=203.0.113.43`, "192.0.2.60"},
		{"Forwarded", `for=192.0.2.43, for="[2001:db8:cafe::17]:4711"`, "2001:db8:cafe::17"},
		{"Forwarded", `for=192.0.2.43, FOR=10.0.0.3`, "192.0.2.43"},
		{"Forwarded", `for=unknown`, ""},
		{"Forwarded", `for="_hidden", for=198.51.100.1`, "198.51.100.1"},
		{"Forwarded", `proto=https`, ""},
		{"Forwarded", `for=192.0.2.43;host="a,b\"c", for=198.51.100.2`, "198.51.100.2"},
		{"Forwarded", `for=192.0.2.43,,`, ""},
		{"Forwarded", `for="192.0.2.43`, ""},
		{"Forwarded", `for`, ""},
	} {
		h := http.Header{}
		h.Set(c.name, c.value)
		got, ok := forwardedFor(h, trustedTest)
		if c.want == "" && ok || c.want != "" && (!ok || got.String() != c.want) {
			t.Errorf("%s: %s: got %v %v, want %q", c.name, c.value, got, ok, c.want)
		}
	}
	// X-Forwarded-For wins over Forwarded; several lines read as one list.
	h := http.Header{"X-Forwarded-For": {"198.51.100.1", "198.51.100.2, 10.0.0.1"}, "Forwarded": {"for=192.0.2.1"}}
	if got, ok := forwardedFor(h, trustedTest); !ok || got.String() != "198.51.100.2" {
		t.Errorf("two lines: %v %v", got, ok)
	}
	if _, ok := forwardedFor(http.Header{}, trustedTest); ok {
		t.Error("no header: ok")
	}
}

// FuzzForwardedFor: any header value gives a valid address or none, and
// never one that is a trusted proxy's unless every hop was.
func FuzzForwardedFor(f *testing.F) {
	for _, s := range []string{"198.51.100.7", "1.2.3.4, 10.0.0.1", `for=192.0.2.43, for="[2001:db8:cafe::17]:4711"`,
		`for="\"";by=x`, "[::1]:80", `for=a;for=b`, "\x00", strings.Repeat("10.0.0.1,", 40) + "1.1.1.1"} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, v string, xff bool) {
		h := http.Header{}
		if xff {
			h.Set("X-Forwarded-For", v)
		} else {
			h.Set("Forwarded", v)
		}
		ip, ok := forwardedFor(h, trustedTest)
		if ok && (!ip.IsValid() || ip.Zone() != "" || ip.Is4In6()) {
			t.Fatalf("%q: %v", v, ip)
		}
		if !xff {
			fors, ok := parseForwarded([]string{v})
			if ok && len(fors) > len(v) {
				t.Fatalf("%q: %d elements", v, len(fors))
			}
		}
	})
}
