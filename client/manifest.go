package client

import (
	"context"
	"errors"
	"strconv"

	"github.com/hearthcloud/hearth/crypto/seal"
	"github.com/hearthcloud/hearth/internal/wire"
)

// A doctype's search index is a set of immutable segments (blobs of
// purpose index) and one mutable manifest naming them (§7, §8.8). The
// manifest is sealed like a document under the doctype's manifest key and
// checked like one: revisions never go back, a revision this device saw
// never changes, and each follows the one before (§5.5).

func manifestPath(doctype string) string { return "/v1/index/" + pathEscape(doctype) + "/manifest" }

func (c *Client) knownManifest(doctype string) DocState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st.Manifests[doctype]
}

func (c *Client) recordManifest(doctype string, ds DocState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.st.Manifests == nil {
		c.st.Manifests = map[string]DocState{}
	}
	recordIn(c.st.Manifests, doctype, ds)
	c.src.sawGenLocked(doctype, ds.Gen)
}

// Manifests returns what this device remembers of index manifests, by
// doctype (also in State().Manifests).
func (c *Client) Manifests() map[string]DocState {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]DocState, len(c.st.Manifests))
	for dt, ds := range c.st.Manifests {
		out[dt] = ds
	}
	return out
}

// RememberManifests adds what another client of this device remembered of
// index manifests (Manifests), keeping the higher revision of each: Home's
// search worker, which stores no session state, keeps this across page
// loads, so that a manifest rolled back is refused there too.
func (c *Client) RememberManifests(m map[string]DocState) {
	for dt, ds := range m {
		if wire.CheckDoctype(dt) == nil && (ds.Digest == nil || len(ds.Digest) == seal.DigestSize) {
			c.recordManifest(dt, ds)
		}
	}
}

// GetManifest reads, verifies and opens the current revision of doctype's
// index manifest, and returns its content and revision. A manifest never
// written gives ErrNotFound; one this device saw and the server no longer
// serves is an integrity error.
func (c *Client) GetManifest(ctx context.Context, doctype string) ([]byte, uint64, error) {
	if err := wire.CheckDoctype(doctype); err != nil {
		return nil, 0, err
	}
	d, _, err := c.fetchManifest(ctx, doctype)
	if err != nil {
		return nil, 0, err
	}
	return d.Content, d.Rev, nil
}

func (c *Client) fetchManifest(ctx context.Context, doctype string) (*seal.Document, DocState, error) {
	known := c.knownManifest(doctype)
	where := "the index manifest of " + doctype
	res, rev, err := c.getRecord(ctx, manifestPath(doctype), where, known)
	if err != nil {
		return nil, DocState{}, err
	}
	d, ds, err := c.openRecord(ctx, doctype, where, rev, res.body, known, nil, func(ks *seal.KeySet) (*seal.Document, error) {
		return seal.OpenManifest(ks, doctype, rev, res.body)
	})
	if err != nil {
		return nil, DocState{}, err
	}
	c.recordManifest(doctype, ds)
	return d, ds, nil
}

// PutManifest writes content as the next revision of doctype's index
// manifest, after the revision ifRev (0: the manifest must not exist
// yet), sealed with the doctype's current key. Another writer's revision in
// between gives an *APIError with Code "conflict" and Rev set: read
// the manifest again and merge. The doctype must have a key already (an
// index of a doctype without documents has nothing to name).
func (c *Client) PutManifest(ctx context.Context, doctype string, ifRev uint64, content []byte) (uint64, error) {
	if err := wire.CheckDoctype(doctype); err != nil {
		return 0, err
	}
	if len(content) == 0 {
		return 0, errors.New("client: an index manifest needs content")
	}
	cur := c.knownManifest(doctype)
	if cur.Rev != ifRev || ifRev > 0 && cur.Digest == nil {
		// This device has not seen revision ifRev itself: read it first, so
		// that the new revision chains to what it verified.
		_, ds, err := c.fetchManifest(ctx, doctype)
		switch {
		case errors.Is(err, ErrNotFound) && ifRev == 0:
			cur = DocState{}
		case err != nil:
			return 0, err
		default:
			cur = ds
		}
		if cur.Rev != ifRev {
			return 0, &APIError{Status: 409, Code: "conflict", Rev: cur.Rev,
				Message: "the index manifest is at revision " + strconv.FormatUint(cur.Rev, 10)}
		}
	}
	ks, err := c.keys(ctx, doctype, 0, false)
	if err != nil {
		return 0, err
	}
	if ks == nil {
		return 0, errors.New("client: " + doctype + " has no key yet: write a document of it first")
	}
	k := ks.Current()
	if k.Gen() < cur.Gen {
		return 0, integrity("the index manifest of %s was sealed with key generation %d, newer than this device's %d", doctype, cur.Gen, k.Gen())
	}
	var prev seal.Digest
	copy(prev[:], cur.Digest)
	rev := cur.Rev + 1
	sealed, err := seal.SealManifest(k, doctype, rev, prev, content)
	if err != nil {
		return 0, err
	}
	r := request{method: "PUT", path: manifestPath(doctype), ctype: "application/octet-stream", body: sealed, hdr: map[string]string{}}
	if cur.Rev == 0 {
		r.hdr["If-None-Match"] = "*"
	} else {
		r.hdr["If-Match"] = `"` + strconv.FormatUint(cur.Rev, 10) + `"`
	}
	res, err := c.call(ctx, r)
	if err != nil {
		return 0, err
	}
	var ans struct {
		Rev uint64 `json:"rev"`
	}
	if err := jsonUnmarshal(res.body, &ans); err != nil || ans.Rev != rev {
		return 0, integrity("the server answered revision %d to an index manifest sealed for revision %d", ans.Rev, rev)
	}
	dg := seal.DigestOf(sealed)
	c.recordManifest(doctype, DocState{Rev: rev, Digest: dg[:], Gen: k.Gen()})
	return rev, nil
}

// GetManifest reads doctype's index manifest as Client.GetManifest (verb
// read).
func (a *App) GetManifest(ctx context.Context, doctype string) ([]byte, uint64, error) {
	if err := a.allow(doctype, VerbRead); err != nil {
		return nil, 0, err
	}
	return a.c.GetManifest(ctx, doctype)
}

// PutManifest writes doctype's index manifest as Client.PutManifest (verb
// write).
func (a *App) PutManifest(ctx context.Context, doctype string, ifRev uint64, content []byte) (uint64, error) {
	if err := a.allow(doctype, VerbWrite); err != nil {
		return 0, err
	}
	return a.c.PutManifest(ctx, doctype, ifRev, content)
}
