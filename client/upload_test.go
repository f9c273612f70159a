//go:build hearthtest

package client_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hearthcloud/hearth/client"
)

// Resumable uploads (spec §8.7.3): large blobs go through an upload
// session, which survives cut connections.

// cutter is a TCP proxy in front of a server that cuts the connection of
// a PATCH of an upload session after `after` bytes of it, cuts times.
type cutter struct {
	url   string
	after int
	cuts  atomic.Int32 // cuts left to make
	made  atomic.Int32
	patch atomic.Int64 // PATCH bytes forwarded (request lines, headers, bodies)
}

func newCutter(t *testing.T, target string, after, cuts int) *cutter {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	c := &cutter{url: "http://" + ln.Addr().String(), after: after}
	c.cuts.Store(int32(cuts))
	addr := strings.TrimPrefix(target, "http://")
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", addr)
			if err != nil {
				in.Close()
				continue
			}
			go func() { io.Copy(in, out); in.Close() }()
			go c.forward(in, out)
		}
	}()
	return c
}

// forward copies a client's bytes to the server, cutting both connections
// once a PATCH to an upload session has sent c.after bytes, while cuts
// remain.
func (c *cutter) forward(in, out net.Conn) {
	defer out.Close()
	buf := make([]byte, 32<<10)
	inPatch, sent := false, 0
	for {
		n, err := in.Read(buf)
		if n > 0 {
			chunk := buf[:n]
			if bytes.Contains(chunk, []byte("PATCH /v1/uploads/")) || bytes.Contains(chunk, []byte("PATCH /v1/links/")) {
				inPatch, sent = true, 0
			} else if bytes.HasPrefix(chunk, []byte("GET ")) || bytes.HasPrefix(chunk, []byte("POST ")) ||
				bytes.HasPrefix(chunk, []byte("HEAD ")) || bytes.HasPrefix(chunk, []byte("PUT ")) {
				inPatch = false
			}
			if inPatch {
				c.patch.Add(int64(n))
				if sent+n > c.after && c.cuts.Load() > 0 {
					c.cuts.Add(-1)
					c.made.Add(1)
					out.Write(chunk[:c.after-sent])
					time.Sleep(20 * time.Millisecond)
					in.Close()
					return
				}
				sent += n
			}
			if _, err := out.Write(chunk); err != nil {
				in.Close()
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// TestUploadResumesCutPatches uploads a 40 MiB file (five pieces) through
// a proxy that cuts PATCHes mid-body three times: the upload completes,
// resuming each time from where the server stood (far fewer bytes sent
// than a restart from 0 would take), and the file downloads verified on
// another device.
func TestUploadResumesCutPatches(t *testing.T) {
	defer client.SetUploadBackoffForTesting(10*time.Millisecond, 50*time.Millisecond)()
	e := newEnv(t)
	_, user, _ := e.signup("a long test passphrase")
	px := newCutter(t, e.url, 3<<20+12345, 3)
	c, err := client.Login(ctx, px.url, user, "a long test passphrase", "", opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 40<<20)
	rand.Read(data)
	var last, total int64
	var back bool
	id, err := c.Upload(ctx, bytes.NewReader(data), int64(len(data)), "big.bin", "", time.Time{}, func(done, tot int64) {
		if done < last {
			back = true
		}
		last, total = done, tot
	})
	if err != nil {
		t.Fatal(err)
	}
	if px.made.Load() != 3 {
		t.Fatalf("%d PATCHes cut, want 3", px.made.Load())
	}
	if back || last != int64(len(data)) || total != int64(len(data)) {
		t.Fatalf("progress went back (%v) or ended at %d of %d", back, last, total)
	}
	if sent := px.patch.Load(); sent > int64(len(data))+int64(len(data))/4 {
		t.Fatalf("%d PATCH bytes sent for %d: the upload restarted instead of resuming", sent, len(data))
	}
	c2, err := client.Login(ctx, e.url, user, "a long test passphrase", "", opts)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := c2.Download(ctx, id, &out); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), data) {
		t.Fatal("the downloaded file differs")
	}
}

// TestUploadSessionRequests: a small blob still goes in one PUT; a large
// one creates one session, sends pieces of 8 MiB and completes it.
func TestUploadSessionRequests(t *testing.T) {
	e := newEnv(t)
	c, _, _ := e.signup("a long test passphrase")
	var mu sync.Mutex
	var seen []string
	e.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if strings.Contains(r.URL.Path, "/blobs/") || strings.Contains(r.URL.Path, "/uploads/") {
			mu.Lock()
			seen = append(seen, r.Method+" "+strings.Split(r.URL.Path, "/")[2])
			mu.Unlock()
		}
		return false
	})
	small := make([]byte, 6<<20) // sealed and padded, under 8 MiB
	if _, err := c.Upload(ctx, bytes.NewReader(small), int64(len(small)), "small", "", time.Time{}, nil); err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 20<<20)
	if _, err := c.Upload(ctx, bytes.NewReader(big), int64(len(big)), "big", "", time.Time{}, nil); err != nil {
		t.Fatal(err)
	}
	want := "PUT blobs,POST uploads,PATCH uploads,PATCH uploads,PATCH uploads"
	if got := strings.Join(seen, ","); got != want {
		t.Fatalf("requests %s, want %s", got, want)
	}
}

// TestUploadCancelDeletesSession: cancelling an upload through a session
// deletes the session; nothing of it remains visible.
func TestUploadCancelDeletesSession(t *testing.T) {
	e := newEnv(t)
	c, _, _ := e.signup("a long test passphrase")
	cctx, cancel := context.WithCancel(ctx)
	var deleted atomic.Bool
	e.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if r.Method == "PATCH" {
			cancel() // during the first piece
		}
		if r.Method == "DELETE" && strings.Contains(r.URL.Path, "/uploads/") {
			rec := capture(next, r)
			deleted.Store(rec.Code == 204)
			replay(w, rec, rec.Body.Bytes())
			return true
		}
		return false
	})
	big := make([]byte, 20<<20)
	_, err := c.Upload(cctx, bytes.NewReader(big), int64(len(big)), "big", "", time.Time{}, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled upload: %v", err)
	}
	if !deleted.Load() {
		t.Fatal("the cancelled upload's session was not deleted")
	}
}

// TestUploadGivesUpAfterWindow: with the server gone for longer than the
// retry window, the upload fails with the network's error.
func TestUploadGivesUpAfterWindow(t *testing.T) {
	defer client.SetUploadBackoffForTesting(10*time.Millisecond, 20*time.Millisecond)()
	e := newEnv(t)
	_, user, _ := e.signup("a long test passphrase")
	o := *opts
	o.UploadRetry = 300 * time.Millisecond
	c, err := client.Login(ctx, e.url, user, "a long test passphrase", "", &o)
	if err != nil {
		t.Fatal(err)
	}
	c.CatchUp(ctx)
	var patches atomic.Int32
	e.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if r.Method == "PATCH" || r.Method == "GET" && strings.Contains(r.URL.Path, "/uploads/") {
			patches.Add(1)
			w.WriteHeader(http.StatusBadGateway) // a proxy whose server is down
			return true
		}
		return false
	})
	start := time.Now()
	big := make([]byte, 12<<20)
	_, err = c.Upload(ctx, bytes.NewReader(big), int64(len(big)), "big", "", time.Time{}, nil)
	if err == nil || !strings.Contains(err.Error(), "no progress") {
		t.Fatalf("upload with the server down: %v", err)
	}
	if el := time.Since(start); el > 5*time.Second || patches.Load() < 3 {
		t.Fatalf("gave up after %v and %d attempts", el, patches.Load())
	}
}
