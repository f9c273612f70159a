//go:build hearthtest

package client_test

import (
	"bytes"
	"errors"
	"net/http"
	"testing"

	"github.com/hearthcloud/hearth/client"
)

// TestAppLinks: an app whose grant holds read and write on io.hearth.files
// makes, lists and revokes share links and drop links and adopts drops, as
// Home does; an app with read only is refused by the client and, asked
// directly, by the server.
func TestAppLinks(t *testing.T) {
	le := newLinkEnv(t)
	rw := connect(t, le.env, []client.Scope{{Doctype: client.FilesDoctype, Verbs: []string{"read", "write"}}})
	content := []byte("shared from the Files app")
	file := putFile(t, rw.c, marker+"-a.txt", "", content)
	url, err := rw.app.Share(ctx, file, client.ShareOptions{Password: "open sesame", Label: "for Bob"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := fetchAll(t, url, "open sesame", nil)
	if err != nil || !bytes.Equal(got[marker+"-a.txt"], content) {
		t.Fatalf("the app's link gives %q, %v", got, err)
	}
	inbox := mkdir(t, rw.c, "", "Inbox")
	durl, err := rw.app.Request(ctx, inbox, client.RequestOptions{MaxFiles: 2})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := client.Drop(ctx, durl, []client.DropFile{{Name: "d.txt", Type: "text/plain", Size: 3, Content: bytes.NewReader([]byte("abc"))}}, nil); err != nil || n != 1 {
		t.Fatalf("Drop = %d, %v", n, err)
	}
	list, err := rw.app.Shares(ctx)
	if err != nil || len(list) != 2 || list[0].Label != "for Bob" || list[0].Item != file || list[0].Opens != 1 || list[1].Item != inbox || list[1].Pending != 1 {
		t.Fatalf("Shares = %+v, %v", list, err)
	}
	adopted, err := rw.app.AdoptDrops(ctx)
	if err != nil || len(adopted) != 1 || adopted[0].Err != nil || adopted[0].Name != "d.txt" {
		t.Fatalf("AdoptDrops = %+v, %v", adopted, err)
	}
	if err := rw.app.UpdateShare(ctx, list[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := rw.app.Unshare(ctx, list[0].ID); err != nil {
		t.Fatal(err)
	}
	var gone *client.GoneError
	if _, err := client.OpenLink(ctx, url, "open sesame", nil); !errors.As(err, &gone) || gone.Reason != "revoked" {
		t.Fatalf("a revoked link: %v", err)
	}

	ro := connect(t, le.env, []client.Scope{{Doctype: client.FilesDoctype, Verbs: []string{"read"}}})
	f2 := putFile(t, ro.c, "b.txt", "", content)
	if _, err := ro.app.Share(ctx, f2, client.ShareOptions{}); !errors.Is(err, client.ErrNotGranted) {
		t.Fatalf("Share with read only: %v", err)
	}
	if _, err := ro.app.Shares(ctx); !errors.Is(err, client.ErrNotGranted) {
		t.Fatalf("Shares with read only: %v", err)
	}
	// The server refuses too, whatever the client does.
	req, _ := http.NewRequest("GET", le.url+"/v1/links", nil)
	req.Header.Set("Authorization", "Bearer "+ro.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("GET /v1/links with a read-only app token: %d", res.StatusCode)
	}
}
