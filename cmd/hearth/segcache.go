package main

import (
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/client/search"
)

// segmentCache keeps the sealed index segments this device downloaded in
// the state folder (index/<account>/<doctype>/<segment id>, mode 0600),
// so that a search does not download the whole index again: a segment
// never changes, and a copy is used only if its length and SHA-256 are
// the ones the verified manifest names (then it is opened and checked as
// a download is). It is a search.Backend.
type segmentCache struct {
	*client.Client
	dir string
}

func newSegmentCache(c *client.Client) (*segmentCache, error) {
	h, err := home()
	if err != nil {
		return nil, err
	}
	st := c.State()
	return &segmentCache{Client: c, dir: filepath.Join(h, "index", accountKey(st.Server, st.User))}, nil
}

func (sc *segmentCache) path(doctype, id string) string { return filepath.Join(sc.dir, doctype, id) }

// GetSegment is client.GetSegment, from the cache when it holds the
// segment.
func (sc *segmentCache) GetSegment(ctx context.Context, doctype, format string, ref client.SegmentRef) ([]byte, error) {
	if b, err := os.ReadFile(sc.path(doctype, ref.ID)); err == nil &&
		int64(len(b)) == ref.Size && sha256.Sum256(b) == [sha256.Size]byte(ref.Digest) {
		return sc.OpenSegment(ctx, doctype, format, ref, b)
	}
	sealed, err := sc.FetchSegment(ctx, doctype, ref)
	if err != nil {
		return nil, err
	}
	writeFile(sc.path(doctype, ref.ID), sealed) // best effort: a cache
	return sc.OpenSegment(ctx, doctype, format, ref, sealed)
}

// prune deletes the cached segments of doctype that s's stored manifest
// does not name.
func (sc *segmentCache) prune(s *search.Store) {
	keep := map[string]bool{}
	for _, id := range s.StoredSegments() {
		keep[id] = true
	}
	entries, _ := os.ReadDir(filepath.Join(sc.dir, s.Doctype()))
	for _, e := range entries {
		if !keep[e.Name()] {
			os.Remove(filepath.Join(sc.dir, s.Doctype(), e.Name()))
		}
	}
}
