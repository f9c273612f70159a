package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/hearthcloud/hearth/internal/wire"
)

// Errors of the files operations that callers act on.
var (
	// ErrNameTaken: the folder already holds an item of that name.
	ErrNameTaken = errors.New("that folder already holds an item of this name")
	// ErrNotFolder: the destination is not a folder, or is in the trash.
	ErrNotFolder = errors.New("not a folder (or a folder in the trash)")
	// ErrMoveIntoItself: a folder cannot go into itself or a folder
	// below it.
	ErrMoveIntoItself = errors.New("a folder cannot be moved into itself or a folder inside it")
)

// filesEntry is what a Client remembers of a document of FilesDoctype
// between listings: its content at a revision, parsed (nil if malformed),
// or its deletion at that revision.
type filesEntry struct {
	rev     uint64
	content []byte
	doc     *filesDoc
	deleted bool
}

// filesCache is the documents of FilesDoctype as last listed or written,
// so that a listing reads again only what changed; with a source
// (SetFilesSource), the store the listing is made of.
type filesCache struct {
	mu   sync.Mutex
	docs map[string]filesEntry
	src  FilesSource
}

func (fc *filesCache) get(id string) (filesEntry, bool) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	e, ok := fc.docs[id]
	return e, ok
}

// put remembers revision rev of document id: content, parsed as d, or its
// deletion (content nil), unless a later revision is remembered.
func (fc *filesCache) put(id string, rev uint64, content []byte, d *filesDoc) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	fc.putLocked(id, rev, content, d)
}

func (fc *filesCache) putLocked(id string, rev uint64, content []byte, d *filesDoc) {
	if fc.docs == nil {
		fc.docs = map[string]filesEntry{}
	}
	if e, ok := fc.docs[id]; !ok || e.rev <= rev {
		fc.docs[id] = filesEntry{rev: rev, content: content, doc: d, deleted: content == nil}
	}
}

// forget drops what is remembered of document id.
func (fc *filesCache) forget(id string) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	delete(fc.docs, id)
}

// A FilesSource gives the documents of FilesDoctype that its caller keeps
// from the verified changes feed (§8.6.3, §8.6.4): every one this device
// knows of, the deleted ones too (Deleted set), each at the revision the
// caller holds, which this Client verified (Sync, GetMany). It is called
// without any of the Client's locks held.
type FilesSource func(ctx context.Context) ([]Doc, error)

// SetFilesSource makes Files, and the files operations (which list
// first), take the documents from src in place of the server's listing
// and bulk reads (§8.5.2): no request at all when nothing changed. A
// document this Client wrote counts at the later of its revisions, its
// own or src's, so that an operation sees the one before it though the
// feed has not brought it back yet. The browser's client, which reads the
// feed all along, sets it; nil goes back to the server's listing.
func (c *Client) SetFilesSource(src FilesSource) {
	c.fc.mu.Lock()
	defer c.fc.mu.Unlock()
	c.fc.src = src
}

// SetOnWrite has fn called after each revision this Client writes (a
// document created, changed or deleted: content nil), without any of the
// Client's locks held: the browser's client keeps its documents in memory
// current with it before the feed brings them back.
func (c *Client) SetOnWrite(fn func(doctype, id string, rev uint64, content []byte)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.onWrite = fn
}

// wrote takes note of a revision this Client wrote (write, PutMany): a
// document of FilesDoctype is remembered, and SetOnWrite's function told.
func (c *Client) wrote(doctype, id string, rev uint64, content []byte, del bool) {
	if del {
		content = nil
	}
	if doctype == FilesDoctype {
		var pd *filesDoc
		if !del {
			pd, _ = parseFilesDoc(content)
		}
		c.fc.put(id, rev, content, pd)
	}
	c.mu.Lock()
	fn := c.onWrite
	c.mu.Unlock()
	if fn != nil {
		fn(doctype, id, rev, content)
	}
}

// Files returns the person's files and folders (§6.3): every document of
// FilesDoctype, opened and verified, as a tree with folder sizes and the
// trash. Only documents that changed since this Client last listed them
// are read again (or, with a FilesSource, none: it gives them). A file
// of the old format has its name read from its blob's metadata, and its
// document upgraded when this session may write it (§6.3). Listings are
// not authenticated (§8.5.2): the host can hide items, not alter them
// (the feed a FilesSource keeps to is: it hides nothing undetected).
func (c *Client) Files(ctx context.Context) (*Tree, error) {
	c.fc.mu.Lock()
	src := c.fc.src
	c.fc.mu.Unlock()
	var listed []listedDoc
	var err error
	if src != nil {
		listed, err = c.filesFrom(ctx, src)
	} else {
		listed, err = c.filesListed(ctx)
	}
	if err != nil {
		return nil, err
	}
	docs := make(map[string]*filesDoc, len(listed))
	revs := make(map[string]uint64, len(listed))
	var malformed, old []string
	links := map[string]*linkRecord{}
	for _, l := range listed {
		e, ok := c.fc.get(l.ID)
		if !ok || e.deleted {
			continue // deleted between the listing and the read
		}
		if e.doc == nil {
			malformed = append(malformed, l.ID)
			continue
		}
		if e.doc.old {
			old = append(old, l.ID)
		}
		if e.doc.Kind == kindLink {
			if r := parseLinkRecord(e.content); r != nil {
				r.docID = l.ID
				links[r.Link] = r
			}
		}
		docs[l.ID], revs[l.ID] = e.doc, e.rev
	}
	if len(old) > 0 {
		c.upgradeOld(ctx, old, docs, revs)
	}
	t := buildTree(docs, revs)
	t.Malformed, t.links = malformed, links
	return t, nil
}

