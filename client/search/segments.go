package search

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/blevesearch/bleve/v2/index/scorch"
	index "github.com/blevesearch/bleve_index_api"
	segment "github.com/blevesearch/scorch_segment_api/v2"
	zap "github.com/blevesearch/zapx/v17"
	"github.com/golang/snappy"
)

// An index is persisted as its segments (spec/protocol.md §7.1): each the
// bytes of one zap segment as scorch keeps it in memory (format zap,
// version SegmentVersion), with the ids of the documents deleted from it
// since. Loading them back gives the same hits with the same scores.
//
// Scorch has no public way to take in a segment built elsewhere. Every
// Index uses segment plugin "hearth-zap" version 17, which is zap version
// 17 except that building a segment for a batch of one marker document
// hands over a segment loaded from bytes instead.

// SegmentFormat names the format of exported segments, for the blob's
// metadata type (§7.1); a different format is re-indexed, never loaded.
const SegmentFormat = "application/vnd.hearth.index-segment; engine=bleve-scorch; zap=17; compress=snappy"

// maxSegment bounds a segment's size once decompressed.
const maxSegment = 1 << 30

// Compress and Decompress turn a segment's bytes (Segment.Data) into what
// is sealed in the blob and back (§7.1: snappy's block format, which
// halves the size for a few milliseconds per megabyte). A blob that does not
// decompress gives ErrFormat.
func Compress(data []byte) []byte { return snappy.Encode(nil, data) }

// Decompress: see Compress.
func Decompress(b []byte) ([]byte, error) {
	n, err := snappy.DecodedLen(b)
	// Snappy expands at most about 22 times (a copy of 64 bytes in 3);
	// a length beyond that is a lie, refused before it is allocated.
	if err != nil || n > maxSegment || n > 24*len(b)+64 {
		return nil, ErrFormat
	}
	out, err := snappy.Decode(nil, b)
	if err != nil {
		return nil, fmt.Errorf("%w (%v)", ErrFormat, err)
	}
	return out, nil
}

// SegmentVersion is the zap version of exported segments.
const SegmentVersion = zap.Version

// Segment is one exported segment.
type Segment struct {
	Data    []byte   // the zap segment
	Deleted []string // ids of its documents deleted since it was built
	Docs    uint64   // documents it holds, deleted or not
}

// ErrFormat means exported segments cannot be loaded: another format or
// version, or bytes that are not a segment. The caller re-indexes.
var ErrFormat = errors.New("search: not a segment of this format; re-index")

const pluginType = "hearth-zap"

type plugin struct{ *zap.ZapPlugin }

func (plugin) Type() string    { return pluginType }
func (plugin) Version() uint32 { return zap.Version }

var (
	preloadMu sync.Mutex
	preloaded = map[string]segment.Segment{}
)

func (p plugin) New(results []index.Document) (segment.Segment, uint64, error) {
	return p.NewUsing(results, nil)
}

func (p plugin) NewUsing(results []index.Document, config map[string]interface{}) (segment.Segment, uint64, error) {
	if len(results) == 1 {
		preloadMu.Lock()
		sb, ok := preloaded[results[0].ID()]
		delete(preloaded, results[0].ID())
		preloadMu.Unlock()
		if ok {
			return sb, 0, nil
		}
	}
	return p.ZapPlugin.NewUsing(results, config)
}

func init() {
	scorch.RegisterSegmentPlugin(plugin{&zap.ZapPlugin{}}, false)
}

// scorchConfig makes an index use the plugin.
func scorchConfig() map[string]interface{} {
	return map[string]interface{}{"forceSegmentType": pluginType, "forceSegmentVersion": int(zap.Version)}
}

// liveSegment is one segment of the index as it is now.
type liveSegment struct {
	sb      *zap.SegmentBase
	deleted []uint64 // its document numbers deleted since
}

// snapshot returns the index's segments, oldest first.
func (x *Index) snapshot() ([]liveSegment, error) {
	ai, err := x.idx.Advanced()
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	r, err := ai.Reader()
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	defer r.Close()
	snap, ok := r.(*scorch.IndexSnapshot)
	if !ok {
		return nil, fmt.Errorf("search: the index is not scorch (%T)", r)
	}
	var out []liveSegment
	for _, ss := range snap.Segments() {
		sb, ok := ss.Segment().(*zap.SegmentBase)
		if !ok {
			return nil, fmt.Errorf("search: a segment of another kind (%T)", ss.Segment())
		}
		ls := liveSegment{sb: sb}
		if del := ss.Deleted(); del != nil {
			it := del.Iterator()
			for it.HasNext() {
				ls.deleted = append(ls.deleted, uint64(it.Next()))
			}
		}
		out = append(out, ls)
	}
	return out, nil
}

