//go:build hearthtest

package client_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hearthcloud/hearth/client"
)

// Found by the load harness (issue 13, internal/loadtest).

// TestSyncDuringOwnWrite: a Sync whose page the server made before this
// device wrote a later revision of a document (the long-poll of an open
// app, while the user saves) is not a rollback: the page's revision is
// history, and the next Sync shows the later one. (It was reported as
// "the changes feed serves revision 1 as current after this device saw
// revision 2 (rolled back)".)
func TestSyncDuringOwnWrite(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c, _, _ := e.signup("a long test passphrase")
	if _, err := c.Put(ctx, "io.hearth.notes", "note", []byte("v1")); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	e.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if r.Method != "GET" || r.URL.Path != "/v1/changes" {
			return false
		}
		done := false
		once.Do(func() {
			rec := capture(next, r) // the page, with revision 1 current
			if _, err := c.Put(ctx, "io.hearth.notes", "note", []byte("v2")); err != nil {
				t.Error(err)
			}
			replay(w, rec, rec.Body.Bytes())
			done = true
		})
		return done
	})
	var seen []string
	if err := c.Sync(ctx, 0, func(ch client.Change) error {
		if ch.Doc != nil {
			seen = append(seen, string(ch.Doc.Content))
		}
		return nil
	}); err != nil {
		t.Fatalf("a Sync racing the device's own write: %v", err)
	}
	if len(seen) != 0 {
		t.Fatalf("the superseded revision was delivered as a document: %q", seen)
	}
	if err := c.Sync(ctx, 0, func(ch client.Change) error {
		if ch.Doc != nil {
			seen = append(seen, string(ch.Doc.Content))
		}
		return nil
	}); err != nil || len(seen) != 1 || seen[0] != "v2" {
		t.Fatalf("the next Sync: %q, %v", seen, err)
	}
}

// TestSyncRollbackStillCaught: the exception above covers only what the
// device learned while the page was on its way; a page that goes back
// before what the device knew when it asked is still a rollback.
func TestSyncRollbackStillCaught(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c, _, _ := e.signup("a long test passphrase")
	c.Put(ctx, "io.hearth.notes", "note", []byte("v1"))
	var page []byte
	var once sync.Once
	e.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if r.Method != "GET" || r.URL.Path != "/v1/changes" {
			return false
		}
		rec := capture(next, r)
		once.Do(func() { page = bytes.Clone(rec.Body.Bytes()) })
		replay(w, rec, page) // always the first page: revision 1 current
		return true
	})
	if err := c.Sync(ctx, 0, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Put(ctx, "io.hearth.notes", "note", []byte("v2")); err != nil {
		t.Fatal(err)
	}
	// A device that knows revision 2 reads the feed from its start.
	st := c.State()
	st.FeedSeq, st.FeedChain = 0, nil
	d, err := client.Resume(st, opts)
	if err != nil {
		t.Fatal(err)
	}
	err = d.Sync(ctx, 0, nil)
	if err == nil || !strings.Contains(err.Error(), "rolled back") {
		t.Fatalf("a page serving revision 1 after the device saw revision 2: %v", err)
	}
}

// TestUploadKeepsBlobWhenCreateUncertain: when the answer to the files
// document's write is lost (a cut connection, a timeout), the document may
// be stored, so the blob it names must stay. (Upload deleted it, leaving a
// file whose blob "the server says does not exist".)
func TestUploadKeepsBlobWhenCreateUncertain(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c, _, _ := e.signup("a long test passphrase")
	e.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if r.Method == "PUT" && strings.HasPrefix(r.URL.Path, "/v1/docs/io.hearth.files/") {
			capture(next, r)            // stored...
			panic(http.ErrAbortHandler) // ...and the answer lost
		}
		return false
	})
	body := make([]byte, 50_000)
	rand.Read(body)
	if _, err := c.Upload(ctx, bytes.NewReader(body), int64(len(body)), "f.bin", "", time.Now(), nil); err == nil {
		t.Fatal("the upload reported success with its answer lost")
	}
	e.tamper(nil)
	ids, err := c.List(ctx, client.FilesDoctype)
	if err != nil || len(ids) != 1 {
		t.Fatalf("files after the lost answer: %v %v", ids, err)
	}
	var out bytes.Buffer
	if _, err := c.Download(ctx, ids[0], &out); err != nil || !bytes.Equal(out.Bytes(), body) {
		t.Fatalf("the file whose answer was lost does not download: %v", err)
	}
}

// TestUploadReportsRefusal: an upload the server refuses before reading
// its body (here 503 unavailable with Retry-After) reports that refusal,
// not the sealer's "upload aborted" that follows it, which hid from
// callers that they should wait and retry.
func TestUploadReportsRefusal(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c, _, _ := e.signup("a long test passphrase")
	e.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if r.Method == "PUT" && strings.HasPrefix(r.URL.Path, "/v1/blobs/") {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Retry-After", "7")
			w.Header().Set("Connection", "close")
			w.WriteHeader(503)
			w.Write([]byte(`{"error":{"code":"unavailable","message":"busy"}}`))
			return true
		}
		return false
	})
	body := make([]byte, 200_000)
	_, err := c.Upload(ctx, bytes.NewReader(body), int64(len(body)), "f.bin", "", time.Now(), nil)
	var ae *client.APIError
	if !errors.As(err, &ae) || ae.Code != "unavailable" || ae.RetryAfter != 7*time.Second {
		t.Fatalf("an upload refused 503 before its body: %v", err)
	}
}

// TestUploadRegistersDoctype: a device that finds the files doctype in the
// keyring, added by another device that has not registered it with the
// server yet, can upload all the same. (The blob was refused 404
// unknown_doctype when ten devices of an account uploaded their first
// files at once.)
func TestUploadRegistersDoctype(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c1, user, _ := e.signup("a long test passphrase")
	c2, err := client.Login(ctx, e.url, user, "a long test passphrase", "", opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := c2.CatchUp(ctx); err != nil { // a device reads the history before it writes
		t.Fatal(err)
	}
	// c1's registration of the files doctype waits until c2 has uploaded.
	hold := make(chan struct{})
	var held atomic.Bool
	e.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if r.Method == "PUT" && r.URL.Path == "/v1/doctypes/"+client.FilesDoctype && held.CompareAndSwap(false, true) {
			<-hold
		}
		return false
	})
	body := []byte("a file")
	first := make(chan error, 1)
	go func() {
		_, err := c1.Upload(ctx, bytes.NewReader(body), int64(len(body)), "a", "", time.Now(), nil)
		first <- err
	}()
	// Wait until c1 has written the keyring with the files doctype and
	// is held registering it.
	for deadline := time.Now().Add(10 * time.Second); !held.Load(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("c1 never registered the files doctype")
		}
	}
	_, err = c2.Upload(ctx, bytes.NewReader(body), int64(len(body)), "b", "", time.Now(), nil)
	close(hold)
	if err != nil {
		t.Fatalf("an upload while another device had not yet registered the doctype: %v", err)
	}
	if err := <-first; err != nil {
		t.Fatal(err)
	}
}
