package wasm

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hearthcloud/hearth/internal/wire"
)

// The outbox: writes that wait for the server (spec/web.md §3, put's keep
// option, and §4). A put with keep that cannot reach the server is kept in
// this browser, sealed by the worker like the rest of what it keeps, and
// sent when the server answers again: at once when this page or another
// page of its origin starts with the same account, whenever the feed loop
// gets an answer, and on a backoff of its own. Sending never drops a
// write silently: the document unchanged on the server since the write
// was kept (its revision is the base the write was made on) is replaced,
// the last writer winning as put does; a document changed there meanwhile
// keeps the other change, and the kept value becomes a new document of
// the doctype, a conflict copy (conflictCopy).

// OutboxStore keeps the records of the outbox across page loads
// (hearth-worker.js: each sealed with a key of its own in IndexedDB). A
// record is the bytes of one pendingWrite (encodePending).
type OutboxStore interface {
	// Load returns every record stored, by key.
	Load() (map[string][]byte, error)
	// Store stores record b under key, replacing any; an error says it is
	// not kept.
	Store(key string, b []byte) error
	// Remove deletes the record key; one not there is not an error.
	Remove(key string) error
}

// pendingWrite is one write waiting for the server.
type pendingWrite struct {
	key     string      // its record's key in the store: "outbox:" and a random name
	version int         // 1, bumped at each change, in memory (a send under way sees it)
	refused int         // the version the server refused (0: none), not sent again
	refusal *Error      // why
	sent    *OutboxNews // what became of it, once sent
	Server  string      `json:"server"`
	User    string      `json:"user"`
	Doctype string      `json:"doctype"`
	ID      string      `json:"id"`
	// Base is the revision the write was made on (0: none known): the
	// document's revision here when the write was kept.
	Base  uint64          `json:"base"`
	At    int64           `json:"at"` // when it was first kept, milliseconds since 1970
	Value json.RawMessage `json:"value"`
}

// The record of a pendingWrite: this line, then its JSON.
const pendingMagic = "hearth-outbox-1\n"

func encodePending(p *pendingWrite) []byte {
	b, _ := json.Marshal(p)
	return append([]byte(pendingMagic), b...)
}

func decodePending(b []byte) (*pendingWrite, bool) {
	rest, ok := bytes.CutPrefix(b, []byte(pendingMagic))
	var p pendingWrite
	if !ok || json.Unmarshal(rest, &p) != nil || checkDoc(p.Doctype, p.ID, true) != nil || checkValue(p.Value) != nil {
		return nil, false
	}
	return &p, true
}

// OutboxNews is what an "outbox" event tells the page of a kept write.
type OutboxNews struct {
	Doctype string `json:"doctype"`
	ID      string `json:"id"`
	// State: "kept" (waiting: the server cannot be reached), "sending",
	// "sent" (Rev written), "copied" (the document changed on the server
	// meanwhile: the value was written as the new document Copy, at Rev),
	// "failed" (the server refused it, Error says why; it stays kept and is
	// tried again at the next start or write).
	State string `json:"state"`
	Rev   uint64 `json:"rev,omitempty"`
	Copy  string `json:"copy,omitempty"`
	Error *Error `json:"error,omitempty"`
}

// PendingDoc is one write of the outbox as outbox() lists it.
type PendingDoc struct {
	Doctype string          `json:"doctype"`
	ID      string          `json:"id"`
	Base    uint64          `json:"base"`
	At      int64           `json:"at"`
	Value   json.RawMessage `json:"value"`
}

// outbox is the outbox of one session (gen): its writes, and the
// goroutine that sends them.
type outbox struct {
	gen          uint64
	server, user string
	store        OutboxStore
	cancel       context.CancelFunc
	loaded       chan struct{} // closed once the stored records are read
	kick         chan struct{} // wakes the sender
	sendMu       sync.Mutex    // one send at a time

	mu     sync.Mutex
	writes []*pendingWrite // oldest first
}

// startOutboxLocked starts the outbox of the current session (the caller
// holds mu): its stored writes of this server and account are read, and
// sent.
func (a *API) startOutboxLocked() {
	if a.cfg.Outbox == nil || a.c == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	ob := &outbox{gen: a.gen, server: a.server, user: a.c.User(), store: a.cfg.Outbox, cancel: cancel,
		loaded: make(chan struct{}), kick: make(chan struct{}, 1)}
	a.ob = ob
	go a.runOutbox(ctx, ob)
}

