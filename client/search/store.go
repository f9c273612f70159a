package search

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	zap "github.com/blevesearch/zapx/v17"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/internal/appmanifest"
)

// Backend is what a Store needs of the server: *client.Client and
// *client.App both are one (an app reaches only the doctypes its grant
// covers, and the server refuses it the others' segments and manifests).
type Backend interface {
	GetManifest(ctx context.Context, doctype string) ([]byte, uint64, error)
	PutManifest(ctx context.Context, doctype string, ifRev uint64, content []byte) (uint64, error)
	PutSegment(ctx context.Context, doctype, format string, data []byte) (client.SegmentRef, error)
	GetSegment(ctx context.Context, doctype, format string, ref client.SegmentRef) ([]byte, error)
	DeleteSegment(ctx context.Context, doctype, id string) error
	Changes(ctx context.Context, doctype string, since uint64, fn func([]client.Change) error) (uint64, error)
	GetMany(ctx context.Context, doctype string, ids []string) ([]*client.Doc, error)
}

// Store is the search index of one doctype, kept in the client's memory,
// stored on the server as sealed segments under a sealed manifest (§7.4)
// and brought up to date from the doctype's changes feed. Its methods may
// be called from several goroutines.
type Store struct {
	b       Backend
	doctype string
	opt     Options

	mu       sync.Mutex
	x        *Index
	seq      uint64                                 // feed seq the index reflects
	chain    []byte                                 // the feed's chain at seq, when verified (nil at 0, or not verified)
	rev      uint64                                 // manifest revision the index came from or wrote
	saved    map[*zap.SegmentBase]client.SegmentRef // segments stored on the server
	named    []string                               // segment ids the manifest at rev names
	manifest *Manifest                              // the manifest at rev, when it could be read
	cache    map[string][]byte                      // content of documents indexed, by id (opt.CacheBytes)
	cached   int                                    // bytes in cache
	dirty    bool                                   // changes since the index was last stored
	changes  uint64                                 // counts the changes indexed, for Save
	saveMu   sync.Mutex                             // held by Save
	// Rebuilt, when not nil, says why the stored index was not used.
	rebuilt error
}

// Options tune a Store; the zero value is the default.
type Options struct {
	// Progress, if not nil, is told of long work: stage is "download",
	// "load", "index" or "compact"; done and total count documents (or
	// segments for download and load; total is 0 when unknown).
	Progress func(stage string, done, total int)
	// BatchDocs is the most documents indexed in one segment when
	// building (default 5,000). Memory peaks with it (about 800 MiB at
	// 5,000 notes of 1 KB, twice that at 20,000, in BENCHMARKS.md).
	BatchDocs int
	// MaxSegments is how many small segments (under half a batch) trigger
	// a compaction (default 8).
	MaxSegments int
	// Rebuild builds the index from the documents even if one is stored;
	// Save then replaces the stored one.
	Rebuild bool
	// Cache, if not nil, keeps the sealed segments downloaded, so that
	// opening the index again does not download them again (cache.go).
	Cache Cache
	// CacheBytes bounds the documents' content kept in memory (default 32
	// MiB; negative: none). Search opens hits from there, and asks the
	// server only for the others, in identifier order (§1.2).
	CacheBytes int
}

func (o *Options) cacheBytes() int {
	switch {
	case o.CacheBytes < 0:
		return 0
	case o.CacheBytes == 0:
		return 32 << 20
	}
	return o.CacheBytes
}

func (o *Options) progress(stage string, done, total int) {
	if o.Progress != nil {
		o.Progress(stage, done, total)
	}
}

func (o *Options) batch() int {
	if o.BatchDocs > 0 {
		return o.BatchDocs
	}
	return 5_000
}

