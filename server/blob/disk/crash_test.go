package disk_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/hearthcloud/hearth/server/blob"
	"github.com/hearthcloud/hearth/server/blob/blobtest"
	"github.com/hearthcloud/hearth/server/blob/disk"
)

// helperEnv names the store directory of TestHelperProcess; it is set only
// in the subprocess that TestCrashMidPut starts and kills.
const helperEnv = "HEARTH_DISK_CRASH_HELPER_DIR"

const (
	durableSize = 3 << 20   // the body whose Put returns before the kill
	slowSize    = 256 << 20 // the body whose Put is killed
	slowSignal  = 3 << 20   // bytes of it read before the child says so
)

// TestHelperProcess is the child of TestCrashMidPut, not a test of its own.
// It stores one body, reports its digest, then starts a slow Put and
// reports when a few MiB of it are in its temporary file.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv(helperEnv)
	if dir == "" {
		t.Skip("helper process for TestCrashMidPut")
	}
	s, err := disk.Open(dir, slowSize)
	if err != nil {
		t.Fatal(err)
	}
	b := blobtest.Body(6, durableSize)
	d, err := s.Put(context.Background(), bytes.NewReader(b), int64(len(b)), nil)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("PUT-DONE %x\n", d)
	_, err = s.Put(context.Background(), &slowReader{left: slowSize}, slowSize, nil)
	t.Errorf("slow Put returned %v; the parent should have killed this process", err)
}

// slowReader yields left zero bytes, 64 KiB at a time with a pause between
// reads, and prints SLOW-STARTED once slowSignal bytes have been read.
type slowReader struct {
	left, read int
	signalled  bool
}

func (r *slowReader) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	time.Sleep(5 * time.Millisecond)
	n := min(len(p), r.left, 64<<10)
	clear(p[:n])
	r.left -= n
	r.read += n
	if r.read >= slowSignal && !r.signalled {
		r.signalled = true
		fmt.Println("SLOW-STARTED")
	}
	return n, nil
}

// TestCrashMidPut kills (SIGKILL on Unix) a process in the middle of a Put
// and checks that, reopened, the store shows only the body whose Put had
// returned, intact, and no debris. A killed process keeps the page cache, so
// this checks visibility and clean-up, not the fsyncs against power loss.
func TestCrashMidPut(t *testing.T) {
	if runtime.GOOS == "js" || runtime.GOOS == "wasip1" {
		t.Skip("no subprocesses on " + runtime.GOOS)
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"="+dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	defer func() {
		if !killed {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()

	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var durable blob.Digest
	var seen []string // the helper's output, for failure messages
	timeout := time.After(60 * time.Second)
wait:
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				cmd.Wait()
				t.Fatalf("helper exited before the slow Put started; stdout:\n%s\nstderr:\n%s", strings.Join(seen, "\n"), &stderr)
			}
			seen = append(seen, line)
			if h, ok := strings.CutPrefix(line, "PUT-DONE "); ok {
				if _, err := hex.Decode(durable[:], []byte(h)); err != nil {
					t.Fatalf("helper printed %q: %v", line, err)
				}
			}
			if line == "SLOW-STARTED" {
				break wait
			}
		case <-timeout:
			t.Fatalf("helper did not start the slow Put in time; stdout:\n%s", strings.Join(seen, "\n"))
		}
	}
	if durable == (blob.Digest{}) {
		t.Fatal("helper started the slow Put without reporting the first")
	}

	// The slow Put is under way: its temporary file holds some MiB.
	tmp, err := os.ReadDir(filepath.Join(dir, "tmp"))
	if err != nil {
		t.Fatal(err)
	}
	if len(tmp) != 1 {
		t.Fatalf("tmp/ holds %d files during the slow Put, want 1", len(tmp))
	}
	if fi, err := tmp[0].Info(); err != nil || fi.Size() < 1<<20 {
		t.Fatalf("temporary file during the slow Put: %v, %v; want at least 1 MiB", fi, err)
	}

	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	killed = true
	if cmd.ProcessState.Success() {
		t.Fatal("helper exited successfully; want it killed")
	}
	for range lines { // drain, so the reading goroutine ends
	}

	s := open(t, dir)
	checkTmpEmpty(t, dir)
	var listed []blob.Digest
	err = s.Enumerate(context.Background(), func(d blob.Digest, size int64) error {
		listed = append(listed, d)
		if d == durable && size != durableSize {
			t.Errorf("durable body listed with size %d, want %d", size, durableSize)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(listed) != 1 || listed[0] != durable {
		t.Errorf("after the crash Enumerate lists %x, want only %x", listed, durable)
	}
	r, _, err := s.Get(context.Background(), durable)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if blobtest.Sum(got) != durable {
		t.Errorf("durable body after the crash has digest %x, want %x", blobtest.Sum(got), durable)
	}
}
