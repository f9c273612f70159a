package wasm

import (
	"context"
	"encoding/json"
	"sort"
	"time"

	"github.com/hearthcloud/hearth/internal/wire"

	"github.com/hearthcloud/hearth/client"
)

// entry is what the API's memory holds of one document.
type entry struct {
	rev     uint64
	deleted bool
	value   json.RawMessage
}

type subscription struct {
	doctypes map[string]bool // empty: all
}

// loop is the running subscription loop of one session.
type loop struct {
	cancel context.CancelFunc
	ready  chan struct{} // closed once the feed was read to its end once, or on failure
	err    error         // set before ready closes, if the first pass failed
}

// apply records a document revision in memory if it is newer than what is
// there, and tells the subscriptions of its doctype.
func (a *API) apply(gen uint64, doctype, id string, rev uint64, deleted bool, value json.RawMessage) {
	a.applySeq(gen, doctype, id, rev, 0, deleted, value)
}

// applySeq is apply of a revision at position seq of the changes feed (0:
// not known, a revision this browser wrote or read). The feed's echo of a
// revision already applied records its seq, and tells the subscriptions
// again (the same rev, with its seq: seqs.go).
func (a *API) applySeq(gen uint64, doctype, id string, rev, seq uint64, deleted bool, value json.RawMessage) {
	a.mu.Lock()
	if a.gen != gen || a.c == nil {
		a.mu.Unlock()
		return
	}
	m := a.live[doctype]
	if m == nil {
		m = map[string]*entry{}
		a.live[doctype] = m
	}
	if e := m[id]; e != nil && (e.rev > rev || e.rev == rev && (seq == 0 || e.deleted || a.seqOfLocked(doctype, id) >= seq)) {
		a.mu.Unlock()
		return
	} else if e != nil && e.rev == rev {
		value, deleted = e.value, e.deleted // the echo: the value this browser holds
	}
	if deleted {
		value = nil
	}
	m[id] = &entry{rev: rev, deleted: deleted, value: value}
	a.markPageLocked(doctype, id)
	a.setSeqLocked(doctype, id, seq, deleted)
	ch := &Change{Doctype: doctype, ID: id, Rev: rev, Seq: a.seqOfLocked(doctype, id), Deleted: deleted, Value: value}
	if deleted {
		ch.Value = json.RawMessage("null")
	}
	var evs []Event
	for k, s := range a.subs {
		if len(s.doctypes) == 0 || s.doctypes[doctype] {
			evs = append(evs, Event{Type: "change", Sub: k, Change: ch})
		}
	}
	a.mu.Unlock()
	for _, ev := range evs {
		a.emit(ev)
	}
}

