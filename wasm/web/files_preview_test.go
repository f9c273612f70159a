package web_test

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/wasm/web/browsertest"
)

// TestWebFilesPreview: what Files' preview shows of files another device
// uploaded, and what a hostile file can do there. A PDF is drawn by
// Chromium's viewer on an opaque origin: Files cannot reach into its frame,
// and the frame (the PDF's document) has origin "null", no storage and no
// way to Files' document; "Open in a new tab" opens it on that origin
// still, with no opener. A hostile PDF's link, clicked, would take the
// whole tab (Chromium's viewer navigates the tab, not its frame): Files
// asks first, and the test says no; its script action reaches nothing.
// A WebM (VP8) and an MP4 (H.264) video load and draw; hostile Markdown,
// SVG and HTML run no script and make no element of their markup.
func TestWebFilesPreview(t *testing.T) {
	var mu sync.Mutex
	var reached []string // requests the hostile files' links and actions made
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		reached = append(reached, r.Method+" "+r.URL.Path)
		mu.Unlock()
		fmt.Fprintln(w, "you left Files")
	}))
	t.Cleanup(evil.Close)
	reachedEvil := func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), reached...) }

	env := browsertest.Start(t, browsertest.Options{})
	const user, password = "wren", "a preview password"
	ctx := context.Background()
	dev, _, err := client.Signup(ctx, env.ServerURL(), user, password, nil)
	if err != nil {
		t.Fatal(err)
	}
	webm, err := os.ReadFile(filepath.Join("testdata", "preview", "clip.webm"))
	if err != nil {
		t.Fatal(err)
	}
	mp4, err := os.ReadFile(filepath.Join("testdata", "preview", "clip.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct {
		name, typ string
		body      []byte
	}{
		{"Route.pdf", "application/pdf", testPDF("The route: north along the lake, then over the pass.")},
		{"Hostile.pdf", "application/pdf", hostilePDF(evil.URL)},
		{"clip.mp4", "video/mp4", mp4},
		{"clip.webm", "video/webm", webm},
		{"Hostile.md", "text/markdown", []byte(hostileMarkdown)},
		{"Hostile.svg", "image/svg+xml", []byte(hostileSVG)},
		{"Hostile.html", "text/html", []byte(hostileHTML)},
	} {
		if _, err := dev.UploadTo(ctx, "", bytes.NewReader(f.body), int64(len(f.body)), f.name, f.typ, time.Unix(1795000000, 0), nil); err != nil {
			t.Fatal(err)
		}
	}
	tab := env.NewTab(t)
	var dialogs []string
	chromedp.Listen(tab.Ctx, func(ev any) {
		if d, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			mu.Lock()
			dialogs = append(dialogs, string(d.Type))
			mu.Unlock()
			// Stay on the page (answered from another goroutine: this
			// one delivers the answer's reply).
			go chromedp.Do(tab.Ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				_, err := cdp.Call(ctx, tg, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
				return err
			}))
		}
	})
	dialogsSeen := func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), dialogs...) }
	installFiles(t, env, tab, user, password)
	filesOrigin := env.AppURL("files", user)

	// A PDF, drawn on an opaque origin.
	const frame = "dialog.preview iframe.preview-frame"
	const viewer = frame + " >>> .pdf-view" // the PDF's frame, below the bar
	click(tab, `#items li[data-id="`+rowID(t, tab, "Route.pdf")+`"] .name`)
	tab.WaitTrue(`(() => { const f = document.querySelector("` + frame + `"); return !!f && f.src.startsWith("data:text/html"); })()`)
	shootPDF(t, env, tab, tab.Ctx, "preview-pdf", viewer)
	if got := browsertest.Eval[string](tab, `(() => { const f = document.querySelector("`+frame+`");
		if (f.contentDocument !== null) return "Files reads the frame's document";
		try { f.contentWindow.document; return "Files reaches the frame's document"; } catch (e) { return e.name; } })()`); got != "SecurityError" {
		t.Errorf("from Files, the PDF frame: %s", got)
	}
	// The PDF's own documents (the viewer's frames of the blob:), from inside.
	pdfs := 0
	for _, got := range pdfFrames(t, tab) {
		// Its parent is the frame's document (the same opaque origin) or
		// the viewer's: either way not Files, which is its top.
		if !strings.HasPrefix(got, "null ") || !strings.Contains(got, " storage:SecurityError parent:") || !strings.HasSuffix(got, " top:SecurityError") {
			t.Errorf("inside a frame of the PDF: %s, want origin null, no storage, no way to Files", got)
		}
		if strings.HasPrefix(got, "null application/pdf ") {
			pdfs++
		}
	}
	if pdfs == 0 {
		t.Error("no frame of the PDF is the PDF's document")
	}

	// Open in a new tab: the PDF alone in a tab, on its opaque origin.
	nodes, err := chromedp.Run(tab.Ctx, chromedp.Nodes(chromedp.CSS(frame)))
	if err != nil || len(nodes) != 1 {
		t.Fatalf("the preview frame: %v (%d)", err, len(nodes))
	}
	tab.Do(chromedp.Click(chromedp.CSS(".pdf-bar button"), chromedp.FromNode(nodes[0])))
	newTab := waitTarget(t, tab, "page", "blob:null/")
	pdfTab, closeTab := chromedp.NewContext(tab.Ctx, chromedp.WithTargetID(newTab))
	got, err := chromedp.Run(pdfTab, chromedp.Evaluate[string](frameProbe))
	if err != nil || got != "null application/pdf storage:SecurityError parent:self top:self" {
		t.Errorf("the new tab: %q (%v), want origin null, a PDF, no storage", got, err)
	}
	if op, _ := chromedp.Run(pdfTab, chromedp.Evaluate[bool](`window.opener === null`)); !op {
		t.Error("the new tab has an opener")
	}
	shootPDF(t, env, nil, pdfTab, "preview-pdf-tab", "")
	closeTab()

	// A hostile PDF: a link over its whole page to another site, and an
	// open action in JavaScript that would send and submit there. The
	// link, clicked, would take the whole tab: Files asks first, and the
	// answer is to stay.
	closePreview(tab)
	click(tab, `#items li[data-id="`+rowID(t, tab, "Hostile.pdf")+`"] .name`)
	tab.WaitTrue(`(() => { const f = document.querySelector("` + frame + `"); return !!f && document.querySelector(".preview-name").textContent === "Hostile.pdf"; })()`)
	r := waitPDFDrawn(t, tab.Ctx, viewer)
	// The viewer draws the page before it knows its links: click until
	// the link is followed.
	deadline := time.Now().Add(browsertest.Timeout)
	for len(dialogsSeen()) == 0 && time.Now().Before(deadline) {
		tab.Do(chromedp.MouseClickXY(r.X+r.W*0.65, r.Y+r.H*0.6))
		for wait := time.Now().Add(time.Second); len(dialogsSeen()) == 0 && time.Now().Before(wait); {
			time.Sleep(50 * time.Millisecond)
		}
	}
	time.Sleep(time.Second) // what a link or an action would send, it would send by now
	if d := dialogsSeen(); len(d) != 1 || d[0] != "beforeunload" {
		t.Errorf("clicking the PDF's link: dialogs %q, want the page asking before it goes", d)
	}
	tab.WaitOrigin(filesOrigin)
	if !browsertest.Eval[bool](tab, `!!document.querySelector("dialog.preview[open]")`) {
		t.Error("the preview closed after the link was refused")
	}
	if got := reachedEvil(); len(got) > 0 {
		t.Errorf("the hostile PDF reached its site: %q", got)
	}
	// Closed, the preview leaves nothing asking.
	closePreview(tab)
	tab.Open(filesOrigin + "/")
	tab.Do(chromedp.WaitVisible(chromedp.CSS("body[data-ready]")))
	if d := dialogsSeen(); len(d) > 1 {
		t.Errorf("after the preview closed, leaving Files asked again: %q", d)
	}

	// Videos: H.264 in MP4 and VP8 in WebM, each with its metadata loaded
	// and a frame to show.
	click(tab, `#items li[data-id="`+rowID(t, tab, "clip.mp4")+`"] .name`)
	for _, name := range []string{"clip.mp4", "clip.webm"} {
		tab.WaitTrue(`document.querySelector(".preview-name").textContent === ` + jsString(name) + ` && !!document.querySelector("dialog.preview video")`)
		tab.WaitTrue(`(() => { const v = document.querySelector("dialog.preview video"); if (v.error) throw new Error(v.error.message);
			return v.readyState >= 2 && Math.abs(v.duration - 1) < 0.05 && v.videoWidth === 160 && v.videoHeight === 120; })()`)
		if name == "clip.webm" {
			tab.Screenshots("preview-video")
			break
		}
		click(tab, `dialog.preview [aria-label="Next file"]`)
	}
	closePreview(tab)

	// Hostile Markdown, SVG and HTML: shown, and none of their markup made
	// into elements or run.
	click(tab, `#items li[data-id="`+rowID(t, tab, "Hostile.md")+`"] .name`)
	waitText(t, tab, "dialog.preview .preview-markdown h1", "Notes <script>")
	if got := browsertest.Eval[string](tab, `[...document.querySelectorAll("dialog.preview .preview-markdown *")].map((e) => e.localName).filter((n, i, a) => a.indexOf(n) === i).sort().join(" ")`); got != "a br h1 p" {
		t.Errorf("the Markdown preview made elements %q, want a br h1 p", got)
	}
	if got := browsertest.Eval[string](tab, `[...document.querySelectorAll("dialog.preview .preview-markdown a")].map((a) => a.href).join(" ")`); got != "https://example.org/" {
		t.Errorf("the Markdown preview's links: %q, want only https://example.org/", got)
	}
	waitText(t, tab, "dialog.preview .preview-markdown", "[run me](javascript:window.hearthPwned='link')")
	tab.Screenshots("preview-markdown-hostile")
	click(tab, `dialog.preview [aria-label="Next file"]`) // Hostile.pdf
	click(tab, `dialog.preview [aria-label="Next file"]`) // Hostile.svg
	tab.WaitTrue(`(() => { const i = document.querySelector("dialog.preview img"); return !!i && i.complete && i.naturalWidth === 120; })()`)
	closePreview(tab)
	click(tab, `#items li[data-id="`+rowID(t, tab, "Hostile.html")+`"] .name`)
	waitText(t, tab, "dialog.preview pre.preview-text", "<script>")
	if got := browsertest.Eval[string](tab, `document.querySelector("dialog.preview pre.preview-text").textContent`); got != hostileHTML {
		t.Errorf("the HTML file shows %q, not its text", got)
	}
	if n := browsertest.Eval[int](tab, `document.querySelector("dialog.preview pre.preview-text").childElementCount`); n != 0 {
		t.Errorf("the HTML file's preview holds %d elements", n)
	}
	time.Sleep(500 * time.Millisecond) // an image's error or an SVG's load would have run by now
	if got := browsertest.Eval[string](tab, `String(window.hearthPwned)`); got != "undefined" {
		t.Errorf("a hostile file ran script in Files: %s", got)
	}
	if got := reachedEvil(); len(got) > 0 {
		t.Errorf("a hostile file reached its site: %q", got)
	}
}