// filesListed lists the live documents from the server, and reads those
// that changed since they were remembered.
func (c *Client) filesListed(ctx context.Context) ([]listedDoc, error) {
	listed, err := c.listAll(ctx, FilesDoctype, false)
	if err != nil {
		return nil, err
	}
	var need []string
	for _, l := range listed {
		if e, ok := c.fc.get(l.ID); !ok || e.rev != l.Rev || e.deleted {
			need = append(need, l.ID)
		}
	}
	got, err := c.GetMany(ctx, FilesDoctype, need)
	if err != nil {
		return nil, err
	}
	for i, d := range got {
		switch {
		case d == nil:
			c.fc.forget(need[i])
		case d.Deleted:
			c.fc.put(d.ID, d.Rev, nil, nil)
		default:
			pd, _ := parseFilesDoc(d.Content)
			c.fc.put(d.ID, d.Rev, d.Content, pd)
		}
	}
	return listed, nil
}

// filesFrom takes the documents src gives into the cache, parsing those
// not remembered at that revision, and lists the live ones: src's, and
// those this Client wrote that src does not have yet.
func (c *Client) filesFrom(ctx context.Context, src FilesSource) ([]listedDoc, error) {
	docs, err := src(ctx)
	if err != nil {
		return nil, err
	}
	type parsed struct {
		d  *Doc
		pd *filesDoc
	}
	var fresh []parsed
	c.fc.mu.Lock()
	for i := range docs {
		d := &docs[i]
		if e, ok := c.fc.docs[d.ID]; !d.Deleted && (!ok || e.rev < d.Rev) {
			fresh = append(fresh, parsed{d: d})
		}
	}
	c.fc.mu.Unlock()
	// Parsing outside the lock: thousands of documents after a reload.
	for i := range fresh {
		fresh[i].pd, _ = parseFilesDoc(fresh[i].d.Content)
	}
	c.fc.mu.Lock()
	defer c.fc.mu.Unlock()
	if c.fc.docs == nil {
		c.fc.docs = make(map[string]filesEntry, len(docs))
	}
	for _, d := range docs {
		if d.Deleted && checkDocID(d.ID) == nil {
			c.fc.putLocked(d.ID, d.Rev, nil, nil)
		}
	}
	for _, p := range fresh {
		if checkDocID(p.d.ID) == nil {
			c.fc.putLocked(p.d.ID, p.d.Rev, p.d.Content, p.pd)
		}
	}
	listed := make([]listedDoc, 0, len(c.fc.docs))
	for id, e := range c.fc.docs {
		if !e.deleted {
			listed = append(listed, listedDoc{ID: id, Rev: e.rev})
		}
	}
	return listed, nil
}

// filesDocAt returns document id's content and state: the cached one when
// it is the revision this device last verified, else (or when fresh) the
// server's, read and verified. A document never written or deleted gives
// ErrNotFound with the state to write over it.
func (c *Client) filesDocAt(ctx context.Context, id string, fresh bool) ([]byte, DocState, error) {
	known := c.known(FilesDoctype, id)
	if e, ok := c.fc.get(id); ok && !e.deleted && !fresh && known.Rev == e.rev && known.Digest != nil {
		return e.content, known, nil
	}
	d, cur, err := c.fetch(ctx, FilesDoctype, id)
	if err != nil {
		return nil, DocState{}, err
	}
	if d.Deleted() {
		c.fc.put(id, cur.Rev, nil, nil)
		return nil, cur, fmt.Errorf("%w: %s/%s was deleted", ErrNotFound, FilesDoctype, id)
	}
	pd, _ := parseFilesDoc(d.Content)
	c.fc.put(id, cur.Rev, d.Content, pd)
	return d.Content, cur, nil
}

// editFilesDoc changes document id: edit gets its content parsed (d) and
// as a JSON object to change (m), and its change is written as the next
// revision with If-Match. On a conflict (another device wrote first) it
// reads the document again and calls edit again, as often as maxAttempts.
// With create, a document never written or deleted is edited from {}
// (d nil). edit's error is returned as it is.
func (c *Client) editFilesDoc(ctx context.Context, id string, create bool, edit func(d *filesDoc, m docEdit) error) (uint64, error) {
	ks, err := c.keys(ctx, FilesDoctype, 0, true)
	if err != nil {
		return 0, err
	}
	for attempt := 0; ; attempt++ {
		content, cur, err := c.filesDocAt(ctx, id, attempt > 0)
		var d *filesDoc
		var m docEdit
		switch {
		case errors.Is(err, ErrNotFound) && create:
			m = docEdit{}
		case err != nil:
			return 0, err
		default:
			if d, err = parseFilesDoc(content); err != nil {
				return 0, fmt.Errorf("%w: %s", err, id)
			}
			if m, err = newDocEdit(content); err != nil {
				return 0, fmt.Errorf("%w: %s", err, id)
			}
		}
		if err := edit(d, m); err != nil {
			return 0, err
		}
		b := m.bytes()
		rev, err := c.write(ctx, ks, FilesDoctype, id, cur, b, false)
		if isCode(err, wire.CodeConflict) && attempt < maxAttempts {
			continue
		}
		if err != nil {
			return 0, err
		}
		return rev, nil
	}
}

// createFilesDoc writes a new document of FilesDoctype.
func (c *Client) createFilesDoc(ctx context.Context, m docEdit) (string, error) {
	b := m.bytes()
	id, _, err := c.Create(ctx, FilesDoctype, b)
	if err != nil {
		return "", err
	}
	return id, nil
}

// refused reports whether err is the server's refusal (a 4xx), after which
// nothing was stored; after a cut connection or a 5xx a write may have
// happened.
func refused(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status >= 400 && ae.Status < 500
}

// jsonString is s as a JSON string.
func jsonString(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}
