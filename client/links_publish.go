package client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hearthcloud/hearth/crypto/link"
	"github.com/hearthcloud/hearth/crypto/seal"
	"github.com/hearthcloud/hearth/internal/wire"
)

// A share link's manifest (§4.5) built from the files tree (§6.3), and
// kept current: every files operation that changes what a share link
// covers republishes its manifest as the next version (reshare).

// kindLink is the kind of the owner's link records among the documents of
// FilesDoctype (§4.5).
const kindLink = "link"

// parseLinkRecord parses a link record, or returns nil.
func parseLinkRecord(content []byte) *linkRecord {
	var r linkRecord
	if json.Unmarshal(content, &r) != nil || r.Kind != kindLink || wire.CheckLinkID(r.Link) != nil {
		return nil
	}
	return &r
}

// fileKeys remembers the age file key of each blob this client read from
// the blob's header: a blob id names one sealed body for good (§6.1), so a
// republished manifest reads only the headers of blobs new to it.
type fileKeys struct {
	mu   sync.Mutex
	keys map[string][]byte
}

func (f *fileKeys) get(blob string) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.keys[blob]
}

func (f *fileKeys) put(blob string, k []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.keys == nil {
		f.keys = map[string][]byte{}
	}
	f.keys[blob] = k
}

// fileEntry returns the manifest entry of file document d in folder dir
// of the manifest ("" for its top): the blob's file key from its header
// (a ranged GET), and its name, type, length and time from the document,
// or, for a document of the old format, from the blob's sealed metadata
// in the same ranged GET (§6.3).
func (c *Client) fileEntry(ctx context.Context, d *filesDoc, dir string) (link.Entry, error) {
	e := link.Entry{Path: joinPath(dir, d.Name), Type: d.Type, Length: d.Length, MTime: d.MTime, Blob: d.Blob, Digest: d.Digest, Size: d.Size,
		Key: c.fk.get(d.Blob)}
	if e.Key != nil && !d.old {
		return e, nil
	}
	n := int64(seal.BlobHeaderPrefix)
	if d.old {
		n = oldMetaPrefix
	}
	head, err := c.blobHead(ctx, d.Blob, n)
	if err != nil {
		return link.Entry{}, err
	}
	ks, err := c.keys(ctx, FilesDoctype, blobGen(bufio.NewReaderSize(bytes.NewReader(head), blobHeaderPeek)), false)
	if err != nil {
		return link.Entry{}, err
	}
	fk, err := seal.BlobFileKey(head[:min(len(head), seal.BlobHeaderPrefix)], ks, seal.PurposeFile, seal.BlobRef{Doctype: FilesDoctype, ID: d.Blob})
	if err != nil {
		return link.Entry{}, integrity("the header of blob %s does not open", d.Blob)
	}
	c.fk.put(d.Blob, fk)
	e.Key = fk
	if d.old {
		meta, err := c.metaOfHead(ctx, d.Blob, head)
		if err != nil {
			return link.Entry{}, err
		}
		e.Path, e.Type, e.Length, e.MTime = joinPath(dir, meta.Name), meta.Type, meta.Size, meta.Modified
	}
	return e, nil
}

