package client

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"time"

	"github.com/hearthcloud/hearth/crypto/seal"
	"github.com/hearthcloud/hearth/internal/wire"
)

// A doctype's search index is stored as immutable segments, blobs of
// purpose index (§7.1, §8.8), named by the manifest (manifest.go). These
// are the segment calls and the doctype-filtered feed an index catches up
// with; package search builds on them.

func segmentPath(doctype, id string) string {
	return "/v1/index/" + pathEscape(doctype) + "/segments/" + pathEscape(id)
}

// SegmentRef is a stored segment as a manifest names it.
type SegmentRef struct {
	ID     string
	Size   int64  // length of the sealed blob
	Digest []byte // SHA-256 of the sealed blob
}

// PutSegment seals data, an index segment of the given format (§7.1), as a
// blob of purpose index under a fresh identifier with doctype's current
// key, uploads it and returns what a manifest names it by.
func (c *Client) PutSegment(ctx context.Context, doctype, format string, data []byte) (SegmentRef, error) {
	if err := wire.CheckDoctype(doctype); err != nil {
		return SegmentRef{}, err
	}
	ks, err := c.keys(ctx, doctype, 0, false)
	if err != nil {
		return SegmentRef{}, err
	}
	if ks == nil {
		return SegmentRef{}, errors.New("client: " + doctype + " has no key yet: write a document of it first")
	}
	id := wire.NewID()
	var buf bytes.Buffer
	bw, err := seal.NewBlobWriter(&buf, ks.Current(), seal.PurposeIndex, seal.BlobRef{Doctype: doctype, ID: id},
		seal.Meta{Name: id, Type: format, Size: int64(len(data))})
	if err != nil {
		return SegmentRef{}, err
	}
	if _, err := bw.Write(data); err != nil {
		return SegmentRef{}, err
	}
	if err := bw.Close(); err != nil {
		return SegmentRef{}, err
	}
	sealed := buf.Bytes()
	digest := sha256.Sum256(sealed)
	res, err := c.call(ctx, request{method: "PUT", path: segmentPath(doctype, id), ctype: "application/octet-stream",
		body: sealed, timeout: transferTimeout(len(sealed))})
	if err != nil {
		return SegmentRef{}, err
	}
	var ans struct {
		ID     string `json:"id"`
		Size   int64  `json:"size"`
		Digest []byte `json:"digest"`
	}
	if err := json.Unmarshal(res.body, &ans); err != nil || ans.ID != id || ans.Size != int64(len(sealed)) || !bytes.Equal(ans.Digest, digest[:]) {
		c.DeleteSegment(context.Background(), doctype, id)
		return SegmentRef{}, integrity("the server stored other bytes than were uploaded (index segment %s)", id)
	}
	return SegmentRef{ID: id, Size: int64(len(sealed)), Digest: digest[:]}, nil
}

// transferTimeout allows a large body a minute plus a second per MiB.
func transferTimeout(n int) time.Duration {
	return callTimeout + time.Duration(n>>20)*time.Second
}

// GetSegment downloads the segment ref of doctype, checks its length and
// digest before anything else, opens it and checks that it is a segment of
// format named ref.ID (§7.2). Any mismatch is ErrIntegrity: the caller
// rebuilds the index.
func (c *Client) GetSegment(ctx context.Context, doctype, format string, ref SegmentRef) ([]byte, error) {
	sealed, err := c.FetchSegment(ctx, doctype, ref)
	if err != nil {
		return nil, err
	}
	return c.OpenSegment(ctx, doctype, format, ref, sealed)
}

func checkSegmentRef(doctype string, ref SegmentRef) error {
	if err := wire.CheckDoctype(doctype); err != nil {
		return err
	}
	if checkDocID(ref.ID) != nil || ref.Size <= 0 || len(ref.Digest) != sha256.Size {
		return fmt.Errorf("client: malformed segment reference")
	}
	return nil
}

