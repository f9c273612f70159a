package sqlite

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hearthcloud/hearth/internal/wire"
	"github.com/hearthcloud/hearth/server/meta"
)

// crashEnv names the database of TestCrashHelper; it is set only in the
// subprocess that TestCrashMidPutDocs starts and kills.
const crashEnv = "HEARTH_SQLITE_CRASH_HELPER_DB"

const (
	crashWorkers = 8
	crashAcks    = 400 // acknowledged calls before the parent kills
)

// crashBody is the sealed stand-in for a document revision.
func crashBody(id string, rev uint64) []byte {
	return fmt.Appendf(nil, "sealed(%s@%d)", id, rev)
}

// TestCrashHelper is the child of TestCrashMidPutDocs, not a test of its
// own. Several goroutines call PutDocs without pause, creating and updating
// documents, and after each call returns print one line naming every write
// it stored: "ACK seq:id:rev ...".
func TestCrashHelper(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("helper process for TestCrashMidPutDocs")
	}
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	a := &meta.Account{User: "alice", KDF: meta.KDF{Alg: "argon2id", Memory: 1, Time: 1, Threads: 1}, LoginHash: "h"}
	if err := s.CreateAccount(ctx, a, nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutDoctype(ctx, "alice", notes); err != nil {
		t.Fatal(err)
	}
	fmt.Println("READY")
	var out sync.Mutex
	var wg sync.WaitGroup
	for w := range crashWorkers {
		wg.Go(func() {
			revs := map[string]uint64{}
			for i := 0; ; i++ {
				var writes []meta.DocWrite
				for j := range 1 + i%4 {
					id := fmt.Sprintf("w%d-%d", w, (i+j)%7)
					writes = append(writes, meta.DocWrite{Doctype: notes, ID: id, IfRev: revs[id], Sealed: crashBody(id, revs[id]+1), Deleted: j == 3})
				}
				res, err := s.PutDocs(ctx, "alice", writes)
				if err != nil {
					t.Errorf("PutDocs: %v", err)
					return
				}
				var line strings.Builder
				line.WriteString("ACK")
				for j, r := range res {
					if r.Err != nil {
						continue // a write earlier in the call moved the revision
					}
					revs[writes[j].ID] = r.Rev
					fmt.Fprintf(&line, " %d:%s:%d", r.Seq, writes[j].ID, r.Rev)
				}
				out.Lock()
				fmt.Println(line.String())
				out.Unlock()
			}
		})
	}
	wg.Wait()
	t.Error("writers stopped; the parent should have killed this process")
}

// An ack is one write the helper saw stored.
type ack struct {
	seq uint64
	id  string
	rev uint64
}

// parseAck parses a helper's "ACK seq:id:rev ..." line.
func parseAck(t *testing.T, line string) ([]ack, bool) {
	t.Helper()
	rest, ok := strings.CutPrefix(line, "ACK")
	if !ok {
		return nil, false
	}
	var acks []ack
	for f := range strings.FieldsSeq(rest) {
		var a ack
		parts := strings.Split(f, ":")
		if len(parts) != 3 {
			t.Fatalf("helper printed %q", line)
		}
		a.id = parts[1]
		if _, err := fmt.Sscan(parts[0]+" "+parts[2], &a.seq, &a.rev); err != nil {
			t.Fatalf("helper printed %q: %v", line, err)
		}
		acks = append(acks, a)
	}
	return acks, true
}

