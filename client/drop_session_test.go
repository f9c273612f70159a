//go:build hearthtest

package client_test

import (
	"bytes"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/hearthcloud/hearth/client"
)

// A stranger's large drop goes through an upload session of the link
// (§8.12.5) and resumes after cut connections: the owner adopts it whole.
func TestDropResumesCutPatches(t *testing.T) {
	defer client.SetUploadBackoffForTesting(10*time.Millisecond, 50*time.Millisecond)()
	e := newEnv(t)
	c, _, _ := e.signup("a long test passphrase")
	mkdir(t, c, "", "Inbox")
	url, err := c.Request(ctx, "Inbox", client.RequestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	px := newCutter(t, e.url, 3<<20+4321, 2)
	data := make([]byte, 20<<20)
	rand.Read(data)
	n, err := client.Drop(ctx, strings.Replace(url, e.url, px.url, 1),
		[]client.DropFile{{Name: "scan.bin", Size: int64(len(data)), Content: bytes.NewReader(data)}}, nil)
	if err != nil || n != 1 {
		t.Fatalf("Drop = %d, %v", n, err)
	}
	if px.made.Load() != 2 {
		t.Fatalf("%d PATCHes cut, want 2 (the drop did not go through a session?)", px.made.Load())
	}
	if sent := px.patch.Load(); sent > int64(len(data))+int64(len(data))/4 {
		t.Fatalf("%d PATCH bytes sent for %d: the drop restarted instead of resuming", sent, len(data))
	}
	adopted, err := c.AdoptDrops(ctx)
	if err != nil || len(adopted) != 1 || adopted[0].Err != nil {
		t.Fatalf("AdoptDrops = %+v, %v", adopted, err)
	}
	var out bytes.Buffer
	if _, err := c.Download(ctx, adopted[0].FileID, &out); err != nil || !bytes.Equal(out.Bytes(), data) {
		t.Fatalf("the adopted drop differs: %v", err)
	}
}