// FetchSegment downloads the sealed segment ref of doctype and checks its
// length and digest against ref (a mismatch is ErrIntegrity). OpenSegment
// opens what it returns; a client may keep it in between (the CLI caches
// segments).
func (c *Client) FetchSegment(ctx context.Context, doctype string, ref SegmentRef) ([]byte, error) {
	if err := checkSegmentRef(doctype, ref); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, transferTimeout(int(min(ref.Size, 1<<40))))
	defer cancel()
	req := &httpRequest{method: "GET", url: c.st.Server + segmentPath(doctype, ref.ID),
		header: map[string]string{"Authorization": "Bearer " + c.token()}}
	res, err := c.tr.roundTrip(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	defer res.body.Close()
	where := "index segment " + ref.ID + " of " + doctype
	if res.status != statusOK {
		b, _ := io.ReadAll(io.LimitReader(res.body, 1<<20))
		e := apiError(res, b)
		if errors.Is(e, ErrNotFound) {
			return nil, integrity("%s is named by the manifest but the server says it does not exist", where)
		}
		return nil, e
	}
	if res.contentLength >= 0 && res.contentLength != ref.Size {
		return nil, integrity("%s has the wrong size", where)
	}
	sealed, digest, err := readAllSHA256(res.body, ref.Size)
	if err != nil {
		return nil, fmt.Errorf("client: downloading %s: %w", where, err)
	}
	if int64(len(sealed)) != ref.Size || digest != [sha256.Size]byte(ref.Digest) {
		return nil, integrity("%s differs from the one the manifest names (altered or swapped)", where)
	}
	return sealed, nil
}

// OpenSegment opens sealed, the segment ref of doctype as FetchSegment
// returned it (or a copy of that the caller kept and checked against ref's
// digest again), and checks that it is a segment of format named ref.ID.
func (c *Client) OpenSegment(ctx context.Context, doctype, format string, ref SegmentRef, sealed []byte) (_ []byte, err error) {
	defer func() { err = c.halt(err) }()
	if err := checkSegmentRef(doctype, ref); err != nil {
		return nil, err
	}
	where := "index segment " + ref.ID + " of " + doctype
	if int64(len(sealed)) != ref.Size {
		return nil, integrity("%s has the wrong size", where)
	}
	ks, err := c.keys(ctx, doctype, blobGen(bufio.NewReader(bytes.NewReader(sealed))), false)
	if err != nil {
		return nil, err
	}
	if ks == nil {
		return nil, rolledBack("%s is sealed with a key the keyring lacks", where)
	}
	br, err := seal.OpenBlob(bytes.NewReader(sealed), ks, seal.PurposeIndex, seal.BlobRef{Doctype: doctype, ID: ref.ID})
	if err != nil {
		return nil, &integrityError{detail: where + " does not open", err: err}
	}
	m := br.Meta()
	if m.Name != ref.ID || m.Type != format || m.Size > ref.Size {
		return nil, integrity("%s is not a segment of the manifest's format", where)
	}
	var buf bytes.Buffer
	buf.Grow(int(m.Size) + 1) // one allocation; the +1 lets ReadFrom see the end
	if _, err := buf.ReadFrom(br); err != nil {
		return nil, &integrityError{detail: where + " does not authenticate", err: err}
	}
	return buf.Bytes(), nil
}

// readAllSHA256 reads body whole (up to size bytes, and one more to tell a
// longer body) and its SHA-256: in one piece, hashed by the browser, under
// js when it can (transport_js.go), else as a stream.
func readAllSHA256(body io.Reader, size int64) ([]byte, [sha256.Size]byte, error) {
	if w, ok := body.(interface {
		readAllSHA256(limit int64) ([]byte, [32]byte, bool, error)
	}); ok {
		if b, dg, ok, err := w.readAllSHA256(size + 1); ok {
			return b, dg, err
		}
	}
	b, err := io.ReadAll(io.LimitReader(body, size+1))
	if err != nil {
		return nil, [sha256.Size]byte{}, err
	}
	return b, sha256.Sum256(b), nil
}

