package main

// What hearth prints that a document, the server or an app supplied never
// reaches the terminal raw: each command that prints such a value, run
// as a built binary against hearthd, with a hostile corpus (see hostile),
// its output bytes asserted.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hearthcloud/hearth/client"
)

// An editor may replace the answer to r (status and body), returning
// false to leave it as it is.
type editor func(r *http.Request, status int, body []byte) (int, []byte, bool)

// hostileProxy serves target through a proxy that edit, once set, may
// make answer otherwise: the host as an adversary.
type hostileProxy struct {
	url  string
	mu   sync.Mutex
	edit editor
}

func newHostileProxy(t *testing.T, target string) *hostileProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &hostileProxy{}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = func(res *http.Response) error {
		p.mu.Lock()
		edit := p.edit
		p.mu.Unlock()
		if edit == nil {
			return nil
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			return err
		}
		if status, b, ok := edit(res.Request, res.StatusCode, body); ok {
			res.StatusCode, body = status, b
		}
		res.Body = io.NopCloser(bytes.NewReader(body))
		res.ContentLength = int64(len(body))
		res.Header.Set("Content-Length", strconv.Itoa(len(body)))
		return nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: rp}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	p.url = "http://" + ln.Addr().String()
	return p
}

func (p *hostileProxy) set(e editor) {
	p.mu.Lock()
	p.edit = e
	p.mu.Unlock()
}

// editJSON is an editor that changes the JSON answers to method path.
func editJSON(method, path string, change func(m map[string]any)) editor {
	return func(r *http.Request, status int, body []byte) (int, []byte, bool) {
		if r.Method != method || r.URL.Path != path || status != 200 {
			return 0, nil, false
		}
		var m map[string]any
		if json.Unmarshal(body, &m) != nil {
			return 0, nil, false
		}
		change(m)
		b, _ := json.Marshal(m)
		return status, b, true
	}
}

// hostileText is every item of hostile in one string.
var hostileText = strings.Join(hostile, "|")

// hostileShown is hostileText as printable shows it.
const hostileShown = `\x1b[2J|\x1b]52;c;ZXZpbA==\x07|\x00|\r|\u009b31m|\u202e|\u2028|\xff\xfe`

// viaJSON is hostileShown for hostileText carried in JSON, where bytes
// that are not UTF-8 arrive as U+FFFD.
var viaJSON = strings.Replace(hostileShown, `\xff\xfe`, "\uFFFD\uFFFD", 1)

