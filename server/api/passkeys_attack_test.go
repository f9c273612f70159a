package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"testing"

	"github.com/hearthcloud/hearth/server/api"
)

// TestPasskeyCeremoniesNotExhaustedByOneAccount: another account on the
// server begins passkey registrations in a loop (register/begin has no
// rate limit, and every begun ceremony is kept for 5 minutes). Only its
// last few are kept: the others' sign-ins and registrations still begin,
// and one begun before the flood still finishes.
func TestPasskeyCeremoniesNotExhaustedByOneAccount(t *testing.T) {
	e := newEnv(t)
	_, alice := e.signup("alice")
	_, mallory := e.signup("mallory")
	a := newAuthenticator(t, e.homeOrigin())
	r := e.do("POST", "/v1/passkeys/register/begin", alice, map[string]any{})
	e.want(r, 200, "")
	begun := r.json(t)

	for i := 0; i < 4200; i++ {
		if r := e.do("POST", "/v1/passkeys/register/begin", mallory, map[string]any{}); r.status != 200 {
			t.Logf("mallory's begin %d: %d %s", i, r.status, r.code())
			break
		}
	}
	// Alice's registration begun before goes on.
	c, h := options(t, begun)
	e.want(e.do("POST", "/v1/passkeys/register/finish", alice, map[string]any{"ticket": begun["ticket"], "credential": a.create(t, c, h)}), 201, "")
	// New ones begin, for anyone.
	e.want(e.do("POST", "/v1/passkeys/register/begin", alice, map[string]any{}), 200, "")
	e.want(e.do("POST", "/v1/passkeys/login/begin", "", map[string]any{}), 200, "")
	e.want(e.register(newAuthenticator(t, e.homeOrigin()), alice, nil, nil), 201, "")
}

// TestPasskeySignInsNotExhaustedByStrangers: strangers from many addresses
// begin passkey sign-ins, each address up to its rate limit. Each address
// keeps only its last few: a person's sign-in begun before, and new ones,
// go on.
func TestPasskeySignInsNotExhaustedByStrangers(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")} })
	_, alice := e.signup("alice")
	a := newAuthenticator(t, e.homeOrigin())
	e.want(e.register(a, alice, []byte("wrap"), []byte("unlock")), 201, "")
	r := e.do("POST", "/v1/passkeys/login/begin", "", map[string]any{}, "X-Forwarded-For", "192.0.2.1")
	e.want(r, 200, "")
	begun := r.json(t)

	refused := 0
	for n := 0; n < 80; n++ {
		addr := fmt.Sprintf("10.0.%d.%d", n/250, n%250+1)
		for i := 0; i < 70; i++ { // past the address's burst
			if r := e.do("POST", "/v1/passkeys/login/begin", "", map[string]any{}, "X-Forwarded-For", addr); r.status != 200 {
				refused++
			}
		}
	}
	t.Logf("%d begins refused", refused)
	r = e.do("POST", "/v1/passkeys/login/begin", "", map[string]any{}, "X-Forwarded-For", "192.0.2.2")
	e.want(r, 200, "")
	for _, b := range []map[string]any{begun, r.json(t)} {
		c, _ := options(t, b)
		e.want(e.do("POST", "/v1/passkeys/login/finish", "", map[string]any{"ticket": b["ticket"], "credential": a.get(t, c), "device": "phone"}), 200, "")
	}
}

// TestPasskeyFromAnotherPortRefused: a passkey's relying party id is a
// host name, without a port, so a page served on another port of Home's
// host (any local web server when Home is at home.localhost) can ask the
// person's passkey for an assertion, and for its PRF output. The server
// must not take that assertion for a sign-in, which would answer the
// passkey's wrap and unlock to the page (with the PRF output, the master
// key): the origin it checks is Home's, not one named by the request's
// Host header.
func TestPasskeyFromAnotherPortRefused(t *testing.T) {
	e := newEnv(t)
	_, alice := e.signup("alice")
	a := newAuthenticator(t, e.homeOrigin())
	e.want(e.register(a, alice, []byte("wrap"), []byte("unlock")), 201, "")

	evil := a.clone() // the same authenticator, asked by a page at another port
	evil.Origin = "http://home.localhost:3000"
	r := e.do("POST", "/v1/passkeys/login/begin", "", map[string]any{})
	e.want(r, 200, "")
	begun := r.json(t)
	c, _ := options(t, begun)
	body, _ := json.Marshal(map[string]any{"ticket": begun["ticket"], "credential": evil.get(t, c), "device": "evil"})
	req, _ := http.NewRequest("POST", e.url+"/v1/passkeys/login/finish", bytes.NewReader(body))
	req.Host = "home.localhost:3000"
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	got, _ := io.ReadAll(res.Body)
	if res.StatusCode != 401 {
		t.Errorf("an assertion made at http://home.localhost:3000: %d %s", res.StatusCode, got)
	}
}
