//go:build hearthtest

package wasm

import "testing"

// TestLinkOrigin: links point at the base domain (spec/web.md §1), not at
// Home's origin, which answers /s/ and /d/ with 404.
func TestLinkOrigin(t *testing.T) {
	for server, want := range map[string]string{
		"http://home.localhost:8080":   "http://localhost:8080",
		"https://home.example.org":     "https://example.org",
		"http://127.0.0.1:8080":        "http://127.0.0.1:8080",
		"https://home.example.org/":    "https://example.org",
		"http://homestead.example.org": "http://homestead.example.org",
	} {
		a, err := New(Config{Server: server})
		if err != nil {
			t.Fatal(err)
		}
		if got := a.linkOrigin(); got != want {
			t.Errorf("%s: links at %q, want %q", server, got, want)
		}
	}
}