// stopOutboxLocked stops the session's outbox (the caller holds mu). What
// it kept stays stored, for the account's next session here.
func (a *API) stopOutboxLocked() {
	if a.ob != nil {
		a.ob.cancel()
		a.ob = nil
	}
}

// outboxOf returns the outbox of session gen once its records are read,
// or nil (none: no store, or another session).
func (a *API) outboxOf(ctx context.Context, gen uint64) (*outbox, error) {
	a.mu.Lock()
	ob := a.ob
	a.mu.Unlock()
	if ob == nil || ob.gen != gen {
		return nil, nil
	}
	select {
	case <-ob.loaded:
		return ob, nil
	case <-ctx.Done():
		return nil, toError(ctx.Err())
	}
}

// kickOutbox wakes session gen's sender, if it has something to send.
func (a *API) kickOutbox(gen uint64) {
	a.mu.Lock()
	ob := a.ob
	a.mu.Unlock()
	if ob != nil && ob.gen == gen && ob.pending() {
		ob.wake()
	}
}

func (ob *outbox) wake() {
	select {
	case ob.kick <- struct{}{}:
	default:
	}
}

// pending reports whether ob holds a write to send: one the server has
// not refused as it is.
func (ob *outbox) pending() bool {
	ob.mu.Lock()
	defer ob.mu.Unlock()
	for _, p := range ob.writes {
		if p.refused != p.version {
			return true
		}
	}
	return false
}

// find returns the write kept for doctype/id, or nil (the caller holds
// ob.mu).
func (ob *outbox) findLocked(doctype, id string) *pendingWrite {
	for _, p := range ob.writes {
		if p.Doctype == doctype && p.ID == id {
			return p
		}
	}
	return nil
}

// transient reports whether e is the server not answering (or not now),
// after which a write is kept and tried again: the codes after which the
// feed loop tries again too.
func transient(e *Error) bool {
	switch e.Code {
	case CodeNetwork, string(wire.CodeInternal), string(wire.CodeUnavailable), string(wire.CodeRateLimited):
		return true
	}
	return false
}

// PutOptions are put's options (its fourth argument).
type PutOptions struct {
	// Keep: when the server cannot be reached, keep the write in this
	// browser and send it when it answers again (outbox.go); put then
	// resolves to {kept: true}.
	Keep bool `json:"keep"`
}

// PutWith is Put with its options. With Keep, a write of a document that
// already waits in the outbox joins it there and is sent with it, on the
// base of the first (a conflict copy gives PutResult.Copy), and one the
// server cannot take now is kept: PutResult.Kept. Without an outbox
// (Config.Outbox nil) it is Put.
func (a *API) PutWith(ctx context.Context, doctype, id string, value json.RawMessage, o PutOptions) (*PutResult, error) {
	if !o.Keep {
		return a.Put(ctx, doctype, id, value)
	}
	c, gen, err := a.putSession(doctype, id, value)
	if err != nil {
		return nil, err
	}
	ob, err := a.outboxOf(ctx, gen)
	if err != nil {
		return nil, err
	}
	if ob == nil {
		return a.Put(ctx, doctype, id, value)
	}
	ob.mu.Lock()
	p := ob.findLocked(doctype, id)
	if p != nil {
		p.Value = bytes.Clone(value)
		p.version++
		p.refused = 0
		rec := encodePending(p)
		ob.mu.Unlock()
		if err := ob.store.Store(p.key, rec); err != nil {
			return nil, &Error{Code: string(wire.CodeInternal), Message: "this browser could not keep the change: " + err.Error(), err: err}
		}
		return a.sendNow(ctx, ob, p)
	}
	ob.mu.Unlock()
	res, err := a.Put(ctx, doctype, id, value)
	e := toError(err)
	if e == nil || !transient(e) {
		return res, err
	}
	// The server cannot take it now: keep it, on the revision known here.
	a.mu.Lock()
	base := docsOf(c)[doctype+"/"+id].Rev
	if en := a.live[doctype][id]; en != nil && en.rev > base {
		base = en.rev
	}
	a.mu.Unlock()
	p = &pendingWrite{key: "outbox:" + randomName(), version: 1, Server: ob.server, User: ob.user, Doctype: doctype, ID: id,
		Base: base, At: time.Now().UnixMilli(), Value: bytes.Clone(value)}
	if serr := ob.store.Store(p.key, encodePending(p)); serr != nil {
		return nil, e // not kept: the page says it is not saved
	}
	ob.mu.Lock()
	if q := ob.findLocked(doctype, id); q != nil {
		// Another put of the document was kept meanwhile: this one,
		// later, takes its place.
		q.Value, q.version, q.refused = p.Value, q.version+1, 0
		ob.mu.Unlock()
		ob.store.Remove(p.key)
		ob.store.Store(q.key, encodePending(q))
	} else {
		ob.writes = append(ob.writes, p)
		ob.mu.Unlock()
	}
	a.emit(Event{Type: "outbox", Outbox: &OutboxNews{Doctype: doctype, ID: id, State: "kept"}})
	ob.wake()
	return &PutResult{Kept: true}, nil
}