func joinPath(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

// buildManifest describes item, a file or a folder of t, as a share link
// gives it: a folder's files and folders but those in the trash, at most
// link.MaxPathDepth deep; of two items of one name in one folder, the
// first by id.
func (c *Client) buildManifest(ctx context.Context, t *Tree, item string) (*link.Manifest, error) {
	it := t.Item(item)
	if it == nil {
		return nil, fmt.Errorf("%w: no file or folder %s", ErrNotFound, item)
	}
	m := &link.Manifest{Created: time.Now().Unix(), Name: it.Name}
	if !it.Folder {
		e, err := c.fileEntry(ctx, t.docs[item], "")
		if err != nil {
			return nil, err
		}
		m.Kind, m.Name = link.KindFile, e.Path
		m.Entries = []link.Entry{e}
		return m, m.Check()
	}
	m.Kind = link.KindFolder
	var walk func(folder, prefix string, depth int) error
	walk = func(folder, prefix string, depth int) error {
		kids := t.Children(folder)
		if len(kids) == 0 && prefix != "" {
			m.Entries = append(m.Entries, link.Entry{Path: prefix, Folder: true})
		}
		for _, k := range kids {
			if k.Folder {
				if depth >= link.MaxPathDepth-1 {
					continue
				}
				if err := walk(k.ID, joinPath(prefix, k.Name), depth+1); err != nil {
					return err
				}
				continue
			}
			e, err := c.fileEntry(ctx, t.docs[k.ID], prefix)
			if err != nil {
				return err
			}
			m.Entries = append(m.Entries, e)
		}
		return nil
	}
	if err := walk(item, "", 0); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	kept := m.Entries[:0]
	for _, e := range m.Entries {
		if !seen[e.Path] {
			seen[e.Path] = true
			kept = append(kept, e)
		}
	}
	m.Entries = kept
	return m, m.Check()
}

// linkStates returns the server's view of the account's links, by id.
func (c *Client) linkStates(ctx context.Context) (map[string]linkJSON, error) {
	var res struct {
		Links []linkJSON `json:"links"`
	}
	if _, err := c.callJSON(ctx, "GET", "/v1/links", nil, &res, nil, false); err != nil {
		return nil, err
	}
	out := make(map[string]linkJSON, len(res.Links))
	for _, l := range res.Links {
		out[l.ID] = l
	}
	return out, nil
}

// UpdateShare republishes the manifest of share link id from the shared
// item's current state (a folder's files as they are now, a file's
// current version), as the next version. The files operations do it
// themselves for the links their change touches.
func (c *Client) UpdateShare(ctx context.Context, id string) error {
	t, err := c.Files(ctx)
	if err != nil {
		return err
	}
	rec := t.links[id]
	if rec == nil || rec.Drop != nil {
		return fmt.Errorf("%w: no share link %s on record", ErrNotFound, id)
	}
	states, err := c.linkStates(ctx)
	if err != nil {
		return err
	}
	l, ok := states[id]
	if !ok {
		return fmt.Errorf("%w: the server has no link %s", ErrNotFound, id)
	}
	return c.republish(ctx, t, rec, l.Version)
}

// republish seals the manifest of rec's item as t has it, as version
// cur+1, and sends it with the blobs it names. Another device that
// republished first (a conflict) is followed: the version after the
// server's.
func (c *Client) republish(ctx context.Context, t *Tree, rec *linkRecord, cur uint64) error {
	m, err := c.buildManifest(ctx, t, rec.Item)
	if err != nil {
		return err
	}
	keys, err := rec.keys()
	if err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		v := cur + 1
		sealed, err := link.SealManifest(keys, v, m)
		if err != nil {
			return err
		}
		_, err = c.callJSON(ctx, "PATCH", "/v1/links/"+rec.Link, map[string]any{"manifest": sealed, "version": v, "blobs": manifestBlobs(m)}, nil, nil, false)
		var ae *APIError
		if errors.As(err, &ae) && ae.Code == wire.CodeConflict && ae.Rev >= cur && attempt < maxAttempts {
			cur = ae.Rev
			continue
		}
		return err
	}
}

// ErrShareStale: a files operation was done, but a share link that covers
// what it changed could not be republished (its recipients see the
// earlier state until UpdateShare succeeds).
var ErrShareStale = errors.New("the change is made, but a share link of it still shows the earlier state")

// StaleShareError names the share links reshare could not republish.
type StaleShareError struct {
	Links []string
	Err   error // the first failure
}

func (e *StaleShareError) Error() string {
	return fmt.Sprintf("the change is made, but share link %s still shows the earlier state: %v", strings.Join(e.Links, ", "), e.Err)
}

func (e *StaleShareError) Is(target error) bool { return target == ErrShareStale }
func (e *StaleShareError) Unwrap() error        { return e.Err }

// reshare keeps share links current after a files operation (§4.5): each
// share link whose item is one of touched, or a folder above one, in
// before (the tree the operation read) or in the tree after it, has its
// manifest republished; one whose item is gone for good (an emptied
// trash, a deletion) is revoked. Nothing is read when before has no
// share link, so an account that shares nothing pays nothing. touched
// are the items the operation wrote and the folders it put items into.
// Failures are a *StaleShareError (ErrShareStale): the operation itself
// stands.
func (c *Client) reshare(ctx context.Context, before *Tree, touched ...string) error {
	if before == nil || !before.sharing() || len(touched) == 0 {
		return nil
	}
	after, err := c.Files(ctx)
	if err != nil {
		return &StaleShareError{Err: err}
	}
	var todo []*linkRecord
	for _, rec := range after.links {
		if rec.Drop != nil || rec.Item == "" {
			continue
		}
		if slices.ContainsFunc(touched, func(id string) bool { return before.under(id, rec.Item) || after.under(id, rec.Item) }) {
			todo = append(todo, rec)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	slices.SortFunc(todo, func(a, b *linkRecord) int { return strings.Compare(a.Link, b.Link) })
	states, err := c.linkStates(ctx)
	if err != nil {
		return &StaleShareError{Err: err}
	}
	var stale *StaleShareError
	for _, rec := range todo {
		l, ok := states[rec.Link]
		if !ok || l.Revoked != nil {
			continue
		}
		if after.Item(rec.Item) == nil {
			err = c.Unshare(ctx, rec.Link)
		} else {
			err = c.republish(ctx, after, rec, l.Version)
		}
		if err != nil && !errors.Is(err, ErrNotFound) {
			if stale == nil {
				stale = &StaleShareError{Err: err}
			}
			stale.Links = append(stale.Links, rec.Link)
		}
	}
	if stale != nil {
		return stale
	}
	return nil
}

// sharing reports whether the tree holds a record of a share link.
func (t *Tree) sharing() bool {
	for _, r := range t.links {
		if r.Drop == nil {
			return true
		}
	}
	return false
}

// manifestBlobs is the blob set of m for the server: [] for none.
func manifestBlobs(m *link.Manifest) []string {
	if b := m.Blobs(); b != nil {
		return b
	}
	return []string{}
}
