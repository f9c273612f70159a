package client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/hearthcloud/hearth/crypto/keyring"
	"github.com/hearthcloud/hearth/crypto/seal"
	"github.com/hearthcloud/hearth/internal/wire"
)

// Re-sealing (spec/protocol.md §4.6): after a rotation, the documents,
// the search index and the keyring's old generations of a doctype are
// brought to its newest generation.

// resealSettle is how long after a complete re-seal the old generations
// may be dropped (Reseal): twice grantMaxAge. Tests set it to zero.
var resealSettle = 2 * grantMaxAge

// ResealMark is when this device saw a re-seal with generation Gen
// complete (State.ResealSeen).
type ResealMark struct {
	Gen uint32    `json:"gen"`
	At  time.Time `json:"at"`
}

// ErrResealPending: Reseal could not finish, because documents (or the
// search index) kept changing while it ran; what it did stays done. Run
// it again later.
var ErrResealPending = errors.New("client: the re-seal is not finished (items changed meanwhile); run it again")

// Re-sealing works in batches of at most resealBatch documents and
// resealBytes sealed bytes (one _bulk_get and one _bulk_put each), in at
// most resealRounds passes over the doctype's listing.
const (
	resealBatch  = 100
	resealBytes  = 8 << 20
	resealRounds = 6
)

// PendingReseal returns the doctypes whose keyring holds more than one key
// generation (a rotation whose re-seal has not finished, or blobs still
// naming an older generation: they keep the one they were sealed with,
// §4.6), less those this device re-sealed with the newest generation
// already (State.Resealed), so that a files doctype is not re-read at every
// start. It reads the keyring again.
func (c *Client) PendingReseal(ctx context.Context) ([]string, error) {
	kr, err := c.loadedKeyring(ctx, true)
	if err != nil {
		return nil, err
	}
	var out []string
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, d := range kr.Doctypes() {
		ks := kr.Keys(d)
		if len(ks.All()) > 1 && c.st.Resealed[d] < ks.Current().Gen() {
			out = append(out, d)
		}
	}
	return out, nil
}

// Reseal seals again, with the newest key generation, every document of
// doctype (tombstones included) sealed with an older one, as §4.6 says:
// in batches of bulk reads and bulk writes, each write a new revision
// conditional on the one read, so that a document changed meanwhile is
// left to its writer (and checked again in the next pass). It then seals
// the index manifest again, or resets the index when segments are sealed
// with an older generation (the next search rebuilds it), deletes those
// segments, and drops from the keyring every older generation that no
// document, segment or blob names any more (one keyring write), granting
// the doctype's grantees again without them.
//
// progress, if not nil, is called after each batch with the documents
// examined so far and the total to examine (which grows when a later pass
// finds documents written meanwhile); done never goes down and ends at
// total. Reseal is idempotent: it can be run again after an interruption,
// and does nothing when the keyring holds one generation of doctype. It
// returns ErrResealPending when items kept changing; run it again then.
func (c *Client) Reseal(ctx context.Context, doctype string, progress func(done, total int)) error {
	_, err := c.ResealCount(ctx, doctype, progress)
	return err
}

// ResealCount is Reseal, and also says how many documents it sealed again
// (0: they all were already, and the run at most dropped old generations).
func (c *Client) ResealCount(ctx context.Context, doctype string, progress func(done, total int)) (wrote int, err error) {
	err = c.reseal(ctx, doctype, progress, &wrote)
	return wrote, err
}

