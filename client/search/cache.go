package search

import (
	"context"

	"github.com/hearthcloud/hearth/client"
)

// Cache keeps bytes by key on the device, across runs: the CLI in its state
// folder, Home's search worker in IndexedDB. A Store keeps there the sealed
// segments it downloaded, under "<doctype>/<segment id>" (the caller keeps
// accounts apart). Its failures are misses.
type Cache interface {
	Get(key string) []byte
	Put(key string, b []byte)
	// Prune deletes the keys that start with prefix, but prefix+k for each
	// k of keep.
	Prune(prefix string, keep []string)
}

// fetcher is a Backend that downloads and opens segments in two steps
// (*client.Client), so that what is downloaded can be kept.
type fetcher interface {
	FetchSegment(ctx context.Context, doctype string, ref client.SegmentRef) ([]byte, error)
	OpenSegment(ctx context.Context, doctype, format string, ref client.SegmentRef, sealed []byte) ([]byte, error)
}

// segment returns the segment ref names: from the cache, else downloaded,
// checked against the manifest (length and digest) and kept. A kept copy
// is used if its length is the manifest's; it is then opened and checked
// as a download is (its seal binds the doctype and the segment's
// identifier, which is never used twice). The digest is not computed again:
// that would cost a second per 50 MiB in WebAssembly, for what the seal
// already proves. A copy that does not open is downloaded again.
func (s *Store) segment(ctx context.Context, ref client.SegmentRef) ([]byte, error) {
	f, ok := s.b.(fetcher)
	c := s.opt.Cache
	if c == nil || !ok {
		return s.b.GetSegment(ctx, s.doctype, SegmentFormat, ref)
	}
	key := s.doctype + "/" + ref.ID
	if sealed := c.Get(key); int64(len(sealed)) == ref.Size {
		if data, err := f.OpenSegment(ctx, s.doctype, SegmentFormat, ref, sealed); err == nil {
			return data, nil
		}
	}
	sealed, err := f.FetchSegment(ctx, s.doctype, ref)
	if err != nil {
		return nil, err
	}
	c.Put(key, sealed)
	return f.OpenSegment(ctx, s.doctype, SegmentFormat, ref, sealed)
}

// prune drops the cached segments of the doctype that named, the segments
// of the stored manifest, leaves out.
func (s *Store) prune(named []string) {
	if s.opt.Cache != nil {
		s.opt.Cache.Prune(s.doctype+"/", named)
	}
}
