package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/systeminfo"
	"github.com/chromedp/chromedp"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/wasm/web/browsertest"
)

// BenchmarkWebFiles measures the Files figures of issue 16 in headless
// Chromium on loopback:
//
//   - a folder of 10,000 files, added by another device while Files was
//     closed, listed: the first time (all of them read from the changes
//     feed) and on a reload (from the documents cache), from the page's
//     start to the listing shown (the rows in view drawn, the list as high
//     as all of them: files-list.js draws only the rows in view and a
//     margin), and to every row reachable: the listing shown plus the time
//     from scrolling to the list's end to its last row drawn (the person
//     who scrolls to the end the moment the listing shows sees the last
//     row then);
//   - the peak resident memory of the browser's renderer processes.
//
// BenchmarkWebFilesTransfer measures the uploads and downloads.
func BenchmarkWebFiles(b *testing.B) {
	for range b.N {
		benchFilesOnce(b)
	}
}

func benchFilesOnce(b *testing.B) {
	env := browsertest.Start(b, browsertest.Options{})
	const user, password = "bench", "a benchmark password"
	ctx := context.Background()
	dev, _, err := client.Signup(ctx, env.ServerURL(), user, password, nil)
	if err != nil {
		b.Fatal(err)
	}
	tab := env.NewTab(b)
	installFiles(b, env, tab, user, password)

	// One small real file, whose blob the 10,000 documents name.
	small := filepath.Join(b.TempDir(), "small.txt")
	if err := os.WriteFile(small, []byte("small"), 0o644); err != nil {
		b.Fatal(err)
	}
	tab.Do(chromedp.SetUploadFiles(chromedp.CSS("#pick-files"), []string{small}))
	waitQueueDone(b, tab, 1)
	docs := fileDocsTB(b, dev)
	raw, err := dev.Get(ctx, filesDoctype, docs[0].ID)
	if err != nil {
		b.Fatal(err)
	}
	var content map[string]any
	if err := json.Unmarshal(raw.Content, &content); err != nil {
		b.Fatal(err)
	}
	if err := dev.CatchUp(ctx); err != nil {
		b.Fatal(err)
	}
	// Files closed while another device adds the 10,000: its first
	// listing then reads them from the feed, its reload from this
	// browser's documents cache.
	tab.Open("about:blank")
	folder, _, err := dev.Create(ctx, filesDoctype, []byte(`{"kind":"folder","name":"Many","parent":"","mtime":1790000000}`))
	if err != nil {
		b.Fatal(err)
	}
	const many = 10000
	for from := 0; from < many; from += 1000 {
		items := make([]client.Item, 1000)
		for k := range items {
			i := from + k
			c := map[string]any{"kind": "file", "parent": folder, "blob": content["blob"], "digest": content["digest"], "size": content["size"],
				"type": "text/plain", "length": i, "mtime": 1790000000 + i, "name": fmt.Sprintf("file %05d.txt", i)}
			items[k].Content, _ = json.Marshal(c)
		}
		if _, err := dev.PutMany(ctx, filesDoctype, items); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(rendererPeakMiB(b, tab), "before-listing-renderer-peak-MiB")
	b.ReportMetric(resetRendererPeaks(b, tab), "before-listing-renderer-rss-MiB")
	listMany := func() (float64, float64) {
		tab.Open(env.AppURL("files", user) + "/#folder=" + folder)
		tab.Do(chromedp.Reload()) // a new document, whatever the last one was
		deadline := time.Now().Add(5 * time.Minute)
		for browsertest.Eval[int](tab, `document.querySelectorAll('#items li[aria-setsize="10000"]').length`) == 0 {
			if time.Now().After(deadline) {
				b.Fatalf("10,000 files never listed (problems %q)", tab.Problems())
			}
			time.Sleep(200 * time.Millisecond)
		}
		// The listing shown (the page marks it), and every row reachable:
		// scrolling to the end draws the last row, in how long.
		shown := mark(b, tab, "hearth:files-listed")
		end := browsertest.Eval[float64](tab, `new Promise((ok) => {
			const t0 = performance.now();
			scrollTo(0, document.documentElement.scrollHeight);
			const look = () => document.querySelector('#items li[aria-posinset="10000"]') ? ok(performance.now() - t0) : requestAnimationFrame(look);
			look();
		})`)
		return shown, shown + end
	}
	shown, all := listMany()
	b.ReportMetric(shown, "files-10000-first-ms")
	b.ReportMetric(all, "files-10000-first-last-row-ms")
	b.ReportMetric(mark(b, tab, "hearth:app-open"), "files-first-app-open-ms")
	shown, all = listMany()
	b.ReportMetric(shown, "files-10000-reload-ms")
	b.ReportMetric(all, "files-10000-reload-last-row-ms")
	b.ReportMetric(browsertest.Eval[float64](tab, `document.querySelectorAll("#items li").length`), "files-10000-rows-in-page")
	b.ReportMetric(mark(b, tab, "hearth:app-open"), "files-reload-app-open-ms")
	b.ReportMetric(rendererPeakMiB(b, tab), "after-listing-renderer-peak-MiB")
	b.ReportMetric(browsertest.Eval[float64](tab, `performance.memory ? performance.memory.usedJSHeapSize / 1048576 : 0`), "page-js-heap-MiB")

}

// fileDocsTB is fileDocs for a benchmark.
func fileDocsTB(tb testing.TB, dev *client.Client) []fileDoc {
	ctx := context.Background()
	ids, err := dev.List(ctx, filesDoctype)
	if err != nil {
		tb.Fatal(err)
	}
	docs, err := dev.GetMany(ctx, filesDoctype, ids)
	if err != nil {
		tb.Fatal(err)
	}
	var out []fileDoc
	for i, d := range docs {
		var f fileDoc
		if d != nil && !d.Deleted && json.Unmarshal(d.Content, &f) == nil {
			f.ID = ids[i]
			out = append(out, f)
		}
	}
	return out
}

// rowIDTB is the id of the listed item called name.
func rowIDTB(tb testing.TB, tab *browsertest.Tab, name string) string {
	deadline := time.Now().Add(browsertest.Timeout)
	for {
		id := browsertest.Eval[string](tab, `(() => { const b = [...document.querySelectorAll("#items li[data-id] .name")].find(b => b.title === `+jsString(name)+`); return b ? b.closest("li").dataset.id : ""; })()`)
		if id != "" {
			return id
		}
		if time.Now().After(deadline) {
			tb.Fatalf("no row %q", name)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitDownloadSize waits for a finished download of size bytes called name in dir.
func waitDownloadSize(tb testing.TB, tab *browsertest.Tab, dir, name string, size int64) int64 {
	deadline := time.Now().Add(10 * browsertest.Timeout)
	for {
		if fi, err := os.Stat(filepath.Join(dir, name)); err == nil && fi.Size() == size {
			return fi.Size()
		}
		if time.Now().After(deadline) {
			tb.Fatalf("no download %s (problems %q)", name, tab.Problems())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// rendererPeakMiB is the largest peak resident size (VmHWM) among the
// browser's renderer processes, in MiB, since their start or the last
// resetRendererPeaks.
func rendererPeakMiB(tb testing.TB, tab *browsertest.Tab) float64 {
	return rendererPeaks(tb, tab, false)
}

// resetRendererPeaks starts the renderers' peaks again from their present
// resident size (/proc/PID/clear_refs), so that the next rendererPeakMiB
// is the peak of what ran in between, and returns the largest of those
// present sizes (VmRSS), in MiB.
func resetRendererPeaks(tb testing.TB, tab *browsertest.Tab) float64 {
	return rendererPeaks(tb, tab, true)
}

// rendererPrivateMiB is the largest private memory of the browser's
// renderer processes, in MiB: resident anonymous memory and swap
// (RssAnon + VmSwap), what Chromium's task manager shows as a tab's
// memory footprint on Linux; the shared libraries and fonts counted in
// VmRSS are not the tab's.
func rendererPrivateMiB(tb testing.TB, tab *browsertest.Tab) float64 {
	var most float64
	for _, pid := range rendererPIDs(tab) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			continue
		}
		var sum float64
		for _, l := range strings.Split(string(b), "\n") {
			for _, f := range []string{"RssAnon:", "VmSwap:"} {
				if v, ok := strings.CutPrefix(l, f); ok {
					kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
					sum += kb / 1024
				}
			}
		}
		most = max(most, sum)
	}
	return most
}

// sampleRendererPrivate samples rendererPrivateMiB every 100 ms until the
// function it returns is called, which returns the largest sample.
func sampleRendererPrivate(tb testing.TB, tab *browsertest.Tab) func() float64 {
	stop := make(chan struct{})
	peak := make(chan float64, 1)
	go func() {
		var most float64
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			most = max(most, rendererPrivateMiB(tb, tab))
			select {
			case <-stop:
				peak <- most
				return
			case <-t.C:
			}
		}
	}()
	return func() float64 { close(stop); return <-peak }
}

// rendererPIDs are the browser's renderer processes.
func rendererPIDs(tab *browsertest.Tab) []int64 {
	var pids []int64
	chromedp.Run(tab.Ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		r, err := cdp.Call(ctx, chromedp.FromContext(ctx).Browser, systeminfo.GetProcessInfo, cdp.Empty{})
		if err != nil {
			return err
		}
		for _, p := range r.ProcessInfo {
			if p.Type == "renderer" {
				pids = append(pids, p.ID)
			}
		}
		return nil
	}))
	return pids
}

func rendererPeaks(tb testing.TB, tab *browsertest.Tab, reset bool) float64 {
	var procs []*systeminfo.ProcessInfo
	tab.Do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		r, err := cdp.Call(ctx, chromedp.FromContext(ctx).Browser, systeminfo.GetProcessInfo, cdp.Empty{})
		if err != nil {
			return err
		}
		procs = r.ProcessInfo
		return nil
	}))
	var peak float64
	for _, p := range procs {
		if p.Type != "renderer" {
			continue
		}
		field := "VmHWM:"
		if reset {
			if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", p.ID), []byte("5"), 0); err != nil {
				tb.Logf("resetting the peak of renderer %d: %v", p.ID, err)
			}
			field = "VmRSS:"
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.ID))
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, field); ok {
				kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
				peak = max(peak, kb/1024)
			}
		}
	}
	if peak == 0 && !reset {
		tb.Logf("no renderer process found (%d processes)", len(procs))
	}
	return peak
}
