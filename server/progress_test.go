package server_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/hearthcloud/hearth/server"
	"github.com/hearthcloud/hearth/server/auth"

	// The web client (site.Register), whose hearth.wasm a test fetches.
	_ "github.com/hearthcloud/hearth/wasm/web"
)

// TestUnreadAnswerIsCut (issue 13, found by the load harness's slow
// clients): a client that never reads a large answer, a page of the changes
// feed, a bulk read or a file of the web client, is cut once the server
// has made no progress writing it for the idle limit, instead of holding
// the connection and its handler for ever; a client that reads the same
// answer slowly but steadily gets all of it.
func TestUnreadAnswerIsCut(t *testing.T) {
	const idle = time.Second
	defer server.SetWriteIdle(idle)()
	ctx := context.Background()
	s, err := server.Open(ctx, server.Config{Dir: t.TempDir(), Hash: auth.HashParams{Memory: 64, Time: 1, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// ended receives the path of each request whose handler returned.
	ended := make(chan string, 16)
	h := s.Handler()
	hs := server.HTTPServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		ended <- r.URL.Path
	}), slog.New(slog.DiscardHandler))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go hs.Serve(ln)
	defer hs.Close()
	base := "http://" + ln.Addr().String()
	do := func(method, path, token string, body []byte, hdr ...string) *http.Response {
		t.Helper()
		res, err := http.DefaultClient.Do(apiRequest(t, method, base+path, token, body, hdr...))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode >= 300 {
			t.Fatalf("%s %s: %d", method, path, res.StatusCode)
		}
		return res
	}
	rnd := func(n int) []byte { b := make([]byte, n); rand.Read(b); return b }
	signup, _ := json.Marshal(map[string]any{"user": "alice", "kdf": map[string]any{"alg": "argon2id", "m": 65536, "t": 3, "p": 1},
		"seed": rnd(32), "login_secret": rnd(32), "recovery_auth": rnd(32), "keyring": []byte("k"), "recovery_keyring": []byte("r"), "device": "d"})
	req, _ := http.NewRequest("POST", base+"/v1/accounts", bytes.NewReader(signup))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 201 {
		t.Fatalf("sign-up: %v %v", res, err)
	}
	var ans struct{ Session struct{ Token string } }
	json.NewDecoder(res.Body).Decode(&ans)
	res.Body.Close()
	tok := ans.Session.Token
	do("PUT", "/v1/doctypes/io.hearth.notes", tok, nil)
	// Five documents of 1 MiB: a feed page of about 7 MiB of JSON, more
	// than the sockets' buffers hold.
	var ids []string
	for i := range 5 {
		id := fmt.Sprintf("doc%d", i)
		ids = append(ids, id)
		do("PUT", "/v1/docs/io.hearth.notes/"+id, tok, rnd(1<<20-64), "Content-Type", "application/octet-stream", "If-None-Match", "*")
	}
	drain(ended)
	bulk, _ := json.Marshal(map[string]any{"ids": ids})
	requests := map[string]string{
		"/v1/changes": "GET /v1/changes?since=0&include_docs=true HTTP/1.1\r\nHost: " + ln.Addr().String() +
			"\r\nAuthorization: Bearer " + tok + "\r\n\r\n",
		"/v1/docs/io.hearth.notes/_bulk_get": "POST /v1/docs/io.hearth.notes/_bulk_get HTTP/1.1\r\nHost: " + ln.Addr().String() +
			"\r\nAuthorization: Bearer " + tok + "\r\nContent-Type: application/json\r\nContent-Length: " + fmt.Sprint(len(bulk)) + "\r\n\r\n" + string(bulk),
	}
	if b, ok := s.Site.Bytes("hearth.wasm"); ok && len(b) > 4<<20 {
		// Home's host (the loopback address sends a browser on to it).
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		requests["/hearth.wasm"] = "GET /hearth.wasm HTTP/1.1\r\nHost: home.localhost:" + port + "\r\n\r\n"
	}
	for path, raw := range requests {
		// Never read: cut after the idle limit.
		c := dialSmall(t, ln.Addr().String())
		start := time.Now()
		if _, err := io.WriteString(c, raw); err != nil {
			t.Fatal(err)
		}
		select {
		case p := <-ended:
			if p != path {
				t.Fatalf("%s: another request ended: %s", path, p)
			}
			if el := time.Since(start); el < idle {
				t.Fatalf("%s: cut after %v, before the idle limit", path, el)
			}
		case <-time.After(time.Minute): // generous: building the answer takes seconds under -race on a busy machine
			t.Fatalf("%s: an answer never read still holds its handler after a minute", path)
		}
		c.Close()

		t.Logf("%s never read: cut after %v", path, time.Since(start).Round(time.Millisecond))

		// Read slowly but steadily (at most 256 KiB every 50 ms): all of
		// it arrives.
		c, err = net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(c, raw)
		br := &slowReader{r: c, pause: idle / 20}
		res, err := http.ReadResponse(bufio.NewReaderSize(br, 1<<20), nil)
		if err != nil {
			t.Fatalf("%s read slowly: %v", path, err)
		}
		n, err := io.Copy(io.Discard, res.Body)
		if err != nil || n != res.ContentLength || n < 5<<20 {
			t.Fatalf("%s read slowly: %d of %d bytes, %v", path, n, res.ContentLength, err)
		}
		c.Close()
		<-ended
	}
}

// dialSmall connects with a small receive buffer, so that an unread answer
// fills it at once.
func dialSmall(t *testing.T, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		rc.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		return nil
	}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// slowReader reads at most 256 KiB at a time, pausing before each read.
type slowReader struct {
	r     io.Reader
	pause time.Duration
}

func (s *slowReader) Read(p []byte) (int, error) {
	time.Sleep(s.pause)
	return s.r.Read(p[:min(len(p), 256<<10)])
}

func drain(c chan string) {
	for {
		select {
		case <-c:
		default:
			return
		}
	}
}
