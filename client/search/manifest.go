package search

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/hearthcloud/hearth/internal/wire"
)

// Manifest is the content of an index manifest (spec/protocol.md §7.2).
type Manifest struct {
	V        int               `json:"v"`
	Format   string            `json:"format"`
	Mapping  string            `json:"mapping"`
	Seq      uint64            `json:"seq"`
	Chain    []byte            `json:"chain,omitempty"` // the feed's chain at Seq, when verified
	Docs     uint64            `json:"docs"`
	Segments []ManifestSegment `json:"segments"`
}

// ManifestSegment is one segment a manifest names.
type ManifestSegment struct {
	ID      string   `json:"id"`
	Size    int64    `json:"size"`
	Digest  []byte   `json:"digest"`
	Docs    uint64   `json:"docs"`
	Deleted []string `json:"deleted,omitempty"`
}

// ErrManifest wraps a manifest this client must not load (§7.2): another
// version, format or mapping, or one that breaks the rules. The index is
// rebuilt.
var ErrManifest = errors.New("search: the index manifest cannot be loaded")

// ErrOldMapping is the ErrManifest of an index of a mapping this client
// replaced (OldMappings): it is rebuilt as a matter of course, which
// Store.Rebuilt does not report.
var ErrOldMapping = fmt.Errorf("%w: the index is of an older mapping", ErrManifest)

const (
	maxManifestDocs = 1_000_000_000
	maxSeq          = 1 << 53
)

// ParseManifest decodes and checks manifest content as §7.2 says.
func ParseManifest(b []byte) (*Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrManifest, err)
	}
	bad := func(f string, a ...any) (*Manifest, error) {
		return nil, fmt.Errorf("%w: "+f, append([]any{ErrManifest}, a...)...)
	}
	switch {
	case m.V != 1:
		return bad("version %d", m.V)
	case m.Segments == nil:
		return bad("no segments member")
	case m.Format != SegmentFormat:
		return bad("segment format %q", m.Format)
	case slices.Contains(OldMappings, m.Mapping):
		return nil, fmt.Errorf("%w (%q, now %q)", ErrOldMapping, m.Mapping, Mapping)
	case m.Mapping != Mapping:
		return bad("mapping %q", m.Mapping)
	case m.Seq > maxSeq:
		return bad("seq %d out of range", m.Seq)
	case m.Chain != nil && (len(m.Chain) != 32 || m.Seq == 0):
		return bad("chain malformed, or given at seq 0")
	case m.Docs > maxManifestDocs:
		return bad("%d documents", m.Docs)
	}
	ids := map[string]bool{}
	var live uint64
	for _, s := range m.Segments {
		if wire.CheckID(s.ID) != nil || ids[s.ID] {
			return bad("segment id %q malformed or named twice", s.ID)
		}
		ids[s.ID] = true
		if s.Size <= 0 || len(s.Digest) != 32 || s.Docs == 0 || s.Docs > maxManifestDocs || uint64(len(s.Deleted)) > s.Docs {
			return bad("segment %s: size, digest or counts malformed", s.ID)
		}
		del := map[string]bool{}
		for _, id := range s.Deleted {
			if wire.CheckID(id) != nil || del[id] {
				return bad("segment %s: deleted id %q malformed or named twice", s.ID, id)
			}
			del[id] = true
		}
		live += s.Docs - uint64(len(s.Deleted))
	}
	if live != m.Docs {
		return bad("the segments hold %d live documents, the manifest says %d", live, m.Docs)
	}
	return &m, nil
}
