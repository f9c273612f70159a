package main

// The end-to-end tests build the real binaries, start hearthd on a loopback
// port with a temporary data folder, and drive it with the built hearth
// binary and with the client library.

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// bins holds the built binaries, shared by every test in the package.
var bins struct {
	once    sync.Once
	dir     string
	hearthd string
	hearth  string
	err     error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bins.dir != "" {
		os.RemoveAll(bins.dir)
	}
	os.Exit(code)
}

// build compiles hearthd and hearth once, without test tags: the binaries
// under test are the shipped ones.
func build(t testing.TB) {
	t.Helper()
	bins.once.Do(func() {
		bins.dir, bins.err = os.MkdirTemp("", "hearth-e2e-bin-")
		if bins.err != nil {
			return
		}
		cmd := exec.Command("go", "build", "-o", bins.dir+string(os.PathSeparator), "github.com/hearthcloud/hearth/cmd/hearthd", "github.com/hearthcloud/hearth/cmd/hearth")
		out, err := cmd.CombinedOutput()
		if err != nil {
			bins.err = fmt.Errorf("go build: %v\n%s", err, out)
			return
		}
		bins.hearthd = filepath.Join(bins.dir, "hearthd")
		bins.hearth = filepath.Join(bins.dir, "hearth")
	})
	if bins.err != nil {
		t.Fatal(bins.err)
	}
}

// syncBuf is a goroutine-safe buffer for a process's output.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// A daemon is a running hearthd.
type daemon struct {
	t    testing.TB
	dir  string // data folder
	url  string // http://127.0.0.1:port
	addr string
	cmd  *exec.Cmd
	log  *syncBuf // stderr: the server's log
	out  *syncBuf // stdout
	done chan error
}

var servingRE = regexp.MustCompile(`serving on (http://\S+)`)

// startDaemon starts hearthd on dir, listening on addr ("" for any free
// loopback port), and waits until it serves.
func startDaemon(t testing.TB, dir, addr string, extra ...string) *daemon {
	t.Helper()
	build(t)
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	d := &daemon{t: t, dir: dir, log: &syncBuf{}, out: &syncBuf{}, done: make(chan error, 1)}
	d.cmd = exec.Command(bins.hearthd, append([]string{"--data", dir, "--listen", addr}, extra...)...)
	d.cmd.Stderr = d.log
	pr, pw := io.Pipe()
	d.cmd.Stdout = pw
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.done <- d.cmd.Wait(); pw.Close() }()
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			d.out.Write(append(sc.Bytes(), '\n'))
			if m := servingRE.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case urlc <- m[1]:
				default:
				}
			}
		}
	}()
	select {
	case u := <-urlc:
		d.url = u
		d.addr = strings.TrimPrefix(u, "http://")
	case err := <-d.done:
		t.Fatalf("hearthd exited: %v\n%s", err, d.log)
	case <-time.After(30 * time.Second):
		d.cmd.Process.Kill()
		t.Fatalf("hearthd did not start\n%s", d.log)
	}
	t.Cleanup(func() { d.stop() })
	return d
}

// stop ends the daemon gracefully (SIGINT) if it still runs.
func (d *daemon) stop() {
	if d.cmd.ProcessState != nil {
		return
	}
	d.cmd.Process.Signal(os.Interrupt)
	select {
	case <-d.done:
	case <-time.After(15 * time.Second):
		d.cmd.Process.Kill()
		<-d.done
	}
}

// kill ends the daemon with SIGKILL, as a crash would.
func (d *daemon) kill() {
	d.cmd.Process.Kill()
	<-d.done
}

// A cli runs the hearth binary with its own state folder.
type cli struct {
	t        testing.TB
	home     string
	password string
	env      []string
}

func newCLI(t testing.TB, password string) *cli {
	build(t)
	return &cli{t: t, home: filepath.Join(t.TempDir(), "home"), password: password}
}

type result struct {
	stdout, stderr string
	code           int
}

// run runs hearth with args and stdin; it does not fail the test on a
// non-zero exit.
func (c *cli) run(stdin string, args ...string) result {
	c.t.Helper()
	cmd := exec.Command(bins.hearth, args...)
	cmd.Env = append(os.Environ(), "HEARTH_HOME="+c.home, "HEARTH_PASSWORD="+c.password)
	cmd.Env = append(cmd.Env, c.env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		c.t.Fatal(err)
	}
	return result{out.String(), errb.String(), code}
}

// ok runs hearth and fails the test unless it succeeds.
func (c *cli) ok(stdin string, args ...string) string {
	c.t.Helper()
	r := c.run(stdin, args...)
	if r.code != 0 {
		c.t.Fatalf("hearth %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// fails runs hearth and fails the test unless it exits non-zero with one
// line on stderr containing want.
func (c *cli) fails(want string, stdin string, args ...string) result {
	c.t.Helper()
	r := c.run(stdin, args...)
	if r.code == 0 {
		c.t.Fatalf("hearth %s succeeded; want failure %q\nstdout: %s", strings.Join(args, " "), want, r.stdout)
	}
	if lines := strings.Count(strings.TrimSpace(r.stderr), "\n") + 1; lines != 1 || !strings.Contains(r.stderr, want) {
		c.t.Fatalf("hearth %s: stderr %q, want one line containing %q", strings.Join(args, " "), r.stderr, want)
	}
	return r
}

// recorder is a reverse proxy in front of hearthd that keeps every byte of
// every request it forwards (request line, headers, body).
type recorder struct {
	mu  sync.Mutex
	buf bytes.Buffer
	url string
}

func newRecorder(t testing.TB, target string) *recorder {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	proxy := httputil.NewSingleHostReverseProxy(u)
	proxy.FlushInterval = -1
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dump, _ := httputil.DumpRequest(r, false)
		rec.mu.Lock()
		rec.buf.Write(dump)
		rec.mu.Unlock()
		r.Body = io.NopCloser(io.TeeReader(r.Body, rec))
		proxy.ServeHTTP(w, r)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	rec.url = "http://" + ln.Addr().String()
	return rec
}

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.buf.Write(p)
}

func (r *recorder) Bytes() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return bytes.Clone(r.buf.Bytes())
}
