package main

import (
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/hearthcloud/hearth/server/meta"
)

func TestOpenLine(t *testing.T) {
	for _, c := range []struct {
		ip, domain, want string
	}{
		{"127.0.0.1", "localhost", "Open http://home.localhost:8080/ in a browser (apps at http://APP.USER.localhost:8080; the command line client: --server http://localhost:8080)"},
		{"::1", "localhost", "Open http://home.localhost:8080/ in a browser (apps at http://APP.USER.localhost:8080; the command line client: --server http://localhost:8080)"},
		{"0.0.0.0", "hearth.test", "Open http://home.hearth.test:8080/ in a browser (apps at http://APP.USER.hearth.test:8080; the command line client: --server http://hearth.test:8080)"},
		{"192.0.2.1", "hearth.example", "Home is at home.hearth.example:8080, apps at APP.USER.hearth.example:8080, the API also at hearth.example:8080"},
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

// TestPolicyLine: the start-up line says who may sign up and the default
// limits, so an operator sees --signup and --quota took effect.
func TestPolicyLine(t *testing.T) {
	for _, c := range []struct {
		signup signupMode
		l      meta.Limits
		want   string
	}{
		{signupOpen, meta.Limits{}, "Sign-up: open to anyone who reaches the server. Each account: any amount stored, any number of documents"},
		{signupInvite, meta.Limits{Bytes: 5e9, Docs: 100}, "Sign-up: by invitation ('hearthd invite'). Each account: up to 5 GB stored, up to 100 documents"},
		{signupClosed, meta.Limits{Bytes: 10 << 30}, "Sign-up: closed. Each account: up to 10 GiB stored, any number of documents"},
	} {
		if got := policyLine(c.signup, c.l); !strings.HasPrefix(got, c.want) {
			t.Errorf("policyLine(%s, %+v) = %q, want %q…", c.signup, c.l, got, c.want)
		}
	}
}
