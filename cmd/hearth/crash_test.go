package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hearthcloud/hearth/client"
)

// TestCrashLosesNothingAcknowledged kills hearthd with SIGKILL in the middle
// of uploads, bulk writes and single writes, restarts it, and checks that
// every acknowledged write is intact, that nothing half written is visible
// (no temporary files, no body without a row), and that the whole changes
// feed still verifies on a new device.
func TestCrashLosesNothingAcknowledged(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts the server")
	}
	ctx := context.Background()
	const pw = "crash test password"
	d := startDaemon(t, t.TempDir(), "")
	c, _, err := client.Signup(ctx, d.url, "alice", pw, nil)
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		docs  = map[string]string{}   // acknowledged id -> content
		files = map[string][32]byte{} // acknowledged file id -> SHA-256 of content
		wg    sync.WaitGroup
		stop  = make(chan struct{})
	)
	stopped := func() bool {
		select {
		case <-stop:
			return true
		default:
			return false
		}
	}
	wg.Add(3)
	go func() { // uploads
		defer wg.Done()
		for i := 0; !stopped(); i++ {
			b := make([]byte, 1<<20+i*4099)
			rand.Read(b)
			id, err := c.Upload(ctx, bytes.NewReader(b), int64(len(b)), fmt.Sprintf("f%d.bin", i), "", time.Now(), nil)
			if err == nil {
				mu.Lock()
				files[id] = sha256.Sum256(b)
				mu.Unlock()
			}
		}
	}()
	go func() { // bulk writes
		defer wg.Done()
		for n := 0; !stopped(); n++ {
			items := make([]client.Item, 50)
			for i := range items {
				items[i] = client.Item{Content: []byte(fmt.Sprintf(`{"batch":%d,"i":%d}`, n, i))}
			}
			res, err := c.PutMany(ctx, "io.hearth.notes", items)
			if err != nil {
				continue
			}
			mu.Lock()
			for i, r := range res {
				if r.Err == nil {
					docs[r.ID] = string(items[i].Content)
				}
			}
			mu.Unlock()
		}
	}()
	go func() { // single writes
		defer wg.Done()
		for n := 0; !stopped(); n++ {
			content := fmt.Sprintf(`{"single":%d}`, n)
			id, _, err := c.Create(ctx, "io.hearth.tasks", []byte(content))
			if err == nil {
				mu.Lock()
				docs["tasks/"+id] = content
				mu.Unlock()
			}
		}
	}()
	// Let the work get going, then crash.
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		n, f := len(docs), len(files)
		mu.Unlock()
		if n >= 500 && f >= 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	d.kill()
	close(stop)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(docs) == 0 || len(files) == 0 {
		t.Fatalf("too little acknowledged before the crash: %d docs, %d files", len(docs), len(files))
	}
	t.Logf("acknowledged before the crash: %d documents, %d files", len(docs), len(files))

	d = startDaemon(t, d.dir, d.addr)
	for key, want := range docs {
		doctype, id := "io.hearth.notes", key
		if len(key) > 6 && key[:6] == "tasks/" {
			doctype, id = "io.hearth.tasks", key[6:]
		}
		got, err := c.Get(ctx, doctype, id)
		if err != nil {
			t.Fatalf("acknowledged %s/%s after the crash: %v", doctype, id, err)
		}
		if string(got.Content) != want {
			t.Fatalf("acknowledged %s/%s after the crash: %q, want %q", doctype, id, got.Content, want)
		}
	}
	for id, want := range files {
		h := sha256.New()
		if _, err := c.Download(ctx, id, h); err != nil {
			t.Fatalf("acknowledged file %s after the crash: %v", id, err)
		}
		if [32]byte(h.Sum(nil)) != want {
			t.Fatalf("file %s changed across the crash", id)
		}
	}
	// Nothing half written: no temporary files, and every body is named by
	// a row (start-up removed orphans).
	if tmp, _ := os.ReadDir(filepath.Join(d.dir, "blobs", "tmp")); len(tmp) != 0 {
		t.Fatalf("temporary files after restart: %d", len(tmp))
	}
	bodies := blobFiles(t, d.dir)
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(d.dir, "meta.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	var rows int
	if err := db.QueryRow(`SELECT count(DISTINCT digest) FROM blobs WHERE deleted = 0`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if rows != len(bodies) {
		t.Fatalf("%d live blob rows but %d body files", rows, len(bodies))
	}
	// A new device verifies the whole feed (chain, digests, every body).
	dev, err := client.Login(ctx, d.url, "alice", pw, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	if err := dev.Sync(ctx, 0, func(client.Change) error { seen++; return nil }); err != nil {
		t.Fatalf("the feed does not verify after the crash: %v", err)
	}
	if seen < len(docs) {
		t.Fatalf("the feed shows %d changes, fewer than the %d acknowledged documents", seen, len(docs))
	}
	// And the first device carries on where it was.
	if err := c.Sync(ctx, 0, func(client.Change) error { return nil }); err != nil {
		t.Fatalf("the writing device's feed after the crash: %v", err)
	}
}
