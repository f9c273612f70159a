//go:build hearthtest

package client_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/crypto/link"
	"github.com/hearthcloud/hearth/crypto/seal"
	"github.com/hearthcloud/hearth/internal/wire"
	"github.com/hearthcloud/hearth/server/api"
	"github.com/hearthcloud/hearth/server/auth"
	blobmem "github.com/hearthcloud/hearth/server/blob/memory"
	metamem "github.com/hearthcloud/hearth/server/meta/memory"
)

// Share links and drop links end to end: the real API on loopback, a
// clock the test moves, a hook that plays the host, and a record of every
// request and log line the server saw.

type linkEnv struct {
	*env
	mu   sync.Mutex
	now  time.Time
	seen bytes.Buffer // every request: line, headers, body
	log  bytes.Buffer
}

func newLinkEnv(t *testing.T) *linkEnv {
	le := &linkEnv{env: &env{t: t}, now: time.Now()}
	secret := make([]byte, 32)
	rand.Read(secret)
	srv := api.New(api.Config{
		Meta: metamem.New(), Blobs: blobmem.New(1 << 30), Secret: secret,
		Hash: auth.HashParams{Memory: 64, Time: 1, Threads: 1},
		Now:  func() time.Time { le.mu.Lock(); defer le.mu.Unlock(); return le.now },
		Log:  slog.New(slog.NewTextHandler(lockedWriter{&le.mu, &le.log}, nil)),
	})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		le.mu.Lock()
		le.seen.WriteString(r.Method + " " + r.URL.String() + "\n")
		r.Header.Write(&le.seen)
		le.seen.Write(body)
		h := le.h
		le.mu.Unlock()
		if h != nil && h(w, r, srv) {
			return
		}
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	le.url = ts.URL
	return le
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (le *linkEnv) advance(d time.Duration) { le.mu.Lock(); le.now = le.now.Add(d); le.mu.Unlock() }

func (le *linkEnv) tamper(h hook) { le.mu.Lock(); le.h = h; le.mu.Unlock() }

// putFile uploads content as a file named name in folder parent, as a
// files document of design 16 A.
func putFile(t *testing.T, c *client.Client, name, parent string, content []byte) string {
	t.Helper()
	id, err := c.Upload(ctx, bytes.NewReader(content), int64(len(content)), name, "text/plain", time.Unix(1795000000, 0), nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.Get(ctx, client.FilesDoctype, id)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	json.Unmarshal(d.Content, &doc)
	doc["kind"], doc["name"], doc["parent"], doc["type"], doc["length"], doc["mtime"] = "file", name, parent, "text/plain", len(content), 1795000000
	b, _ := json.Marshal(doc)
	if _, err := c.Put(ctx, client.FilesDoctype, id, b); err != nil {
		t.Fatal(err)
	}
	return id
}

// fetchAll opens a link and downloads every file it gives, by path.
func fetchAll(t *testing.T, url, password string, o *client.LinkOptions) (map[string][]byte, error) {
	t.Helper()
	s, err := client.OpenLink(ctx, url, password, o)
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, e := range s.Manifest.Entries {
		if e.Folder {
			out[e.Path+"/"] = nil
			continue
		}
		var b bytes.Buffer
		if err := s.Download(ctx, e, &b); err != nil {
			return nil, err
		}
		out[e.Path] = b.Bytes()
	}
	return out, nil
}

const marker = "zq9marker"

func TestShareFileAndFolder(t *testing.T) {
	le := newLinkEnv(t)
	c, _, _ := le.signup("a long test passphrase")
	big := make([]byte, 200000)
	rand.Read(big)
	// A file of the old format (Upload's), shared by id.
	fileID, err := c.Upload(ctx, bytes.NewReader(big), int64(len(big)), marker+"-report.bin", "", time.Time{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	url, err := c.Share(ctx, fileID, client.ShareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := fetchAll(t, url, "", nil)
	if err != nil || !bytes.Equal(got[marker+"-report.bin"], big) || len(got) != 1 {
		t.Fatalf("file link: %v (%d entries)", err, len(got))
	}
	// A folder with a subfolder and an empty one, shared by path with a password.
	trips := mkdir(t, c, "", marker+"-Trips")
	y := mkdir(t, c, trips, "2024")
	mkdir(t, c, trips, "empty")
	putFile(t, c, "a.txt", y, []byte("alpha"))
	putFile(t, c, "b.txt", trips, []byte("bravo "+marker))
	const pw = marker + " link password"
	furl, err := c.Share(ctx, "/"+marker+"-Trips", client.ShareOptions{Password: pw, Label: marker + " for Bob", MaxOpens: 10})
	if err != nil {
		t.Fatal(err)
	}
	if has, err := client.LinkHasPassword(ctx, furl, nil); err != nil || !has {
		t.Fatalf("LinkHasPassword = %v, %v", has, err)
	}
	if _, err := client.OpenLink(ctx, furl, "", nil); !errors.Is(err, client.ErrPasswordNeeded) {
		t.Errorf("no password: %v", err)
	}
	if _, err := client.OpenLink(ctx, furl, "not it", nil); !errors.Is(err, client.ErrWrongPassword) {
		t.Errorf("wrong password: %v", err)
	}
	got, err = fetchAll(t, furl, pw, nil)
	if err != nil {
		t.Fatal(err)
	}
	if string(got["2024/a.txt"]) != "alpha" || string(got["b.txt"]) != "bravo "+marker || len(got) != 3 {
		t.Fatalf("folder link gave %v", got)
	}
	if _, ok := got["empty/"]; !ok {
		t.Error("the empty folder is missing")
	}
	// The owner's list: opens, failures, label, the URL again.
	shares, err := c.Shares(ctx)
	if err != nil || len(shares) != 2 {
		t.Fatalf("Shares = %v, %v", shares, err)
	}
	s := shares[1]
	if s.URL != furl || s.Label != marker+" for Bob" || s.Opens != 1 || s.Failures != 1 || !s.Password || s.Item != trips || s.LastOpen.IsZero() {
		t.Errorf("share %+v", s)
	}

	// SECURITY.md 15 and 18: neither the fragment key nor the password nor
	// a name reached the server, in any request or log line.
	u, _ := link.ParseURL(furl)
	fu, _ := link.ParseURL(url)
	le.mu.Lock()
	seen, logged := le.seen.String(), le.log.String()
	le.mu.Unlock()
	for _, secret := range []string{link.EncodeKey(u.Key), link.EncodeKey(fu.Key), base64.StdEncoding.EncodeToString(u.Key), pw, marker} {
		if strings.Contains(seen, secret) || strings.Contains(logged, secret) {
			t.Errorf("the server saw %q", secret)
		}
	}
	if strings.Contains(logged, u.ID) {
		t.Error("the log names a link id")
	}
}

func TestLinkRefusals(t *testing.T) {
	le := newLinkEnv(t)
	c, _, _ := le.signup("a long test passphrase")
	id := putFile(t, c, "x.txt", "", []byte("x"))
	once, _ := c.Share(ctx, id, client.ShareOptions{MaxOpens: 1})
	if _, err := fetchAll(t, once, "", nil); err != nil {
		t.Fatal(err)
	}
	var gone *client.GoneError
	if _, err := client.OpenLink(ctx, once, "", nil); !errors.As(err, &gone) || gone.Reason != "exhausted" {
		t.Errorf("exhausted: %v", err)
	}
	revoked, _ := c.Share(ctx, id, client.ShareOptions{})
	ru, _ := link.ParseURL(revoked)
	if err := c.Unshare(ctx, ru.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := client.OpenLink(ctx, revoked, "", nil); !errors.As(err, &gone) || gone.Reason != "revoked" {
		t.Errorf("revoked: %v", err)
	}
	soon, _ := c.Share(ctx, id, client.ShareOptions{Expires: time.Hour})
	s, err := client.OpenLink(ctx, soon, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	le.advance(2 * time.Hour)
	if _, err := client.OpenLink(ctx, soon, "", nil); !errors.As(err, &gone) || gone.Reason != "expired" {
		t.Errorf("expired: %v", err)
	}
	var b bytes.Buffer
	if err := s.Download(ctx, s.Manifest.Entries[0], &b); err == nil || b.Len() != 0 {
		t.Errorf("a download through an expired link: %v, %d bytes", err, b.Len())
	}
}

func TestSecurity15LinkHostAttacks(t *testing.T) {
	le := newLinkEnv(t)
	c, _, _ := le.signup("a long test passphrase")
	folder := mkdir(t, c, "", "F")
	putFile(t, c, "a.txt", folder, []byte("the real a"))
	other := putFile(t, c, "b.txt", folder, []byte("the real b"))
	url, err := c.Share(ctx, folder, client.ShareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := link.ParseURL(url)
	versions := &client.MemoryVersions{}
	o := &client.LinkOptions{Versions: versions}
	s, err := client.OpenLink(ctx, url, "", o)
	if err != nil {
		t.Fatal(err)
	}
	var blobA, blobB string
	for _, e := range s.Manifest.Entries {
		if e.Path == "a.txt" {
			blobA = e.Blob
		} else {
			blobB = e.Blob
		}
	}
	// The host serves b's blob for a: refused, nothing kept.
	le.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if strings.HasSuffix(r.URL.Path, "/blobs/"+blobA) {
			r.URL.Path = strings.TrimSuffix(r.URL.Path, blobA) + blobB
		}
		return false
	})
	if _, err := fetchAll(t, url, "", nil); !errors.Is(err, client.ErrIntegrity) {
		t.Errorf("swapped blob: %v", err)
	}
	// The host alters the manifest.
	le.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if !strings.HasSuffix(r.URL.Path, "/open") {
			return false
		}
		rec := capture(next, r)
		var m map[string]any
		json.Unmarshal(rec.Body.Bytes(), &m)
		b, _ := base64.StdEncoding.DecodeString(m["manifest"].(string))
		b[40] ^= 1
		m["manifest"] = b
		out, _ := json.Marshal(m)
		replay(w, rec, out)
		return true
	})
	if _, err := client.OpenLink(ctx, url, "", o); !errors.Is(err, client.ErrIntegrity) {
		t.Errorf("altered manifest: %v", err)
	}
	// The owner removes b, which republishes the folder's link (version
	// 2); the host replays version 1.
	var v1 []byte
	le.tamper(keepFirstSuffix("/v1/links/"+u.ID+"/open", &v1))
	if _, err := client.OpenLink(ctx, url, "", o); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteFile(ctx, other); err != nil {
		t.Fatal(err)
	}
	le.tamper(nil)
	s2, err := client.OpenLink(ctx, url, "", o)
	if err != nil || s2.Version != 2 || len(s2.Manifest.Entries) != 1 {
		t.Fatalf("version 2: %v", err)
	}
	le.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if !strings.HasSuffix(r.URL.Path, "/open") {
			return false
		}
		replay(w, capture(next, r), v1)
		return true
	})
	if _, err := client.OpenLink(ctx, url, "", o); !errors.Is(err, client.ErrIntegrity) {
		t.Errorf("replayed version 1: %v", err)
	}
}

func keepFirstSuffix(path string, into *[]byte) hook {
	return func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if r.URL.Path != path || *into != nil {
			return false
		}
		rec := capture(next, r)
		*into = bytes.Clone(rec.Body.Bytes())
		replay(w, rec, rec.Body.Bytes())
		return true
	}
}

func TestDropAdopt(t *testing.T) {
	le := newLinkEnv(t)
	c, _, _ := le.signup("a long test passphrase")
	inbox := mkdir(t, c, "", "Inbox")
	url, err := c.Request(ctx, "/Inbox", client.RequestOptions{MaxFiles: 5})
	if err != nil {
		t.Fatal(err)
	}
	content := make([]byte, 100000)
	rand.Read(content)
	n, err := client.Drop(ctx, url, []client.DropFile{{Name: marker + "-scan.pdf", Type: "application/pdf", Size: int64(len(content)), Content: bytes.NewReader(content)}}, nil)
	if err != nil || n != 1 {
		t.Fatalf("Drop = %d, %v", n, err)
	}
	adopted, err := c.AdoptDrops(ctx)
	if err != nil || len(adopted) != 1 || adopted[0].Err != nil || adopted[0].Name != marker+"-scan.pdf" {
		t.Fatalf("AdoptDrops = %+v, %v", adopted, err)
	}
	var b bytes.Buffer
	info, err := c.Download(ctx, adopted[0].FileID, &b)
	if err != nil || !bytes.Equal(b.Bytes(), content) || info.Name != marker+"-scan.pdf" {
		t.Fatalf("the adopted file: %v", err)
	}
	d, _ := c.Get(ctx, client.FilesDoctype, adopted[0].FileID)
	if !strings.Contains(string(d.Content), `"parent":"`+inbox+`"`) {
		t.Errorf("the adopted file is not in its folder: %s", d.Content)
	}
	if again, _ := c.AdoptDrops(ctx); len(again) != 0 {
		t.Errorf("a drop adopted twice: %+v", again)
	}
	le.mu.Lock()
	defer le.mu.Unlock()
	if strings.Contains(le.seen.String(), marker) {
		t.Error("the server saw the dropped file's name")
	}
}

func TestSecurity15ForgedDropRefused(t *testing.T) {
	le := newLinkEnv(t)
	c, _, _ := le.signup("a long test passphrase")
	mkdir(t, c, "", "Inbox")
	url, err := c.Request(ctx, "/Inbox", client.RequestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := link.ParseURL(url)
	keys, _ := link.Derive(u.ID, u.Key, nil)
	var info struct {
		Drop struct {
			Recipient string `json:"recipient"`
		} `json:"drop"`
	}
	res, _ := http.Get(le.url + "/v1/links/" + u.ID)
	json.NewDecoder(res.Body).Decode(&info)
	res.Body.Close()
	r, err := keys.CheckRecipient(info.Drop.Recipient, keys.RecipientTag(info.Drop.Recipient))
	if err != nil {
		t.Fatal(err)
	}
	// The host knows the recipient and can store any bytes; it cannot make
	// the drop key, so its drop's tag is made with another.
	forger, _ := link.Derive(u.ID, link.NewKey(), nil)
	dropID := wire.NewID()
	var sealed bytes.Buffer
	w, _ := link.NewDropWriter(&sealed, forger, dropID, r, seal.Meta{Name: "invoice.pdf", Size: 5})
	w.Write([]byte("evil!"))
	w.Close()
	req, _ := http.NewRequest("PUT", le.url+"/v1/links/"+u.ID+"/drops/"+dropID, bytes.NewReader(sealed.Bytes()))
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Hearth-Link-Proof", base64.StdEncoding.EncodeToString(keys.Proof()))
	res, err = http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 201 {
		t.Fatalf("storing the forged drop: %v %v", res.StatusCode, err)
	}
	adopted, err := c.AdoptDrops(ctx)
	if err != nil || len(adopted) != 1 || !errors.Is(adopted[0].Err, client.ErrIntegrity) || adopted[0].FileID != "" {
		t.Fatalf("AdoptDrops = %+v, %v", adopted, err)
	}
	ids, _ := c.List(ctx, client.FilesDoctype)
	for _, id := range ids {
		d, _ := c.Get(ctx, client.FilesDoctype, id)
		if strings.Contains(string(d.Content), "invoice") {
			t.Error("the forged drop became a file")
		}
	}
	// A swapped recipient is refused before anything is sealed.
	le.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if r.Method != "GET" || r.URL.Path != "/v1/links/"+u.ID {
			return false
		}
		rec := capture(next, r)
		var m map[string]any
		json.Unmarshal(rec.Body.Bytes(), &m)
		m["drop"].(map[string]any)["recipient"] = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
		out, _ := json.Marshal(m)
		replay(w, rec, out)
		return true
	})
	if _, err := client.Drop(ctx, url, []client.DropFile{{Name: "a", Size: 1, Content: strings.NewReader("a")}}, nil); !errors.Is(err, client.ErrIntegrity) {
		t.Errorf("swapped recipient: %v", err)
	}
}

var _ = context.Background