// TestCLIGetPrintsOnlyJSON: hearth get prints a document that is JSON as
// the same JSON with each unsafe character inside strings as its \u
// escape (and carriage returns between tokens dropped), and refuses one
// that is not JSON text (raw escape sequences, NUL, invalid UTF-8) with
// one line naming it, printing nothing of it.
func TestCLIGetPrintsOnlyJSON(t *testing.T) {
	ctx := context.Background()
	d := startDaemon(t, t.TempDir(), "")
	a := newCLI(t, "get test passphrase")
	a.ok("", "signup", "--server", d.url, "--user", "gina")
	// Another writer of the account (an app, another client) writes what
	// hearth put would refuse.
	w, err := client.Login(ctx, d.url, "gina", "get test passphrase", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	const notes = "io.hearth.notes"
	for _, tc := range []struct{ content, want string }{
		{`{"t":"\u001b[2J\u001b]52;c;ZXZpbA==\u0007"}`, `{"t":"\u001b[2J\u001b]52;c;ZXZpbA==\u0007"}` + "\n"},
		{"{\"bidi\":\"\u202etxt.exe\",\"csi\":\"\u009b2J\",\"del\":\"\x7f\",\"ls\":\"a\u2028b\"}",
			`{"bidi":"\u202etxt.exe","csi":"\u009b2J","del":"\u007f","ls":"a\u2028b"}` + "\n"},
		{"{\r\n  \"a\": 1,\r\"b\": \"\u2066x\"\r\n}\r\n", "{\n  \"a\": 1,\"b\": \"\\u2066x\"\n}\n"},
	} {
		id, _, err := w.Create(ctx, notes, []byte(tc.content))
		if err != nil {
			t.Fatal(err)
		}
		got := a.ok("", "get", notes, id)
		inert(t, "get", got)
		if got != tc.want {
			t.Errorf("get of %q printed %q, want %q", tc.content, got, tc.want)
		}
	}
	for _, content := range append(hostile, hostileText, "plain text", "{\"t\":\"\xff\"}", "{\"t\":\"\x1b[2J\"}") {
		id, _, err := w.Create(ctx, notes, []byte(content))
		if err != nil {
			t.Fatal(err)
		}
		r := a.fails(notes+"/"+id+" is not JSON", "", "get", notes, id)
		if r.stdout != "" || r.code != 1 {
			t.Errorf("get of %q: exit %d, printed %q", content, r.code, r.stdout)
		}
		inert(t, "get's error", r.stderr)
	}
}

// TestCLILsEscapes: ids a hostile server lists are printed only when they
// are ids (the client drops the others), each on its line.
func TestCLILsEscapes(t *testing.T) {
	d := startDaemon(t, t.TempDir(), "")
	p := newHostileProxy(t, d.url)
	a := newCLI(t, "ls test passphrase")
	a.ok("", "signup", "--server", p.url, "--user", "lee")
	id := strings.Fields(a.ok(`{"a":1}`, "put", "io.hearth.notes"))[0]
	p.set(editJSON("GET", "/v1/docs/io.hearth.notes", func(m map[string]any) {
		docs := m["docs"].([]any)
		for _, h := range hostile {
			docs = append(docs, map[string]any{"id": "x" + h, "rev": 1, "size": 300, "deleted": false})
		}
		m["docs"] = docs
	}))
	out := a.ok("", "ls", "io.hearth.notes")
	inert(t, "ls", out)
	if out != id+"\n" {
		t.Fatalf("ls printed %q, want %q", out, id+"\n")
	}
}

// TestCLIErrorsEscaped: an error message the server words is printed on
// one line of stderr, its control and bidirectional characters as
// visible escapes.
func TestCLIErrorsEscaped(t *testing.T) {
	d := startDaemon(t, t.TempDir(), "")
	p := newHostileProxy(t, d.url)
	a := newCLI(t, "errors password")
	a.ok("", "signup", "--server", p.url, "--user", "eli")
	a.ok(`{"a":1}`, "put", "io.hearth.notes")
	p.set(func(r *http.Request, status int, body []byte) (int, []byte, bool) {
		if r.URL.Path != "/v1/docs/io.hearth.notes" {
			return 0, nil, false
		}
		b, _ := json.Marshal(map[string]any{"error": map[string]any{"code": "bad_request", "message": "no " + hostileText + "\n\tend"}})
		return 400, b, true
	})
	r := a.fails("server refused", "", "ls", "io.hearth.notes")
	inert(t, "ls's error", r.stderr)
	// Whitespace runs (\r, U+2028, \n\t) are one space.
	want := "hearth: server refused: no " + strings.NewReplacer(`\r`, " ", `\u2028`, " ").Replace(viaJSON) + " end (bad_request)\n"
	if r.stderr != want {
		t.Fatalf("stderr %q\nwant   %q", r.stderr, want)
	}
}

// TestCLIAppListEscapes: hearth app list shows the version the server
// answers with its control and bidirectional characters as visible
// escapes.
func TestCLIAppListEscapes(t *testing.T) {
	d := startDaemon(t, t.TempDir(), "")
	p := newHostileProxy(t, d.url)
	a := newCLI(t, "apps test passphrase")
	a.ok("", "signup", "--server", p.url, "--user", "ann")
	a.ok("", "app", "install", filepath.Join("..", "..", "spec", "example-app"), "--yes")
	p.set(editJSON("GET", "/v1/apps", func(m map[string]any) {
		for _, x := range m["apps"].([]any) {
			x.(map[string]any)["version"] = "1.0.0" + hostileText
		}
	}))
	out := a.ok("", "app", "list")
	inert(t, "app list", out)
	if want := "bookmarks\t1.0.0" + viaJSON + "\tBookmarks\n"; out != want {
		t.Fatalf("app list printed %q\nwant %q", out, want)
	}
}

// TestCLISearchEscapes: a search result's snippet, from the document,
// shows its control and bidirectional characters as visible escapes.
func TestCLISearchEscapes(t *testing.T) {
	d := startDaemon(t, t.TempDir(), "")
	a := newCLI(t, "search password")
	a.ok("", "signup", "--server", d.url, "--user", "sid")
	body, _ := json.Marshal(map[string]string{"body": "lisbon " + hostileText})
	id := strings.Fields(a.ok(string(body), "put", "io.hearth.notes"))[0]
	out := a.ok("", "search", "lisbon")
	inert(t, "search", out)
	if want := "io.hearth.notes\t" + id + "\tlisbon " + viaJSON + "\n"; out != want {
		t.Fatalf("search printed %q\nwant %q", out, want)
	}
}

// TestCLIDownloadNameEscaped: downloading a file under its own name says
// which, with the name's bidirectional controls and separators as visible
// escapes. A file's name is the uploader's, stored sealed; control
// characters are refused in it (crypto/seal), these are not.
func TestCLIDownloadNameEscaped(t *testing.T) {
	d := startDaemon(t, t.TempDir(), "")
	a := newCLI(t, "files password")
	a.ok("", "signup", "--server", d.url, "--user", "fay")
	name := "invoice\u202efdp.exe\u2028\u2066x"
	src := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(src, []byte("content"), 0o644); err != nil {
		t.Fatal(err)
	}
	fileID := uploadedID(t, a.ok("", "upload", src, "--ids"))
	wd := t.TempDir()
	old, _ := os.Getwd()
	os.Chdir(wd)
	r := a.run("", "download", fileID)
	os.Chdir(old)
	if r.code != 0 {
		t.Fatalf("download: %d %s", r.code, r.stderr)
	}
	inert(t, "download", r.stderr)
	if want := `wrote invoice\u202efdp.exe\u2028\u2066x (7 bytes)` + "\n"; r.stderr != want {
		t.Fatalf("download said %q\nwant %q", r.stderr, want)
	}
	if got, err := os.ReadFile(filepath.Join(wd, name)); err != nil || string(got) != "content" {
		t.Fatalf("the file under its name: %q %v", got, err)
	}
}

// TestCLITOTPEscaped: the otpauth URI and the recovery codes, which the
// server supplies, are printed with their control and bidirectional
// characters as visible escapes.
func TestCLITOTPEscaped(t *testing.T) {
	d := startDaemon(t, t.TempDir(), "")
	p := newHostileProxy(t, d.url)
	a := newCLI(t, "totp test passphrase")
	a.ok("", "signup", "--server", p.url, "--user", "tom")
	var uri string
	p.set(editJSON("POST", "/v1/totp/enroll", func(m map[string]any) {
		uri = m["uri"].(string)
		m["uri"] = uri + hostileText
	}))
	out := a.ok("", "totp", "enable")
	inert(t, "totp enable", out)
	if want := uri + viaJSON + "\n"; out != want {
		t.Fatalf("totp enable printed %q\nwant %q", out, want)
	}
	p.set(editJSON("POST", "/v1/totp/confirm", func(m map[string]any) {
		m["recovery_codes"] = []string{"code" + hostileText}
	}))
	out = a.ok("", "totp", "confirm", totpCode(t, uri, time.Now()))
	inert(t, "totp confirm", out)
	if want := "code" + viaJSON + "\n"; out != want {
		t.Fatalf("totp confirm printed %q\nwant %q", out, want)
	}
}

// TestCLIUnreachableServer: a server that cannot be reached is said so,
// with its address, not as the transport's "Post ...: dial tcp ..." line.
func TestCLIUnreachableServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	c := newCLI(t, "a password for nowhere")
	r := c.fails("cannot reach the server at http://"+addr+": ", "", "login", "--server", "http://"+addr, "--user", "alice")
	if strings.Contains(r.stderr, "dial tcp") || strings.Contains(r.stderr, "/v1/") {
		t.Fatalf("unreachable server: %q", r.stderr)
	}
}
