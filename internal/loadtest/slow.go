package loadtest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Slow clients (slowloris): connections that send their request a byte at
// a time, stall in the middle of a body, or never read the answer. The
// server's timeouts (§8.1.10) must cut each, while the other devices go on.
// Whether the server cut a connection is read from the server's side of
// it, in /proc/net/tcp: a connection hearthd closed is gone, or left to the
// kernel (no inode), even while the client side still holds it.

// A slowKind is one way of being slow on one route.
type slowKind struct {
	name   string
	expect string // what §8.1.10 gives it
	// request is the request's head and the part of its body sent at
	// once; drip, when above zero, is how often one more byte follows.
	request func(s *slowSetup) string
	drip    time.Duration
	unread  bool // the answer is never read (a small receive buffer)
}

// slowSetup holds what the authenticated kinds need.
type slowSetup struct {
	host   string
	token  string
	blob   string   // id of a large blob of the account, for downloads
	docIDs []string // documents of the account, for a bulk read
}

func slowKinds() []slowKind {
	return []slowKind{
		{name: "headers a byte a second", expect: "10 s (request headers)", drip: time.Second,
			request: func(s *slowSetup) string {
				return "GET /v1/account HTTP/1.1\r\nHost: " + s.host + "\r\nX-Slow: "
			}},
		{name: "login body a byte a second", expect: "30 s (JSON body)", drip: time.Second,
			request: func(s *slowSetup) string {
				return "POST /v1/login HTTP/1.1\r\nHost: " + s.host + "\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{"
			}},
		{name: "document body a byte a second", expect: "30 s (sealed-document body)", drip: time.Second,
			request: func(s *slowSetup) string {
				return "PUT /v1/docs/" + notesDoctype + "/" + slowID() + " HTTP/1.1\r\nHost: " + s.host + "\r\nAuthorization: Bearer " + s.token +
					"\r\nIf-None-Match: *\r\nContent-Type: application/octet-stream\r\nContent-Length: 2000\r\n\r\nx"
			}},
		{name: "bulk write body a byte a second", expect: "30 s (JSON body)", drip: time.Second,
			request: func(s *slowSetup) string {
				return "POST /v1/docs/" + notesDoctype + "/_bulk_put HTTP/1.1\r\nHost: " + s.host + "\r\nAuthorization: Bearer " + s.token +
					"\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"
			}},
		{name: "blob body stalled after 4 KiB", expect: "60 s without progress (stream)",
			request: func(s *slowSetup) string {
				return "PUT /v1/blobs/io.hearth.files/" + slowID() + " HTTP/1.1\r\nHost: " + s.host + "\r\nAuthorization: Bearer " + s.token +
					"\r\nContent-Type: application/octet-stream\r\nContent-Length: 1048576\r\n\r\n" + strings.Repeat("x", 4096)
			}},
		{name: "blob download never read", expect: "60 s without progress (stream)", unread: true,
			request: func(s *slowSetup) string {
				return "GET /v1/blobs/io.hearth.files/" + s.blob + " HTTP/1.1\r\nHost: " + s.host + "\r\nAuthorization: Bearer " + s.token + "\r\n\r\n"
			}},
		{name: "web client's hearth.wasm never read", expect: "none given (a page or asset)", unread: true,
			request: func(s *slowSetup) string {
				return "GET /hearth.wasm HTTP/1.1\r\nHost: " + s.host + "\r\n\r\n"
			}},
		{name: "feed page never read", expect: "none given (JSON answer)", unread: true,
			request: func(s *slowSetup) string {
				return "GET /v1/changes?since=0&include_docs=true&limit=500 HTTP/1.1\r\nHost: " + s.host + "\r\nAuthorization: Bearer " + s.token + "\r\n\r\n"
			}},
		{name: "bulk read never read", expect: "none given (JSON answer)", unread: true,
			request: func(s *slowSetup) string {
				b, _ := json.Marshal(map[string]any{"ids": s.docIDs})
				return "POST /v1/docs/" + notesDoctype + "/_bulk_get HTTP/1.1\r\nHost: " + s.host + "\r\nAuthorization: Bearer " + s.token +
					"\r\nContent-Type: application/json\r\nContent-Length: " + strconv.Itoa(len(b)) + "\r\n\r\n" + string(b)
			}},
	}
}

var slowIDs struct {
	mu sync.Mutex
	n  int
}

// slowID is a fresh document or blob id (22 characters of the id alphabet).
func slowID() string {
	slowIDs.mu.Lock()
	defer slowIDs.mu.Unlock()
	slowIDs.n++
	return fmt.Sprintf("slow%018d", slowIDs.n)
}

// slowConn is one slow connection.
type slowConn struct {
	kind   int
	conn   net.Conn
	local  string // the client's address, as the server's side names it
	opened time.Time
	cut    time.Duration // 0: not cut (yet)
	answer string        // the status the server answered, or "nothing"
}

// slowResult is what happened to the connections of one kind.
type slowResult struct {
	kind    slowKind
	n       int
	cut     []time.Duration
	failed  int            // could not even be opened
	answers map[string]int // status (or "nothing") -> connections
}