// DeleteSegment deletes a segment no manifest names any more. One already
// gone is no error.
func (c *Client) DeleteSegment(ctx context.Context, doctype, id string) error {
	if err := wire.CheckDoctype(doctype); err != nil {
		return err
	}
	_, err := c.call(ctx, request{method: "DELETE", path: segmentPath(doctype, id)})
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// Changes reads the changes feed of doctype alone from seq since (§8.6.4)
// with the documents, calling fn with the changes of each page in order
// (each Change with its opened Doc; entries a later one superseded are left
// out), and returns the seq the feed was read to. It leaves the State's
// position alone: it is how an index catches up from the seq its manifest
// covers.
//
// A filtered feed cannot be checked against the chain (§8.6.4); what is
// checked is the scoped feed's order, each body against its digest and the
// revisions this device remembers, and that every entry whose body is left
// out is superseded before the end.
func (c *Client) Changes(ctx context.Context, doctype string, since uint64, fn func([]Change) error) (uint64, error) {
	if err := wire.CheckDoctype(doctype); err != nil {
		return since, err
	}
	readable := map[string]bool{doctype: true}
	pending := map[string]uint64{} // doc id -> seq of an entry without body
	for {
		q := url.Values{"since": {strconv.FormatUint(since, 10)}, "include_docs": {"true"}, "limit": {"1000"}, "doctype": {doctype}}
		res, err := c.call(ctx, request{method: "GET", path: "/v1/changes?" + q.Encode()})
		if err != nil {
			return since, err
		}
		page, err := checkScopedFeed(res.body, since, readable)
		if err != nil {
			return since, err
		}
		var out []Change
		for _, ch := range page.Changes {
			delete(pending, ch.ID)
			if ch.Sealed == nil {
				pending[ch.ID] = ch.Seq
				continue
			}
			known := c.known(doctype, ch.ID)
			var dg seal.Digest
			copy(dg[:], ch.Digest)
			d, ds, err := c.openDoc(ctx, doctype, ch.ID, ch.Rev, ch.Sealed, ch.Deleted, known, &dg)
			if err != nil {
				return since, err
			}
			c.record(doctype, ch.ID, ds)
			out = append(out, Change{Seq: ch.Seq, Doctype: doctype, ID: ch.ID, Rev: ch.Rev, Deleted: d.Deleted(), Digest: ch.Digest,
				Doc: &Doc{Doctype: doctype, ID: ch.ID, Rev: ch.Rev, Content: d.Content, Deleted: d.Deleted()}})
		}
		if !page.More && len(pending) > 0 {
			for id := range pending {
				return since, integrity("%s/%s: the changes feed ends without the body of an entry and without a later revision (body withheld, or entry injected)", doctype, id)
			}
		}
		if len(out) > 0 {
			if err := fn(out); err != nil {
				return since, err
			}
		}
		since = page.LastSeq
		if !page.More {
			return since, nil
		}
		if err := ctx.Err(); err != nil {
			return since, err
		}
	}
}

// VerifiedChanges is Changes checked against the unfiltered changes feed
// (§8.6.3): it first reads the feed's entries from since, without bodies,
// verifying their chain from chain (the chain at since; nil at 0), and
// keeps, for doctype, the last entry of each document; then it reads the
// doctype's feed with bodies (Changes) and checks that every entry it
// gives up to the verified end is the verified one (same seq, revision,
// digest, deletion) and that none is missing. So a host cannot hide,
// alter or invent a change of the doctype. Entries past the verified end
// (writes in between) go to fn unverified; the returned position and its
// chain are the verified end's, from which the next call starts.
//
// It needs the account's session: an app reads a scoped feed, which has
// no chain to verify (§8.6.4), and gets ErrNotGranted.
func (c *Client) VerifiedChanges(ctx context.Context, doctype string, since uint64, chain []byte, fn func([]Change) error) (_ uint64, _ []byte, err error) {
	defer func() { err = c.halt(err) }()
	c.mu.Lock()
	scoped := c.src.scopeLocked() != nil
	c.mu.Unlock()
	if scoped {
		return since, chain, fmt.Errorf("%w: an app cannot verify the changes feed", ErrNotGranted)
	}
	if err := wire.CheckDoctype(doctype); err != nil {
		return since, chain, err
	}
	var cur [wire.ChainSize]byte
	if since > 0 {
		if len(chain) != wire.ChainSize {
			return since, chain, errors.New("client: a chain of 32 bytes is needed past seq 0")
		}
		copy(cur[:], chain)
	}
	type entry struct {
		seq, rev uint64
		digest   []byte
		deleted  bool
	}
	last := map[string]entry{}
	end := since
	for {
		q := url.Values{"since": {strconv.FormatUint(end, 10)}, "limit": {"1000"}}
		res, err := c.call(ctx, request{method: "GET", path: "/v1/changes?" + q.Encode()})
		if end > 0 && isCode(err, wire.CodeBadRequest) {
			return since, chain, rolledBack("the server's changes feed ends before seq %d, which an index covers (rolled back)", end)
		}
		if err != nil {
			return since, chain, err
		}
		page, next, err := checkFeed(res.body, end, cur)
		if err != nil {
			return since, chain, err
		}
		for _, ch := range page.Changes {
			if ch.Doctype == doctype {
				last[ch.ID] = entry{ch.Seq, ch.Rev, ch.Digest, ch.Deleted}
			}
		}
		end, cur = page.LastSeq, next
		if !page.More {
			break
		}
		if err := ctx.Err(); err != nil {
			return since, chain, err
		}
	}
	seen := map[string]bool{}
	_, err = c.Changes(ctx, doctype, since, func(chs []Change) error {
		for _, ch := range chs {
			v, ok := last[ch.ID]
			if ch.Seq > end {
				// Written since the verified pass (checked next time): it
				// supersedes the verified entry, so it must be newer.
				if ok && ch.Rev <= v.rev {
					return integrity("%s/%s: the doctype's changes feed gives revision %d after the verified revision %d (replayed)", doctype, ch.ID, ch.Rev, v.rev)
				}
				seen[ch.ID] = true
				continue
			}
			if !ok || v.seq != ch.Seq || v.rev != ch.Rev || !bytes.Equal(v.digest, ch.Digest) || v.deleted != ch.Deleted {
				return integrity("%s/%s: the doctype's changes feed gives revision %d at seq %d, which the verified feed does not have there (altered or injected)", doctype, ch.ID, ch.Rev, ch.Seq)
			}
			seen[ch.ID] = true
		}
		return fn(chs)
	})
	if err != nil {
		return since, chain, err
	}
	for id, v := range last {
		if !seen[id] {
			return since, chain, rolledBack("%s/%s: the doctype's changes feed leaves out revision %d (seq %d), which the verified feed has (hidden)", doctype, id, v.rev, v.seq)
		}
	}
	var out []byte
	if end > 0 {
		out = bytes.Clone(cur[:])
	}
	return end, out, nil
}

// PutSegment stores an index segment as Client.PutSegment (verb write).
func (a *App) PutSegment(ctx context.Context, doctype, format string, data []byte) (SegmentRef, error) {
	if err := a.allow(doctype, VerbWrite); err != nil {
		return SegmentRef{}, err
	}
	return a.c.PutSegment(ctx, doctype, format, data)
}

// GetSegment reads an index segment as Client.GetSegment (verb read).
func (a *App) GetSegment(ctx context.Context, doctype, format string, ref SegmentRef) ([]byte, error) {
	if err := a.allow(doctype, VerbRead); err != nil {
		return nil, err
	}
	return a.c.GetSegment(ctx, doctype, format, ref)
}

// DeleteSegment deletes an index segment as Client.DeleteSegment (verb
// delete).
func (a *App) DeleteSegment(ctx context.Context, doctype, id string) error {
	if err := a.allow(doctype, VerbDelete); err != nil {
		return err
	}
	return a.c.DeleteSegment(ctx, doctype, id)
}

// Changes reads doctype's feed as Client.Changes (verb read).
func (a *App) Changes(ctx context.Context, doctype string, since uint64, fn func([]Change) error) (uint64, error) {
	if err := a.allow(doctype, VerbRead); err != nil {
		return since, err
	}
	return a.c.Changes(ctx, doctype, since, fn)
}

// Doctypes returns the doctypes the keyring holds keys for: those this
// account has written, sorted.
func (c *Client) Doctypes(ctx context.Context) ([]string, error) {
	return c.src.doctypes(ctx)
}
