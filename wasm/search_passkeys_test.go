//go:build hearthtest && search

package wasm

import (
	"encoding/json"
	"net/url"
	"testing"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/internal/webauthntest"
)

// TestSearchLeavesPasskeysOut: Home's search reads every doctype of the
// account but Hearth's own records. A passkey's record holds its secret
// (with the unlock the host keeps, as good as the master key, §4.8): it
// must not be indexed (an index is stored, and cached in the browser), nor
// shown as a hit with its secret when a search matches the passkey's name;
// nor are the grantee records.
func TestSearchLeavesPasskeysOut(t *testing.T) {
	s := newServer(t)
	u, _ := url.Parse(s.url)
	a, _ := newAPI(t, s)
	signup(t, a)
	c, _, err := a.account()
	if err != nil {
		t.Fatal(err)
	}
	key := webauthntest.New("http://home.localhost:"+u.Port(), true)
	cer, err := c.BeginAddPasskey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cred, err := key.Create(cer.Options)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.FinishAddPasskey(ctx, client.PasskeyAnswer{Ticket: cer.Ticket, Credential: cred, PRF: key.PRF(cer.PRFSalt)}, "Lisbon laptop"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Create(ctx, "io.hearth.notes", json.RawMessage(`{"title":"Note","body":"Train to Lisbon"}`)); err != nil {
		t.Fatal(err)
	}
	r, err := a.Search(ctx, "lisbon", 5)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range r.Groups {
		if g.Doctype != "io.hearth.notes" {
			b, _ := json.Marshal(g)
			t.Errorf("a hit in %s: %s", g.Doctype, b)
		}
	}
	st := a.searchState()
	st.mu.Lock()
	defer st.mu.Unlock()
	for dt := range st.stores {
		if dt == client.PasskeysDoctype || dt == client.GrantsDoctype || dt == AppsDoctype {
			t.Errorf("Home indexed %s", dt)
		}
	}
}
