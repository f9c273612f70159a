package server_test

import (
	"testing"

	"github.com/hearthcloud/hearth/server"
	"github.com/hearthcloud/hearth/server/site"
)

// TestPasskeyRelyingPartyIsHome: the API's passkey ceremonies name the
// relying party the site serves Home at (home.<domain>), whatever address
// the request came to.
func TestPasskeyRelyingPartyIsHome(t *testing.T) {
	for _, domain := range []string{"", "cloud.example.org"} {
		l := startLive(t, t.TempDir(), server.Config{Web: site.Config{Domain: domain}})
		tok := l.signup("alice")
		a := l.do("POST", "/v1/passkeys/register/begin", tok, map[string]any{})
		want := "home." + domain
		if domain == "" {
			want = "home.localhost"
		}
		if got := a.member(t, "options", "publicKey", "rp", "id"); a.status != 200 || got != want {
			t.Fatalf("domain %q: relying party %v (%d %s), want %s", domain, got, a.status, a.body, want)
		}
	}
}
