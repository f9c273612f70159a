package web_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/crypto/link"
	"github.com/hearthcloud/hearth/server"
	"github.com/hearthcloud/hearth/wasm/web/browsertest"
)

// linkHost is the server's side of the link tests: a record of every
// request (line, headers, body), a clock the test moves, and a hook that
// plays a dishonest host.
type linkHost struct {
	requestRecorder
	mu   sync.Mutex
	now  time.Time
	hook func(w http.ResponseWriter, r *http.Request, next http.Handler) bool
}

func (h *linkHost) clock() time.Time { h.mu.Lock(); defer h.mu.Unlock(); return h.now }

func (h *linkHost) advance(d time.Duration) { h.mu.Lock(); h.now = h.now.Add(d); h.mu.Unlock() }

func (h *linkHost) tamper(f func(w http.ResponseWriter, r *http.Request, next http.Handler) bool) {
	h.mu.Lock()
	h.hook = f
	h.mu.Unlock()
}

func (h *linkHost) wrap(next http.Handler) http.Handler {
	rec := h.requestRecorder.wrap(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		f := h.hook
		h.mu.Unlock()
		if f != nil && f(w, r, rec) {
			return
		}
		rec.ServeHTTP(w, r)
	})
}

func startLinkEnv(t testing.TB) (*browsertest.Env, *linkHost) {
	h := &linkHost{now: time.Now()}
	env := browsertest.Start(t, browsertest.Options{Wrap: h.wrap, Server: func(c *server.Config) { c.Now = h.clock }})
	return env, h
}

// linkTab is a tab in a fresh browser profile (a browser context of its
// own: no storage of the owner's) whose downloads go to a folder.
func linkTab(t testing.TB, env *browsertest.Env) (*browsertest.Tab, string) {
	tab := env.NewDevice(t).NewTab(t)
	// What the tests provoke on purpose: refused proofs, gone and unknown
	// links, held-back attempts.
	tab.Allow(`status of (403|404|410|429)`)
	dir := t.TempDir()
	tab.Do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		c := chromedp.FromContext(tab.Ctx)
		_, err := cdp.Call(ctx, c.Browser, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
			Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir, BrowserContextID: c.BrowserContextID})
		return err
	}))
	return tab, dir
}

// openLink opens a link's page anew (a navigation to the same URL with a
// fragment would not load the page again).
func openLink(tab *browsertest.Tab, url string) {
	tab.Open("about:blank")
	tab.Open(url)
}

func waitState(tab *browsertest.Tab, state string) {
	tab.WaitTrue(`document.body.dataset.state === ` + jsString(state))
}

func testPNG(w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(185 * x / w), uint8(60 + 120*y/h), 10, 255})
		}
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

// capture runs next for r and returns what it answered.
func captureResponse(next http.Handler, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, r)
	return rec
}

func replayResponse(w http.ResponseWriter, rec *httptest.ResponseRecorder, body []byte) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.Header().Del("Content-Length")
	w.WriteHeader(rec.Code)
	w.Write(body)
}

