package loadtest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// BuildHearthd compiles the shipped hearthd (no build tags) into dir and
// returns its path.
func BuildHearthd(ctx context.Context, dir string) (string, error) {
	out := filepath.Join(dir, "hearthd")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "github.com/hearthcloud/hearth/cmd/hearthd")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build hearthd: %v\n%s", err, b)
	}
	return out, nil
}

// Hearthd supervises one hearthd process serving a data folder: it starts
// it, kills it with SIGKILL and starts it again on the same folder and
// address, and samples its resident memory and open file descriptors.
type Hearthd struct {
	Bin  string // the binary
	Data string // the data folder
	Log  io.Writer

	mu       sync.Mutex
	addr     string // host:port, fixed after the first start
	cmd      *exec.Cmd
	done     chan struct{} // closed when cmd has exited
	down     bool          // killed (or exited) and not yet serving again
	upAt     time.Time     // when it last began serving
	peakRSS  int64         // bytes, over every process run
	peakFDs  int
	restarts int
	stop     chan struct{} // stops the sampler
}

var servingRE = regexp.MustCompile(`serving on http://(\S+)`)

// Start starts hearthd (on a free loopback port the first time, on the same
// address afterwards) and waits until it answers.
func (h *Hearthd) Start(ctx context.Context) error {
	h.mu.Lock()
	addr := h.addr
	h.mu.Unlock()
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	cmd := exec.Command(h.Bin, "--data", h.Data, "--listen", addr)
	cmd.Stderr = h.Log
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	served := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := servingRE.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case served <- m[1]:
				default:
				}
			}
		}
		cmd.Wait()
		close(done)
	}()
	select {
	case a := <-served:
		addr = a
	case <-done:
		return fmt.Errorf("hearthd exited before serving: %v", cmd.ProcessState)
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		return errors.New("hearthd did not start serving within 60 s")
	case <-ctx.Done():
		cmd.Process.Kill()
		return ctx.Err()
	}
	h.mu.Lock()
	h.addr, h.cmd, h.done, h.down, h.upAt = addr, cmd, done, false, time.Now()
	if h.stop == nil {
		h.stop = make(chan struct{})
		go h.sample()
	}
	h.mu.Unlock()
	return h.waitReady(ctx)
}

// waitReady waits until the API answers a request.
func (h *Hearthd) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		req, _ := http.NewRequestWithContext(ctx, "POST", h.URL()+"/v1/prelogin", strings.NewReader(`{"user":"readiness"}`))
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("hearthd does not answer: %v", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// URL is the server's base URL.
func (h *Hearthd) URL() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return "http://" + h.addr
}

// Addr is the server's host:port.
func (h *Hearthd) Addr() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.addr
}

// PID is the running process's id (0 when down).
func (h *Hearthd) PID() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.cmd == nil || h.down {
		return 0
	}
	return h.cmd.Process.Pid
}

// Kill sends SIGKILL and waits for the process to be gone.
func (h *Hearthd) Kill() error {
	h.mu.Lock()
	cmd, done := h.cmd, h.done
	h.down = true
	h.mu.Unlock()
	if cmd == nil {
		return nil
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	<-done
	return nil
}

// Restart kills the server with SIGKILL, waits down, and starts it again
// on the same data folder and address.
func (h *Hearthd) Restart(ctx context.Context, down time.Duration) error {
	if err := h.Kill(); err != nil {
		return err
	}
	time.Sleep(down)
	h.mu.Lock()
	h.restarts++
	h.mu.Unlock()
	return h.Start(ctx)
}

// Stop ends the process with SIGTERM (a clean shutdown) and stops sampling.
func (h *Hearthd) Stop() {
	h.mu.Lock()
	cmd, done, stop := h.cmd, h.done, h.stop
	h.stop = nil
	h.down = true
	h.mu.Unlock()
	if stop != nil {
		close(stop)
	}
	if cmd == nil {
		return
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		cmd.Process.Kill()
		<-done
	}
}

// Down reports whether the server is not serving (killed and not yet
// back), and how long ago it last came up.
func (h *Hearthd) Down() (down bool, sinceUp time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.down, time.Since(h.upAt)
}

// Restarts counts the restarts after a kill.
func (h *Hearthd) Restarts() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.restarts
}

// Peaks returns the highest resident memory (bytes) and open file
// descriptors seen over every run of the process.
func (h *Hearthd) Peaks() (rss int64, fds int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.peakRSS, h.peakFDs
}

// sample reads /proc every 100 ms: VmHWM (the kernel's own peak of the
// resident set, per process) and the entries of /proc/PID/fd.
func (h *Hearthd) sample() {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	h.mu.Lock()
	stop := h.stop
	h.mu.Unlock()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		pid := h.PID()
		if pid == 0 {
			continue
		}
		rss := procStatus(pid, "VmHWM:")
		fds := -1
		if ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid)); err == nil {
			fds = len(ents)
		}
		h.mu.Lock()
		h.peakRSS = max(h.peakRSS, rss)
		h.peakFDs = max(h.peakFDs, fds)
		h.mu.Unlock()
	}
}

// procStatus returns a "kB" field of /proc/PID/status in bytes (0 if
// unreadable).
func procStatus(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n << 10
			}
		}
	}
	return 0
}

// dialFrom returns a dialer whose connections leave from the loopback
// address ip, so that each simulated device has an address of its own, as
// devices on a network do (the server's per-address limits, §8.1.11, count
// each apart).
func dialFrom(ip net.IP) func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}, Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	return d.DialContext
}

// deviceIP is the loopback address of device n (127.1.0.1 upwards).
func deviceIP(n int) net.IP {
	return net.IPv4(127, 1+byte(n/(250*250)), byte(n/250%250), byte(n%250+1))
}