// deletedIDs returns the ids of the segment's deleted documents.
func (ls liveSegment) deletedIDs() ([]string, error) {
	out := make([]string, 0, len(ls.deleted))
	for _, n := range ls.deleted {
		id, err := ls.sb.DocID(n)
		if err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		out = append(out, string(id))
	}
	return out, nil
}

// liveIDs returns the ids of the segment's documents not deleted.
func (ls liveSegment) liveIDs() ([]string, error) {
	del := make(map[uint64]bool, len(ls.deleted))
	for _, n := range ls.deleted {
		del[n] = true
	}
	var out []string
	for n := range ls.sb.Count() {
		if del[n] {
			continue
		}
		id, err := ls.sb.DocID(n)
		if err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		out = append(out, string(id))
	}
	return out, nil
}

// bytes returns the segment as exported.
func (ls liveSegment) bytes() ([]byte, error) {
	var buf bytes.Buffer
	if _, err := ls.sb.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	return buf.Bytes(), nil
}

// Segments exports the index: its segments as they are now, oldest first.
func (x *Index) Segments() ([]Segment, error) {
	live, err := x.snapshot()
	if err != nil {
		return nil, err
	}
	var out []Segment
	for _, ls := range live {
		data, err := ls.bytes()
		if err != nil {
			return nil, err
		}
		del, err := ls.deletedIDs()
		if err != nil {
			return nil, err
		}
		out = append(out, Segment{Data: data, Deleted: del, Docs: ls.sb.Count()})
	}
	return out, nil
}

// Load returns an index of doctype made of exported segments, in their
// order. Segments of another format give ErrFormat.
func Load(doctype string, segs []Segment) (*Index, error) {
	x, err := New(doctype)
	if err != nil {
		return nil, err
	}
	for _, s := range segs {
		if _, err := x.add(s); err != nil {
			x.Close()
			return nil, err
		}
	}
	return x, nil
}

// add takes in one exported segment, then deletes what was deleted from
// it. It returns the segment as the index holds it.
func (x *Index) add(s Segment) (*zap.SegmentBase, error) {
	sb, err := openSegment(s.Data)
	if err != nil {
		return nil, err
	}
	if sb.Count() != s.Docs {
		return nil, fmt.Errorf("%w (it holds %d documents, not %d)", ErrFormat, sb.Count(), s.Docs)
	}
	var r [12]byte
	rand.Read(r[:])
	marker := "\x00hearth-import-" + base64.RawURLEncoding.EncodeToString(r[:])
	preloadMu.Lock()
	preloaded[marker] = sb
	preloadMu.Unlock()
	defer func() {
		preloadMu.Lock()
		delete(preloaded, marker)
		preloadMu.Unlock()
	}()
	b := x.idx.NewBatch()
	if err := b.Index(marker, map[string]any{}); err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	if err := x.idx.Batch(b); err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	if len(s.Deleted) > 0 {
		d := x.idx.NewBatch()
		for _, id := range s.Deleted {
			d.Delete(id)
		}
		if err := x.idx.Batch(d); err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
	}
	return sb, nil
}

// openSegment reads the bytes SegmentBase.WriteTo wrote: the segment, then
// a footer (writer id, its length, document count, stored and sections
// index offsets, chunk mode, version, CRC), all big-endian.
func openSegment(b []byte) (sb *zap.SegmentBase, err error) {
	n := len(b)
	if n < zap.FooterSize {
		return nil, ErrFormat
	}
	crc := binary.BigEndian.Uint32(b[n-4:])
	ver := binary.BigEndian.Uint32(b[n-8:])
	chunk := binary.BigEndian.Uint32(b[n-12:])
	sections := binary.BigEndian.Uint64(b[n-20:])
	stored := binary.BigEndian.Uint64(b[n-28:])
	numDocs := binary.BigEndian.Uint64(b[n-36:])
	idLen := binary.BigEndian.Uint32(b[n-40:])
	mem := b[:n-zap.FooterSize]
	if ver != zap.Version || idLen != 0 || sections > uint64(len(mem)) || stored > uint64(len(mem)) || numDocs > uint64(len(mem)) {
		return nil, ErrFormat
	}
	// The bytes come from a sealed blob only key holders write; a bad one
	// (a bug, another version) must still not bring the client down.
	defer func() {
		if r := recover(); r != nil {
			sb, err = nil, fmt.Errorf("%w (%v)", ErrFormat, r)
		}
	}()
	sb, err = zap.InitSegmentBase(mem, crc, chunk, numDocs, stored, sections, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("%w (%v)", ErrFormat, err)
	}
	return sb, nil
}
