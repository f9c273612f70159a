package loadtest

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/internal/wire"
)

const notesDoctype = "io.hearth.notes"

// An account is one user with several devices and the ledger of what they
// were acknowledged.
type account struct {
	user, password string
	ledger         *ledger
}

// A device is one simulated client: a client.Client with its own session,
// its own HTTP connections and its own loopback address. Its work loop
// runs one operation at a time with a random pause between them; its feed
// loop keeps a long-poll of the changes feed open, as an open app does.
type device struct {
	h    *harness
	n    int
	acct *account
	rng  *rand.Rand
	tr   client.Transport
	docs []string // the documents this device writes
	// reader: the device only reads (the verification's), so signing in
	// does not catch up on the feed, which it reads itself.
	reader bool

	mu      sync.Mutex
	c       *client.Client
	retired *client.Client // replaced by a new sign-in; logged out by the feed loop

	signinDue atomic.Bool
	caughtUp  atomic.Bool // the feed loop has read the feed to its end once
}

func newDevice(h *harness, n int, acct *account) *device {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = dialFrom(deviceIP(n))
	t.MaxIdleConnsPerHost = 4
	t.IdleConnTimeout = 90 * time.Second
	t.ExpectContinueTimeout = 5 * time.Second
	d := &device{h: h, n: n, acct: acct, rng: rand.New(rand.NewPCG(uint64(n), h.cfg.Seed)),
		tr: client.HTTPTransport(&http.Client{Transport: t})}
	for range h.cfg.DocsPerDevice {
		d.docs = append(d.docs, wire.NewID())
	}
	return d
}

func (d *device) client() *client.Client {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.c
}

func (d *device) options(prev *client.State) *client.Options {
	return &client.Options{Transport: d.tr, Device: fmt.Sprintf("load device %d", d.n), Previous: prev}
}

// signIn logs the device in (a new session; the previous one, if any, is
// retired), through the harness's pool of key derivations.
func (d *device) signIn(ctx context.Context) error {
	var prev *client.State
	if old := d.client(); old != nil {
		prev = old.State()
	}
	release, err := d.h.kdfSlot(ctx)
	if err != nil {
		return err
	}
	defer release()
	return d.attempt(ctx, opSignin, func(*client.Client) error {
		c, err := client.Login(ctx, d.h.url, d.acct.user, d.acct.password, "", d.options(prev))
		if err != nil {
			return err
		}
		// A device reads the account's history to its end before it
		// writes (spec/protocol.md §4.7); from a remembered position, that
		// is what changed since.
		if !d.reader {
			if err := c.CatchUp(ctx); err != nil {
				return err
			}
		}
		d.mu.Lock()
		if d.c != nil {
			d.retired = d.c
		}
		d.c = c
		d.mu.Unlock()
		return nil
	})
}

// work runs operations until ctx ends.
func (d *device) work(ctx context.Context) {
	for ctx.Err() == nil {
		pause := time.Duration(d.rng.ExpFloat64() * float64(d.h.cfg.Think))
		select {
		case <-ctx.Done():
			return
		case <-time.After(pause):
		}
		if d.signinDue.Swap(false) {
			d.signIn(ctx)
			continue
		}
		switch r := d.rng.IntN(100); {
		case r < 40:
			d.write(ctx)
		case r < 80:
			d.read(ctx)
		case r < 85:
			d.upload(ctx)
		default:
			d.download(ctx)
		}
	}
}

// note is the content of the documents the devices write: about 1 KiB of
// JSON, with the device, a counter and the time it was sent.
type note struct {
	Title string `json:"title"`
	Body  string `json:"body"`
	T     int64  `json:"t"`   // Unix milliseconds when sent
	Dev   int    `json:"dev"` // writing device
	N     uint64 `json:"n"`
}

var words = strings.Fields("hearth ember kettle lantern orchard harbour meadow river quartz saffron timber willow cobalt juniper marble pepper")

func (d *device) write(ctx context.Context) {
	id := d.docs[d.rng.IntN(len(d.docs))]
	var body strings.Builder
	for body.Len() < 800+d.rng.IntN(400) {
		body.WriteString(words[d.rng.IntN(len(words))])
		body.WriteByte(' ')
	}
	content, _ := json.Marshal(note{Title: "note of device " + fmt.Sprint(d.n), Body: body.String(),
		T: time.Now().UnixMilli(), Dev: d.n, N: d.rng.Uint64()})
	d.acct.ledger.sending(id, content)
	d.attempt(ctx, opWrite, func(c *client.Client) error {
		rev, err := c.Put(ctx, notesDoctype, id, content)
		if err == nil {
			d.acct.ledger.acked(id, rev, content)
		}
		return err
	})
}

// read reads one of the device's own documents (which must show its last
// acknowledged write) or another device's of the account (which must show
// at least the revision acknowledged before the read began).
func (d *device) read(ctx context.Context) {
	own := d.rng.IntN(2) == 0
	var id string
	if own {
		id = d.docs[d.rng.IntN(len(d.docs))]
		if d.acct.ledger.ackedRev(id) == 0 {
			d.write(ctx)
			return
		}
	} else if id = d.acct.ledger.randomDoc(d.rng); id == "" {
		d.write(ctx)
		return
	}
	floor := d.acct.ledger.ackedRev(id)
	d.attempt(ctx, opRead, func(c *client.Client) error {
		doc, err := c.Get(ctx, notesDoctype, id)
		if err != nil {
			return err
		}
		if own {
			if err := d.acct.ledger.check(id, doc.Rev, doc.Content); err != nil {
				return fmt.Errorf("read your own write: %w", err)
			}
		} else if doc.Rev < floor {
			return fmt.Errorf("read another device's document at revision %d after revision %d was acknowledged", doc.Rev, floor)
		}
		return nil
	})
}