func (c *Client) reseal(ctx context.Context, doctype string, progress func(done, total int), count *int) error {
	if err := wire.CheckDoctype(doctype); err != nil {
		return err
	}
	if progress == nil {
		progress = func(int, int) {}
	}
	if _, err := c.loadedKeyring(ctx, true); err != nil {
		return err
	}
	ks, err := c.keys(ctx, doctype, 0, false)
	if err != nil || ks == nil || len(ks.All()) < 2 {
		return err
	}
	k := ks.Current()

	// verified holds, per document, a revision known to be sealed with k
	// or newer: read so, or written by this pass.
	verified := map[string]uint64{}
	done, total, clean, wroteAll := 0, 0, false, 0
	for round := 0; round < resealRounds && !clean; round++ {
		list, err := c.listAll(ctx, doctype, true)
		if err != nil {
			return err
		}
		var todo []listedDoc
		for _, d := range list {
			if v, ok := verified[d.ID]; !ok || v != d.Rev {
				todo = append(todo, d)
			}
		}
		if len(todo) == 0 {
			clean = true
			break
		}
		total += len(todo)
		progress(done, total)
		wrote := 0
		for start := 0; start < len(todo); {
			end, size := start, 0
			for end < len(todo) && end-start < resealBatch && (end == start || size+todo[end].Size <= resealBytes) {
				size += todo[end].Size
				end++
			}
			n, err := c.resealBatch(ctx, doctype, k, todo[start:end], verified)
			if err != nil {
				return err
			}
			wrote += n
			done += end - start
			progress(done, total)
			start = end
		}
		// A pass that wrote nothing saw every document sealed with k.
		clean = wrote == 0
		wroteAll += wrote
	}
	*count = wroteAll
	if !clean {
		return fmt.Errorf("%w: %s", ErrResealPending, doctype)
	}

	// Index segments and manifest, then blobs: what they name is kept.
	keep := map[uint32]bool{}
	indexDone, err := c.resealIndex(ctx, doctype, k, ks, keep)
	if err != nil {
		return err
	}
	blobs, err := c.storedGens(ctx, "/v1/blobs/"+pathEscape(doctype), func(id string) string {
		return "/v1/blobs/" + pathEscape(doctype) + "/" + pathEscape(id)
	})
	if err != nil {
		return err
	}
	for _, g := range blobs {
		keep[g] = true
	}
	// The old generations are dropped only by a run that found every
	// document sealed with k already, at least resealSettle after this
	// device saw a run complete: a writer that has not fetched its new
	// grant yet (grantMaxAge) may still seal with an old generation
	// meanwhile, and such a document must be sealed again, not lost.
	if !indexDone {
		return fmt.Errorf("%w: the search index of %s changed meanwhile", ErrResealPending, doctype)
	}
	c.mu.Lock()
	mark := c.st.ResealSeen[doctype]
	settling := resealSettle > 0 && (mark.Gen != k.Gen() || wroteAll > 0 || time.Since(mark.At) < resealSettle)
	if settling && (mark.Gen != k.Gen() || wroteAll > 0) {
		if c.st.ResealSeen == nil {
			c.st.ResealSeen = map[string]ResealMark{}
		}
		c.st.ResealSeen[doctype] = ResealMark{Gen: k.Gen(), At: time.Now().UTC()}
	}
	c.mu.Unlock()
	if settling {
		return nil
	}
	var drop []uint32
	for _, old := range ks.All() {
		if g := old.Gen(); g < k.Gen() && !keep[g] {
			drop = append(drop, g)
		}
	}
	if len(drop) > 0 {
		dropped := false
		err := c.updateKeyring(ctx, func(kr *keyring.Keyring) (bool, error) {
			s := kr.Keys(doctype)
			if s == nil {
				return false, nil
			}
			dropped = false
			for _, g := range drop {
				if s.Gen(g) != nil && g < s.Current().Gen() {
					if err := s.Drop(g); err != nil {
						return false, err
					}
					dropped = true
				}
			}
			return dropped, nil
		})
		if err != nil {
			return err
		}
		if dropped {
			// The grantees' grants still carry the dropped generations:
			// grant them again without.
			if _, _, err := c.regrant(ctx, map[string]uint32{doctype: k.Gen()}, nil); err != nil {
				return err
			}
		}
	}
	c.mu.Lock()
	delete(c.st.ResealSeen, doctype)
	if c.st.Resealed == nil {
		c.st.Resealed = map[string]uint32{}
	}
	c.st.Resealed[doctype] = max(c.st.Resealed[doctype], k.Gen())
	c.mu.Unlock()
	return nil
}