// Open returns the index of doctype: the stored one, loaded and brought up
// to date from the changes feed, or, if there is none or it cannot be
// used (a format this client does not know, a segment that fails
// verification), one rebuilt from the documents (Rebuilt says why). A
// doctype with no documents gives an empty index.
func Open(ctx context.Context, b Backend, doctype string, opt *Options) (*Store, error) {
	if appmanifest.Internal(doctype) {
		return nil, fmt.Errorf("search: %s holds Hearth's own records, which are never indexed", doctype)
	}
	s := &Store{b: b, doctype: doctype, saved: map[*zap.SegmentBase]client.SegmentRef{}}
	if opt != nil {
		s.opt = *opt
	}
	var err error
	if s.opt.Rebuild {
		err = s.readManifest(ctx)
		if err == nil || rebuildable(err) {
			err = errRebuild
		}
	} else {
		err = s.load(ctx)
	}
	if errors.Is(err, errRebuild) {
		if err := s.rebuild(ctx); err != nil {
			return nil, err
		}
		return s, nil
	}
	if err != nil {
		if ctx.Err() != nil || !rebuildable(err) {
			return nil, err
		}
		if !errors.Is(err, client.ErrNotFound) && !errors.Is(err, ErrOldMapping) {
			s.rebuilt = err
		}
		if err := s.rebuild(ctx); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// rebuildable reports whether err, from loading the stored index, means
// building it again from the documents: none stored, or one that is not
// usable. Network and authorization errors are the caller's.
func rebuildable(err error) bool {
	return errors.Is(err, client.ErrNotFound) || errors.Is(err, client.ErrIntegrity) ||
		errors.Is(err, ErrManifest) || errors.Is(err, ErrFormat)
}

// Rebuilt returns why the stored index was not used and the index was
// rebuilt from the documents instead, or nil. An integrity error here
// means the host altered or swapped what was stored. An index of an older
// mapping (ErrOldMapping), which is rebuilt once after an upgrade of the
// client, is not reported.
func (s *Store) Rebuilt() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rebuilt
}

// Doctype returns the doctype the index covers.
func (s *Store) Doctype() string { return s.doctype }

var errRebuild = errors.New("search: rebuild asked for")

// readManifest reads and checks the stored manifest, and remembers its
// revision and the segments it names (which Save deletes once it replaced
// them).
func (s *Store) readManifest(ctx context.Context) error {
	content, rev, err := s.b.GetManifest(ctx, s.doctype)
	if err != nil {
		return err
	}
	s.rev = rev
	m, err := ParseManifest(content)
	if err != nil {
		return err
	}
	s.manifest = m
	for _, ms := range m.Segments {
		s.named = append(s.named, ms.ID)
	}
	return nil
}

// load reads the manifest and its segments, then catches up.
func (s *Store) load(ctx context.Context) error {
	if err := s.readManifest(ctx); err != nil {
		return err
	}
	m := s.manifest
	x, err := New(s.doctype)
	if err != nil {
		return err
	}
	saved := map[*zap.SegmentBase]client.SegmentRef{}
	// Segments are fetched (downloaded, checked, opened) one ahead of the
	// one being loaded: the network works while the client decompresses
	// and loads, also under WebAssembly, where fetch runs outside Go.
	type fetched struct {
		data []byte
		err  error
	}
	ahead := make(chan fetched, 1)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer close(ahead)
		for _, ms := range m.Segments {
			ref := client.SegmentRef{ID: ms.ID, Size: ms.Size, Digest: ms.Digest}
			data, err := s.segment(ctx, ref)
			select {
			case ahead <- fetched{data, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	for i, ms := range m.Segments {
		s.opt.progress("download", i, len(m.Segments))
		f := <-ahead
		sealed, err := f.data, f.err
		if err != nil {
			x.Close()
			return err
		}
		s.opt.progress("load", i, len(m.Segments))
		ref := client.SegmentRef{ID: ms.ID, Size: ms.Size, Digest: ms.Digest}
		data, err := Decompress(sealed)
		if err != nil {
			x.Close()
			return err
		}
		sb, err := x.add(Segment{Data: data, Deleted: ms.Deleted, Docs: ms.Docs})
		if err != nil {
			x.Close()
			return err
		}
		saved[sb] = ref
	}
	s.opt.progress("load", len(m.Segments), len(m.Segments))
	if n, err := x.Count(); err != nil || n != m.Docs {
		x.Close()
		return fmt.Errorf("%w: the segments hold %d documents once loaded, the manifest says %d", ErrManifest, n, m.Docs)
	}
	s.x, s.seq, s.chain, s.saved = x, m.Seq, m.Chain, saved
	if _, err := s.catchUp(ctx); err != nil {
		x.Close()
		s.x = nil
		return err
	}
	s.prune(s.named)
	return nil
}

// rebuild indexes every document of the doctype anew.
func (s *Store) rebuild(ctx context.Context) error {
	x, err := New(s.doctype)
	if err != nil {
		return err
	}
	if s.x != nil {
		s.x.Close()
	}
	s.x, s.seq, s.chain, s.saved = x, 0, nil, map[*zap.SegmentBase]client.SegmentRef{}
	s.dirty = true
	s.changes++
	if _, err := s.catchUp(ctx); err != nil {
		return err
	}
	return nil
}

// catchUp indexes the doctype's changes after s.seq, in batches of at
// most opt.batch() documents. It returns how many changes it applied.
func (s *Store) catchUp(ctx context.Context) (int, error) {
	var pend []Doc
	n := 0
	flush := func() error {
		if len(pend) == 0 {
			return nil
		}
		if err := s.x.PutMany(pend); err != nil {
			return err
		}
		n += len(pend)
		s.opt.progress("index", n, 0)
		pend = pend[:0]
		return nil
	}
	apply := func(chs []client.Change) error {
		for _, ch := range chs {
			if ch.Doc == nil {
				continue
			}
			// A later change of the same document in one batch wins.
			pend = append(pend, Doc{ID: ch.ID, Content: ch.Doc.Content, Deleted: ch.Deleted})
			s.remember(ch.ID, ch.Doc.Content, ch.Deleted)
			if len(pend) >= s.opt.batch() {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		return nil
	}
	// With the account's session, the changes are checked against the
	// unfiltered, chained feed from the chain the index covers (§7.4); an
	// app's filtered feed cannot be (§8.6.4), and then the index's position
	// has no chain either.
	var seq uint64
	var chain []byte
	var err error
	if v, ok := s.b.(verifier); ok && (s.seq == 0 || s.chain != nil) {
		seq, chain, err = v.VerifiedChanges(ctx, s.doctype, s.seq, s.chain, apply)
	} else {
		seq, err = s.b.Changes(ctx, s.doctype, s.seq, apply)
	}
	if err == nil {
		err = flush()
	}
	if err != nil {
		return n, err
	}
	if n > 0 {
		s.dirty = true
		s.changes++
	}
	s.seq, s.chain = seq, chain
	return n, nil
}

// verifier is a Backend that can check the doctype's changes against the
// unfiltered feed (*client.Client: the account's session).
type verifier interface {
	VerifiedChanges(ctx context.Context, doctype string, since uint64, chain []byte, fn func([]client.Change) error) (uint64, []byte, error)
}

// remember keeps a document's content in the cache, within its budget, or
// forgets it (deleted).
func (s *Store) remember(id string, content []byte, deleted bool) {
	if s.cache == nil {
		s.cache = map[string][]byte{}
	}
	if old, ok := s.cache[id]; ok {
		s.cached -= len(old)
		delete(s.cache, id)
	}
	if deleted || s.cached+len(content) > s.opt.cacheBytes() {
		return
	}
	s.cache[id] = content
	s.cached += len(content)
}

// contents returns the current content of documents ids (nil for one
// deleted since the index caught up): from the cache, and the others from
// the server, asked for in identifier order, a thousand at a time. A
// document the index holds that the server says was never written is an
// integrity error (the host hides it). held says the caller holds s.mu.
func (s *Store) contents(ctx context.Context, ids []string, held bool) ([][]byte, error) {
	out := make([][]byte, len(ids))
	var missing []string
	if !held {
		s.mu.Lock()
	}
	for i, id := range ids {
		if c, ok := s.cache[id]; ok {
			out[i] = c
		} else {
			missing = append(missing, id)
		}
	}
	if !held {
		s.mu.Unlock()
	}
	if len(missing) == 0 {
		return out, nil
	}
	slices.Sort(missing)
	missing = slices.Compact(missing)
	got := map[string][]byte{}
	for i := 0; i < len(missing); i += 1000 {
		chunk := missing[i:min(i+1000, len(missing))]
		docs, err := s.b.GetMany(ctx, s.doctype, chunk)
		if err != nil {
			return nil, err
		}
		for j, d := range docs {
			switch {
			case d == nil:
				return nil, fmt.Errorf("%w: %s/%s is in the index, and the server says it was never written", client.ErrIntegrity, s.doctype, chunk[j])
			case !d.Deleted:
				got[chunk[j]] = d.Content
			}
		}
	}
	for i, id := range ids {
		if out[i] == nil {
			out[i] = got[id]
		}
	}
	return out, nil
}

// Update brings the index up to date with the doctype's changes feed and
// returns how many changes it indexed.
func (s *Store) Update(ctx context.Context) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.catchUp(ctx)
}

// StoredSegments returns the ids of the segments the stored manifest names,
// as this Store last read or wrote it.
func (s *Store) StoredSegments() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.named)
}

// Seq returns the changes-feed position the index reflects.
func (s *Store) Seq() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seq
}

// Count returns how many documents the index holds.
func (s *Store) Count() (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.x.Count()
}

// Close releases the index.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.x.Close()
}
