package loadtest_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLoadSmoke runs the harness small, so that it does not rot: the
// shipped hearthd and cmd/hearthload built as `make load` builds them,
// 20 devices over 2 accounts for 5 seconds with one kill -9 and restart,
// then the check of every acknowledged write from new devices. The harness
// runs as its own process: its key derivations (Argon2id at the shipped
// parameters) would crawl under the race detector.
func TestLoadSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs hearthd and the harness")
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, "go", "build", "-o", dir+"/",
		"github.com/hearthcloud/hearth/cmd/hearthd", "github.com/hearthcloud/hearth/cmd/hearthload")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.CommandContext(ctx, filepath.Join(dir, "hearthload"), "--hearthd", filepath.Join(dir, "hearthd"), "--work", dir,
		"--accounts", "2", "--devices", "20", "--duration", "5s", "--think", "200ms", "--faults", "kill", "--kills", "1", "--kill-down", "500ms", "--signin-every", "1s")
	start := time.Now()
	out, err := cmd.CombinedOutput()
	t.Logf("hearthload ran %s:\n%s", time.Since(start).Round(time.Millisecond), out)
	if err != nil {
		t.Fatalf("hearthload: %v", err)
	}
	for _, want := range []string{"restarts: 1", "Failures: none.", "Operation errors: 0", "acknowledged files downloaded and verified"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the report lacks %q", want)
		}
	}
}
