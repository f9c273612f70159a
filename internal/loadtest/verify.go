package loadtest

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/hearthcloud/hearth/client"
)

// verifyResult counts what the final check saw.
type verifyResult struct {
	mu          sync.Mutex
	feedEntries int // changes-feed entries verified (chain, digests, seals)
	docs        int // documents acknowledged (or sent) and checked
	files       int // files acknowledged, downloaded and verified
	extraFiles  int // files never acknowledged (cut by a crash) that the feed shows: each must verify too
	problems    []string
}

func (v *verifyResult) problem(format string, args ...any) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.problems) < 50 {
		v.problems = append(v.problems, fmt.Sprintf(format, args...))
	}
}

// verifyAll signs a new device in to every account, reads the whole
// changes feed (which verifies its chain and opens every body), and holds
// it to the ledger: every document at its last acknowledged revision and
// content (or a later one that was sent), read again one by one; every
// acknowledged file downloaded and verified; and every other file the feed
// shows downloaded and verified too, so that nothing half written is
// visible.
func (h *harness) verifyAll(ctx context.Context, accounts []*account) *verifyResult {
	v := &verifyResult{}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, a := range accounts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := h.verifyAccount(ctx, v, a, h.cfg.Devices+1000+i); err != nil {
				v.problem("%s: %v", a.user, err)
			}
		}()
	}
	wg.Wait()
	for _, p := range v.problems {
		h.failf("verify: %s", p)
	}
	return v
}

func (h *harness) verifyAccount(ctx context.Context, v *verifyResult, a *account, n int) error {
	d := newDevice(h, n, a)
	d.reader = true // it reads the whole feed itself, below
	if err := d.signIn(ctx); err != nil {
		return fmt.Errorf("a new device cannot sign in: %w", err)
	}
	c := d.client()
	latest := map[string]*client.Doc{}
	files := map[string]bool{}
	entries := 0
	if err := c.Sync(ctx, 0, func(ch client.Change) error {
		entries++
		if ch.Doc == nil {
			return nil
		}
		switch ch.Doctype {
		case notesDoctype:
			latest[ch.ID] = ch.Doc
		case client.FilesDoctype:
			files[ch.ID] = !ch.Deleted
		}
		return nil
	}); err != nil {
		return fmt.Errorf("the changes feed does not verify on a new device: %w", err)
	}
	a.ledger.mu.Lock()
	docs := map[string]docEntry{}
	for id, e := range a.ledger.docs {
		docs[id] = *e
	}
	acked := map[string]fileEntry{}
	for id, f := range a.ledger.files {
		acked[id] = f
	}
	a.ledger.mu.Unlock()
	checked := 0
	for id, e := range docs {
		doc := latest[id]
		if doc == nil {
			if e.rev > 0 {
				v.problem("%s: acknowledged document (revision %d) missing from the feed", a.user, e.rev)
			}
			continue
		}
		if err := a.ledger.check(id, doc.Rev, doc.Content); err != nil {
			v.problem("%s: in the feed: %v", a.user, err)
			continue
		}
		got, err := c.Get(ctx, notesDoctype, id)
		if err != nil {
			v.problem("%s: reading an acknowledged document: %v", a.user, err)
			continue
		}
		if got.Rev != doc.Rev || string(got.Content) != string(doc.Content) {
			v.problem("%s: the document read (revision %d) is not the feed's (revision %d)", a.user, got.Rev, doc.Rev)
		}
		checked++
	}
	nfiles, extra := 0, 0
	for id, f := range acked {
		if err := downloadCheck(ctx, c, id, &f); err != nil {
			v.problem("%s: acknowledged file: %v", a.user, err)
			continue
		}
		nfiles++
	}
	for id, live := range files {
		if _, ok := acked[id]; ok || !live {
			continue
		}
		if err := downloadCheck(ctx, c, id, nil); err != nil {
			v.problem("%s: a file the feed shows but never acknowledged (cut by a fault) does not verify: %v", a.user, err)
			continue
		}
		extra++
	}
	lctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	c.Logout(lctx)
	cancel()
	v.mu.Lock()
	v.feedEntries += entries
	v.docs += checked
	v.files += nfiles
	v.extraFiles += extra
	v.mu.Unlock()
	return nil
}

// downloadCheck downloads a file (which the client verifies whole) and,
// when want is given, compares its size and SHA-256.
func downloadCheck(ctx context.Context, c *client.Client, id string, want *fileEntry) error {
	h := sha256.New()
	cw := &countWriter{w: h}
	if _, err := c.Download(ctx, id, cw); err != nil {
		return err
	}
	if want != nil && (cw.n != want.size || [32]byte(h.Sum(nil)) != want.sum) {
		return fmt.Errorf("file %s differs from what was uploaded", id)
	}
	return nil
}

// report writes the run's figures.
func (h *harness) report(window time.Duration, v *verifyResult, rss int64, fds int) {
	w := h.cfg.Out
	fmt.Fprintf(w, "\n## Results\n\nLoad: %d devices over %d accounts for %s (mean pause %s between a device's operations; each device also keeps a feed long-poll of up to %s open).\n",
		h.cfg.Devices, h.cfg.Accounts, window.Round(time.Second), h.cfg.Think, h.cfg.Wait)
	var load []string
	for _, ph := range h.phases {
		if ph != "sign-in" && ph != "stopping" && ph != "verify" {
			load = append(load, ph)
		}
	}
	fmt.Fprintf(w, "Operations of the load window (sign-ups and sign-ins: all of them); latencies of the successful attempts; the feed's long-polls return when a change arrives or after the wait.\n")
	h.stats.report(w, window, load)
	h.stats.phaseReport(w, h.phases)
	fmt.Fprintf(w, "\nhearthd peak resident memory (VmHWM): %.0f MiB; peak open file descriptors: %d; restarts: %d.\n", float64(rss)/(1<<20), fds, h.srv.Restarts())
	if h.slowTable != "" {
		io.WriteString(w, h.slowTable)
	}
	h.mu.Lock()
	notes, failed := h.notes, h.failed
	h.mu.Unlock()
	fmt.Fprintln(w, "\nFaults and phases:")
	for _, n := range notes {
		fmt.Fprintln(w, "- "+n)
	}
	fmt.Fprintf(w, "\nVerification from a new device per account: %d feed entries verified; %d documents at their last acknowledged revision and content; %d acknowledged files downloaded and verified; %d files never acknowledged (cut by a fault) shown by the feed, all verified.\n",
		v.feedEntries, v.docs, v.files, v.extraFiles)
	if len(failed) == 0 {
		fmt.Fprintln(w, "\nFailures: none.")
	} else {
		fmt.Fprintln(w, "\nFailures:")
		for _, f := range failed {
			fmt.Fprintln(w, "- "+f)
		}
	}
	if b, err := json.Marshal(h.stats.errorCount()); err == nil {
		fmt.Fprintf(w, "Operation errors: %s\n", b)
	}
}