// sendNow sends the outbox now, p among its writes, and says what became
// of p: written (Rev, and Copy for a conflict copy), still kept (Kept), or
// refused (its error; it stays kept).
func (a *API) sendNow(ctx context.Context, ob *outbox, p *pendingWrite) (*PutResult, error) {
	a.sendOutbox(ctx, ob)
	ob.mu.Lock()
	defer ob.mu.Unlock()
	switch {
	case !slices.Contains(ob.writes, p) && p.sent != nil:
		return &PutResult{Rev: p.sent.Rev, Copy: p.sent.Copy}, nil
	case p.refused == p.version && p.refusal != nil:
		return nil, p.refusal
	}
	ob.wake()
	return &PutResult{Kept: true}, nil
}

// Outbox lists the writes of this session's account waiting in this
// browser for the server, oldest first.
func (a *API) Outbox(ctx context.Context) ([]PendingDoc, error) {
	_, gen, err := a.session()
	if err != nil {
		return nil, err
	}
	ob, err := a.outboxOf(ctx, gen)
	out := []PendingDoc{}
	if err != nil || ob == nil {
		return out, err
	}
	ob.mu.Lock()
	defer ob.mu.Unlock()
	for _, p := range ob.writes {
		out = append(out, PendingDoc{Doctype: p.Doctype, ID: p.ID, Base: p.Base, At: p.At, Value: p.Value})
	}
	return out, nil
}

func randomName() string {
	b := make([]byte, 15)
	rand.Read(b)
	return strings.ToLower(base32.StdEncoding.EncodeToString(b))
}

// runOutbox reads the stored writes of ob's account, then sends them
// whenever there is something to send, until ob stops: after a failure to
// reach the server, again after a backoff (1 s, doubling, at most 30 s) or
// when woken (the feed loop got an answer, or a write was kept).
func (a *API) runOutbox(ctx context.Context, ob *outbox) {
	recs, _ := ob.store.Load() // a store that cannot be read holds nothing to send
	var ws []*pendingWrite
	for key, b := range recs {
		p, ok := decodePending(b)
		// Another account's, or another server's: left as it is, for
		// that account's next session here.
		if !ok || p.Server != ob.server || p.User != ob.user || !strings.HasPrefix(key, "outbox:") {
			continue
		}
		p.key, p.version = key, 1
		ws = append(ws, p)
	}
	slices.SortFunc(ws, func(x, y *pendingWrite) int { return cmp.Compare(x.At, y.At) })
	ob.mu.Lock()
	ob.writes = append(ws, ob.writes...)
	ob.mu.Unlock()
	close(ob.loaded)
	backoff := time.Second
	for ctx.Err() == nil {
		var wait <-chan time.Time
		if ob.pending() {
			switch err := a.sendOutbox(ctx, ob); {
			case err == nil:
				backoff = time.Second
			case transient(err):
				wait = time.After(max(backoff, time.Duration(err.RetryAfter)*time.Second))
				backoff = min(2*backoff, 30*time.Second)
			}
		}
		select {
		case <-ctx.Done():
		case <-ob.kick:
		case <-wait:
		}
	}
}

