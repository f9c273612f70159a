package web_test

import (
	"context"
	"crypto/rand"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/wasm/web/browsertest"
)

// BenchmarkWebFilesTransfer measures the Files transfer figures of issue
// 16 in headless Chromium on loopback: an upload of HEARTH_BENCH_FILE_MIB
// MiB (default 256) of random bytes through the Files page, and its
// download streamed to disk (saveFile), each in MiB/s, with the memory of
// the browser's renderer processes (the page and its workers): the peak
// resident size (/proc VmHWM, reset before each phase) and the peak
// private memory (RssAnon + VmSwap, sampled every 100 ms: what Chromium's
// task manager shows as the tab's memory footprint); and the native
// client's upload and download of the same file in the same run, as the
// baseline for ratios.
func BenchmarkWebFilesTransfer(b *testing.B) {
	for range b.N {
		benchTransferOnce(b)
	}
}

func benchTransferOnce(b *testing.B) {
	env := browsertest.Start(b, browsertest.Options{})
	const user, password = "bench", "a benchmark password"
	ctx := context.Background()
	dev, _, err := client.Signup(ctx, env.ServerURL(), user, password, nil)
	if err != nil {
		b.Fatal(err)
	}
	signin := env.NewTab(b)
	installFiles(b, env, signin, user, password)

	// The file of the upload: HEARTH_BENCH_FILE_MIB MiB of random bytes.
	mib := 256
	if s := os.Getenv("HEARTH_BENCH_FILE_MIB"); s != "" {
		if mib, err = strconv.Atoi(s); err != nil {
			b.Fatal(err)
		}
	}
	big := filepath.Join(b.TempDir(), "big.bin")
	f, err := os.Create(big)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.CopyN(f, rand.Reader, int64(mib)<<20); err != nil {
		b.Fatal(err)
	}
	f.Close()

	// Upload, then the download streamed to disk, in a tab of their own
	// (the sign-in's closed): a person opening Files to upload a file.
	chromedp.Cancel(signin.Ctx)
	tab := env.NewTab(b)
	tab.Open(env.AppURL("files", user) + "/")
	tab.Do(chromedp.WaitVisible(chromedp.CSS("body[data-ready]")))
	click(tab, "#queue-clear")
	b.ReportMetric(resetRendererPeaks(b, tab), "before-upload-renderer-rss-MiB")
	b.ReportMetric(rendererPrivateMiB(b, tab), "before-upload-renderer-private-MiB")
	private := sampleRendererPrivate(b, tab)
	start := time.Now()
	tab.Do(chromedp.SetUploadFiles(chromedp.CSS("#pick-files"), []string{big}))
	waitQueueDone(b, tab, 1)
	secs := time.Since(start).Seconds()
	b.ReportMetric(float64(mib)/secs, "upload-MiB/s")
	b.ReportMetric(rendererPeakMiB(b, tab), "after-upload-renderer-peak-MiB")
	b.ReportMetric(private(), "upload-renderer-private-peak-MiB")

	dl := b.TempDir()
	allowDownloads(b, tab, dl)
	id := rowIDTB(b, tab, "big.bin")
	click(tab, `#items li[data-id="`+id+`"] .check`)
	b.ReportMetric(resetRendererPeaks(b, tab), "before-download-renderer-rss-MiB")
	private = sampleRendererPrivate(b, tab)
	start = time.Now()
	click(tab, `#selbar [data-act=download]`)
	got := waitDownloadSize(b, tab, dl, "big.bin", int64(mib)<<20)
	secs = time.Since(start).Seconds()
	if got != int64(mib)<<20 {
		b.Fatalf("downloaded %d bytes", got)
	}
	b.ReportMetric(float64(mib)/secs, "download-to-disk-MiB/s")
	b.ReportMetric(rendererPeakMiB(b, tab), "after-download-renderer-peak-MiB")
	b.ReportMetric(private(), "download-renderer-private-peak-MiB")
	b.ReportMetric(float64(mib), "file-MiB")

	// The native client on the same machine in the same run: the same
	// file up and down (to a file), for the ratios.
	f, err = os.Open(big)
	if err != nil {
		b.Fatal(err)
	}
	start = time.Now()
	nid, err := dev.Upload(ctx, f, int64(mib)<<20, "native.bin", "", time.Time{}, nil)
	f.Close()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(mib)/time.Since(start).Seconds(), "native-upload-MiB/s")
	out, err := os.Create(filepath.Join(b.TempDir(), "native.bin"))
	if err != nil {
		b.Fatal(err)
	}
	start = time.Now()
	if _, err := dev.Download(ctx, nid, out); err != nil {
		b.Fatal(err)
	}
	out.Sync()
	out.Close()
	b.ReportMetric(float64(mib)/time.Since(start).Seconds(), "native-download-MiB/s")
}
