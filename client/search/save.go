package search

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	zap "github.com/blevesearch/zapx/v17"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/internal/wire"
)

// ErrConflict is returned by Save when another device stored the index in
// between: Open it again (which loads that device's index) and Save.
var ErrConflict = errors.New("search: another device stored the index meanwhile")

// Save stores the index on the server if it changed since it was loaded
// or last saved: it compacts it if its segments grew many or hold many
// deleted documents, uploads the segments not stored yet, writes the
// manifest naming them and deletes the segments no manifest names any
// more (§7.4). Another device's manifest written in between gives
// ErrConflict.
func (s *Store) Save(ctx context.Context) error {
	s.saveMu.Lock() // one Save at a time
	defer s.saveMu.Unlock()
	// Under the lock: compaction, and what the manifest will say (the
	// segments as they are now, the new ones' bytes). The uploads happen
	// without it, so that searches and updates go on meanwhile; what they
	// change is stored by the next Save.
	s.mu.Lock()
	if !s.dirty {
		s.mu.Unlock()
		return nil
	}
	if err := s.compact(ctx); err != nil {
		s.mu.Unlock()
		return err
	}
	live, err := s.x.snapshot()
	if err != nil {
		s.mu.Unlock()
		return err
	}
	type part struct {
		sb   *zap.SegmentBase
		ref  client.SegmentRef
		data []byte // a segment not stored yet, compressed
		del  []string
		docs uint64
	}
	parts := make([]part, len(live))
	for i, ls := range live {
		p := part{sb: ls.sb, docs: ls.sb.Count()}
		ref, ok := s.saved[ls.sb]
		if ok {
			p.ref = ref
		} else {
			data, err := ls.bytes()
			if err != nil {
				s.mu.Unlock()
				return err
			}
			p.data = Compress(data)
		}
		if p.del, err = ls.deletedIDs(); err != nil {
			s.mu.Unlock()
			return err
		}
		parts[i] = p
	}
	seq, chain, ifRev, changes, previous := s.seq, s.chain, s.rev, s.changes, s.named
	s.mu.Unlock()

	var uploaded []string
	undo := func() {
		for _, id := range uploaded {
			s.b.DeleteSegment(context.Background(), s.doctype, id)
		}
	}
	m := Manifest{V: 1, Format: SegmentFormat, Mapping: Mapping, Seq: seq, Chain: chain, Segments: []ManifestSegment{}}
	for i := range parts {
		p := &parts[i]
		if p.data != nil {
			if p.ref, err = s.b.PutSegment(ctx, s.doctype, SegmentFormat, p.data); err != nil {
				undo()
				return err
			}
			uploaded = append(uploaded, p.ref.ID)
		}
		m.Segments = append(m.Segments, ManifestSegment{ID: p.ref.ID, Size: p.ref.Size, Digest: p.ref.Digest, Docs: p.docs, Deleted: p.del})
		m.Docs += p.docs - uint64(len(p.del))
	}
	content, err := json.Marshal(m)
	if err != nil {
		undo()
		return err
	}
	rev, err := s.b.PutManifest(ctx, s.doctype, ifRev, content)
	if err != nil {
		undo()
		var ae *client.APIError
		if errors.As(err, &ae) && ae.Code == wire.CodeConflict {
			return fmt.Errorf("%w (it is at revision %d)", ErrConflict, ae.Rev)
		}
		return err
	}
	// The new manifest is stored: what it names is the stored index now.
	keep := map[string]bool{}
	s.mu.Lock()
	s.rev = rev
	s.dirty = s.changes != changes
	s.named = s.named[:0:0]
	for _, p := range parts {
		s.saved[p.sb] = p.ref
		s.named = append(s.named, p.ref.ID)
		keep[p.ref.ID] = true
	}
	for sb, ref := range s.saved {
		if !keep[ref.ID] {
			delete(s.saved, sb)
		}
	}
	named := slices.Clone(s.named)
	s.mu.Unlock()
	s.prune(named)
	for _, id := range previous {
		if !keep[id] {
			// Best effort: a segment left behind is garbage no reader
			// looks at, and the next Save of this device tries no more.
			s.b.DeleteSegment(ctx, s.doctype, id)
		}
	}
	return nil
}

// compact merges segments (§7.2): the small ones, once more than
// opt.MaxSegments of them piled up (each Update that indexes something adds
// one), and those holding many deleted documents. The live documents of
// the segments chosen are read again and indexed anew, in batches, and the
// new segments take their place. Full segments (at least half a batch) with
// few deleted documents are left alone: merging them would cost as much as
// indexing them again, for little gain at query time.
func (s *Store) compact(ctx context.Context) error {
	live, err := s.x.snapshot()
	if err != nil {
		return err
	}
	maxSmall := s.opt.MaxSegments
	if maxSmall <= 0 {
		maxSmall = 8
	}
	full := uint64(s.opt.batch() / 2)
	var small, merge []liveSegment
	for _, ls := range live {
		n := ls.sb.Count()
		switch {
		case uint64(len(ls.deleted))*4 > n || len(ls.deleted) > 10_000:
			merge = append(merge, ls)
		case n < full:
			small = append(small, ls)
		}
	}
	if len(small) > maxSmall {
		merge = append(merge, small...)
	}
	if len(merge) == 0 || len(merge) == 1 && len(merge[0].deleted) == 0 {
		return nil
	}
	var ids []string
	for _, ls := range merge {
		l, err := ls.liveIDs()
		if err != nil {
			return err
		}
		ids = append(ids, l...)
	}
	docs := make([]Doc, 0, len(ids))
	for i := 0; i < len(ids); i += 1000 {
		chunk := ids[i:min(i+1000, len(ids))]
		got, err := s.contents(ctx, chunk, true)
		if err != nil {
			return err
		}
		for j, c := range got {
			docs = append(docs, Doc{ID: chunk[j], Content: c, Deleted: c == nil})
		}
		s.opt.progress("compact", i+len(chunk), len(ids))
	}
	// Indexing a document again deletes it from the segment it was in, so
	// the merged segments end up holding nothing live and leave the index.
	for i := 0; i < len(docs); i += s.opt.batch() {
		if err := s.x.PutMany(docs[i:min(i+s.opt.batch(), len(docs))]); err != nil {
			return err
		}
	}
	return nil
}