// TestWebLinks: the owner shares from Go (package client against the
// test server's loopback address); a fresh browser profile opens the
// links: an image file with its preview, downloaded byte for byte; a text
// file, a PDF and a sound previewed from their verified bytes; a
// folder of long names downloaded whole as a zip, read back byte for byte;
// a password prompt (wrong, held back, right); expired, used up, revoked
// and unknown links; a swapped blob and a replayed older folder shown as
// altered; and nothing the server received carries a key or a password.
func TestWebLinks(t *testing.T) {
	env, host := startLinkEnv(t)
	ctx := context.Background()
	owner, _, err := client.Signup(ctx, env.ServerURL(), "alice", "a links test password", nil)
	if err != nil {
		t.Fatal(err)
	}
	photo := testPNG(800, 500)
	photoID, err := owner.UploadTo(ctx, "", bytes.NewReader(photo), int64(len(photo)), "Harbour at dusk.png", "image/png", time.Unix(1795000000, 0), nil)
	if err != nil {
		t.Fatal(err)
	}
	var urls []string
	share := func(item string, o client.ShareOptions) string {
		t.Helper()
		u, err := owner.Share(ctx, item, o)
		if err != nil {
			t.Fatal(err)
		}
		urls = append(urls, u)
		return u
	}

	// A file link: the image previewed, then downloaded.
	tab, dir := linkTab(t, env)
	fileURL := share(photoID, client.ShareOptions{})
	openLink(tab, fileURL)
	waitState(tab, "file-preview")
	if w := browsertest.Eval[int](tab, `document.querySelector("#preview img").naturalWidth`); w != 800 {
		t.Errorf("the preview is %d pixels wide, not 800", w)
	}
	waitText(t, tab, "#file-name", "Harbour at dusk.png")
	tab.Screenshots("file-image")
	tab.Do(chromedp.Click(chromedp.CSS("#file-download")))
	if got := waitDownload(t, nil, dir, "Harbour at dusk.png"); !bytes.Equal(got, photo) {
		t.Errorf("the downloaded image differs (%d bytes, want %d)", len(got), len(photo))
	}
	waitText(t, tab, "#file-msg", "checked end to end")

	// Previews beyond images: a text file in a <pre>, a PDF in a frame and
	// a sound in an <audio>, each from the verified bytes.
	previews := []struct {
		name, typ, sel string
		body           []byte
	}{
		{"Packing list.txt", "text/plain", "#preview pre", []byte("Packing list for the lake\n- tent\n- stove, with the spare gas\n- a long rope, 30 m\n")},
		{"Route.pdf", "application/pdf", "#preview iframe", testPDF("The route: north along the lake, then over the pass.")},
		{"Birdsong.wav", "audio/wav", "#preview audio", testWAV(8000, 1)},
	}
	// The blobs the page makes URLs of, kept by URL for the test to read
	// (the page's CSP lets no fetch read a blob: URL).
	tab.Do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: `{
			const make = URL.createObjectURL; window.hearthTestBlobs = new Map();
			URL.createObjectURL = (b) => { const u = make.call(URL, b); window.hearthTestBlobs.set(u, b); return u; }; }`})
		return err
	}))
	for _, pv := range previews {
		id, err := owner.UploadTo(ctx, "", bytes.NewReader(pv.body), int64(len(pv.body)), pv.name, pv.typ, time.Unix(1795000000, 0), nil)
		if err != nil {
			t.Fatal(err)
		}
		openLink(tab, share(id, client.ShareOptions{}))
		waitState(tab, "file-preview")
		waitText(t, tab, "#file-name", pv.name)
		sel := jsString(pv.sel)
		if pv.typ == "text/plain" {
			if got := browsertest.Eval[string](tab, `document.querySelector(`+sel+`).textContent`); got != string(pv.body) {
				t.Errorf("%s: the preview shows %q", pv.name, got)
			}
		} else {
			// What the frame or the player plays is the file, byte for byte.
			got := browsertest.Eval[string](tab, `window.hearthTestBlobs.get(document.querySelector(`+sel+`).src).arrayBuffer().then((b) => { let s = ""; for (const x of new Uint8Array(b)) s += String.fromCharCode(x); return btoa(s); })`)
			if got != base64.StdEncoding.EncodeToString(pv.body) {
				t.Errorf("%s: the preview's blob is not the file", pv.name)
			}
		}
		if pv.typ == "audio/wav" {
			tab.WaitTrue(`document.querySelector("#preview audio").readyState >= 1 && Math.abs(document.querySelector("#preview audio").duration - 1) < 0.05`)
		}
		if pv.typ == "application/pdf" {
			shootPDF(t, env, tab, tab.Ctx, "file-pdf", pv.sel) // once the viewer drew it
		} else {
			tab.Screenshots("file-" + strings.ToLower(filepath.Ext(pv.name)[1:]))
		}
	}

	// A folder link of long names: the tree, and all of it as a zip.
	long := "A folder whose name goes on and on to see how the page wraps it — Trips 2024"
	trips, _ := owner.Mkdir(ctx, "", long)
	sub, _ := owner.Mkdir(ctx, trips, "Photos from the second week, unsorted and not yet renamed")
	owner.Mkdir(ctx, trips, "empty")
	files := map[string][]byte{
		"notes.txt": []byte("the first day: rain, then sun\n"),
		"Photos from the second week, unsorted and not yet renamed/IMG_20240817_183455_HDR_panorama_final_v2.png": testPNG(64, 48),
		"Photos from the second week, unsorted and not yet renamed/a.bin":                                         bytes.Repeat([]byte{0, 1, 2, 250}, 40000),
	}
	for p, b := range files {
		parent := trips
		if strings.Contains(p, "/") {
			parent = sub
		}
		if _, err := owner.UploadTo(ctx, parent, bytes.NewReader(b), int64(len(b)), filepath.Base(p), "", time.Unix(1795000000, 0), nil); err != nil {
			t.Fatal(err)
		}
	}
	folderURL := share(trips, client.ShareOptions{})
	openLink(tab, folderURL)
	waitState(tab, "folder")
	// Names ordered as Files orders them (case aside, numbers as numbers):
	// a.bin before IMG_….
	if order := browsertest.Eval[string](tab, `[...document.querySelectorAll("li")].map(li => li.textContent.startsWith("a.bin") ? "a" : li.textContent.startsWith("IMG_") ? "I" : "").join("")`); order != "aI" {
		t.Fatalf("the folder's files in the order %q, want a.bin before IMG_", order)
	}
	tab.Screenshots("folder-long-names")
	tab.Do(chromedp.Click(chromedp.CSS("#folder-zip")))
	zb := waitDownload(t, nil, dir, strings.ReplaceAll(long, "/", "_")+".zip")
	zr, err := zip.NewReader(bytes.NewReader(zb), int64(len(zb)))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]byte{}
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/") {
			got[f.Name] = nil
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		got[f.Name], _ = io.ReadAll(rc)
		rc.Close()
	}
	for p, b := range files {
		if !bytes.Equal(got[p], b) {
			t.Errorf("the zip's %s differs (%d bytes, want %d)", p, len(got[p]), len(b))
		}
	}
	if _, ok := got["empty/"]; !ok || len(got) != len(files)+1 { // the files and the empty folder (a folder with files is implied by their paths)
		t.Errorf("the zip holds %d entries (the empty folder: %v)", len(got), ok)
	}

	// A password: wrong, then right.
	const password = "correct horse battery staple"
	pwURL := share(photoID, client.ShareOptions{Password: password})
	openLink(tab, pwURL)
	waitState(tab, "password")
	tab.Screenshots("password")
	typeInto(tab, "#pw-form [name=password]", "not the password")
	tab.Do(chromedp.Click(chromedp.CSS("#pw-form button")))
	waitState(tab, "password-wrong")
	waitText(t, tab, "#pw-msg", "Wrong password")
	tab.Screenshots("password-wrong")
	typeInto(tab, "#pw-form [name=password]", password)
	tab.Do(chromedp.Click(chromedp.CSS("#pw-form button")))
	waitState(tab, "file-preview")

	// Held back after many wrong proofs (the server's clock stands still,
	// so the wait does not run out under the test).
	heldURL := share(photoID, client.ShareOptions{Password: password})
	for i := 0; i < 11; i++ {
		if _, err := client.OpenLink(ctx, heldURL, "wrong "+fmt.Sprint(i), nil); err == nil {
			t.Fatal("a wrong password opened the link")
		}
	}
	openLink(tab, heldURL)
	waitState(tab, "password")
	typeInto(tab, "#pw-form [name=password]", password)
	tab.Do(chromedp.Click(chromedp.CSS("#pw-form button")))
	waitState(tab, "password-limited")
	waitText(t, tab, "#pw-msg", "Try again in")
	tab.Screenshots("password-held-back")

	// Gone links: each a page of its own, nothing of the file.
	expiring := share(photoID, client.ShareOptions{Expires: time.Hour})
	once := share(photoID, client.ShareOptions{MaxOpens: 1})
	if _, err := client.OpenLink(ctx, once, "", nil); err != nil {
		t.Fatal(err)
	}
	revoked := share(photoID, client.ShareOptions{})
	ru, _ := link.ParseURL(revoked)
	if err := owner.Unshare(ctx, ru.ID); err != nil {
		t.Fatal(err)
	}
	host.advance(2 * time.Hour)
	unknown := strings.Replace(fileURL, "/s/"+mustID(t, fileURL), "/s/"+strings.Repeat("a", 26), 1)
	for _, c := range []struct{ url, state, title string }{
		{expiring, "error-expired", "This link has expired"},
		{once, "error-exhausted", "This link was used up"},
		{revoked, "error-revoked", "This link was turned off"},
		{unknown, "error-not_found", "There is no such link"},
		{strings.Split(fileURL, "#")[0], "error-no_key", "This link is incomplete"},
	} {
		openLink(tab, c.url)
		waitState(tab, c.state)
		waitText(t, tab, "#err-title", c.title)
		if browsertest.Eval[bool](tab, `!!document.querySelector("#preview img")`) {
			t.Errorf("%s: an image shows", c.state)
		}
		tab.Screenshots(c.state)
	}
	// The whole link pasted into the tab of the incomplete one changes only
	// the fragment: the page starts again with the key.
	browsertest.Eval[bool](tab, `(location.href = `+jsString(fileURL)+`, true)`)
	waitState(tab, "file-preview")
	waitText(t, tab, "#file-name", "Harbour at dusk.png")

	// The host swaps a shared file's blob for another of the link's.
	sw := share(trips, client.ShareOptions{})
	s, err := client.OpenLink(ctx, sw, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var notes, bin string
	for _, e := range s.Manifest.Entries {
		switch filepath.Base(e.Path) {
		case "notes.txt":
			notes = e.Blob
		case "a.bin":
			bin = e.Blob
		}
	}
	host.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if strings.HasSuffix(r.URL.Path, "/blobs/"+notes) {
			r.URL.Path = strings.TrimSuffix(r.URL.Path, notes) + bin
		}
		return false
	})
	openLink(tab, sw)
	waitState(tab, "folder")
	tab.Do(chromedp.Click(chromedp.CSS(`#tree button[aria-label="Download notes.txt"]`)))
	waitState(tab, "error-integrity")
	waitText(t, tab, "#err-title", "This link's content was altered")
	tab.Screenshots("tampered")
	host.tamper(nil)
	if _, err := os.Stat(filepath.Join(dir, "notes.txt")); err == nil {
		t.Error("the swapped file was downloaded")
	}

	// The host replays an older listing of a folder this browser saw newer.
	replayed := share(trips, client.ShareOptions{})
	rid := mustID(t, replayed)
	var v1 []byte
	var v1mu sync.Mutex
	host.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if r.URL.Path != "/v1/links/"+rid+"/open" {
			return false
		}
		rec := captureResponse(next, r)
		v1mu.Lock()
		if v1 == nil && rec.Code == 200 {
			v1 = rec.Body.Bytes()
		}
		v1mu.Unlock()
		replayResponse(w, rec, rec.Body.Bytes())
		return true
	})
	openLink(tab, replayed)
	waitState(tab, "folder")
	host.tamper(nil)
	notesID := ""
	tree, err := owner.Files(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range tree.Children(trips) {
		if it.Name == "notes.txt" {
			notesID = it.ID
		}
	}
	if err := owner.DeleteFile(ctx, notesID); err != nil {
		t.Fatal(err)
	}
	if err := owner.UpdateShare(ctx, rid); err != nil {
		t.Fatal(err)
	}
	openLink(tab, replayed)
	waitState(tab, "folder")
	if browsertest.Eval[bool](tab, `[...document.querySelectorAll("#tree .name")].some((e) => e.textContent === "notes.txt")`) {
		t.Error("version 2 still lists the deleted file")
	}
	host.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if r.URL.Path != "/v1/links/"+rid+"/open" {
			return false
		}
		v1mu.Lock()
		defer v1mu.Unlock()
		replayResponse(w, captureResponse(next, r), v1)
		return true
	})
	openLink(tab, replayed)
	waitState(tab, "error-replayed")
	waitText(t, tab, "#err-title", "This link's content was altered")
	tab.Screenshots("replayed")
	host.tamper(nil)

	// SECURITY.md 15: no request carried a link's key or a password.
	seen := host.bytes()
	for _, u := range urls {
		lu, err := link.ParseURL(u)
		if err != nil {
			t.Fatal(err)
		}
		for _, form := range []string{link.EncodeKey(lu.Key), base64.StdEncoding.EncodeToString(lu.Key), base64.RawStdEncoding.EncodeToString(lu.Key)} {
			if bytes.Contains(seen, []byte(form)) {
				t.Errorf("a request carried the key of %s", lu.ID)
			}
		}
	}
	if holdsMarker(seen, password) || holdsMarker(seen, "Harbour at dusk") {
		t.Error("a request carried the password or a file name")
	}
}

