package loadtest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/crypto/kdf"
)

// Faults the harness can inject.
const (
	FaultKill     = "kill"     // SIGKILL hearthd, start it again on its data
	FaultDiskFull = "diskfull" // fill the file system under the data folder, then free it
	FaultSlow     = "slow"     // slow clients on every route
)

// Config is one run.
type Config struct {
	Hearthd       string        // the shipped hearthd binary
	Work          string        // a folder for the data folder (and the small file system)
	Accounts      int           // accounts, signed up at the start
	Devices       int           // devices in all, spread over the accounts, each with its own session
	Duration      time.Duration // the load, once every device is signed in
	Think         time.Duration // mean pause between a device's operations
	Wait          time.Duration // long-poll wait of the feed requests
	KDFWorkers    int           // key derivations at once (sign-up, sign-in)
	SigninEvery   time.Duration // one device signs in again this often (0: never)
	DocsPerDevice int
	BlobMin       int // bytes
	BlobMax       int
	Faults        []string
	Kills         int           // kill-and-restarts, spread over the run
	KillDown      time.Duration // how long the server stays down
	FSSize        int64         // the small file system's size (FaultDiskFull)
	DiskFullFor   time.Duration
	SlowConns     int // per kind of slow client
	SlowFor       time.Duration
	Seed          uint64
	Out           io.Writer // the report; progress lines too
}

// Defaults fills the zero fields of c.
func (c *Config) Defaults() {
	def := func(p *int, v int) {
		if *p == 0 {
			*p = v
		}
	}
	defd := func(p *time.Duration, v time.Duration) {
		if *p == 0 {
			*p = v
		}
	}
	def(&c.Accounts, 100)
	def(&c.Devices, 1000)
	defd(&c.Duration, 4*time.Minute)
	defd(&c.Think, time.Second)
	defd(&c.Wait, 25*time.Second)
	def(&c.KDFWorkers, 2)
	def(&c.DocsPerDevice, 4)
	def(&c.BlobMin, 16<<10)
	def(&c.BlobMax, 256<<10)
	def(&c.Kills, 1)
	defd(&c.KillDown, 2*time.Second)
	if c.FSSize == 0 {
		c.FSSize = 4 << 30
	}
	defd(&c.DiskFullFor, 20*time.Second)
	def(&c.SlowConns, 50)
	defd(&c.SlowFor, 70*time.Second)
	if c.Out == nil {
		c.Out = os.Stdout
	}
	if c.Devices < c.Accounts {
		c.Devices = c.Accounts
	}
}

// harness is one run in progress.
type harness struct {
	cfg   Config
	srv   *Hearthd
	url   string
	stats *stats
	kdf   chan struct{}
	fs    *smallFS // nil: no disk-full phase

	mu       sync.Mutex
	curPhase string
	phases   []string
	notes    []string // what the faults showed, for the report
	failed   []string // what failed outright (verification, faults)

	slowTable string
	probeID   string // the document the disk-full probe writes
}

func (h *harness) phase() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.curPhase
}

func (h *harness) setPhase(p string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.curPhase = p
	if !slices.Contains(h.phases, p) {
		h.phases = append(h.phases, p)
	}
	h.logf("phase: %s", p)
}

func (h *harness) note(format string, args ...any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.notes = append(h.notes, fmt.Sprintf(format, args...))
}

func (h *harness) failf(format string, args ...any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.failed = append(h.failed, fmt.Sprintf(format, args...))
}

var start = time.Now()

