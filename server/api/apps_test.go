package api_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/hearthcloud/hearth/internal/appmanifest"
	"github.com/hearthcloud/hearth/server/api"
	"github.com/hearthcloud/hearth/server/blob"
	blobmem "github.com/hearthcloud/hearth/server/blob/memory"
)

func appArchive(t *testing.T, slug, version string, extra ...appmanifest.File) []byte {
	t.Helper()
	m := `{"hearth":1,"slug":"` + slug + `","name":"Tasks","version":"` + version + `",
	 "permissions":[{"doctype":"io.hearth.tasks","verbs":["read","write"],"reason":"Your tasks."}]}`
	b, err := appmanifest.Zip(append([]appmanifest.File{{Path: "hearth-app.json", Data: []byte(m)},
		{Path: "index.html", Data: []byte("<!doctype html><title>Tasks</title>")}}, extra...))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func bodies(t *testing.T, b *blobmem.Store) int {
	n := 0
	b.Enumerate(context.Background(), func(blob.Digest, int64) error { n++; return nil })
	return n
}

// TestApps installs, lists, updates, fetches and uninstalls an app's
// archive (§8.10), and checks the refusals.
func TestApps(t *testing.T) {
	blobs := blobmem.New(1 << 30)
	var checked []string
	e := newEnv(t, func(c *api.Config) {
		c.Blobs = blobs
		c.Bundled = func(slug string) bool { return slug == "notes" }
		c.CheckApp = func(slug string, files fs.FS) error {
			checked = append(checked, slug)
			if _, err := fs.Stat(files, "bad.html"); err == nil {
				return errors.New("bad.html: an inline script")
			}
			return nil
		}
	})
	_, alice := e.signup("alice")
	_, bob := e.signup("bob")
	put := func(tok, slug string, body []byte, hdr ...string) resp {
		return e.do("PUT", "/v1/apps/"+slug, tok, body, append([]string{"Content-Type", "application/zip"}, hdr...)...)
	}
	e.want(e.do("GET", "/v1/apps/tasks", alice, nil), 404, "not_found")
	if got := e.do("GET", "/v1/apps", alice, nil); got.status != 200 || strings.TrimSpace(string(got.body)) != `{"apps":[]}` {
		t.Fatalf("empty list: %d %s", got.status, got.body)
	}

	v1 := appArchive(t, "tasks", "1.0.0")
	r := put(alice, "tasks", v1, "If-None-Match", "*")
	e.want(r, 201, "")
	m := r.json(t)
	sum := sha256.Sum256(v1)
	if m["slug"] != "tasks" || m["version"] != "1.0.0" || m["digest"] != hex.EncodeToString(sum[:]) ||
		m["manifest"].(map[string]any)["name"] != "Tasks" || len(checked) != 1 {
		t.Fatalf("install answered %s (checked %v)", r.body, checked)
	}
	e.want(put(alice, "tasks", v1, "If-None-Match", "*"), 412, "conflict")
	got := e.do("GET", "/v1/apps/tasks/archive", alice, nil)
	if got.status != 200 || string(got.body) != string(v1) || got.header.Get("Content-Type") != "application/zip" {
		t.Fatalf("archive: %d %q", got.status, got.header)
	}
	// Bob has no such app; his token does not reach Alice's.
	e.want(e.do("GET", "/v1/apps/tasks", bob, nil), 404, "not_found")
	e.want(e.do("DELETE", "/v1/apps/tasks", bob, nil), 404, "not_found")

	// An update replaces it and removes the old body.
	r = put(alice, "tasks", appArchive(t, "tasks", "1.1.0"))
	e.want(r, 200, "")
	if r.json(t)["version"] != "1.1.0" || r.json(t)["installed"] != m["installed"] {
		t.Fatalf("update answered %s", r.body)
	}
	if n := bodies(t, blobs); n != 1 {
		t.Fatalf("%d bodies after an update, want 1", n)
	}
	list := e.do("GET", "/v1/apps", alice, nil).json(t)["apps"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["version"] != "1.1.0" {
		t.Fatalf("list %v", list)
	}

	// Refusals store nothing.
	for _, c := range []struct {
		name   string
		r      resp
		status int
		code   string
		msg    string
	}{
		{"bundled slug", put(alice, "notes", appArchive(t, "notes", "1.0.0")), 409, "exists", "bundled"},
		{"other slug", put(alice, "todo", v1), 400, "bad_request", "not the slug the archive was sent for"},
		{"bad slug", put(alice, "Tasks", v1), 400, "invalid_name", ""},
		{"not a zip", put(alice, "tasks", []byte("hello")), 400, "bad_request", "not a ZIP archive"},
		{"bad page", put(alice, "tasks", appArchive(t, "tasks", "2.0.0", appmanifest.File{Path: "bad.html"})), 400, "bad_request", "bad.html: an inline script"},
		{"hidden files", put(alice, "tasks", appArchive(t, "tasks", "2.0.0", appmanifest.File{Path: ".git/config", Data: []byte("[remote]")})), 400, "bad_request", ".git/config: hidden files"},
		{"bad manifest", put(alice, "tasks", appArchive(t, "tasks", "2.0")), 400, "bad_request", "hearth-app.json: version"},
		{"media type", e.do("PUT", "/v1/apps/tasks", alice, v1), 415, "unsupported_media_type", ""},
		{"if-match", put(alice, "tasks", v1, "If-Match", `"1"`), 400, "bad_request", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			e.want(c.r, c.status, c.code)
			if !strings.Contains(string(c.r.body), c.msg) {
				t.Fatalf("message %s lacks %q", c.r.body, c.msg)
			}
		})
	}
	// Too large: refused on Content-Length, before the body is read.
	req, _ := http.NewRequest("PUT", e.url+"/v1/apps/tasks", io.LimitReader(zeros{}, appmanifest.MaxArchive+1))
	req.ContentLength = appmanifest.MaxArchive + 1
	req.Header.Set("Content-Type", "application/zip")
	req.Header.Set("Authorization", "Bearer "+alice)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 413 {
		t.Fatalf("too large: %v %v", res, err)
	} else {
		res.Body.Close()
	}
	if v := e.do("GET", "/v1/apps/tasks", alice, nil).json(t)["version"]; v != "1.1.0" {
		t.Fatalf("after refusals: version %v", v)
	}

	// Session only: an app token is forbidden.
	tok, _ := e.newToken(alice, "app", "tasks")
	e.want(e.do("GET", "/v1/apps", tok, nil), 403, "forbidden")
	e.want(put(tok, "tasks", v1), 403, "forbidden")

	e.want(e.do("DELETE", "/v1/apps/tasks", alice, nil), 204, "")
	e.want(e.do("GET", "/v1/apps/tasks", alice, nil), 404, "not_found")
	e.want(e.do("GET", "/v1/apps/tasks/archive", alice, nil), 404, "not_found")
	if n := bodies(t, blobs); n != 0 {
		t.Fatalf("%d bodies after uninstalling, want 0", n)
	}
}

// TestStrictGets: a 401 names the bearer scheme; the GETs of single items
// refuse query parameters they do not know, as the others do.
func TestStrictGets(t *testing.T) {
	e := newEnv(t)
	_, tok := e.signup("alice")
	r := e.do("GET", "/v1/keyring", "", nil)
	e.want(r, 401, "unauthenticated")
	if got := r.header.Get("WWW-Authenticate"); got != `Bearer realm="hearth"` {
		t.Fatalf("WWW-Authenticate: %q", got)
	}
	for _, p := range []string{"/v1/keyring?x=1", "/v1/keyring/recovery?x=1", "/v1/docs/io.hearth.notes/abc?rev=1",
		"/v1/sessions?all=1", "/v1/doctypes?x=1", "/v1/grants/abcdefghijklmnopqrstuvwxyz?x=1"} {
		e.want(e.do("GET", p, tok, nil), 400, "bad_request")
	}
}

// TestAppsLimit: an account holds at most 100 apps, also when they are
// installed at once.
func TestAppsLimit(t *testing.T) {
	e := newEnv(t)
	_, alice := e.signup("alice")
	var wg sync.WaitGroup
	codes := make([]int, 101)
	sem := make(chan struct{}, 8)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			slug := "app" + strconv.Itoa(i)
			codes[i] = e.do("PUT", "/v1/apps/"+slug, alice, appArchive(t, slug, "1.0.0"), "Content-Type", "application/zip").status
		}()
	}
	wg.Wait()
	n := map[int]int{}
	for _, c := range codes {
		n[c]++
	}
	if n[201] != 100 || n[413] != 1 {
		t.Fatalf("statuses %v", n)
	}
	if list := e.do("GET", "/v1/apps", alice, nil).json(t)["apps"].([]any); len(list) != 100 {
		t.Fatalf("%d apps", len(list))
	}
}
