package site

import (
	"net"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hearthcloud/hearth/internal/wire"
)

// FuzzOrigin: a Host header (untrusted) parses without panic to at most
// one of Home, the base domain or an app; an app's origin is never Home's
// host nor under it (the passkeys' relying party, spec/web.md §1); an
// accepted host parses again, rebuilt from its Origin, to the same Origin;
// and Home's origin carries nothing of the header but its port.
func FuzzOrigin(f *testing.F) {
	for _, h := range []string{
		"localhost", "localhost:8080", "home.localhost:8080", "HOME.localhost", "notes.alice.localhost:8080",
		"notes.home.localhost", "home.home.localhost", "x.y.home.localhost", "127.0.0.1:8080", "[::1]:8080",
		"[::ffff:127.0.0.1]:80", "notes.alice.hearth.example", "home.hearth.example:443", "hearth.example",
		"home.localhost.", "home..localhost", ":80", "[::1", "localhost:+1", "notes.alice.localhost:8080:80",
	} {
		f.Add(h, false)
		f.Add(h, true)
	}
	f.Fuzz(func(t *testing.T, host string, other bool) {
		domain := "localhost"
		if other {
			domain = "hearth.example"
		}
		s := &Site{cfg: Config{Domain: domain}}
		o, ok := s.Origin(host)
		if !ok {
			if o != (Origin{}) {
				t.Fatalf("%q refused with %+v", host, o)
			}
			return
		}
		name := strings.ToLower(host)
		if o.Port != "" {
			name = strings.TrimSuffix(name, ":"+o.Port)
		}
		home := HomeLabel + "." + domain
		switch {
		case o.App != "":
			if o.Base || wire.CheckUser(o.User) != nil || o.User == wire.ReservedUser || !validLabel(o.App) || len(o.App) > 63 {
				t.Fatalf("%q: app %+v", host, o)
			}
			if name != o.App+"."+o.User+"."+domain || name == home || strings.HasSuffix(name, "."+home) {
				t.Fatalf("%q: app %+v at %q, Home at %q", host, o, name, home)
			}
		case o.Base:
			ip := net.ParseIP(strings.Trim(name, "[]"))
			if o.User != "" || name != domain && (ip == nil || !ip.IsLoopback()) {
				t.Fatalf("%q: base %+v", host, o)
			}
		default:
			if o.User != "" || name != home {
				t.Fatalf("%q: Home %+v at %q", host, o, name)
			}
		}
		if o.App != "" || o.Home() {
			again := name
			if o.Port != "" {
				again += ":" + o.Port
			}
			if o2, ok := s.Origin(again); !ok || o2 != o {
				t.Fatalf("%q: %+v, rebuilt %q: %+v %v", host, o, again, o2, ok)
			}
		}
		want := "http://" + home
		if o.Port != "" {
			want += ":" + o.Port
		}
		if got := s.HomeOrigin(httptest.NewRequest("GET", "/", nil), o); got != want {
			t.Fatalf("%q: Home's origin %q, want %q", host, got, want)
		}
	})
}