// resealBatch reads batch with one bulk read, verifying each document as
// Get does, marks those sealed with k or newer in verified, and writes the
// others sealed with k as their next revision, with one bulk write
// conditional on the revision read. It returns how many writes it tried:
// a conflict (a writer got there first) is not an error; the next pass
// reads that document again.
func (c *Client) resealBatch(ctx context.Context, doctype string, k *seal.Key, batch []listedDoc, verified map[string]uint64) (_ int, err error) {
	defer func() { err = c.halt(err) }()
	ids := make([]string, len(batch))
	for i, d := range batch {
		ids[i] = d.ID
	}
	docs, err := c.bulkGet(ctx, doctype, ids)
	if err != nil {
		return 0, err
	}
	var puts []wire.BulkPutItem
	var states []DocState
	for i, g := range docs {
		id := ids[i]
		known := c.known(doctype, id)
		switch {
		case g.Error != nil && g.Error.Code == wire.CodeNotFound:
			if known.Rev > 0 {
				return 0, rolledBack("%s/%s: the server says it does not exist, but this device saw revision %d (rolled back)", doctype, id, known.Rev)
			}
			continue
		case g.Error != nil:
			return 0, refusal(200, g.Error)
		}
		d, ds, err := c.openDoc(ctx, doctype, id, g.Rev, g.Sealed, g.Deleted, known, nil)
		if err != nil {
			return 0, err
		}
		c.record(doctype, id, ds)
		if d.Gen >= k.Gen() {
			verified[id] = g.Rev
			continue
		}
		var prev seal.Digest
		copy(prev[:], ds.Digest)
		sealed, err := seal.SealDocument(k, seal.Ref{Doctype: doctype, ID: id, Rev: g.Rev + 1}, prev, d.Content)
		if err != nil {
			return 0, err
		}
		dg := seal.DigestOf(sealed)
		puts = append(puts, wire.BulkPutItem{ID: id, IfMatch: g.Rev, Sealed: sealed, Deleted: d.Deleted()})
		states = append(states, DocState{Rev: g.Rev + 1, Digest: dg[:], Gen: k.Gen()})
	}
	n := len(puts)
	if len(puts) > 0 {
		var ans struct {
			Results []wire.BulkResult `json:"results"`
		}
		if _, err := c.callJSON(ctx, "POST", "/v1/docs/"+pathEscape(doctype)+"/_bulk_put", map[string]any{"docs": puts}, &ans, nil, false); err != nil {
			return 0, err
		}
		if len(ans.Results) != len(puts) {
			return 0, fmt.Errorf("client: the server answered %d results to a bulk write of %d", len(ans.Results), len(puts))
		}
		for j, r := range ans.Results {
			switch {
			case r.ID != puts[j].ID:
				return 0, errors.New("client: the server's bulk results are out of order")
			case r.Error != nil && r.Error.Code == wire.CodeConflict:
				// Changed meanwhile: left to its writer, read again next pass.
			case r.Error != nil:
				return 0, refusal(200, r.Error)
			case r.Rev != states[j].Rev:
				return 0, fmt.Errorf("client: the server answered revision %d to a write sealed for revision %d", r.Rev, states[j].Rev)
			default:
				c.record(doctype, r.ID, states[j])
				verified[r.ID] = r.Rev
			}
		}
	}
	return n, nil
}

