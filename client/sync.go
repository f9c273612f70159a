package client

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hearthcloud/hearth/crypto/seal"
	"github.com/hearthcloud/hearth/internal/wire"
)

// Change is one verified entry of the changes feed.
type Change struct {
	Seq     uint64
	Doctype string
	ID      string
	Rev     uint64
	// Deleted is true when Doc is a tombstone. It comes from the opened
	// revision only: for an entry without Doc it is always false, since the
	// host could set the flag of a superseded entry at will.
	Deleted bool
	// Doc is the opened revision; nil when the feed left its body out
	// because a later entry superseded it. Sync checks that such a later
	// entry exists before the feed ends; an entry without Doc is history
	// that carries nothing to apply.
	Doc *Doc
	// Digest is the SHA-256 of the entry's sealed revision (Changes).
	Digest []byte
}

// checkFeed parses a page of the unfiltered feed asked for from since, where
// this device remembers chain, and checks it per §8.6.3 steps 1 to 3 and
// the feed half of step 4. It returns the page and the chain at last_seq.
func checkFeed(body []byte, since uint64, chain [wire.ChainSize]byte) (*wire.FeedPage, [wire.ChainSize]byte, error) {
	var p wire.FeedPage
	if err := decodeFeedPage(body, &p); err != nil {
		return nil, chain, integrity("the changes feed is malformed")
	}
	if p.Since != since {
		return nil, chain, integrity("the changes feed answered from seq %d to a request from %d", p.Since, since)
	}
	if !bytes.Equal(p.SinceChain, chain[:]) {
		return nil, chain, rolledBack("the changes feed's history at seq %d differs from the one this device verified", since)
	}
	if p.LastSeq < since {
		return nil, chain, rolledBack("the changes feed went back from seq %d to %d (rolled back)", since, p.LastSeq)
	}
	if p.LastSeq-since != uint64(len(p.Changes)) {
		return nil, chain, rolledBack("the changes feed from seq %d to %d holds %d entries (entries hidden or inserted)", since, p.LastSeq, len(p.Changes))
	}
	if p.More && len(p.Changes) == 0 {
		return nil, chain, integrity("the changes feed announces more entries but serves none")
	}
	cur := chain
	for i, ch := range p.Changes {
		if ch.Seq != since+1+uint64(i) {
			return nil, chain, rolledBack("the changes feed has seq %d where %d belongs (entries hidden or reordered)", ch.Seq, since+1+uint64(i))
		}
		if wire.CheckDoctype(ch.Doctype) != nil || checkDocID(ch.ID) != nil || ch.Rev == 0 ||
			len(ch.Digest) != seal.DigestSize || len(ch.Chain) != wire.ChainSize {
			return nil, chain, integrity("entry %d of the changes feed is malformed", ch.Seq)
		}
		e := wire.ChainEntry{Seq: ch.Seq, Doctype: ch.Doctype, ID: ch.ID, Rev: ch.Rev, Deleted: ch.Deleted}
		copy(e.Digest[:], ch.Digest)
		cur = wire.NextChain(cur, e)
		if !bytes.Equal(cur[:], ch.Chain) {
			return nil, chain, rolledBack("the changes feed's chain does not match at seq %d (history altered)", ch.Seq)
		}
	}
	return &p, cur, nil
}

// checkScopedFeed parses a page of a feed filtered to the doctypes in
// readable (§8.6.4), asked for from since, the seq this device remembers.
// The chain cannot be recomputed over entries the reader does not see, so it
// is ignored; what is checked is that the page answers since, that last_seq
// is not below it, that the seqs rise strictly within (since, last_seq], and
// that every entry is well formed and of a doctype asked for.
func checkScopedFeed(body []byte, since uint64, readable map[string]bool) (*wire.FeedPage, error) {
	var p wire.FeedPage
	if err := decodeFeedPage(body, &p); err != nil {
		return nil, integrity("the changes feed is malformed")
	}
	if p.Since != since {
		return nil, integrity("the changes feed answered from seq %d to a request from %d", p.Since, since)
	}
	if p.LastSeq < since {
		return nil, rolledBack("the changes feed went back from seq %d to %d (rolled back)", since, p.LastSeq)
	}
	if p.More && len(p.Changes) == 0 {
		return nil, integrity("the changes feed announces more entries but serves none")
	}
	prev := since
	for _, ch := range p.Changes {
		if ch.Seq <= prev || ch.Seq > p.LastSeq {
			return nil, integrity("the changes feed has seq %d after seq %d, up to %d (entries reordered or out of range)", ch.Seq, prev, p.LastSeq)
		}
		prev = ch.Seq
		if wire.CheckDoctype(ch.Doctype) != nil || checkDocID(ch.ID) != nil || ch.Rev == 0 || len(ch.Digest) != seal.DigestSize {
			return nil, integrity("entry %d of the changes feed is malformed", ch.Seq)
		}
		if !readable[ch.Doctype] {
			return nil, integrity("entry %d of the changes feed is of a doctype that was not asked for", ch.Seq)
		}
	}
	return &p, nil
}

