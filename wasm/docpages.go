package wasm

import (
	"bytes"
	"encoding/binary"
	"errors"
	"maps"
	"slices"
	"strconv"
)

// The documents cache: the documents of the doctypes a page listed (List,
// and an app's files listings, which read the same memory) are kept across
// reloads, so that the next start shows them without reading them again;
// the feed, read from the saved position before any listing answers,
// brings what changed since (spec/web.md §4).
//
// They are kept apart from the saved state, which is written whole at
// every change: each doctype's documents are spread over pageBuckets
// pages by a hash of their ids, and a "docs" event carries a page whose
// documents changed since it was last given (Name: "<doctype>/<n>"), for
// the host to keep sealed and give back to Resume. A page is
//
//	"hearth-docs-1\n" | bytes(server) | bytes(user) | bytes(doctype) | uvarint(n) |
//	uvarint(count) | count × (bytes(id) | uvarint(rev) | bytes(value))
//
// (bytes: a uvarint length and the bytes; an empty value is a deletion),
// its documents sorted by id. Pages and state are written at different
// moments, and either may be lost: Resume takes a page's document only
// when it holds the very revision the state remembers this device
// verified; the others are read again (load), as are the documents of no
// page.

const (
	pageMagic   = "hearth-docs-1\n"
	pageBuckets = 16
)

var errPage = errors.New("wasm: a documents page is malformed")

// pageOf is the page that holds document id: its FNV-1a hash (32 bits),
// modulo pageBuckets.
func pageOf(id string) int {
	h := uint32(2166136261)
	for i := 0; i < len(id); i++ {
		h ^= uint32(id[i])
		h *= 16777619
	}
	return int(h % pageBuckets)
}

// pageName is the name of a doctype's page n, as "docs" events carry it.
func pageName(doctype string, n int) string { return doctype + "/" + strconv.Itoa(n) }

// markPageLocked notes that document doctype/id changed in memory, so that
// its page is given again (the caller holds mu).
func (a *API) markPageLocked(doctype, id string) {
	if a.dirty == nil {
		a.dirty = map[string]map[int]bool{}
	}
	d := a.dirty[doctype]
	if d == nil {
		d = map[int]bool{}
		a.dirty[doctype] = d
	}
	d[pageOf(id)] = true
}

// pagesLocked returns the "docs" events of the pages that changed since
// they were last given, of the doctypes listed (loaded), and forgets that
// they changed (the caller holds mu).
func (a *API) pagesLocked() []Event {
	if a.c == nil {
		return nil
	}
	var evs []Event
	server, user := a.server, a.c.User()
	for _, dt := range slices.Sorted(maps.Keys(a.dirty)) {
		if !a.loaded[dt] {
			continue // kept marked until the doctype is listed
		}
		var byPage [pageBuckets][]string
		for id := range a.live[dt] {
			n := pageOf(id)
			if a.dirty[dt][n] {
				byPage[n] = append(byPage[n], id)
			}
		}
		for _, n := range slices.Sorted(maps.Keys(a.dirty[dt])) {
			ids := byPage[n]
			slices.Sort(ids)
			p := page{server: server, user: user, doctype: dt, n: n, docs: make([]cachedDoc, len(ids))}
			for i, id := range ids {
				e := a.live[dt][id]
				p.docs[i] = cachedDoc{ID: id, Rev: e.rev, Value: e.value}
				if e.deleted {
					p.docs[i].Value = nil
				}
			}
			evs = append(evs, Event{Type: "docs", Name: pageName(dt, n), State: encodePage(p)})
		}
		delete(a.dirty, dt)
	}
	return evs
}

// page is a decoded page.
type page struct {
	server, user, doctype string
	n                     int
	docs                  []cachedDoc // Value nil: a deletion
}

func encodePage(p page) []byte {
	size := len(pageMagic) + len(p.server) + len(p.user) + len(p.doctype) + 32
	for _, d := range p.docs {
		size += len(d.ID) + len(d.Value) + 3*binary.MaxVarintLen64
	}
	b := append(make([]byte, 0, size), pageMagic...)
	b = appendBytes(b, []byte(p.server))
	b = appendBytes(b, []byte(p.user))
	b = appendBytes(b, []byte(p.doctype))
	b = binary.AppendUvarint(b, uint64(p.n))
	b = binary.AppendUvarint(b, uint64(len(p.docs)))
	for _, d := range p.docs {
		b = appendBytes(b, []byte(d.ID))
		b = binary.AppendUvarint(b, d.Rev)
		b = appendBytes(b, d.Value) // nil: a deletion
	}
	return b
}

func decodePage(b []byte) (page, error) {
	var p page
	rest, ok := bytes.CutPrefix(b, []byte(pageMagic))
	if !ok {
		return p, errPage
	}
	server, ok1 := cutBytes(&rest)
	user, ok2 := cutBytes(&rest)
	dt, ok3 := cutBytes(&rest)
	n, ok4 := cutUvarint(&rest)
	count, ok5 := cutUvarint(&rest)
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || n >= pageBuckets || count > uint64(len(rest)) {
		return p, errPage
	}
	p = page{server: string(server), user: string(user), doctype: string(dt), n: int(n), docs: make([]cachedDoc, 0, count)}
	for range count {
		id, ok1 := cutBytes(&rest)
		rev, ok2 := cutUvarint(&rest)
		v, ok3 := cutBytes(&rest)
		if !ok1 || !ok2 || !ok3 {
			return page{}, errPage
		}
		if len(v) == 0 {
			v = nil
		}
		p.docs = append(p.docs, cachedDoc{ID: string(id), Rev: rev, Value: v})
	}
	if len(rest) != 0 {
		return page{}, errPage
	}
	return p, nil
}

// takeCachedLocked puts into memory the cached documents of doctype that
// hold the revision known (id → rev, of the state's table) says this
// device verified,
// and returns how many it took (the caller holds mu, at Resume).
func (a *API) takeCachedLocked(doctype string, docs []cachedDoc, known map[string]uint64) int {
	if checkDoc(doctype, "", false) != nil {
		return 0
	}
	m := a.live[doctype]
	if m == nil {
		m = map[string]*entry{}
		a.live[doctype] = m
	}
	took := 0
	for _, d := range docs {
		if rev, ok := known[d.ID]; !ok || rev != d.Rev || d.Rev == 0 {
			continue // another revision, or not this session's: read again
		}
		if e := m[d.ID]; e != nil && e.rev >= d.Rev {
			continue
		}
		m[d.ID] = &entry{rev: d.Rev, deleted: d.Value == nil, value: d.Value}
		took++
	}
	return took
}

// takePagesLocked takes the documents of pages, those of this session's
// server and user, into memory (the caller holds mu, at Resume). A
// doctype whose every document the state remembers came from them is
// loaded: its listings read nothing (load).
func (a *API) takePagesLocked(pages [][]byte, user string, known func(doctype string) map[string]uint64) {
	doctypes := map[string]bool{}
	defer func() {
		for dt := range doctypes {
			m := a.live[dt]
			all := true
			for id := range known(dt) {
				if m[id] == nil {
					all = false
					break
				}
			}
			a.loaded[dt] = all
		}
	}()
	for _, b := range pages {
		p, err := decodePage(b)
		if err != nil || p.server != a.server || p.user != user {
			continue
		}
		docs := p.docs[:0:0]
		for _, d := range p.docs {
			if pageOf(d.ID) == p.n {
				docs = append(docs, d)
			}
		}
		if checkDoc(p.doctype, "", false) == nil {
			a.takeCachedLocked(p.doctype, docs, known(p.doctype))
			doctypes[p.doctype] = true
		}
	}
}
