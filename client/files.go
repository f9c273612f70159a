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
// between listings: its content at a revision, parsed (nil if malformed).
type filesEntry struct {
	rev     uint64
	content []byte
	doc     *filesDoc
}

// filesCache is the documents of FilesDoctype as last listed or written,
// so that a listing reads again only what changed.
type filesCache struct {
	mu   sync.Mutex
	docs map[string]filesEntry
}

func (fc *filesCache) get(id string) (filesEntry, bool) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	e, ok := fc.docs[id]
	return e, ok
}

func (fc *filesCache) put(id string, rev uint64, content []byte, d *filesDoc) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	if fc.docs == nil {
		fc.docs = map[string]filesEntry{}
	}
	if content == nil {
		delete(fc.docs, id)
		return
	}
	if e, ok := fc.docs[id]; !ok || e.rev <= rev {
		fc.docs[id] = filesEntry{rev: rev, content: content, doc: d}
	}
}

// Files returns the person's files and folders (§6.3): every document of
// FilesDoctype, opened and verified, as a tree with folder sizes and the
// trash. Only documents that changed since this Client last listed them
// are read again. A file of the old format has its name read from its
// blob's metadata, and its document upgraded when this session may write
// it (§6.3). Listings are not authenticated (§8.5.2): the host can hide
// items, not alter them.
func (c *Client) Files(ctx context.Context) (*Tree, error) {
	listed, err := c.listAll(ctx, FilesDoctype, false)
	if err != nil {
		return nil, err
	}
	var need []string
	for _, l := range listed {
		if e, ok := c.fc.get(l.ID); !ok || e.rev != l.Rev {
			need = append(need, l.ID)
		}
	}
	got, err := c.GetMany(ctx, FilesDoctype, need)
	if err != nil {
		return nil, err
	}
	for _, d := range got {
		if d == nil || d.Deleted {
			continue
		}
		pd, _ := parseFilesDoc(d.Content)
		c.fc.put(d.ID, d.Rev, d.Content, pd)
	}
	docs := make(map[string]*filesDoc, len(listed))
	revs := make(map[string]uint64, len(listed))
	var malformed, old []string
	links := map[string]*linkRecord{}
	for _, l := range listed {
		e, ok := c.fc.get(l.ID)
		if !ok {
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

// filesDocAt returns document id's content and state: the cached one when
// it is the revision this device last verified, else (or when fresh) the
// server's, read and verified. A document never written or deleted gives
// ErrNotFound with the state to write over it.
func (c *Client) filesDocAt(ctx context.Context, id string, fresh bool) ([]byte, DocState, error) {
	known := c.known(FilesDoctype, id)
	if e, ok := c.fc.get(id); ok && !fresh && known.Rev == e.rev && known.Digest != nil {
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
		pd, _ := parseFilesDoc(b)
		c.fc.put(id, rev, b, pd)
		return rev, nil
	}
}

// createFilesDoc writes a new document of FilesDoctype.
func (c *Client) createFilesDoc(ctx context.Context, m docEdit) (string, error) {
	b := m.bytes()
	id, rev, err := c.Create(ctx, FilesDoctype, b)
	if err != nil {
		return "", err
	}
	pd, _ := parseFilesDoc(b)
	c.fc.put(id, rev, b, pd)
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
