package web_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/wasm/web/browsertest"
)

// TestWebFilesResume: the server is killed in the middle of a large
// upload from the Files page and started again; the upload goes on from
// where the server stopped (an upload session, protocol §8.7.3), and the
// file stored is the one picked, byte for byte.
func TestWebFilesResume(t *testing.T) {
	env := browsertest.Start(t, browsertest.Options{})
	const user, password = "rowan", "a resume password"
	ctx := context.Background()
	dev, _, err := client.Signup(ctx, env.ServerURL(), user, password, nil)
	if err != nil {
		t.Fatal(err)
	}
	tab := env.NewTab(t)
	installFiles(t, env, tab, user, password)

	src := make([]byte, 96<<20)
	if _, err := rand.Read(src); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "film.bin")
	if err := os.WriteFile(p, src, 0o644); err != nil {
		t.Fatal(err)
	}
	tab.Do(chromedp.SetUploadFiles(chromedp.CSS("#pick-files"), []string{p}))
	// Once the server acknowledged a piece (progress counts what it
	// acknowledged), kill it, keep it down a moment, start it again.
	tab.WaitTrue(`(() => { const p = document.querySelector("#queue-list progress"); return !!p && p.value >= 16 * 1048576 && p.value < p.max; })()`)
	acked := browsertest.Eval[float64](tab, `document.querySelector("#queue-list progress").value`)
	env.Kill()
	time.Sleep(1500 * time.Millisecond)
	if s := browsertest.Eval[string](tab, `document.querySelector("#queue-list .status").textContent`); strings.HasPrefix(s, "Failed") {
		t.Fatalf("the upload failed while the server was down: %s", s)
	}
	env.Restart()
	waitQueueDone(t, tab, 1)
	if !sealWorkerRuns(t, tab) {
		t.Error("the upload was not sealed by the seal worker (hearth-seal.js)")
	}
	t.Logf("killed at %.0f MiB of %d acknowledged", acked/(1<<20), len(src)>>20)

	docs := waitFiles(t, dev, "the file stored", func(d []fileDoc) bool { return named(d, "film.bin", "") != nil })
	var got bytes.Buffer
	if _, err := dev.Download(ctx, named(docs, "film.bin", "").ID, &got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), src) {
		t.Fatalf("the file stored differs from the one picked (%d bytes, want %d)", got.Len(), len(src))
	}
	tab.Check()
}

// sealWorkerRuns reports whether one of the tab's workers had the seal
// worker (hearth-seal.js, spec/web.md §3.7) seal parts of an upload.
func sealWorkerRuns(t testing.TB, tab *browsertest.Tab) bool {
	t.Helper()
	ts, err := chromedp.Targets(tab.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, ti := range ts {
		if ti.Type != "worker" || ti.URL == "" {
			continue
		}
		wctx, cancel := chromedp.NewContext(tab.Ctx, chromedp.WithTargetID(ti.TargetID))
		tctx, stop := context.WithTimeout(wctx, 5*time.Second)
		ok, err := chromedp.Run(tctx, chromedp.Evaluate[bool](`typeof sealedParts === "number" && sealedParts > 0`))
		stop()
		cancel()
		if err == nil && ok {
			return true
		}
	}
	return false
}
