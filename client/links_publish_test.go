//go:build hearthtest

package client_test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/crypto/link"
)

// Share links stay current (§4.5): every files operation that changes a
// shared folder, or a shared file, republishes the link's manifest as the
// next version, which a recipient who saw the earlier one accepts.

func upload(t *testing.T, c *client.Client, parent, name, content string) string {
	t.Helper()
	id, err := c.UploadTo(ctx, parent, strings.NewReader(content), int64(len(content)), name, "text/plain", time.Unix(1795000000, 0), nil)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// linkSees opens url as a recipient who remembers versions in vs and
// checks the version and the files by path (a folder as "path/").
func linkSees(t *testing.T, url string, vs *client.MemoryVersions, version uint64, want map[string]string) {
	t.Helper()
	s, err := client.OpenLink(ctx, url, "", &client.LinkOptions{Versions: vs})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	if s.Version != version {
		t.Errorf("version %d, want %d", s.Version, version)
	}
	got := map[string]string{}
	for _, e := range s.Manifest.Entries {
		if e.Folder {
			got[e.Path+"/"] = ""
			continue
		}
		var b bytes.Buffer
		if err := s.Download(ctx, e, &b); err != nil {
			t.Fatalf("%s: %v", e.Path, err)
		}
		got[e.Path] = b.String()
	}
	if len(got) != len(want) {
		t.Errorf("the link gives %q, want %q", got, want)
	}
	for p, w := range want {
		if g, ok := got[p]; !ok || g != w {
			t.Errorf("the link gives %q, want %q", got, want)
			break
		}
	}
}

func TestSharedFolderStaysCurrent(t *testing.T) {
	le := newLinkEnv(t)
	c, _, _ := le.signup("a long test passphrase")
	trips := mkdir(t, c, "", "Trips")
	a := upload(t, c, trips, "a.txt", "alpha")
	url, err := c.Share(ctx, "Trips", client.ShareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	vs := &client.MemoryVersions{}
	v := uint64(1)
	linkSees(t, url, vs, v, map[string]string{"a.txt": "alpha"})
	step := func(what string, err error, want map[string]string) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		v++
		linkSees(t, url, vs, v, want)
	}

	// An upload into the shared folder: the new file is there.
	b := upload(t, c, trips, "b.txt", "bravo")
	step("upload", nil, map[string]string{"a.txt": "alpha", "b.txt": "bravo"})
	sub, err := c.Mkdir(ctx, trips, "sub")
	step("mkdir", err, map[string]string{"a.txt": "alpha", "b.txt": "bravo", "sub/": ""})
	upload(t, c, sub, "deep.txt", "deep")
	step("upload below", nil, map[string]string{"a.txt": "alpha", "b.txt": "bravo", "sub/deep.txt": "deep"})
	upload(t, c, trips, "a.txt", "alpha 2")
	step("new version", nil, map[string]string{"a.txt": "alpha 2", "b.txt": "bravo", "sub/deep.txt": "deep"})
	step("rename", c.Rename(ctx, a, "c.txt"), map[string]string{"c.txt": "alpha 2", "b.txt": "bravo", "sub/deep.txt": "deep"})
	step("restore version", c.RestoreVersion(ctx, a, 0), map[string]string{"c.txt": "alpha", "b.txt": "bravo", "sub/deep.txt": "deep"})
	step("move out", c.Move(ctx, []string{b}, ""), map[string]string{"c.txt": "alpha", "sub/deep.txt": "deep"})
	step("move in", c.Move(ctx, []string{b}, sub), map[string]string{"c.txt": "alpha", "sub/deep.txt": "deep", "sub/b.txt": "bravo"})
	step("trash", c.Trash(ctx, []string{sub}), map[string]string{"c.txt": "alpha"})
	step("restore", c.Restore(ctx, []string{sub}), map[string]string{"c.txt": "alpha", "sub/deep.txt": "deep", "sub/b.txt": "bravo"})
	_, err = c.UploadAll(ctx, "", []client.UploadSource{{Path: "Trips/new/n.txt", Size: 1, Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("n")), nil }}}, nil)
	step("upload a tree", err, map[string]string{"c.txt": "alpha", "sub/deep.txt": "deep", "sub/b.txt": "bravo", "new/n.txt": "n"})
	if err := c.Trash(ctx, []string{b}); err != nil {
		t.Fatal(err)
	}
	v++
	step("empty trash", c.EmptyTrash(ctx), map[string]string{"c.txt": "alpha", "sub/deep.txt": "deep", "new/n.txt": "n"})

	// Files dropped through a drop link into the shared folder.
	durl, err := c.Request(ctx, "Trips", client.RequestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Drop(ctx, durl, []client.DropFile{{Name: "dropped.txt", Size: 4, Content: strings.NewReader("drop")}}, nil); err != nil {
		t.Fatal(err)
	}
	_, err = c.AdoptDrops(ctx)
	step("adopt", err, map[string]string{"c.txt": "alpha", "sub/deep.txt": "deep", "new/n.txt": "n", "dropped.txt": "drop"})

	// A change outside the folder leaves the link alone.
	mkdir(t, c, "", "Elsewhere")
	upload(t, c, "", "root.txt", "root")
	linkSees(t, url, vs, v, map[string]string{"c.txt": "alpha", "sub/deep.txt": "deep", "new/n.txt": "n", "dropped.txt": "drop"})
}

