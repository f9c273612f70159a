package main

import (
	"bytes"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Resumable uploads (spec §8.7.3) end to end: the built hearth and hearthd.

// startUpload starts `hearth upload src --ids` in the background.
func (c *cli) startUpload(src string) (*exec.Cmd, *syncBuf, *syncBuf) {
	c.t.Helper()
	cmd := exec.Command(bins.hearth, "upload", src, "--ids")
	cmd.Env = append(os.Environ(), "HEARTH_HOME="+c.home, "HEARTH_PASSWORD="+c.password)
	out, errb := &syncBuf{}, &syncBuf{}
	cmd.Stdout, cmd.Stderr = out, errb
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	return cmd, out, errb
}

// partialBytes returns the size of the largest partial upload in a data
// folder (0: none).
func partialBytes(dir string) int64 {
	entries, _ := os.ReadDir(filepath.Join(dir, "blobs", "uploads"))
	var n int64
	for _, e := range entries {
		if fi, err := e.Info(); err == nil && fi.Size() > n {
			n = fi.Size()
		}
	}
	return n
}

// sessionOffset reads the offset the server recorded for its one upload
// session (-1: none), from the database, read-only.
func sessionOffset(t *testing.T, dir string) int64 {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "meta.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var off int64
	if err := db.QueryRow(`SELECT received FROM uploads`).Scan(&off); err == sql.ErrNoRows {
		return -1
	} else if err != nil {
		t.Fatal(err)
	}
	return off
}

// waitPartial waits until a partial upload in dir holds at least n bytes.
func waitPartial(t *testing.T, dir string, n int64, what *syncBuf) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for partialBytes(dir) < n {
		if time.Now().After(deadline) {
			t.Fatalf("no partial upload of %d bytes appeared (largest %d)\n%s", n, partialBytes(dir), what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestCrashMidUploadResumes starts `hearth upload` of a 64 MiB file,
// kills hearthd with SIGKILL in the middle, and restarts it on the same
// data folder and port: the same upload process carries on from the
// offset the server recorded (no new session, and only the pieces not yet
// stored are sent again), and `hearth download` gives identical bytes.
func TestCrashMidUploadResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts the server")
	}
	d := startDaemon(t, t.TempDir(), "")
	c := newCLI(t, "crash mid upload password")
	c.ok("", "signup", "--server", d.url, "--user", "alice")
	src := filepath.Join(t.TempDir(), "big.bin")
	data := make([]byte, 64<<20)
	rand.Read(data)
	os.WriteFile(src, data, 0o600)

	up, out, errb := c.startUpload(src)
	waitPartial(t, d.dir, 20<<20, errb)
	d.kill()
	at := sessionOffset(t, d.dir)
	if at < 8<<20 || at >= int64(len(data)) {
		t.Fatalf("the session stood at %d when the server died", at)
	}
	t.Logf("hearthd killed with the session at %d sealed bytes, of a file of %d", at, len(data))
	time.Sleep(500 * time.Millisecond) // the client notices and waits
	d = startDaemon(t, d.dir, d.addr)
	if err := up.Wait(); err != nil {
		t.Fatalf("hearth upload: %v\n%s", err, errb)
	}
	id := uploadedID(t, out.String())
	// Resumed, not restarted: the restarted server made no new session,
	// and took only the pieces from the recorded offset on.
	log := d.log.String()
	if n := strings.Count(log, "method=POST route=/v1/uploads/"); n != 0 {
		t.Fatalf("the restarted server saw %d new upload sessions:\n%s", n, log)
	}
	patches := strings.Count(log, "method=PATCH route=/v1/uploads/")
	if left := (int64(len(data)) - at + 8<<20 - 1) / (8 << 20); patches == 0 || int64(patches) > left+2 {
		t.Fatalf("the restarted server took %d PATCHes for the %d bytes left", patches, int64(len(data))-at)
	}
	dst := filepath.Join(t.TempDir(), "back.bin")
	c.ok("", "download", id, "-o", dst)
	if got, _ := os.ReadFile(dst); !bytes.Equal(got, data) {
		t.Fatal("the downloaded file differs from the one uploaded across the crash")
	}
	if n := partialBytes(d.dir); n != 0 || sessionOffset(t, d.dir) != -1 {
		t.Fatal("a session or partial upload remains after completion")
	}
}

// TestSessionUploadZeroKnowledge: a file uploaded through sessions, and a
// session left half done (its client killed), leave no plaintext marker in
// the data folder (partial uploads included), the server's log, or any
// request the server received (spec §1.3, SECURITY.md 18).
func TestSessionUploadZeroKnowledge(t *testing.T) {
	mk := make([]byte, 16)
	rand.Read(mk)
	marker := "ZKUPLOAD" + strings.ToUpper(hex.EncodeToString(mk))
	d := startDaemon(t, t.TempDir(), "")
	rec := newRecorder(t, d.url)
	c := newCLI(t, "zero knowledge uploads")
	c.ok("", "signup", "--server", rec.url, "--user", "alice")
	content := bytes.Repeat([]byte("session line with "+marker+"\n"), 400000) // 23 MiB: three pieces
	src := filepath.Join(t.TempDir(), marker+".txt")
	os.WriteFile(src, content, 0o600)
	fid := uploadedID(t, c.ok("", "upload", src, "--ids"))
	out := filepath.Join(t.TempDir(), "back.txt")
	c.ok("", "download", fid, "-o", out)
	if got, _ := os.ReadFile(out); !bytes.Equal(got, content) {
		t.Fatal("round trip failed")
	}
	if !bytes.Contains(rec.Bytes(), []byte("PATCH /v1/uploads/io.hearth.files/")) {
		t.Fatal("the upload did not go through a session")
	}
	// A second upload killed half way: its session and partial file stay.
	src2 := filepath.Join(t.TempDir(), "second "+marker+".txt")
	os.WriteFile(src2, bytes.Repeat(content, 3), 0o600)
	up, _, errb := c.startUpload(src2)
	waitPartial(t, d.dir, 9<<20, errb)
	up.Process.Kill()
	up.Wait()
	if partialBytes(d.dir) == 0 {
		t.Fatal("no partial upload left to check")
	}
	check := func(when string) {
		t.Helper()
		if findMarker(rec.Bytes(), marker) {
			t.Errorf("%s: the marker reached the server in a request", when)
		}
		if findMarker([]byte(d.log.String()+d.out.String()), marker) {
			t.Errorf("%s: the marker is in the server's log", when)
		}
		filepath.WalkDir(d.dir, func(p string, e fs.DirEntry, err error) error {
			if err != nil || !e.Type().IsRegular() {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if findMarker(b, marker) || findMarker([]byte(p), marker) {
				t.Errorf("%s: the marker is in %s", when, p)
			}
			return nil
		})
	}
	check("running")
	d.stop()
	check("stopped")
}