// List returns all live documents of doctype, ordered by id, from memory
// kept current by the verified changes feed (started on first use).
func (a *API) List(ctx context.Context, doctype string) ([]Doc, error) {
	out := []Doc{}
	err := a.withLive(ctx, 0, doctype, func(m map[string]*entry) {
		for id, e := range m {
			if !e.deleted {
				out = append(out, Doc{ID: id, Rev: e.rev, Seq: a.seqOfLocked(doctype, id), Value: e.value})
			}
		}
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// filesSource is the client.FilesSource of session gen (an app's, which
// reads the feed all along, setSession): the documents of
// client.FilesDoctype in memory, deleted ones too, as List has them.
func (a *API) filesSource(gen uint64) client.FilesSource {
	return func(ctx context.Context) ([]client.Doc, error) {
		var out []client.Doc
		err := a.withLive(ctx, gen, client.FilesDoctype, func(m map[string]*entry) {
			out = make([]client.Doc, 0, len(m))
			for id, e := range m {
				out = append(out, client.Doc{Doctype: client.FilesDoctype, ID: id, Rev: e.rev, Content: e.value, Deleted: e.deleted})
			}
		})
		return out, err
	}
}

// withLive calls fn, holding mu, with the documents of doctype in memory
// (deleted ones too), once the feed loop has read the feed to its end and
// load has brought in those known before the session: those of session
// gen (0: the current one).
func (a *API) withLive(ctx context.Context, gen uint64, doctype string, fn func(map[string]*entry)) error {
	if err := checkDoc(doctype, "", false); err != nil {
		return err
	}
	a.mu.Lock()
	if a.c == nil || gen != 0 && a.gen != gen {
		a.mu.Unlock()
		return errNotLoggedIn
	}
	gen, c := a.gen, a.c
	l := a.startLocked()
	a.mu.Unlock()
	if err := waitReady(ctx, l); err != nil {
		return err
	}
	// An app that stopped saving still shows what it verified before
	// (protocol §4.7: reading goes on); Home says so with account().halted.
	halted := ""
	if _, ok := c.(*client.App); ok {
		halted = haltedOf(c)
	}
	if l.err != nil && halted == "" {
		return a.fail(gen, l.err)
	}
	if err := a.load(ctx, c, gen, doctype); err != nil {
		if halted != "" {
			// Stopped, and what this browser kept does not read either:
			// nothing to show until the person decides (§4.7).
			a.persist(gen)
			return &Error{Code: CodeHalted, Message: client.ErrHalted.Error() + " (" + halted + "); what it kept of this cannot be read either until you decide, in Home", err: err}
		}
		return a.fail(gen, err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.gen != gen {
		return errNotLoggedIn
	}
	fn(a.live[doctype])
	return nil
}

// load brings into memory the documents of doctype that this device knew
// before the session was resumed (the feed, read from the saved position,
// gives only what changed since): every one the State remembers and memory
// lacks is read and verified with GetMany.
func (a *API) load(ctx context.Context, c session, gen uint64, doctype string) error {
	a.fetchMu.Lock()
	defer a.fetchMu.Unlock()
	a.mu.Lock()
	if a.gen != gen || a.loaded[doctype] {
		a.mu.Unlock()
		return nil
	}
	a.mu.Unlock()
	known := c.KnownRevs(doctype)
	var ids []string
	a.mu.Lock()
	for id := range known {
		if a.live[doctype][id] == nil {
			ids = append(ids, id)
		}
	}
	a.mu.Unlock()
	// One verified bulk read per thousand documents.
	docs, err := c.GetMany(ctx, doctype, ids)
	if err != nil {
		return err
	}
	for i, d := range docs {
		switch {
		case d == nil:
			a.apply(gen, doctype, ids[i], known[ids[i]], true, nil)
		case d.Deleted:
			a.apply(gen, doctype, ids[i], d.Rev, true, nil)
		default:
			a.apply(gen, doctype, ids[i], d.Rev, false, valueOf(d.Content))
		}
	}
	a.mu.Lock()
	if a.gen == gen {
		a.loaded[doctype] = true
	}
	a.mu.Unlock()
	a.persist(gen)
	return nil
}

// Subscribe registers subscription sub (a number the caller picks) for
// changes of doctypes (none: all), and starts the feed loop if needed.
// Changes come as "change" events. Subscribing again with the same number
// replaces the doctypes.
func (a *API) Subscribe(sub int, doctypes []string) error {
	s := &subscription{doctypes: map[string]bool{}}
	for _, d := range doctypes {
		if err := checkDoc(d, "", false); err != nil {
			return err
		}
		s.doctypes[d] = true
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.c == nil {
		return errNotLoggedIn
	}
	a.subs[sub] = s
	a.startLocked()
	return nil
}

// Unsubscribe ends subscription sub. The feed loop keeps running, so that
// List stays current.
func (a *API) Unsubscribe(sub int) {
	a.mu.Lock()
	delete(a.subs, sub)
	a.mu.Unlock()
}

// startLocked starts the feed loop of the current session unless it runs.
func (a *API) startLocked() *loop {
	if a.loop != nil {
		return a.loop
	}
	ctx, cancel := context.WithCancel(context.Background())
	l := &loop{cancel: cancel, ready: make(chan struct{})}
	a.loop = l
	go a.run(ctx, a.c, a.gen, l)
	return l
}

// waitReady waits for l's first pass to the feed's end (l.err then says
// how it went), or for ctx.
func waitReady(ctx context.Context, l *loop) error {
	select {
	case <-l.ready:
		return nil
	case <-ctx.Done():
		return toError(ctx.Err())
	}
}

// forget drops l as the session's feed loop, if it still is.
func (a *API) forget(l *loop) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.forgetLocked(l)
}

func (a *API) forgetLocked(l *loop) {
	if a.loop == l {
		a.loop = nil
	}
}

func (a *API) stopLocked() {
	if a.loop != nil {
		a.loop.cancel()
		a.loop = nil
	}
}

// run reads the changes feed: once to its end (then ready closes), then
// long-polling, applying every change to memory, until the session ends,
// the loop is stopped, or the feed fails verification.
func (a *API) run(ctx context.Context, c session, gen uint64, l *loop) {
	first := true
	backoff := time.Second
	fn := func(ch client.Change) error {
		if ch.Doc == nil {
			return nil // superseded later in the feed
		}
		if ch.Deleted {
			a.applySeq(gen, ch.Doctype, ch.ID, ch.Rev, ch.Seq, true, nil)
		} else {
			a.applySeq(gen, ch.Doctype, ch.ID, ch.Rev, ch.Seq, false, valueOf(ch.Doc.Content))
		}
		return nil
	}
	for ctx.Err() == nil {
		wait := a.cfg.PollWait
		if first {
			wait = 0
		}
		err := c.Sync(ctx, wait, fn)
		if ctx.Err() != nil {
			break
		}
		e := toError(err)
		if e == nil {
			if first {
				// Listings may answer now; the state is kept right after.
				first = false
				close(l.ready)
			}
			a.persist(gen)
			a.kickOutbox(gen) // the server answers: send what waits (outbox.go)
			backoff = time.Second
			continue
		}
		if e.Code == CodeNetwork || e.Code == string(wire.CodeInternal) || e.Code == string(wire.CodeUnavailable) || e.Code == string(wire.CodeRateLimited) {
			if first {
				// The first pass answers List: fail it now, keep trying.
				l.err = err
				close(l.ready)
				a.forget(l)
				return
			}
			select {
			case <-ctx.Done():
			case <-time.After(max(backoff, time.Duration(e.RetryAfter)*time.Second)): // at least Retry-After (§8.1.11)
			}
			backoff = min(2*backoff, 30*time.Second)
			continue
		}
		// Integrity, or the session ended: stop, and say so. A halt
		// (protocol §4.7) is kept with the saved state.
		a.persist(gen)
		if first {
			l.err = err
			close(l.ready)
		}
		a.mu.Lock()
		a.forgetLocked(l)
		subs := make([]int, 0, len(a.subs))
		for k := range a.subs {
			subs = append(subs, k)
		}
		a.mu.Unlock()
		for _, k := range subs {
			a.emit(Event{Type: "error", Sub: k, Error: e})
		}
		if e.Code == CodeSessionEnded {
			a.drop(gen)
		}
		return
	}
	if first {
		l.err = context.Canceled
		close(l.ready)
	}
}