func mustID(t *testing.T, u string) string {
	t.Helper()
	lu, err := link.ParseURL(u)
	if err != nil {
		t.Fatal(err)
	}
	return lu.ID
}

// TestWebLinkDrop: a stranger's fresh browser profile opens a drop link,
// sees its limits, queues two files by the picker, and sends them; the
// owner adopts them (client.AdoptDrops) and reads them back byte for
// byte; nothing the server received carries the link's key or a name.
func TestWebLinkDrop(t *testing.T) {
	env, host := startLinkEnv(t)
	ctx := context.Background()
	owner, _, err := client.Signup(ctx, env.ServerURL(), "alice", "a links test password", nil)
	if err != nil {
		t.Fatal(err)
	}
	inbox, err := owner.Mkdir(ctx, "", "Inbox")
	if err != nil {
		t.Fatal(err)
	}
	dropURL, err := owner.Request(ctx, inbox, client.RequestOptions{MaxFiles: 5, MaxFileSize: 200_000_000})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files := map[string][]byte{
		"zq9dropmarker-invoice March.txt": []byte("zq9dropmarker invoice: 42 euros\n"),
		"zq9dropmarker-scan.png":          testPNG(300, 200),
	}
	var paths []string
	for name, b := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	tab, _ := linkTab(t, env)
	openLink(tab, dropURL)
	waitState(tab, "drop")
	// Sizes in units of 1000, as --max-size 200MB reads them.
	waitText(t, tab, "#limits", "You can send 5 more files, each up to 200 MB")
	tab.Do(chromedp.SetUploadFiles(chromedp.CSS("#pick"), paths))
	tab.WaitTrue(`document.querySelectorAll("#queue li").length === 2`)
	waitText(t, tab, "#limits", "Once these are sent, this link takes 3 more files")
	tab.Screenshots("drop-queue")
	tab.Do(chromedp.Click(chromedp.CSS("#send")))
	waitState(tab, "sent")
	waitText(t, tab, "#drop-msg", "2 files were sent")
	if n := browsertest.Eval[int](tab, `document.querySelectorAll("#queue li.sent").length`); n != 2 {
		t.Fatalf("%d files show as sent", n)
	}
	tab.Screenshots("drop-sent")

	adopted, err := owner.AdoptDrops(ctx)
	if err != nil || len(adopted) != 2 {
		t.Fatalf("AdoptDrops = %v, %v", adopted, err)
	}
	for _, a := range adopted {
		if a.Err != nil || a.FileID == "" {
			t.Fatalf("drop %s: %v", a.Name, a.Err)
		}
		var b bytes.Buffer
		info, err := owner.DownloadProgress(ctx, a.FileID, &b, nil)
		if err != nil {
			t.Fatal(err)
		}
		if want, ok := files[info.Name]; !ok || !bytes.Equal(b.Bytes(), want) {
			t.Errorf("adopted %q differs from what was dropped", info.Name)
		}
	}
	lu, _ := link.ParseURL(dropURL)
	seen := host.bytes()
	for _, form := range []string{link.EncodeKey(lu.Key), base64.StdEncoding.EncodeToString(lu.Key)} {
		if bytes.Contains(seen, []byte(form)) {
			t.Error("a request carried the drop link's key")
		}
	}
	if holdsMarker(seen, "zq9dropmarker") {
		i := bytes.Index(seen, []byte("zq9dropmarker"))
		t.Errorf("a request carried a dropped file's name or content (at %d: %q)", i, seen[max(0, i-300):max(0, i)+40])
	}
}

// testPDF is a one-page PDF that says text.
func testPDF(text string) []byte {
	stream := "BT /F1 24 Tf 72 720 Td (" + text + ") Tj ET"
	return pdfFile(
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(stream), stream),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	)
}

// testWAV is secs seconds of a 440 Hz tone, 16-bit mono PCM at rate Hz.
func testWAV(rate, secs int) []byte {
	n := rate * secs
	var b bytes.Buffer
	le := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	b.WriteString("RIFF")
	le(uint32(36 + 2*n))
	b.WriteString("WAVEfmt ")
	le(uint32(16))
	le(uint16(1))
	le(uint16(1))
	le(uint32(rate))
	le(uint32(2 * rate))
	le(uint16(2))
	le(uint16(16))
	b.WriteString("data")
	le(uint32(2 * n))
	for i := 0; i < n; i++ {
		le(int16(8000 * math.Sin(2*math.Pi*440*float64(i)/float64(rate))))
	}
	return b.Bytes()
}