// sendOutbox sends ob's writes, oldest first. It stops at the first the
// server cannot take now (that error: transient); one it refuses is told
// ("failed") and stays kept, and the others are sent (the first such error
// is returned).
func (a *API) sendOutbox(ctx context.Context, ob *outbox) *Error {
	ob.sendMu.Lock()
	defer ob.sendMu.Unlock()
	ob.mu.Lock()
	todo := slices.Clone(ob.writes)
	ob.mu.Unlock()
	var refused *Error
	for _, p := range todo {
		ob.mu.Lock()
		if !slices.Contains(ob.writes, p) || p.refused == p.version {
			ob.mu.Unlock()
			continue
		}
		snap := *p
		ob.mu.Unlock()
		a.emit(Event{Type: "outbox", Outbox: &OutboxNews{Doctype: p.Doctype, ID: p.ID, State: "sending"}})
		news, err := a.sendOne(ctx, ob, &snap)
		if err != nil {
			if transient(err) || err.Code == CodeSessionEnded {
				a.emit(Event{Type: "outbox", Outbox: &OutboxNews{Doctype: p.Doctype, ID: p.ID, State: "kept"}})
				return err
			}
			ob.mu.Lock()
			if p.version == snap.version {
				p.refused, p.refusal = p.version, err
			}
			ob.mu.Unlock()
			a.emit(Event{Type: "outbox", Outbox: &OutboxNews{Doctype: p.Doctype, ID: p.ID, State: "failed", Error: err}})
			if refused == nil {
				refused = err
			}
			continue
		}
		ob.done(p, snap.version, news)
		a.emit(Event{Type: "outbox", Outbox: news})
	}
	return refused
}

// done forgets p, sent as its version: unless it changed while it was
// sent, then it stays, made on the revision just written (when written in
// place; a conflict copy leaves its base, so that what changed since is
// copied too).
func (ob *outbox) done(p *pendingWrite, version int, news *OutboxNews) {
	ob.mu.Lock()
	if p.version != version {
		if news.State == "sent" {
			p.Base = news.Rev
		}
		rec := encodePending(p)
		ob.mu.Unlock()
		ob.store.Store(p.key, rec)
		ob.wake()
		return
	}
	ob.writes = slices.DeleteFunc(ob.writes, func(q *pendingWrite) bool { return q == p })
	p.sent = news
	ob.mu.Unlock()
	ob.store.Remove(p.key)
}

// sendOne sends one kept write: in place when the document is as the
// write found it (or holds its value already), else as a conflict copy.
func (a *API) sendOne(ctx context.Context, ob *outbox, p *pendingWrite) (*OutboxNews, *Error) {
	// A device writes only once it has read the account's history to its
	// end (protocol §1.4): the feed loop's first pass.
	a.mu.Lock()
	if a.c == nil || a.gen != ob.gen {
		a.mu.Unlock()
		return nil, errNotLoggedIn
	}
	c, gen, l := a.c, a.gen, a.startLocked()
	a.mu.Unlock()
	if err := waitReady(ctx, l); err != nil {
		return nil, toError(err)
	}
	if l.err != nil {
		return nil, toError(a.fail(gen, l.err))
	}
	news := &OutboxNews{Doctype: p.Doctype, ID: p.ID, State: "sent"}
	d, err := c.Get(ctx, p.Doctype, p.ID)
	e := toError(err)
	switch {
	case e != nil && e.Code == string(wire.CodeNotFound):
		// Deleted meanwhile (or never written): written back, not lost.
	case e != nil:
		return nil, toError(a.fail(gen, err))
	case bytes.Equal(valueOf(d.Content), p.Value):
		// There already: sent by another tab, or by a put whose answer
		// never came.
		a.apply(gen, p.Doctype, p.ID, d.Rev, false, valueOf(d.Content))
		news.Rev = d.Rev
		return news, nil
	case d.Rev != p.Base:
		// Changed on the server since: keep both.
		a.apply(gen, p.Doctype, p.ID, d.Rev, false, valueOf(d.Content))
		cp := conflictCopy(p.Value, p.ID)
		id, rev, err := c.Create(ctx, p.Doctype, cp)
		if err != nil {
			return nil, toError(a.fail(gen, err))
		}
		a.apply(gen, p.Doctype, id, rev, false, cp)
		a.persist(gen)
		news.State, news.Copy, news.Rev = "copied", id, rev
		return news, nil
	}
	rev, err := c.Put(ctx, p.Doctype, p.ID, p.Value)
	if err != nil {
		return nil, toError(a.fail(gen, err))
	}
	a.apply(gen, p.Doctype, p.ID, rev, false, p.Value)
	a.persist(gen)
	news.Rev = rev
	return news, nil
}

// conflictCopy is the value of the conflict copy of a write kept for the
// document id: the value itself, and, when it is a JSON object, with the
// member "conflictOf" set to id (spec/web.md §3).
func conflictCopy(value json.RawMessage, id string) json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal(value, &m) != nil || m == nil {
		return value
	}
	m["conflictOf"], _ = json.Marshal(id)
	b, err := json.Marshal(m)
	if err != nil {
		return value
	}
	return b
}