// closePreview closes the preview and waits for it to go.
func closePreview(tab *browsertest.Tab) {
	click(tab, `[data-close-preview]`)
	tab.WaitTrue(`!document.querySelector("dialog.preview")`)
}

// hostileMarkdown tries markup, script, an image's error handler and
// links of other schemes than http, https and mailto.
const hostileMarkdown = "# Notes <script>window.hearthPwned = 'script'</script>\n\n" +
	"<img src=x onerror=\"window.hearthPwned='img'\">\n" +
	"<svg onload=\"window.hearthPwned='svg'\"></svg>\n" +
	"<iframe src=\"javascript:parent.hearthPwned='iframe'\"></iframe>\n\n" +
	"[run me](javascript:window.hearthPwned='link') [JS](JaVaScRiPt:alert(1)) [page](data:text/html,hello) " +
	"[vb](vbscript:msgbox) ![pic](javascript:window.hearthPwned='pic') [fine](https://example.org/)\n"

// hostileSVG scripts, by a handler and an element.
const hostileSVG = `<svg xmlns="http://www.w3.org/2000/svg" width="120" height="80" onload="parent.hearthPwned='svg onload'">` +
	`<script>parent.hearthPwned = 'svg script'</script><rect width="120" height="80" fill="#b93c0a"/></svg>`