// storedGens lists the blobs (or index segments) at listPath and returns,
// for each, the key generation its recipient stanza names (§6.1), read
// from its first bytes with a range request (0 when it names none).
func (c *Client) storedGens(ctx context.Context, listPath string, itemPath func(id string) string) (map[string]uint32, error) {
	out := map[string]uint32{}
	after := ""
	for {
		q := url.Values{"limit": {"1000"}}
		if after != "" {
			q.Set("after", after)
		}
		type item struct {
			ID string `json:"id"`
		}
		var ans struct {
			Blobs    []item `json:"blobs"`
			Segments []item `json:"segments"`
			Next     string `json:"next"`
		}
		_, err := c.callJSON(ctx, "GET", listPath+"?"+q.Encode(), nil, &ans, nil, false)
		if isCode(err, wire.CodeUnknownDoctype) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		items := append(ans.Blobs, ans.Segments...)
		for _, it := range items {
			if wire.CheckID(it.ID) != nil {
				continue
			}
			res, err := c.call(ctx, request{method: "GET", path: itemPath(it.ID),
				hdr: map[string]string{"Range": "bytes=0-" + strconv.Itoa(blobHeaderPeek-1)}})
			if errors.Is(err, ErrNotFound) {
				continue // deleted meanwhile
			}
			if err != nil {
				return nil, err
			}
			out[it.ID] = blobGen(bufio.NewReader(bytes.NewReader(res.body)))
		}
		if ans.Next == "" || ans.Next <= after || len(items) == 0 {
			return out, nil
		}
		after = ans.Next
	}
}

// resealIndex brings doctype's stored search index (§7) off the
// generations older than k: a manifest naming a segment sealed with one
// is replaced by the manifest of an empty index at seq 0 (the next search
// rebuilds the index from the documents) and the segments it named are
// deleted; a manifest sealed with one but naming none is sealed again with
// k, content unchanged; segments sealed with one that no manifest names
// any more are deleted. The generations still named (a segment that could
// not be deleted) are added to keep. It reports false, keeping every
// generation of ks, when the manifest changed meanwhile.
func (c *Client) resealIndex(ctx context.Context, doctype string, k *seal.Key, ks *seal.KeySet, keep map[uint32]bool) (bool, error) {
	segs, err := c.storedGens(ctx, "/v1/index/"+pathEscape(doctype)+"/segments", func(id string) string {
		return segmentPath(doctype, id)
	})
	if err != nil {
		return false, err
	}
	d, ds, err := c.fetchManifest(ctx, doctype)
	switch {
	case errors.Is(err, ErrNotFound):
		d = nil
	case err != nil:
		return false, err
	}
	if d != nil {
		var m struct {
			Segments []struct {
				ID string `json:"id"`
			} `json:"segments"`
		}
		json.Unmarshal(d.Content, &m) // a malformed manifest makes readers rebuild anyway
		reset := false
		for _, s := range m.Segments {
			if g, ok := segs[s.ID]; ok && g < k.Gen() {
				reset = true
			}
		}
		if reset || d.Gen < k.Gen() {
			content := d.Content
			if reset {
				content = emptyManifest(d.Content)
			}
			_, err := c.PutManifest(ctx, doctype, ds.Rev, content)
			if isCode(err, wire.CodeConflict) {
				for _, old := range ks.All() {
					keep[old.Gen()] = true
				}
				return false, nil
			}
			if err != nil {
				return false, err
			}
			if reset {
				for _, s := range m.Segments {
					if _, ok := segs[s.ID]; ok && c.DeleteSegment(ctx, doctype, s.ID) == nil {
						delete(segs, s.ID)
					}
				}
			}
		}
	}
	for id, g := range segs {
		if g != 0 && g < k.Gen() {
			if err := c.DeleteSegment(ctx, doctype, id); err != nil {
				keep[g] = true
			}
		}
	}
	return true, nil
}

// emptyManifest returns the content of a manifest of an empty index at seq
// 0 with the version, format and mapping of old (§7.2): its reader catches
// up from the start of the feed, which rebuilds the index.
func emptyManifest(old []byte) []byte {
	var m map[string]json.RawMessage
	json.Unmarshal(old, &m)
	out := map[string]any{"v": 1, "seq": 0, "docs": 0, "segments": []any{}}
	for _, f := range []string{"v", "format", "mapping"} {
		if v, ok := m[f]; ok {
			out[f] = v
		}
	}
	return mustJSON(out)
}
