package web_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/wasm/web/browsertest"
)

// TestWebFilesLargeDownload: a large file downloads from the Files page
// with its chunks opened by the seal worker (spec/web.md §3.7), byte for
// byte; a host that changes one byte of its blob, or cuts it short, gets
// an integrity error on the page and no file in the Downloads folder.
func TestWebFilesLargeDownload(t *testing.T) {
	env, host := startLinkEnv(t)
	const user, password = "hazel", "a large download password"
	ctx := context.Background()
	dev, _, err := client.Signup(ctx, env.ServerURL(), user, password, nil)
	if err != nil {
		t.Fatal(err)
	}
	src := make([]byte, 40<<20+12345)
	rand.Read(src)
	if _, err := dev.Upload(ctx, bytes.NewReader(src), int64(len(src)), "large.bin", "application/octet-stream", time.Time{}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := dev.Upload(ctx, bytes.NewReader([]byte("small")), 5, "small.txt", "text/plain", time.Time{}, nil); err != nil {
		t.Fatal(err)
	}
	blob := named(fileDocs(t, dev), "large.bin", "").Blob
	tab := env.NewTab(t)
	installFiles(t, env, tab, user, password)
	dl := t.TempDir()
	allowDownloads(t, tab, dl)

	selectRows(t, tab, "large.bin")
	click(tab, `#selbar [data-act=download]`)
	if b := waitDownload(t, tab, dl, "large.bin"); !bytes.Equal(b, src) {
		t.Fatalf("large.bin downloaded as %d bytes, not the %d uploaded", len(b), len(src))
	}
	if !sealWorkerRuns(t, tab) {
		t.Error("the download was not opened by the seal worker")
	}
	// In a zip (written in Go, which computes each entry's CRC), beside a
	// small file: the seal worker opens the chunks, Go reads them.
	selectRows(t, tab, "large.bin", "small.txt")
	click(tab, `#selbar [data-act=download]`)
	zipped := unzip(t, waitDownload(t, tab, dl, "Files.zip"))
	if !bytes.Equal([]byte(zipped["large.bin"]), src) || zipped["small.txt"] != "small" {
		t.Fatalf("the zip holds %d entries; large.bin %d bytes", len(zipped), len(zipped["large.bin"]))
	}
	os.Remove(filepath.Join(dl, "Files.zip"))
	selectRows(t, tab, "large.bin")

	for _, c := range []struct {
		what   string
		change func([]byte) []byte
	}{
		{"a byte changed in the middle", func(b []byte) []byte { b[20<<20] ^= 1; return b }},
		{"a byte changed in the last chunk", func(b []byte) []byte { b[len(b)-3] ^= 1; return b }},
		{"the last chunk cut off", func(b []byte) []byte { return b[:len(b)-20000] }},
	} {
		host.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
			if r.Method != "GET" || !strings.HasSuffix(r.URL.Path, "/"+blob) {
				return false
			}
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			body := c.change(rec.Body.Bytes())
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.Header().Del("Content-Length")
			w.WriteHeader(rec.Code)
			w.Write(body)
			return true
		})
		browsertest.Eval[bool](tab, `(document.querySelector("#msg").textContent = "", true)`)
		click(tab, `#selbar [data-act=download]`)
		tab.WaitTrue(`document.querySelector("#msg").textContent.includes("Integrity check failed")`)
		host.tamper(nil)
		time.Sleep(500 * time.Millisecond) // a download the page started would show by now
		ents, _ := os.ReadDir(dl)
		if len(ents) != 1 {
			var names []string
			for _, e := range ents {
				names = append(names, e.Name())
			}
			t.Errorf("%s: the Downloads folder holds %q", c.what, names)
		}
	}
	tab.Screenshots("integrity")
}
