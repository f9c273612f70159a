package main

import (
	"fmt"
	"net"
	"testing"
)

func TestOpenLine(t *testing.T) {
	for _, c := range []struct {
		ip, domain, want string
	}{
		{"127.0.0.1", "localhost", "Open http://localhost:8080 in a browser (apps at http://APP.USER.localhost:8080)"},
		{"::1", "localhost", "Open http://localhost:8080 in a browser (apps at http://APP.USER.localhost:8080)"},
		{"0.0.0.0", "hearth.test", "Open http://hearth.test:8080 in a browser (apps at http://APP.USER.hearth.test:8080)"},
		{"192.0.2.1", "hearth.example", "Home is at hearth.example:8080, apps at APP.USER.hearth.example:8080"},
	} {
		if got := openLine(&net.TCPAddr{IP: net.ParseIP(c.ip), Port: 8080}, c.domain); got != c.want {
			t.Errorf("%s: %q", c.ip, got)
		}
	}
}

// TestParseProxies: --trusted-proxy takes addresses and CIDR ranges,
// comma-separated, and refuses anything else.
func TestParseProxies(t *testing.T) {
	got, err := parseProxies("10.0.0.0/8, 192.0.2.7,2001:db8::/32,::ffff:172.16.0.0/108, 10.1.2.3/8")
	want := "[10.0.0.0/8 192.0.2.7/32 2001:db8::/32 172.16.0.0/12 10.0.0.0/8]"
	if err != nil || fmt.Sprint(got) != want {
		t.Fatalf("got %v %v, want %s", got, err, want)
	}
	for _, bad := range []string{"", "proxy.example", "10.0.0.0/33", "10.0.0.1,", "::ffff:0:0/80"} {
		if _, err := parseProxies(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
