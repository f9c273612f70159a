package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/hearthcloud/hearth/internal/bytesize"
)

// progress draws a bar on stderr when stderr is a terminal, at most ten
// times a second; elsewhere it stays silent.
type progress struct {
	label string
	on    bool
	last  time.Time
	start time.Time
	drawn bool
}

func newProgress(label string, _ int64) *progress {
	return &progress{label: label, on: term.IsTerminal(int(os.Stderr.Fd())), start: time.Now()}
}

func (p *progress) update(done, total int64) {
	if !p.on || time.Since(p.last) < 100*time.Millisecond && done != total {
		return
	}
	p.last = time.Now()
	const width = 30
	frac := 1.0
	if total > 0 {
		frac = float64(done) / float64(total)
	}
	n := int(frac * width)
	rate := float64(done) / time.Since(p.start).Seconds() / (1 << 20)
	fmt.Fprintf(os.Stderr, "\r%s [%s%s] %3.0f%% %s of %s  %.1f MiB/s ", p.label,
		strings.Repeat("=", n), strings.Repeat(" ", width-n), frac*100, size(done), size(total), rate)
	p.drawn = true
}

func (p *progress) done(ok bool) {
	if p.drawn {
		fmt.Fprintln(os.Stderr)
	}
}

// size writes n as every other command does (bytesize.Format).
func size(n int64) string { return bytesize.Format(n) }