// TestCrashMidPutDocs kills (SIGKILL) a process while it commits PutDocs
// calls from several goroutines, reopens the database and checks that
// every acknowledged write is there, that the feed has no gaps and that
// its chain recomputes. A killed process keeps the page cache, so this
// checks SQLite's recovery of the WAL and our transaction boundaries, not
// the syncs against power loss.
func TestCrashMidPutDocs(t *testing.T) {
	if runtime.GOOS == "js" || runtime.GOOS == "wasip1" {
		t.Skip("no subprocesses on " + runtime.GOOS)
	}
	path := filepath.Join(t.TempDir(), "meta.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+path)
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
	var acks []ack
	calls := 0
	timeout := time.After(60 * time.Second)
wait:
	for calls < crashAcks {
		select {
		case line, ok := <-lines:
			if !ok {
				cmd.Wait()
				t.Fatalf("helper exited after %d calls; stderr:\n%s", calls, &stderr)
			}
			if as, ok := parseAck(t, line); ok {
				calls++
				acks = append(acks, as...)
			}
		case <-timeout:
			break wait
		}
	}
	if calls < crashAcks {
		t.Fatalf("helper acknowledged %d calls in time, want %d; stderr:\n%s", calls, crashAcks, &stderr)
	}

	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	killed = true
	if cmd.ProcessState.Success() {
		t.Fatal("helper exited successfully; want it killed")
	}
	for line := range lines { // the helper may have printed more before it died
		if as, ok := parseAck(t, line); ok {
			calls++
			acks = append(acks, as...)
		}
	}

	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var check string
	if err := s.r.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check = %q %v", check, err)
	}
	cs, err := meta.ReadChanges(ctx, s, "alice", 0, 0, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d acknowledged writes in %d calls; %d feed entries after the crash", len(acks), calls, len(cs))

	// The feed: seqs 1..n, a chain that recomputes, bodies that match.
	var chain [32]byte
	last := map[string]meta.Change{}
	for i, c := range cs {
		if c.Seq != uint64(i+1) {
			t.Fatalf("entry %d has seq %d: a gap", i, c.Seq)
		}
		if c.Digest != sha256.Sum256(crashBody(c.ID, c.Rev)) {
			t.Fatalf("seq %d digest does not match %s@%d", c.Seq, c.ID, c.Rev)
		}
		if prev, ok := last[c.ID]; ok && c.Rev != prev.Rev+1 {
			t.Fatalf("seq %d: %s@%d follows @%d", c.Seq, c.ID, c.Rev, prev.Rev)
		}
		chain = wire.NextChain(chain, wire.ChainEntry{Seq: c.Seq, Doctype: c.Doctype, ID: c.ID, Rev: c.Rev, Digest: c.Digest, Deleted: c.Deleted})
		if c.Chain != chain {
			t.Fatalf("seq %d: stored chain %x, recomputed %x", c.Seq, c.Chain, chain)
		}
		last[c.ID] = c
	}
	if seq, head, err := s.Head(ctx, "alice"); err != nil || seq != uint64(len(cs)) || head != chain {
		t.Fatalf("Head = %d %x %v, want %d %x", seq, head, err, len(cs), chain)
	}

	// Every acknowledged write is in the feed where it was acknowledged.
	for _, a := range acks {
		if a.seq > uint64(len(cs)) {
			t.Fatalf("acknowledged seq %d (%s@%d) lost: feed ends at %d", a.seq, a.id, a.rev, len(cs))
		}
		if c := cs[a.seq-1]; c.ID != a.id || c.Rev != a.rev {
			t.Fatalf("seq %d is %s@%d, acknowledged as %s@%d", a.seq, c.ID, c.Rev, a.id, a.rev)
		}
	}

	// Each document is its last feed entry.
	for id, c := range last {
		d, err := s.Doc(ctx, "alice", notes, id)
		if err != nil {
			t.Fatal(err)
		}
		if d.Rev != c.Rev || d.Seq != c.Seq || d.Deleted != c.Deleted || !bytes.Equal(d.Sealed, crashBody(id, c.Rev)) {
			t.Fatalf("Doc(%s) = rev %d seq %d, feed ends at rev %d seq %d", id, d.Rev, d.Seq, c.Rev, c.Seq)
		}
		if !bytes.Equal(c.Sealed, d.Sealed) {
			t.Fatalf("Changes with docs: %s's last entry has the wrong body", id)
		}
	}

	// And the store takes writes again.
	res, err := s.PutDocs(ctx, "alice", []meta.DocWrite{{Doctype: notes, ID: "after", Sealed: crashBody("after", 1)}})
	if err != nil || res[0].Err != nil || res[0].Seq != uint64(len(cs))+1 {
		t.Fatalf("PutDocs after the crash = %+v %v", res, err)
	}
}