// runSlow opens n connections of each kind from addresses of their own,
// keeps them slow for length, and reports when the server cut each.
func runSlow(ctx context.Context, server string, n int, setup *slowSetup, length time.Duration, firstIP int) []slowResult {
	kinds := slowKinds()
	res := make([]slowResult, len(kinds))
	var conns []*slowConn
	var mu sync.Mutex
	var wg sync.WaitGroup
	ctx, cancel := context.WithTimeout(ctx, length)
	defer cancel()
	ip := firstIP
	for k, kind := range kinds {
		res[k].kind = kind
		for range n {
			res[k].n++
			d := net.Dialer{LocalAddr: &net.TCPAddr{IP: deviceIP(ip)}, Timeout: 10 * time.Second}
			ip++
			if kind.unread {
				d.Control = smallReceiveBuffer
			}
			c, err := d.DialContext(ctx, "tcp", server)
			if err != nil {
				res[k].failed++
				continue
			}
			sc := &slowConn{kind: k, conn: c, local: c.LocalAddr().String(), opened: time.Now()}
			conns = append(conns, sc)
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := io.WriteString(c, kind.request(setup)); err != nil || kind.drip == 0 {
					return
				}
				t := time.NewTicker(kind.drip)
				defer t.Stop()
				for {
					select {
					case <-ctx.Done():
						return
					case <-t.C:
					}
					if _, err := c.Write([]byte{'a'}); err != nil {
						return
					}
				}
			}()
		}
	}
	// Watch the server's side of every connection.
	_, port, _ := net.SplitHostPort(server)
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-tick.C:
		}
		open := serverSide(port)
		now := time.Now()
		mu.Lock()
		for _, sc := range conns {
			if sc.cut == 0 && !open[sc.local] {
				sc.cut = now.Sub(sc.opened)
			}
		}
		mu.Unlock()
	}
	// What the server answered, if anything: the first line of what the
	// connection holds.
	for _, sc := range conns {
		sc.conn.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		b := make([]byte, 64)
		n, _ := io.ReadAtLeast(sc.conn, b, 12)
		line, _, _ := strings.Cut(string(b[:n]), "\r\n")
		if f := strings.Fields(line); len(f) >= 2 && strings.HasPrefix(f[0], "HTTP/") {
			sc.answer = f[1]
		} else {
			sc.answer = "nothing"
		}
		sc.conn.Close()
	}
	wg.Wait()
	for _, sc := range conns {
		if sc.cut > 0 {
			res[sc.kind].cut = append(res[sc.kind].cut, sc.cut)
		}
		if res[sc.kind].answers == nil {
			res[sc.kind].answers = map[string]int{}
		}
		res[sc.kind].answers[sc.answer]++
	}
	return res
}

// smallReceiveBuffer makes a socket's receive buffer small, so that an
// answer never read fills it and the server's writes block.
func smallReceiveBuffer(_, _ string, rc syscall.RawConn) error {
	var serr error
	rc.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	return serr
}

// serverSide returns the remote addresses ("ip:port") of the connections
// the process listening on port still holds open: established, with an
// inode (a socket the process closed is left to the kernel without one).
func serverSide(port string) map[string]bool {
	p, _ := strconv.Atoi(port)
	want := fmt.Sprintf(":%04X", p)
	open := map[string]bool{}
	f, err := os.Open("/proc/net/tcp")
	if err != nil {
		return open
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fl := strings.Fields(sc.Text())
		if len(fl) < 10 || !strings.HasSuffix(fl[1], want) || fl[3] != "01" || fl[9] == "0" {
			continue
		}
		if a := hexAddr(fl[2]); a != "" {
			open[a] = true
		}
	}
	return open
}

// hexAddr decodes /proc/net/tcp's "0100007F:1F90" into "127.0.0.1:8080".
func hexAddr(s string) string {
	h, p, ok := strings.Cut(s, ":")
	if !ok || len(h) != 8 {
		return ""
	}
	v, err := strconv.ParseUint(h, 16, 32)
	port, err2 := strconv.ParseUint(p, 16, 16)
	if err != nil || err2 != nil {
		return ""
	}
	return fmt.Sprintf("%d.%d.%d.%d:%d", byte(v), byte(v>>8), byte(v>>16), byte(v>>24), port)
}

// report writes one row per kind: connections, how many the server cut,
// and after how long.
func reportSlow(w io.Writer, res []slowResult, length time.Duration) {
	fmt.Fprintf(w, "\n| Slow client (held up to %s) | Expected cut (§8.1.10) | Cut | Cut after: min / median / max s | Answered |\n|---|---|---|---|---|\n", length.Round(time.Second))
	for _, r := range res {
		slices.Sort(r.cut)
		span := "-"
		if len(r.cut) > 0 {
			span = fmt.Sprintf("%.1f / %.1f / %.1f", r.cut[0].Seconds(), quantile(r.cut, 0.5).Seconds(), r.cut[len(r.cut)-1].Seconds())
		}
		note := ""
		if r.failed > 0 {
			note = fmt.Sprintf(" (%d could not connect)", r.failed)
		}
		var ans []string
		for a, n := range r.answers {
			ans = append(ans, fmt.Sprintf("%s × %d", a, n))
		}
		slices.Sort(ans)
		fmt.Fprintf(w, "| %s | %s | %d of %d%s | %s | %s |\n", r.kind.name, r.kind.expect, len(r.cut), r.n, note, span, strings.Join(ans, ", "))
	}
}
