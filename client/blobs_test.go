//go:build hearthtest

// The client tests need the cheap key derivation of the hearthtest tag
// (make test sets it).

package client_test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hearthcloud/hearth/client"
)

func TestUploadDownload(t *testing.T) {
	e := newEnv(t)
	c, user, _ := e.signup("a long test passphrase")
	data := make([]byte, 300<<10+17) // several 64 KiB chunks
	rand.Read(data)
	mtime := time.Date(2025, 3, 1, 9, 30, 0, 0, time.UTC)
	var up []int64
	id, err := c.Upload(ctx, bytes.NewReader(data), int64(len(data)), "holiday.jpg", "image/jpeg", mtime, func(done, total int64) {
		if total != int64(len(data)) {
			t.Errorf("total %d", total)
		}
		up = append(up, done)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(up) == 0 || up[len(up)-1] != int64(len(data)) {
		t.Errorf("upload progress %v", up)
	}
	// Another device downloads it.
	c2, err := client.Login(ctx, e.url, user, "a long test passphrase", "", opts)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	var down int64
	info, err := c2.DownloadProgress(ctx, id, &out, func(done, total int64) { down = done })
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), data) || down != int64(len(data)) {
		t.Fatal("downloaded content differs")
	}
	if info.Name != "holiday.jpg" || info.Type != "image/jpeg" || info.Size != int64(len(data)) || !info.ModTime.Equal(mtime) || info.ID != id {
		t.Fatalf("%+v", info)
	}
	// An empty file.
	id0, err := c.Upload(ctx, strings.NewReader(""), 0, "empty", "", time.Time{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if info, err := c.Download(ctx, id0, &out); err != nil || out.Len() != 0 || info.Size != 0 {
		t.Fatal(info, err)
	}
	// A reader shorter than announced fails and leaves no file.
	if _, err := c.Upload(ctx, bytes.NewReader(data[:100]), 200, "short", "", time.Time{}, nil); err == nil {
		t.Fatal("short upload accepted")
	}
	// A hostile file name is refused before anything is sent.
	if _, err := c.Upload(ctx, strings.NewReader("x"), 1, "../etc/passwd", "", time.Time{}, nil); err == nil {
		t.Fatal("bad name accepted")
	}
	if _, err := c.Download(ctx, "no-such-file", &out); !errors.Is(err, client.ErrNotFound) {
		t.Fatal(err)
	}
	// Deleting a file deletes its blob too.
	blobs := func() int {
		res, b := rawCall(t, e, "GET", "/v1/blobs/"+client.FilesDoctype, c.State().Token, nil, nil)
		var ans struct {
			Blobs []json.RawMessage `json:"blobs"`
		}
		if res.StatusCode != 200 || json.Unmarshal(b, &ans) != nil {
			t.Fatalf("listing blobs: %s %s", res.Status, b)
		}
		return len(ans.Blobs)
	}
	before := blobs()
	if err := c.DeleteFile(ctx, id0); err != nil {
		t.Fatal(err)
	}
	if n := blobs(); n != before-1 {
		t.Fatalf("%d blobs after deleting a file, want %d", n, before-1)
	}
	if _, err := c.Download(ctx, id0, &out); !errors.Is(err, client.ErrNotFound) {
		t.Fatalf("a deleted file downloads: %v", err)
	}
	if err := c.DeleteFile(ctx, id0); !errors.Is(err, client.ErrNotFound) {
		t.Fatalf("deleting it again: %v", err)
	}
	// A second document naming the same blob (an app with write access can
	// make one): deleting it leaves the blob to the first.
	d, err := c.Get(ctx, client.FilesDoctype, id)
	if err != nil {
		t.Fatal(err)
	}
	twin, _, err := c.Create(ctx, client.FilesDoctype, d.Content)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteFile(ctx, twin); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if _, err := c.Download(ctx, id, &out); err != nil || !bytes.Equal(out.Bytes(), data) {
		t.Fatalf("the first file, after deleting its twin: %v", err)
	}

	blobGet := func(r *http.Request) bool {
		return r.Method == "GET" && strings.HasPrefix(r.URL.Path, "/v1/blobs/")
	}
	other := make([]byte, len(data))
	rand.Read(other)
	id2, err := c.Upload(ctx, bytes.NewReader(other), int64(len(other)), "other.jpg", "image/jpeg", mtime, nil)
	if err != nil {
		t.Fatal(err)
	}
	doc2, _ := c.Get(ctx, client.FilesDoctype, id2)
	blob2 := string(doc2.Content[strings.Index(string(doc2.Content), `"blob":"`)+8:][:26])

	cases := []struct {
		name string
		edit func(w http.ResponseWriter, r *http.Request, next http.Handler)
	}{
		{"flipped byte in the last chunk", func(w http.ResponseWriter, r *http.Request, next http.Handler) {
			rec := capture(next, r)
			b := bytes.Clone(rec.Body.Bytes())
			b[len(b)-20] ^= 1
			replay(w, rec, b)
		}},
		{"flipped byte in the header", func(w http.ResponseWriter, r *http.Request, next http.Handler) {
			rec := capture(next, r)
			b := bytes.Clone(rec.Body.Bytes())
			b[60] ^= 1
			replay(w, rec, b)
		}},
		{"truncated", func(w http.ResponseWriter, r *http.Request, next http.Handler) {
			rec := capture(next, r)
			replay(w, rec, rec.Body.Bytes()[:rec.Body.Len()-1000])
		}},
		{"trailing bytes", func(w http.ResponseWriter, r *http.Request, next http.Handler) {
			rec := capture(next, r)
			replay(w, rec, append(bytes.Clone(rec.Body.Bytes()), 0))
		}},
		{"another file's blob", func(w http.ResponseWriter, r *http.Request, next http.Handler) {
			r2, _ := http.NewRequest("GET", "/v1/blobs/"+client.FilesDoctype+"/"+blob2, nil)
			r2.Header = r.Header
			rec := capture(next, r2)
			replay(w, rec, rec.Body.Bytes())
		}},
		{"missing blob", func(w http.ResponseWriter, r *http.Request, next http.Handler) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(404)
			io.WriteString(w, `{"error":{"code":"not_found","message":"no such blob"}}`)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
				if !blobGet(r) {
					return false
				}
				tc.edit(w, r, next)
				return true
			})
			defer e.tamper(nil)
			before := stateJSON(t, c2)
			_, err := c2.Download(ctx, id, io.Discard)
			wantIntegrity(t, "Download", err, c2, before)
		})
	}
	// The server acknowledging other bytes than were uploaded.
	e.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if r.Method != "PUT" || !strings.HasPrefix(r.URL.Path, "/v1/blobs/") {
			return false
		}
		rec := capture(next, r)
		b := bytes.Replace(rec.Body.Bytes(), []byte(`"digest":"`), []byte(`"digest":"A`), 1)
		replay(w, rec, b)
		return true
	})
	if _, err := c.Upload(ctx, bytes.NewReader(data), int64(len(data)), "x", "", time.Time{}, nil); !errors.Is(err, client.ErrIntegrity) {
		t.Fatalf("upload with a wrong digest answered: %v", err)
	}
	e.tamper(nil)
	out.Reset()
	if _, err := c2.Download(ctx, id, &out); err != nil || !bytes.Equal(out.Bytes(), data) {
		t.Fatal(err)
	}
}