func (h *harness) logf(format string, args ...any) {
	fmt.Fprintf(h.cfg.Out, "[%6.1fs] %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
}

// kdfSlot waits for one of the key-derivation slots: Argon2id at the
// shipped parameters takes 64 MiB and about 0.2 s of a core.
func (h *harness) kdfSlot(ctx context.Context) (func(), error) {
	select {
	case h.kdf <- struct{}{}:
		return func() { <-h.kdf }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Result is a run's outcome.
type Result struct {
	Errors   int      // operations that failed (not counting retries)
	Failures []string // verification and fault checks that failed
}

// Run runs the load and the faults, verifies every acknowledged write from
// a new device per account, and writes the report to cfg.Out.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	cfg.Defaults()
	h := &harness{cfg: cfg, stats: newStats(), kdf: make(chan struct{}, cfg.KDFWorkers)}
	data := filepath.Join(cfg.Work, "data")
	var fs *smallFS
	if slices.Contains(cfg.Faults, FaultDiskFull) {
		var err error
		if fs, err = mountSmallFS(cfg.Work, cfg.FSSize); err != nil {
			h.note("disk full: SKIPPED, the small file system could not be mounted (needs root): %v", err)
		} else {
			defer fs.unmount()
			data = filepath.Join(fs.dir, "data")
			h.fs = fs
		}
	}
	logw := &logScanner{}
	h.srv = &Hearthd{Bin: cfg.Hearthd, Data: data, Log: logw}
	if err := h.srv.Start(ctx); err != nil {
		return nil, err
	}
	defer h.srv.Stop()
	h.url = h.srv.URL()
	h.describe()

	// Sign up the accounts, then sign in the other devices, through the
	// pool of key derivations, before any load: the derivations have the
	// cores to themselves.
	h.setPhase("sign-in")
	accounts := make([]*account, cfg.Accounts)
	devices := make([]*device, cfg.Devices)
	for i := range accounts {
		accounts[i] = &account{user: fmt.Sprintf("load%04d", i), password: fmt.Sprintf("load test password %d %d", i, cfg.Seed), ledger: newLedger()}
	}
	for i := range devices {
		devices[i] = newDevice(h, i, accounts[i%cfg.Accounts])
	}
	runCtx, stopDevices := context.WithCancel(ctx)
	defer stopDevices()
	var running sync.WaitGroup
	startDevice := func(d *device) {
		running.Add(2)
		go func() { defer running.Done(); d.work(runCtx) }()
		go func() { defer running.Done(); d.feed(runCtx) }()
	}
	signinStart := time.Now()
	var signedIn atomic.Int64
	progress := time.NewTicker(30 * time.Second)
	defer progress.Stop()
	go func() {
		for range progress.C {
			if h.phase() == "sign-in" {
				h.logf("%d of %d devices signed in", signedIn.Load(), cfg.Devices)
			} else {
				h.logf("%d operations, %d errors so far", h.stats.count(), h.stats.errorCount())
			}
		}
	}()
	var wg sync.WaitGroup
	var signinErr sync.Once
	var firstErr error
	for i, d := range devices {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if i < cfg.Accounts {
				err = h.signup(ctx, d)
			} else {
				err = d.signIn(ctx)
			}
			if err != nil {
				signinErr.Do(func() { firstErr = fmt.Errorf("device %d could not sign in: %w", i, err) })
				return
			}
			signedIn.Add(1)
		}()
		if i == cfg.Accounts-1 {
			wg.Wait() // the accounts exist before their other devices sign in
		}
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	h.logf("%d accounts signed up and %d devices signed in in %s", cfg.Accounts, cfg.Devices, time.Since(signinStart).Round(time.Second))
	// Every device starts at once: the load window has them all.
	for _, d := range devices {
		startDevice(d)
	}
	h.note("sign-up and sign-in of every device, %d derivations at once: %s", cfg.KDFWorkers, time.Since(signinStart).Round(time.Second))

	// The load, with its faults.
	loadStart := time.Now()
	h.setPhase("steady")
	if cfg.SigninEvery > 0 {
		go func() {
			t := time.NewTicker(cfg.SigninEvery)
			defer t.Stop()
			r := rand.New(rand.NewPCG(cfg.Seed, 7))
			for {
				select {
				case <-runCtx.Done():
					return
				case <-t.C:
					devices[r.IntN(len(devices))].signinDue.Store(true)
				}
			}
		}()
	}
	h.schedule(runCtx, accounts, devices)
	window := time.Since(loadStart)
	stopDevices()
	h.setPhase("stopping")
	running.Wait()

	// Every acknowledged write, from a new device per account.
	h.setPhase("verify")
	vstart := time.Now()
	vr := h.verifyAll(ctx, accounts)
	h.logf("verified in %s", time.Since(vstart).Round(time.Second))
	rss, fds := h.srv.Peaks()

	// The server's log (§8.1.12): no panic, no user name.
	h.srv.Stop()
	lines, panics, names := logw.result()
	if panics > 0 {
		h.failf("hearthd logged %d panics", panics)
	}
	if names > 0 {
		h.failf("hearthd's log names a user %d times", names)
	}
	h.note("hearthd's log: %d lines, %d naming a user, %d panics", lines, names, panics)
	h.report(window, vr, rss, fds)
	return &Result{Errors: h.stats.errorCount(), Failures: h.failed}, nil
}

// signup creates d's account and makes d its first device.
func (h *harness) signup(ctx context.Context, d *device) error {
	release, err := h.kdfSlot(ctx)
	if err != nil {
		return err
	}
	defer release()
	return d.attempt(ctx, opSignup, func(*client.Client) error {
		c, _, err := client.Signup(ctx, h.url, d.acct.user, d.acct.password, d.options(nil))
		if err != nil {
			return err
		}
		d.mu.Lock()
		d.c = c
		d.mu.Unlock()
		return nil
	})
}

// schedule runs the load for cfg.Duration, with the faults spread over it:
// the kills in the first half, the disk full and the slow clients after.
func (h *harness) schedule(ctx context.Context, accounts []*account, devices []*device) {
	cfg := h.cfg
	begin := time.Now()
	at := func(frac float64) {
		select {
		case <-ctx.Done():
		case <-time.After(time.Until(begin.Add(time.Duration(frac * float64(cfg.Duration))))):
		}
	}
	has := func(f string) bool { return slices.Contains(cfg.Faults, f) }
	if has(FaultKill) {
		for k := range cfg.Kills {
			at(0.2 + 0.3*float64(k)/float64(max(cfg.Kills, 1)))
			h.killRestart(ctx)
		}
	}
	if has(FaultDiskFull) && h.fs != nil && ctx.Err() == nil {
		at(0.45)
		h.diskFull(ctx, h.fs, devices[0])
	}
	if has(FaultSlow) && ctx.Err() == nil {
		at(0.6)
		h.slow(ctx, accounts[0], devices[0])
	}
	at(1)
}

// killRestart kills hearthd with SIGKILL in the middle of the load and
// starts it again on its data folder, as a supervisor would.
func (h *harness) killRestart(ctx context.Context) {
	h.setPhase("kill -9 and restart")
	t0 := time.Now()
	if err := h.srv.Restart(ctx, h.cfg.KillDown); err != nil {
		h.failf("restart after kill -9: %v", err)
		return
	}
	h.note("kill -9: down %s, serving again %s after the kill (no manual step: the same command on the same data folder)",
		h.cfg.KillDown, time.Since(t0).Round(time.Millisecond))
	// The phase lasts until the devices are back to work.
	time.AfterFunc(10*time.Second, func() {
		if h.phase() == "kill -9 and restart" {
			h.setPhase("steady after kill")
		}
	})
}

// logScanner reads the server's log as it is written: it counts the lines,
// the panics and the lines naming a user (the harness's user names are
// load0000 upwards), without keeping them.
type logScanner struct {
	mu                    sync.Mutex
	part                  []byte
	lines, panics, naming int
}

var userRE = regexp.MustCompile(`load\d{4}`)

func (l *logScanner) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.part = append(l.part, p...)
	for {
		i := bytes.IndexByte(l.part, '\n')
		if i < 0 {
			break
		}
		line := l.part[:i]
		l.lines++
		if bytes.Contains(line, []byte("panic")) {
			l.panics++
		}
		if userRE.Match(line) {
			l.naming++
		}
		l.part = l.part[i+1:]
	}
	l.part = append([]byte(nil), l.part...)
	return len(p), nil
}

func (l *logScanner) result() (lines, panics, naming int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lines, l.panics, l.naming
}

// describe says what is real and what is reduced.
func (h *harness) describe() {
	c := h.cfg
	fmt.Fprintf(c.Out, `Hearth load and fault harness
Real: the shipped hearthd (built without test tags) on loopback, its SQLite
data folder on %s; the client library natively, one client.Client (own
session, own connections, own loopback address) per device; Argon2id at the
shipped parameters (%d MiB, t=%d) for every sign-up and sign-in, the
server's own login hash as shipped.
Reduced: %d accounts with %d devices in all (not one account per device);
devices sign in through a pool of %d derivations at once; documents of about
1 KiB, %d per device; blobs of %d to %d KiB; one harness process on the same
%d cores as the server; %s of load, during which one device signs in
again every %s (0s: none).
`, dataFS(h), kdf.Default.Memory>>10, kdf.Default.Time, c.Accounts, c.Devices, c.KDFWorkers, c.DocsPerDevice,
		c.BlobMin>>10, c.BlobMax>>10, runtime.NumCPU(), c.Duration, c.SigninEvery)
}

func dataFS(h *harness) string {
	if strings.Contains(h.srv.Data, string(filepath.Separator)+"fs"+string(filepath.Separator)) {
		return fmt.Sprintf("a loop-mounted ext4 file system of %d MiB", h.cfg.FSSize>>20)
	}
	return "the work folder's file system"
}