// hostileHTML is a page that would script.
const hostileHTML = "<!doctype html><script>parent.hearthPwned = 'html'</script><img src=x onerror=\"parent.hearthPwned='html img'\">\n"

// hostilePDF is a one-page PDF whose page is one link to site, and whose
// open action is JavaScript that opens site and submits to it.
func hostilePDF(site string) []byte {
	text := "BT /F1 24 Tf 72 720 Td (Click anywhere on this page.) Tj ET"
	return pdfFile(
		"<< /Type /Catalog /Pages 2 0 R /OpenAction 6 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> /Annots [7 0 R] >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(text), text),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
		`<< /S /JavaScript /JS (app.launchURL\("`+site+`/launched", false\); this.submitForm\("`+site+`/submitted"\);) >>`,
		"<< /Type /Annot /Subtype /Link /Rect [0 0 612 792] /Border [0 0 0] /A << /S /URI /URI ("+site+"/clicked) >> >>",
	)
}

// pdfFile writes objects 1, 2, … as a PDF with its cross-reference table.
func pdfFile(objs ...string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offs := make([]int, len(objs))
	for i, o := range objs {
		offs[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

// rect is an element's box in the viewport, in CSS pixels.
type rect struct{ X, Y, W, H float64 }

// waitPDFDrawn waits until the element sel (boxOf) of the page in ctx
// (the whole screenshot for "") shows a drawn PDF, and returns its box:
// Chromium's viewer draws a dark surround and the page in white, so both
// must cover part of it (the PDF frame's own document alone is light; the
// viewer still loading is dark alone, which is what a screenshot taken
// too early shows, and what one taken right after a resize shows too),
// the same at two looks in a row.
func waitPDFDrawn(t *testing.T, ctx context.Context, sel string) rect {
	t.Helper()
	deadline := time.Now().Add(browsertest.Timeout)
	var last [2]int
	for {
		shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(shot))
		if err != nil {
			t.Fatal(err)
		}
		// The box in the screenshot's pixels: the whole of it, or sel's.
		b := img.Bounds()
		r := rect{W: float64(b.Dx()), H: float64(b.Dy())}
		dpr := 1.0
		if sel != "" {
			if r, err = boxOf(ctx, sel); err != nil {
				t.Fatal(err)
			}
			if dpr, err = chromedp.Run(ctx, chromedp.Evaluate[float64](`devicePixelRatio`)); err != nil {
				t.Fatal(err)
			}
		}
		var dark, white, all int
		for y := int(r.Y * dpr); y < min(int((r.Y+r.H)*dpr), b.Max.Y); y += 2 {
			for x := int(r.X * dpr); x < min(int((r.X+r.W)*dpr), b.Max.X); x += 2 {
				cr, cg, cb, _ := img.At(x, y).RGBA()
				switch {
				case max(cr, cg, cb)>>8 < 70:
					dark++
				case min(cr, cg, cb)>>8 >= 250:
					white++
				}
				all++
			}
		}
		// Drawn, and as it was at the last look: the viewer lays itself
		// out again for a while after a resize.
		drawn := all > 0 && dark*10 > all && white*20 > all
		if drawn && last == [2]int{dark, white} {
			return r
		}
		last = [2]int{dark, white}
		if time.Now().After(deadline) {
			t.Fatalf("the PDF in %q was never drawn: %d of %d pixels dark, %d white", sel, dark, all, white)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// boxOf is the box of the element sel: a CSS selector in the page, or
// "FRAME >>> SEL", a selector in the document of the frame FRAME (of
// another origin: the DOM domain reaches it all the same when it runs in
// the page's process).
func boxOf(ctx context.Context, sel string) (rect, error) {
	ctx, cancel := context.WithTimeout(ctx, browsertest.Timeout)
	defer cancel()
	var opts []chromedp.QueryOption
	if frame, inner, ok := strings.Cut(sel, " >>> "); ok {
		outer, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS(frame)))
		if err != nil {
			return rect{}, err
		}
		sel, opts = inner, []chromedp.QueryOption{chromedp.FromNode(outer[0])}
	}
	box, err := chromedp.Run(ctx, chromedp.Dimensions(chromedp.CSS(sel), opts...))
	if err != nil {
		return rect{}, err
	}
	q := box.Border // x1 y1 (top left) … x3 y3 (bottom right) …
	return rect{X: q[0], Y: q[1], W: q[4] - q[0], H: q[5] - q[1]}, nil
}

// shootPDF is tab.Screenshots for a view with a PDF in the element sel
// (the viewport for ""; then tab may be nil, and no axe check is made of
// the browser's viewer): at each size, it waits for the viewer to draw
// again before the shot.
func shootPDF(t *testing.T, env *browsertest.Env, tab *browsertest.Tab, ctx context.Context, name, sel string) {
	t.Helper()
	if err := os.MkdirAll(env.Shots, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct {
		kind string
		size [2]int64
		opts []chromedp.EmulateViewportOption
	}{
		{"phone", browsertest.Phone, []chromedp.EmulateViewportOption{chromedp.EmulateScale(2), chromedp.EmulateMobile}},
		{"desktop", browsertest.Desktop, nil},
	} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(s.size[0], s.size[1], s.opts...)); err != nil {
			t.Fatal(err)
		}
		waitPDFDrawn(t, ctx, sel)
		shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(env.Shots, name+"-"+s.kind+".png"), shot, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("screenshots: %s/%s-{phone,desktop}.png", env.Shots, name)
	if tab != nil {
		tab.Axe(name)
	}
}

// frameProbe says, from inside a document, its origin and type, and
// whether it reaches storage, its parent and its top.
const frameProbe = `(() => {
	const tryIt = (f) => { try { f(); return "open"; } catch (e) { return e.name; } };
	const up = (w) => w === window ? "self" : tryIt(() => w.document.title);
	return self.origin + " " + document.contentType + " storage:" + tryIt(() => localStorage.length) +
		" parent:" + up(parent) + " top:" + up(top);
})()`

// pdfFrames waits for the frames of a blob: URL of an opaque origin (the
// PDF's document and the viewer's frame of it) and returns frameProbe
// from inside each.
func pdfFrames(t *testing.T, tab *browsertest.Tab) []string {
	t.Helper()
	waitTarget(t, tab, "iframe", "blob:null/")
	infos, err := chromedp.Targets(tab.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, in := range infos {
		if in.Type != "iframe" || !strings.HasPrefix(in.URL, "blob:") {
			continue
		}
		// Detach only: closing an iframe's target is not ours to do.
		fctx, cancel := chromedp.NewContext(tab.Ctx, chromedp.WithTargetID(in.TargetID), chromedp.WithDetachOnCancel())
		got, err := chromedp.Run(fctx, chromedp.Evaluate[string](frameProbe))
		cancel()
		if err != nil {
			t.Fatalf("in the frame %s: %v", in.URL, err)
		}
		out = append(out, got)
	}
	if len(out) == 0 {
		t.Fatal("no frame of a blob: URL")
	}
	return out
}

// waitTarget waits for a target of the type whose URL begins with prefix.
func waitTarget(t *testing.T, tab *browsertest.Tab, typ, prefix string) target.ID {
	t.Helper()
	deadline := time.Now().Add(browsertest.Timeout)
	for {
		infos, err := chromedp.Targets(tab.Ctx)
		if err != nil {
			t.Fatal(err)
		}
		var seen []string
		for _, in := range infos {
			if in.Type == typ && strings.HasPrefix(in.URL, prefix) {
				return in.TargetID
			}
			seen = append(seen, in.Type+" "+in.URL)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s at %s… (targets %q; problems %q)", typ, prefix, seen, tab.Problems())
		}
		time.Sleep(100 * time.Millisecond)
	}
}