// TestPlaintextNeverSent (property 18, client side): a marker written in a
// document, a file name, a media type and file content never appears in any
// request the server receives, nor in any answer it stores.
func TestPlaintextNeverSent(t *testing.T) {
	e := newEnv(t)
	const marker = "zq-MARKER-7731-qz"
	var mu sync.Mutex
	var seen bytes.Buffer
	e.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen.WriteString(r.URL.String())
		for k, v := range r.Header {
			seen.WriteString(k + strings.Join(v, ","))
		}
		seen.Write(b)
		mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(b))
		return false
	})
	c, _, _ := e.signup("a long test passphrase")
	id, _, err := c.Create(ctx, notes, []byte(`{"title":"`+marker+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	c.Put(ctx, notes, id, []byte(marker+" v2"))
	c.PutMany(ctx, notes, []client.Item{{Content: []byte(marker + " bulk")}})
	content := strings.Repeat(marker, 5000)
	if _, err := c.Upload(ctx, strings.NewReader(content), int64(len(content)), marker+".txt", "text/x-"+strings.ToLower(marker), time.Now(), nil); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if seen.Len() < len(content) {
		t.Fatal("the hook saw too little")
	}
	if bytes.Contains(seen.Bytes(), []byte(marker)) || bytes.Contains(bytes.ToLower(seen.Bytes()), []byte(strings.ToLower(marker))) {
		t.Fatal("plaintext reached the server")
	}
}

// TestDownloadAfterRotation: a blob sealed with a key generation the
// device's keyring lacks (another device rotated the key, and a document the
// device can open names it) makes the device reload its keyring rather than
// report a spurious integrity error.
func TestDownloadAfterRotation(t *testing.T) {
	e := newEnv(t)
	c1, user, _ := e.signup("a long test passphrase")
	if _, err := c1.Upload(ctx, strings.NewReader("first"), 5, "first.txt", "", time.Time{}, nil); err != nil {
		t.Fatal(err)
	}
	c2, err := client.Login(ctx, e.url, user, "a long test passphrase", "", opts) // holds generation 1
	if err != nil {
		t.Fatal(err)
	}
	mustCatchUp(t, c2)
	rotate(t, e, c1, client.FilesDoctype)
	c3, err := client.Login(ctx, e.url, user, "a long test passphrase", "", opts) // holds generation 2
	if err != nil {
		t.Fatal(err)
	}
	mustCatchUp(t, c3)
	id, err := c3.Upload(ctx, strings.NewReader("second"), 6, "second.txt", "", time.Time{}, nil) // blob of generation 2
	if err != nil {
		t.Fatal(err)
	}
	doc, err := c3.Get(ctx, client.FilesDoctype, id)
	if err != nil {
		t.Fatal(err)
	}
	// c1, whose keyring predates the rotation, names the blob in a new
	// document sealed with generation 1.
	id1 := "named-by-an-older-keyring"
	if _, err := c1.Put(ctx, client.FilesDoctype, id1, doc.Content); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	info, err := c2.Download(ctx, id1, &out)
	if err != nil || out.String() != "second" || info.Name != "second.txt" {
		t.Fatal(info, err)
	}
}