// doctypeOf returns the doctype of a docKey.
func doctypeOf(key string) string {
	d, _, _ := strings.Cut(key, "/")
	return d
}

// Sync pulls the unfiltered changes feed from the position the State
// remembers, verifies each page (§8.6.3, §8.5.5), calls fn with every
// change of the page in order, and only then advances the State. It
// returns when the feed is read to its end. With wait above zero, the first
// request long-polls up to wait (at most a minute) for a new entry.
//
// An entry without a body must be superseded by a later entry for the same
// document before the feed ends (§8.6.1): until every such entry read so
// far is, the State stays at the last page boundary where none was pending,
// and a feed that ends with one pending is ErrIntegrity.
//
// A verification failure is ErrIntegrity and applies nothing of the page,
// nor of the pages read since the State last advanced. An error from fn
// stops Sync and is returned. Either way the pages whose changes did not
// advance the State are delivered again by the next Sync, so fn may see a
// change more than once.
//
// In app mode (App.Sync) the feed is filtered to the doctypes the grant
// lets the app read and is checked per §8.6.4 (checkScopedFeed) instead of
// by its chain; everything else is the same.
func (c *Client) Sync(ctx context.Context, wait time.Duration, fn func(Change) error) (err error) {
	c.syncMu.Lock()
	defer c.syncMu.Unlock()
	defer func() { err = c.halt(err) }()
	waitSec := int((wait + time.Second - 1) / time.Second)
	waitSec = max(0, min(waitSec, 60))
	// Revisions this device read or wrote before this Sync are committed on
	// the server, so the feed, read to its end, must show them.
	// An app reads a scoped feed (§8.6.4), filtered to the doctypes its
	// grant lets it read; the feed shows nothing of the others.
	c.mu.Lock()
	readable := c.src.scopeLocked()
	c.mu.Unlock()
	app := readable != nil
	if app {
		if len(readable) == 0 {
			return fmt.Errorf("%w: the app may read no doctype, so it has no changes feed", ErrNotGranted)
		}
	}
	c.mu.Lock()
	unsynced := map[string]uint64{}
	for k, ds := range c.st.Docs {
		if ds.Rev > ds.FeedRev && (!app || readable[doctypeOf(k)]) {
			unsynced[k] = ds.Rev
		}
	}
	since := c.st.FeedSeq
	var chain [wire.ChainSize]byte
	copy(chain[:], c.st.FeedChain)
	c.mu.Unlock()
	// What the pages read since the State last advanced give: the
	// documents' states, and the entries without a body that no later
	// entry has superseded yet (doc key -> seq).
	local := map[string]DocState{}
	pending := map[string]uint64{}
	var held []Change // the last page, while the feed's end is checked again
	deliver := func(changes []Change) error {
		if fn == nil {
			return nil
		}
		for _, ch := range changes {
			if err := fn(ch); err != nil {
				return err
			}
		}
		return nil
	}
	for {
		q := url.Values{"since": {strconv.FormatUint(since, 10)}, "include_docs": {"true"}, "limit": {"500"}}
		if waitSec > 0 {
			q.Set("wait", strconv.Itoa(waitSec))
		}
		if app {
			q["doctype"] = slices.Sorted(maps.Keys(readable))
		}
		c.mu.Lock()
		c.raised = map[string]uint64{} // what this device learns from now on may postdate the page
		c.mu.Unlock()
		res, err := c.call(ctx, request{method: "GET", path: "/v1/changes?" + q.Encode(),
			timeout: time.Duration(waitSec)*time.Second + pollSlack + callTimeout})
		if since > 0 && isCode(err, wire.CodeBadRequest) {
			return rolledBack("the server's changes feed ends before seq %d, which this device verified (rolled back)", since)
		}
		if err != nil {
			return err
		}
		waitSec = 0
		var page *wire.FeedPage
		var last [wire.ChainSize]byte
		if app {
			page, err = checkScopedFeed(res.body, since, readable)
		} else {
			page, last, err = checkFeed(res.body, since, chain)
		}
		if err != nil {
			return err
		}
		changes, err := c.openPage(ctx, page, local, pending)
		if err != nil {
			return err
		}
		since, chain = page.LastSeq, last
		if !page.More && len(pending) > 0 {
			if len(page.Changes) == 0 {
				return integrity("%s: the changes feed ends without the body of revision %d and without a later revision (body withheld, or entry injected)", firstPending(pending), local[firstPending(pending)].Rev)
			}
			// A write that committed while the server answered can supersede
			// an entry of this page from beyond its last_seq: ask once more
			// before judging, holding this page's changes back meanwhile.
			if err := deliver(held); err != nil {
				return err
			}
			held = changes
			continue
		}
		if !page.More {
			if err := c.checkUnsynced(unsynced, local); err != nil {
				return err
			}
			if err := c.checkFloor(since); err != nil {
				return err
			}
		}
		if err := deliver(held); err != nil {
			return err
		}
		held = nil
		if err := deliver(changes); err != nil {
			return err
		}
		if len(pending) == 0 {
			c.mu.Lock()
			for k, ds := range local {
				recordIn(c.st.Docs, k, ds)
				c.src.sawGenLocked(doctypeOf(k), ds.Gen)
			}
			c.st.FeedSeq = since
			if !page.More && !app {
				c.st.CaughtUp = true
			}
			c.st.FeedChain = nil
			if since > 0 && !app {
				c.st.FeedChain = bytes.Clone(chain[:])
			}
			c.mu.Unlock()
			clear(local)
		}
		if !page.More {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// checkFloor reports an app's feed that ended at seq last, before the
// position it was handed (AppState.FeedFloor), and forgets a floor reached.
func (c *Client) checkFloor(last uint64) error {
	g, ok := c.src.(*grantSource)
	if !ok {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if last < g.floor {
		return rolledBack("the changes feed ends at seq %d, before seq %d, which Home verified in this browser (rolled back)", last, g.floor)
	}
	g.floor = 0
	return nil
}

// firstPending returns the pending entry with the lowest seq.
func firstPending(pending map[string]uint64) string {
	first, seq := "", uint64(0)
	for k, s := range pending {
		if first == "" || s < seq {
			first, seq = k, s
		}
	}
	return first
}

// checkUnsynced reports a feed that ended without showing a revision this
// device saw before the Sync began.
func (c *Client) checkUnsynced(unsynced map[string]uint64, local map[string]DocState) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, rev := range unsynced {
		fr := max(c.st.Docs[k].FeedRev, local[k].FeedRev)
		if fr < rev {
			return rolledBack("%s: the changes feed ends without revision %d, which this device saw (writes hidden or rolled back)", k, rev)
		}
	}
	return nil
}

// openPage checks the documents of a structurally verified page (§8.6.3
// steps 4 and 5) and opens the bodies. It returns the changes; it records
// what to remember of each document in local (which holds what the earlier
// pages not yet committed gave, and starts from the State's memory for a
// document it lacks), and in pending the entries without a body that no
// later entry has superseded yet. On error, local and pending are to be
// dropped.
func (c *Client) openPage(ctx context.Context, page *wire.FeedPage, local map[string]DocState, pending map[string]uint64) ([]Change, error) {
	out := make([]Change, 0, len(page.Changes))
	for _, ch := range page.Changes {
		key := docKey(ch.Doctype, ch.ID)
		k, ok := local[key]
		raisedFrom, raised := uint64(0), false
		if !ok {
			c.mu.Lock()
			k = c.st.Docs[key]
			raisedFrom, raised = c.raised[key]
			c.mu.Unlock()
			local[key] = k
		}
		where := ch.Doctype + "/" + ch.ID
		if ch.Rev <= k.FeedRev {
			return nil, rolledBack("%s: the changes feed gives revision %d after revision %d (rolled back or repeated)", where, ch.Rev, k.FeedRev)
		}
		if ch.Rev == k.Rev && k.Digest != nil && !bytes.Equal(k.Digest, ch.Digest) {
			return nil, rolledBack("%s: the changes feed gives a revision %d that differs from the one this device saw (forked history)", where, ch.Rev)
		}
		// A later entry for the document: any earlier one is superseded.
		delete(pending, key)
		change := Change{Seq: ch.Seq, Doctype: ch.Doctype, ID: ch.ID, Rev: ch.Rev}
		ds := DocState{Rev: ch.Rev, Digest: bytes.Clone(ch.Digest), FeedRev: ch.Rev}
		switch {
		case ch.Rev < k.Rev && ch.Sealed != nil && raised && ch.Rev >= raisedFrom:
			// Current when the server made the page, but this device
			// itself wrote or read a later revision while the page was on
			// its way: history, as an entry without a body. The later
			// revision is committed; the next Sync must show it.
		case ch.Rev < k.Rev && ch.Sealed != nil:
			// A body is sent only for a current revision, and this device
			// saw a later one.
			return nil, rolledBack("%s: the changes feed serves revision %d as current after this device saw revision %d (rolled back)", where, ch.Rev, k.Rev)
		case ch.Sealed != nil:
			var dg seal.Digest
			copy(dg[:], ch.Digest)
			d, opened, err := c.openDoc(ctx, ch.Doctype, ch.ID, ch.Rev, ch.Sealed, ch.Deleted, k, &dg)
			if err != nil {
				return nil, err
			}
			ds = opened
			ds.FeedRev = ch.Rev
			change.Deleted = d.Deleted()
			change.Doc = &Doc{Doctype: ch.Doctype, ID: ch.ID, Rev: ch.Rev, Content: d.Content, Deleted: d.Deleted()}
		default:
			// Without a body the entry is history, acceptable only once a
			// later entry for the document supersedes it (§8.6.1). It
			// moves FeedRev, and Rev when it is beyond what this device
			// saw; the generation remembered stays.
			pending[key] = ch.Seq
		}
		recordIn(local, key, ds)
		out = append(out, change)
	}
	return out, nil
}
