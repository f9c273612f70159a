package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/internal/wire"
)

// diskFull fills the file system under the data folder while the load goes
// on, holds it full for cfg.DiskFullFor, frees it, and checks that the same
// server process takes writes again.
func (h *harness) diskFull(ctx context.Context, fs *smallFS, probe *device) {
	pid := h.srv.PID()
	h.setPhase("disk full")
	took, err := fs.fill()
	if err != nil {
		h.failf("disk full: filling the file system: %v", err)
		return
	}
	h.logf("disk full: a filler took %d MiB; %d bytes free", took>>20, fs.free())
	// A probe write meets the full disk: it must be refused clearly, with
	// nothing acknowledged lost (the final check covers that).
	refusals := map[string]int{}
	deadline := time.Now().Add(h.cfg.DiskFullFor)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		err := h.probeWrite(ctx, probe)
		refusals[refusal(err)]++
		time.Sleep(500 * time.Millisecond)
	}
	if err := fs.release(); err != nil {
		h.failf("disk full: freeing: %v", err)
		return
	}
	freed := time.Now()
	h.setPhase("steady after disk full")
	var back time.Duration
	for ctx.Err() == nil {
		if err := h.probeWrite(ctx, probe); err == nil {
			back = time.Since(freed)
			break
		}
		if time.Since(freed) > time.Minute {
			h.failf("disk full: no write succeeds a minute after space was freed")
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	same := "the same process"
	if h.srv.PID() != pid {
		same = "A RESTARTED PROCESS"
		h.failf("disk full: the server process changed")
	}
	var rs []string
	for k, n := range refusals {
		rs = append(rs, fmt.Sprintf("%d × %s", n, k))
	}
	h.note("disk full for %s: probe writes answered %s; after freeing, %s took a write after %s",
		h.cfg.DiskFullFor, strings.Join(rs, ", "), same, back.Round(time.Millisecond))
}

// refusal names how a write was answered: "acknowledged", the status and
// code, or the error.
func refusal(err error) string {
	var ae *client.APIError
	switch {
	case err == nil:
		return "acknowledged"
	case errors.As(err, &ae):
		s := fmt.Sprintf("%d %s", ae.Status, ae.Code)
		if ae.RetryAfter > 0 {
			s += fmt.Sprintf(" (Retry-After %s)", ae.RetryAfter)
		}
		return s
	default:
		return errText(err)
	}
}

// probeWrite writes one of probe's documents once, recording it in the
// ledger like any other write, but outside the operation counts.
func (h *harness) probeWrite(ctx context.Context, probe *device) error {
	h.mu.Lock()
	if h.probeID == "" {
		h.probeID = wire.NewID()
	}
	id := h.probeID
	h.mu.Unlock()
	content, _ := json.Marshal(note{Title: "probe", Body: "disk probe", T: time.Now().UnixMilli(), Dev: probe.n})
	probe.acct.ledger.sending(id, content)
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	rev, err := probe.client().Put(wctx, notesDoctype, id, content)
	if err == nil {
		probe.acct.ledger.acked(id, rev, content)
	}
	return err
}

// slow opens the slow clients against account 0 while the load goes on.
func (h *harness) slow(ctx context.Context, acct *account, dev *device) {
	h.setPhase("slow clients: setting up")
	c := dev.client()
	// Large answers to leave unread: a 16 MiB file, and 600 documents of
	// 8 KiB for a feed page and a bulk read of several MiB.
	const big = 16 << 20
	fileID, err := c.Upload(ctx, blobBytes(42, big), big, "big.bin", "application/octet-stream", time.Now(), nil)
	if err != nil {
		h.failf("slow clients: setting up the large file: %v", err)
		return
	}
	fd, err := c.Get(ctx, client.FilesDoctype, fileID)
	if err != nil {
		h.failf("slow clients: reading the large file's document: %v", err)
		return
	}
	var files struct {
		Blob string `json:"blob"`
	}
	json.Unmarshal(fd.Content, &files)
	items := make([]client.Item, 600)
	for i := range items {
		b, _ := json.Marshal(note{Title: "large", Body: strings.Repeat("lorem ipsum ", 680), Dev: -1, N: uint64(i)})
		items[i] = client.Item{ID: wire.NewID(), Content: b}
		acct.ledger.sending(items[i].ID, b)
	}
	results, err := c.PutMany(ctx, notesDoctype, items)
	if err != nil {
		h.failf("slow clients: writing the large documents: %v", err)
		return
	}
	var ids []string
	for i, r := range results {
		if r.Err == nil {
			acct.ledger.acked(items[i].ID, r.Rev, items[i].Content)
			ids = append(ids, items[i].ID)
		}
	}
	setup := &slowSetup{host: h.srv.Addr(), token: c.State().Token, blob: files.Blob, docIDs: ids}
	h.setPhase("slow clients")
	res := runSlow(ctx, h.srv.Addr(), h.cfg.SlowConns, setup, h.cfg.SlowFor, h.cfg.Devices+5000)
	var b bytes.Buffer
	reportSlow(&b, res, h.cfg.SlowFor)
	h.mu.Lock()
	h.slowTable = b.String()
	h.mu.Unlock()
	h.setPhase("steady after slow clients")
}