func TestSharedFileShowsCurrentVersion(t *testing.T) {
	le := newLinkEnv(t)
	c, _, _ := le.signup("a long test passphrase")
	docs := mkdir(t, c, "", "Docs")
	f := upload(t, c, docs, "plan.txt", "plan 1")
	url, err := c.Share(ctx, f, client.ShareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	vs := &client.MemoryVersions{}
	linkSees(t, url, vs, 1, map[string]string{"plan.txt": "plan 1"})
	upload(t, c, docs, "plan.txt", "plan 2")
	linkSees(t, url, vs, 2, map[string]string{"plan.txt": "plan 2"})
	// A sibling's change is not the file's.
	upload(t, c, docs, "other.txt", "other")
	linkSees(t, url, vs, 2, map[string]string{"plan.txt": "plan 2"})
	if err := c.Rename(ctx, f, "plan-final.txt"); err != nil {
		t.Fatal(err)
	}
	linkSees(t, url, vs, 3, map[string]string{"plan-final.txt": "plan 2"})
	// Deleted for good: the link is revoked.
	if err := c.Trash(ctx, []string{f}); err != nil {
		t.Fatal(err)
	}
	if err := c.EmptyTrash(ctx); err != nil {
		t.Fatal(err)
	}
	var g *client.GoneError
	if _, err := client.OpenLink(ctx, url, "", nil); !errors.As(err, &g) {
		t.Errorf("a link to a file deleted for good: %v", err)
	}
}

// An account that shares nothing pays nothing: no files operation asks
// the server about links.
func TestReshareCheapWithoutShares(t *testing.T) {
	le := newLinkEnv(t)
	c, _, _ := le.signup("a long test passphrase")
	inbox := mkdir(t, c, "", "Inbox")
	// A drop link is no share link: nothing to republish.
	if _, err := c.Request(ctx, "Inbox", client.RequestOptions{}); err != nil {
		t.Fatal(err)
	}
	le.mu.Lock()
	le.seen.Reset()
	le.mu.Unlock()
	f := upload(t, c, inbox, "a.txt", "a")
	upload(t, c, inbox, "a.txt", "a2")
	sub := mkdir(t, c, inbox, "sub")
	if err := c.Move(ctx, []string{f}, sub); err != nil {
		t.Fatal(err)
	}
	if err := c.Trash(ctx, []string{sub}); err != nil {
		t.Fatal(err)
	}
	if err := c.EmptyTrash(ctx); err != nil {
		t.Fatal(err)
	}
	le.mu.Lock()
	defer le.mu.Unlock()
	for _, line := range strings.Split(le.seen.String(), "\n") {
		if strings.Contains(line, "/v1/links") {
			t.Errorf("a files operation without share links asked %q", line)
		}
	}
}

// A republish that fails leaves the operation done and says which link is
// stale; UpdateShare catches up.
func TestReshareFailureIsReported(t *testing.T) {
	le := newLinkEnv(t)
	c, _, _ := le.signup("a long test passphrase")
	trips := mkdir(t, c, "", "Trips")
	url, err := c.Share(ctx, "Trips", client.ShareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := link.ParseURL(url)
	le.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if r.Method == "PATCH" && strings.HasPrefix(r.URL.Path, "/v1/links/") {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return true
		}
		return false
	})
	_, err = c.UploadTo(ctx, trips, strings.NewReader("x"), 1, "x.txt", "", time.Time{}, nil)
	var stale *client.StaleShareError
	if !errors.Is(err, client.ErrShareStale) || !errors.As(err, &stale) || !slices.Equal(stale.Links, []string{u.ID}) {
		t.Fatalf("UploadTo = %v", err)
	}
	if tr := files(t, c); len(tr.Children(trips)) != 1 {
		t.Fatal("the upload did not stand")
	}
	le.tamper(nil)
	vs := &client.MemoryVersions{}
	linkSees(t, url, vs, 1, map[string]string{})
	if err := c.UpdateShare(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	linkSees(t, url, vs, 2, map[string]string{"x.txt": "x"})
}

// Sharing a file of the old format (§6.3) reads its name with a ranged
// GET of the blob's beginning, never the whole blob.
func TestShareOldFormatReadsOnlyTheHead(t *testing.T) {
	le := newLinkEnv(t)
	c, user, _ := le.signup("a long test passphrase")
	big := make([]byte, 3<<20)
	rand.Read(big)
	id, err := c.Upload(ctx, bytes.NewReader(big), int64(len(big)), "old.bin", "", time.Unix(1795000000, 0), nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.Get(ctx, client.FilesDoctype, id)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Blob   string `json:"blob"`
		Digest []byte `json:"digest"`
		Size   int64  `json:"size"`
	}
	json.Unmarshal(d.Content, &doc)
	old, _ := json.Marshal(doc) // blob, digest and size only: the old format
	// Another device (no cache of the document) shares it.
	if _, err := c.Put(ctx, client.FilesDoctype, id, old); err != nil {
		t.Fatal(err)
	}
	c2, err := client.Login(ctx, le.url, user, "a long test passphrase", "", opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := c2.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	le.mu.Lock()
	le.seen.Reset()
	le.mu.Unlock()
	url, err := c2.Share(ctx, id, client.ShareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	le.mu.Lock()
	reqs := strings.Split(le.seen.String(), "\nGET ")
	le.mu.Unlock()
	gets := 0
	for _, r := range reqs {
		if strings.Contains(r, "/v1/blobs/"+client.FilesDoctype+"/"+doc.Blob+"\n") {
			gets++
			if !strings.Contains(r, "Range: bytes=0-") {
				t.Errorf("a GET of the whole blob: %.200s", r)
			}
		}
	}
	if gets == 0 {
		t.Error("no ranged GET of the blob")
	}
	got, err := fetchAll(t, url, "", nil)
	if err != nil || !bytes.Equal(got["old.bin"], big) {
		t.Fatalf("the link: %v", err)
	}
}
