//go:build hearthtest

package client_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/server/api"
	"github.com/hearthcloud/hearth/server/auth"
	blobmem "github.com/hearthcloud/hearth/server/blob/memory"
	"github.com/hearthcloud/hearth/server/meta"
	metamem "github.com/hearthcloud/hearth/server/meta/memory"
)

// TestUploadLimits: a file larger than the server's largest blob, and
// files that do not fit in the account's quota, are refused before
// anything of them is sent, with the numbers (the longest file the
// server takes, to the byte; the room left and the quota); an app, which
// cannot read the account's usage, gets the same numbers from the
// server's refusal of its upload's first request.
func TestUploadLimits(t *testing.T) {
	const maxBlob, quota = 1 << 20, 3 << 20
	secret := make([]byte, 32)
	rand.Read(secret)
	m := metamem.New()
	m.SetDefaultLimits(meta.Limits{Bytes: quota})
	srv := api.New(api.Config{Meta: m, Blobs: blobmem.New(1 << 30), Secret: secret, MaxBlobSize: maxBlob,
		Hash: auth.HashParams{Memory: 64, Time: 1, Threads: 1}})
	var sends atomic.Int64 // requests that carry, or open, a blob
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != "GET" && (strings.HasPrefix(r.URL.Path, "/v1/blobs/") || strings.HasPrefix(r.URL.Path, "/v1/uploads/")) {
			sends.Add(1)
		}
		srv.ServeHTTP(w, r)
	}))
	defer ts.Close()
	e := &env{t: t, url: ts.URL}
	c, _, _ := e.signup("a long test passphrase")

	info, err := client.GetServerInfo(ctx, ts.URL, opts)
	if err != nil || info.MaxBlob != maxBlob {
		t.Fatalf("server info %+v, %v", info, err)
	}
	big := make([]byte, 2<<20)
	_, err = c.UploadFile(ctx, "", bytes.NewReader(big), int64(len(big)), "film.iso", "", time.Time{}, nil)
	var tooLarge *client.FileTooLargeError
	if !errors.As(err, &tooLarge) || tooLarge.Name != "film.iso" || tooLarge.Size != 2<<20 || tooLarge.Max > maxBlob || tooLarge.Max < maxBlob-(64<<10) {
		t.Fatalf("a file over the largest blob: %v", err)
	}
	if !strings.Contains(err.Error(), "film.iso is 2 MiB; this server takes files up to 1") {
		t.Fatalf("said: %v", err)
	}
	if n := sends.Load(); n != 0 {
		t.Fatalf("%d requests sent a blob", n)
	}
	// Max is the longest file the server takes, to the byte.
	exact := make([]byte, tooLarge.Max)
	if _, err := c.UploadFile(ctx, "", bytes.NewReader(exact), tooLarge.Max, "film.iso", "", time.Time{}, nil); err != nil {
		t.Fatalf("a file of the longest length: %v", err)
	}
	over := make([]byte, tooLarge.Max+1)
	if _, err := c.UploadFile(ctx, "", bytes.NewReader(over), tooLarge.Max+1, "film.iso", "", time.Time{}, nil); !errors.As(err, &tooLarge) {
		t.Fatalf("a byte more: %v", err)
	}

	// The quota: four files that do not fit together are refused before
	// any is sent.
	sends.Store(0)
	part := make([]byte, 900<<10)
	var srcs []client.UploadSource
	for _, n := range []string{"a", "b", "c", "d"} {
		srcs = append(srcs, client.UploadSource{Path: "parts/" + n, Size: int64(len(part)), Open: func() (io.ReadCloser, error) { return readSeekCloser{bytes.NewReader(part)}, nil }})
	}
	_, err = c.UploadAll(ctx, "", srcs, nil)
	var noRoom *client.NoRoomError
	if !errors.As(err, &noRoom) || !errors.Is(err, client.ErrAccountFull) || noRoom.Quota != quota || noRoom.Left <= 0 || noRoom.Left >= quota-maxBlob+(64<<10) || noRoom.Need < 4*900<<10 {
		t.Fatalf("files past the quota: %v", err)
	}
	if !strings.HasPrefix(err.Error(), "not enough space: ") || !strings.Contains(err.Error(), " left of 3 MiB") {
		t.Fatalf("said: %v", err)
	}
	if n := sends.Load(); n != 0 {
		t.Fatalf("%d requests sent a blob", n)
	}

	// An app cannot read the account's usage: the server's refusal of the
	// upload's first request says the numbers.
	k := connect(t, e, []client.Scope{{Doctype: client.FilesDoctype, Verbs: []string{"read", "write", "delete"}}})
	for i := 0; ; i++ {
		_, err = k.app.UploadFile(ctx, "", bytes.NewReader(part), int64(len(part)), "part"+string(rune('a'+i)), "", time.Time{}, nil)
		if err != nil || i > 5 {
			break
		}
	}
	if !errors.As(err, &noRoom) || noRoom.Quota != quota || noRoom.Left >= int64(len(part)) || !errors.Is(err, client.ErrAccountFull) {
		t.Fatalf("an app's upload past the quota: %v", err)
	}
}
