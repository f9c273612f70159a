//go:build hearthtest

package client_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/server/api"
	"github.com/hearthcloud/hearth/server/auth"
	blobmem "github.com/hearthcloud/hearth/server/blob/memory"
	"github.com/hearthcloud/hearth/server/meta"
	metamem "github.com/hearthcloud/hearth/server/meta/memory"
)

// TestAccountFull: a write refused for the quota is ErrAccountFull in
// every path (a document, a bulk write, a file), the account's record
// gives usage and limits, and a deletion makes room again.
func TestAccountFull(t *testing.T) {
	secret := make([]byte, 32)
	rand.Read(secret)
	m := metamem.New()
	m.SetDefaultLimits(meta.Limits{Bytes: 64 << 10})
	ts := httptest.NewServer(api.New(api.Config{Meta: m, Blobs: blobmem.New(1 << 30), Secret: secret,
		Hash: auth.HashParams{Memory: 64, Time: 1, Threads: 1}}))
	defer ts.Close()
	ctx := context.Background()
	c, _, err := client.Signup(ctx, ts.URL, "alice", "a long test passphrase", opts)
	if err != nil {
		t.Fatal(err)
	}
	id, _, err := c.Create(ctx, "io.hearth.notes", []byte(`{"title":"first"}`))
	if err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("x"), 70<<10)
	if _, err := c.Upload(ctx, bytes.NewReader(big), int64(len(big)), "big.bin", "", time.Time{}, nil); !errors.Is(err, client.ErrAccountFull) {
		t.Fatalf("an upload past the quota: %v, want ErrAccountFull", err)
	}
	filler := bytes.Repeat([]byte("y"), 16<<10)
	var full error
	for range 8 {
		if _, _, full = c.Create(ctx, "io.hearth.notes", filler); full != nil {
			break
		}
	}
	if !errors.Is(full, client.ErrAccountFull) {
		t.Fatalf("documents past the quota: %v, want ErrAccountFull", full)
	}
	res, err := c.PutMany(ctx, "io.hearth.notes", []client.Item{{Content: filler}})
	if err != nil || !errors.Is(res[0].Err, client.ErrAccountFull) {
		t.Fatalf("a bulk write past the quota: %v %+v", err, res)
	}
	a, err := c.Account(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if a.Quota.Bytes == nil || *a.Quota.Bytes != 64<<10 || a.Quota.Docs != nil || a.Usage.Bytes <= 48<<10 || a.Usage.Docs < 3 {
		t.Fatalf("account: usage %+v, quota %v %v", a.Usage, a.Quota.Bytes, a.Quota.Docs)
	}
	ids, err := c.List(ctx, "io.hearth.notes")
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range ids {
		if x != id {
			if err := c.Delete(ctx, "io.hearth.notes", x); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, _, err := c.Create(ctx, "io.hearth.notes", filler); err != nil {
		t.Fatalf("a write after deleting: %v", err)
	}
}

// TestSignupInvitation: the client reads the sign-up mode, and signs up
// with Options.Invite; without it the server refuses.
func TestSignupInvitation(t *testing.T) {
	secret := make([]byte, 32)
	rand.Read(secret)
	m := metamem.New()
	ts := httptest.NewServer(api.New(api.Config{Meta: m, Blobs: blobmem.New(1 << 30), Secret: secret, SignupInvite: true,
		Hash: auth.HashParams{Memory: 64, Time: 1, Threads: 1}}))
	defer ts.Close()
	ctx := context.Background()
	info, err := client.GetServerInfo(ctx, ts.URL, nil)
	if err != nil || info.Signup != "invite" {
		t.Fatalf("server info: %+v %v", info, err)
	}
	code, hash := auth.NewInvite()
	if err := m.PutInvite(ctx, &meta.Invite{Hash: hash, Created: time.Now(), Expires: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	var ae *client.APIError
	if _, _, err := client.Signup(ctx, ts.URL, "alice", "a long test passphrase", opts); !errors.As(err, &ae) || ae.Code != "forbidden" {
		t.Fatalf("sign-up without an invitation: %v", err)
	}
	o := *opts
	o.Invite = code
	if _, _, err := client.Signup(ctx, ts.URL, "alice", "a long test passphrase", &o); err != nil {
		t.Fatalf("sign-up with an invitation: %v", err)
	}
}
