package web_test

import (
	"context"
	"crypto/rand"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/wasm/web/browsertest"
)

func TestZZMacPerf(t *testing.T) {
	env := browsertest.Start(t, browsertest.Options{})
	ctx := context.Background()
	if _, _, err := client.Signup(ctx, env.ServerURL(), "perf", "a perf password", nil); err != nil {
		t.Fatal(err)
	}
	tab := env.NewTab(t)
	installFiles(t, env, tab, "perf", "a perf password")
	for run := range 3 {
		p := filepath.Join(t.TempDir(), "big.bin")
		f, _ := os.Create(p)
		io.CopyN(f, rand.Reader, 128<<20)
		f.Close()
		start := time.Now()
		tab.Do(chromedp.SetUploadFiles(chromedp.CSS("#pick-files"), []string{p}))
		waitQueueDone(t, tab, 1)
		t.Logf("run %d: 128 MiB in %v: %.1f MiB/s", run, time.Since(start), 128/time.Since(start).Seconds())
		click(tab, "#queue-clear")
	}
}