// blobBytes is a file's content, made again from its seed on each attempt.
func blobBytes(seed uint64, size int64) io.Reader {
	var key [32]byte
	for i := range 4 {
		key[i*8] = byte(seed >> (8 * i))
	}
	key[31] = byte(seed >> 56)
	return io.LimitReader(rand.NewChaCha8(key), size)
}

func (d *device) upload(ctx context.Context) {
	size := int64(d.h.cfg.BlobMin + d.rng.IntN(d.h.cfg.BlobMax-d.h.cfg.BlobMin+1))
	seed := d.rng.Uint64()
	d.attempt(ctx, opUpload, func(c *client.Client) error {
		h := sha256.New()
		src := io.TeeReader(blobBytes(seed, size), h)
		id, err := c.Upload(ctx, src, size, "load.bin", "application/octet-stream", time.Now(), nil)
		if err != nil {
			return err
		}
		d.acct.ledger.addFile(id, size, [32]byte(h.Sum(nil)))
		d.h.stats.mu.Lock()
		d.h.stats.bytesUp += size
		d.h.stats.mu.Unlock()
		return nil
	})
}

func (d *device) download(ctx context.Context) {
	id, want := d.acct.ledger.randomFile(d.rng)
	if id == "" {
		d.upload(ctx)
		return
	}
	d.attempt(ctx, opDownload, func(c *client.Client) error {
		h := sha256.New()
		n := &countWriter{w: h}
		if _, err := c.Download(ctx, id, n); err != nil {
			return err
		}
		if n.n != want.size || [32]byte(h.Sum(nil)) != want.sum {
			return errors.New("a downloaded file differs from what was uploaded")
		}
		d.h.stats.mu.Lock()
		d.h.stats.bytesDn += n.n
		d.h.stats.mu.Unlock()
		return nil
	})
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return c.w.Write(p)
}

// feed keeps a long-poll of the changes feed open until ctx ends, and
// measures how long a note written by another device took to arrive.
func (d *device) feed(ctx context.Context) {
	for ctx.Err() == nil {
		d.mu.Lock()
		old := d.retired
		d.retired = nil
		d.mu.Unlock()
		if old != nil {
			lctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			old.Logout(lctx) // best effort: the session would expire anyway
			cancel()
		}
		caught := d.caughtUp.Load()
		d.attempt(ctx, opFeed, func(c *client.Client) error {
			return c.Sync(ctx, d.h.cfg.Wait, func(ch client.Change) error {
				if !caught || ch.Doc == nil || ch.Doctype != notesDoctype || ch.Deleted {
					return nil
				}
				var n note
				if json.Unmarshal(ch.Doc.Content, &n) != nil || n.Dev == d.n || n.T == 0 {
					return nil
				}
				d.h.stats.seen(time.Since(time.UnixMilli(n.T)))
				return nil
			})
		})
		d.caughtUp.Store(true)
	}
}

// attempt runs fn until it succeeds, counting a retry for each refusal the
// server asked to be retried (429 or 503 with Retry-After) and each
// connection refused or cut while the server was down (killed by the
// harness, or within a few seconds of its restart); any other failure is
// an error, counted, and the device goes on with its next operation.
func (d *device) attempt(ctx context.Context, op string, fn func(*client.Client) error) error {
	begin := time.Now()
	for try := 0; ; try++ {
		ph := d.h.phase()
		start := time.Now()
		err := fn(d.client())
		if err == nil {
			d.h.stats.ok(op, ph, time.Since(start))
			return nil
		}
		if ctx.Err() != nil {
			return err // the run ended: not the server's doing
		}
		cause, wait := d.h.classify(err)
		if cause == "" || time.Since(begin) > 5*time.Minute {
			d.h.stats.fail(op, d.h.phase(), err) // the phase it failed in
			return err
		}
		d.h.stats.retry(op, cause)
		wait += time.Duration(d.rng.Int64N(int64(wait/2) + 1)) // jitter: the devices do not come back at once
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
}

// classify says whether err may be retried, why, and after how long.
func (h *harness) classify(err error) (cause string, wait time.Duration) {
	var ae *client.APIError
	if errors.As(err, &ae) {
		if (ae.Status == 429 || ae.Status == 503) && ae.RetryAfter > 0 {
			return retryBusy, ae.RetryAfter
		}
		return "", 0
	}
	down, sinceUp := h.srv.Down()
	if connError(err) && (down || sinceUp < 10*time.Second) {
		return retryDown, 250 * time.Millisecond
	}
	return "", 0
}

// connError reports a connection refused, reset or cut.
func connError(err error) bool {
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) {
		return true
	}
	s := err.Error()
	return strings.Contains(s, "connection reset") || strings.Contains(s, "connection refused") ||
		strings.Contains(s, "broken pipe") || strings.Contains(s, "server closed") || strings.HasSuffix(s, "EOF")
}

// hexRun matches ids, tokens and addresses in error messages.
var hexRun = regexp.MustCompile(`[0-9A-Za-z_-]{20,}|127\.\d+\.\d+\.\d+(:\d+)?|:\d{4,5}\b`)
