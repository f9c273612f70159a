package loadtest

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Operations the devices run.
const (
	opSignup   = "sign-up"
	opSignin   = "sign-in"
	opWrite    = "doc write"
	opRead     = "doc read"
	opFeed     = "feed sync (long-poll)"
	opUpload   = "blob upload"
	opDownload = "blob download"
)

var opOrder = []string{opSignup, opSignin, opWrite, opRead, opFeed, opUpload, opDownload}

// Retry causes, counted apart from errors.
const (
	retryBusy = "429/503 Retry-After" // rate_limited or unavailable, waited as told
	retryDown = "server down"         // connection refused or cut while the harness had killed the server
)

// stats gathers per operation and phase: latencies of successful calls,
// retries by cause, errors by message.
type stats struct {
	mu      sync.Mutex
	lat     map[string][]time.Duration // op -> latencies
	phase   map[string]map[string][]time.Duration
	retries map[string]map[string]int // op -> cause -> count
	errs    map[string]map[string]int // op -> message -> count
	lag     []time.Duration           // write acknowledged elsewhere -> seen in a feed
	changes int
	bytesUp int64
	bytesDn int64
}

func newStats() *stats {
	return &stats{lat: map[string][]time.Duration{}, phase: map[string]map[string][]time.Duration{},
		retries: map[string]map[string]int{}, errs: map[string]map[string]int{}}
}

func (s *stats) ok(op, phase string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lat[op] = append(s.lat[op], d)
	if s.phase[phase] == nil {
		s.phase[phase] = map[string][]time.Duration{}
	}
	s.phase[phase][op] = append(s.phase[phase][op], d)
}

func (s *stats) retry(op, cause string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.retries[op] == nil {
		s.retries[op] = map[string]int{}
	}
	s.retries[op][cause]++
}

func (s *stats) fail(op, phase string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.errs[op] == nil {
		s.errs[op] = map[string]int{}
	}
	s.errs[op]["["+phase+"] "+errText(err)]++
}

func (s *stats) seen(lag time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.changes++
	if lag > 0 {
		s.lag = append(s.lag, lag)
	}
}

func (s *stats) errorCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, m := range s.errs {
		for _, c := range m {
			n += c
		}
	}
	return n
}

func (s *stats) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, ds := range s.lat {
		n += len(ds)
	}
	return n
}

// errText is an error's message with ids and ports blurred, so that the
// same failure groups under one line.
func errText(err error) string {
	t := err.Error()
	t = hexRun.ReplaceAllString(t, "…")
	if len(t) > 200 {
		t = t[:200] + "…"
	}
	return t
}

// quantile returns the q-quantile of sorted durations.
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d.Microseconds())/1000) }

// latencyRow formats count, rate, p50, p99 and max of ds.
func latencyRow(ds []time.Duration, window time.Duration) (n int, rate, p50, p99, mx string) {
	s := slices.Clone(ds)
	slices.Sort(s)
	rate = "-"
	if window > 0 {
		rate = fmt.Sprintf("%.1f", float64(len(s))/window.Seconds())
	}
	if len(s) == 0 {
		return 0, rate, "-", "-", "-"
	}
	return len(s), rate, ms(quantile(s, 0.5)), ms(quantile(s, 0.99)), ms(s[len(s)-1])
}

// report writes the operations table (milliseconds), then retries and
// errors. Counts, rates and latencies are those of the load window (the
// phases in load), except for sign-up and sign-in, whose rows count every
// one; retries and errors count the whole run.
func (s *stats) report(w io.Writer, window time.Duration, load []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintf(w, "\n| Operation | Count | Per second | p50 ms | p99 ms | max ms | Retried (%s) | Retried (%s) | Errors |\n|---|---|---|---|---|---|---|---|---|\n", retryBusy, retryDown)
	for _, op := range opOrder {
		var ds []time.Duration
		for _, ph := range load {
			ds = append(ds, s.phase[ph][op]...)
		}
		if op == opSignup || op == opSignin {
			ds = s.lat[op]
		}
		n, rate, p50, p99, mx := latencyRow(ds, window)
		if op == opSignup || op == opSignin {
			rate = "-"
		}
		ne := 0
		for _, c := range s.errs[op] {
			ne += c
		}
		fmt.Fprintf(w, "| %s | %d | %s | %s | %s | %s | %d | %d | %d |\n", op, n, rate, p50, p99, mx, s.retries[op][retryBusy], s.retries[op][retryDown], ne)
	}
	lag := slices.Clone(s.lag)
	slices.Sort(lag)
	fmt.Fprintf(w, "\nFeed: %d changes delivered to the accounts' other devices; write-to-other-device lag p50 %s ms, p99 %s ms (%d samples).\n",
		s.changes, ms(quantile(lag, 0.5)), ms(quantile(lag, 0.99)), len(lag))
	fmt.Fprintf(w, "Blob bytes: %.1f MiB uploaded, %.1f MiB downloaded and verified.\n", float64(s.bytesUp)/(1<<20), float64(s.bytesDn)/(1<<20))
	if len(s.errs) == 0 {
		fmt.Fprintln(w, "\nErrors: none.")
		return
	}
	fmt.Fprintln(w, "\nErrors:")
	for _, op := range opOrder {
		var lines []string
		for msg, c := range s.errs[op] {
			lines = append(lines, fmt.Sprintf("  %s: %d × %s", op, c, msg))
		}
		sort.Strings(lines)
		if len(lines) > 0 {
			fmt.Fprintln(w, strings.Join(lines, "\n"))
		}
	}
}

// phaseReport writes p50 and p99 of each operation per phase, to compare
// the load during a fault with the load before it.
func (s *stats) phaseReport(w io.Writer, phases []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintf(w, "\n| Phase |")
	ops := []string{opWrite, opRead, opUpload, opDownload}
	for _, op := range ops {
		fmt.Fprintf(w, " %s n / p50 / p99 ms |", op)
	}
	fmt.Fprintf(w, "\n|---|%s\n", strings.Repeat("---|", len(ops)))
	for _, ph := range phases {
		fmt.Fprintf(w, "| %s |", ph)
		for _, op := range ops {
			n, _, p50, p99, _ := latencyRow(s.phase[ph][op], 0)
			fmt.Fprintf(w, " %d / %s / %s |", n, p50, p99)
		}
		fmt.Fprintln(w)
	}
}
