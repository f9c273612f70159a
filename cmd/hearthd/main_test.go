package main

import (
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
