//go:build search

package wasm

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/client/search"
)

// searchMethods are the rows of the method table (methods.go) only
// hearth-search.wasm has (build tag search, which carries bleve): Home's
// search across the account's doctypes (spec/web.md §3.7).
//
// The first search opens every doctype's index (stored ones are loaded,
// others built); later ones bring the indexes up to date first, at most
// once a second, and store what changed in the background.
var searchMethods = []method{
	// search(query, {limit})  → {groups: [{doctype, app: {slug, name, url}?, total, hits: [{id, title, url?, folder?,
	//                              snippet: {field, parts: [{text, mark}], cutStart, cutEnd}}]}], rebuilt: [{doctype, reason}]}
	{name: "search", need: needHome, call: callSearch},
}

// callSearch: the options ({limit}) are optional, and ignored when they
// do not decode.
var callSearch = caller{fn: func(a *API, ctx context.Context, in args) (any, error) {
	q, err := argOf[string](in, 0)
	if err != nil {
		return nil, err
	}
	var o struct {
		Limit int `json:"limit"`
	}
	in.decode(1, &o)
	return a.Search(ctx, q, o.Limit)
}}

// SearchResult is what search answers.
type SearchResult struct {
	Groups  []SearchGroup   `json:"groups"`
	Rebuilt []SearchRebuilt `json:"rebuilt,omitempty"`
}

// SearchGroup is what one doctype gave.
type SearchGroup struct {
	Doctype string      `json:"doctype"`
	App     *SearchApp  `json:"app,omitempty"`
	Total   uint64      `json:"total"`
	Hits    []SearchHit `json:"hits"`
}

// SearchApp is the app a doctype's documents open in.
type SearchApp struct {
	Slug string `json:"slug"`
	Name string `json:"name"`
	URL  string `json:"url"`
}

// SearchHit is one document found.
type SearchHit struct {
	ID      string         `json:"id"`
	Title   string         `json:"title,omitempty"`
	Snippet *SearchSnippet `json:"snippet,omitempty"`
	URL     string         `json:"url,omitempty"` // opens it in its app
	// Folder is, for a file or folder of client.FilesDoctype, the path of
	// the folder it is in ('/'-separated names; "" at the root).
	Folder string `json:"folder,omitempty"`
}

// SearchSnippet is where a document matched: a short piece of one of its
// text members, cut in parts that match the query (mark) or not, so that
// a page needs no byte offsets.
type SearchSnippet struct {
	Field    string        `json:"field"`
	Parts    []SnippetPart `json:"parts"`
	CutStart bool          `json:"cutStart,omitempty"`
	CutEnd   bool          `json:"cutEnd,omitempty"`
}

// SnippetPart is a piece of a snippet's text.
type SnippetPart struct {
	Text string `json:"text"`
	Mark bool   `json:"mark,omitempty"`
}

func snippetOf(sn *search.Snippet) *SearchSnippet {
	if sn == nil {
		return nil
	}
	out := &SearchSnippet{Field: sn.Field, CutStart: sn.CutStart, CutEnd: sn.CutEnd}
	at := 0
	for _, m := range sn.Marks {
		if m[0] > at {
			out.Parts = append(out.Parts, SnippetPart{Text: sn.Text[at:m[0]]})
		}
		out.Parts = append(out.Parts, SnippetPart{Text: sn.Text[m[0]:m[1]], Mark: true})
		at = m[1]
	}
	if at < len(sn.Text) {
		out.Parts = append(out.Parts, SnippetPart{Text: sn.Text[at:]})
	}
	return out
}

// SearchRebuilt tells that a stored index could not be used (altered,
// swapped or of another version) and was built again.
type SearchRebuilt struct {
	Doctype string `json:"doctype"`
	Reason  string `json:"reason"`
}

type searchState struct {
	mu      sync.Mutex
	gen     uint64 // the session the stores belong to
	stores  map[string]*search.Store
	updated time.Time
	rebuilt []SearchRebuilt
}

var searches = map[*API]*searchState{}
var searchesMu sync.Mutex

func (a *API) searchState() *searchState {
	searchesMu.Lock()
	defer searchesMu.Unlock()
	s := searches[a]
	if s == nil {
		s = &searchState{}
		searches[a] = s
	}
	return s
}

// Search runs query over every doctype of the account and groups the hits
// by the app they open in, limit per doctype (default 5).
func (a *API) Search(ctx context.Context, query string, limit int) (*SearchResult, error) {
	c, gen, err := a.account()
	if err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = 5
	}
	st := a.searchState()
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.gen != gen || st.stores == nil {
		for _, s := range st.stores {
			s.Close()
		}
		st.stores, st.gen, st.rebuilt, st.updated = map[string]*search.Store{}, gen, nil, time.Time{}
		a.loadManifests(c)
	}
	dts, err := c.Doctypes(ctx)
	if err != nil {
		return nil, a.fail(gen, err)
	}
	fresh := time.Since(st.updated) < time.Second
	apps := a.searchApps(ctx, c)
	var changed []*search.Store
	for _, dt := range dts {
		if !search.Searched(dt) {
			continue
		}
		s := st.stores[dt]
		if s == nil {
			opt := &search.Options{}
			if a.cfg.Cache != nil {
				opt.Cache = prefixCache{a.cfg.Cache, "segment/" + c.User() + "/"}
			}
			if s, err = search.Open(ctx, c, dt, opt); err != nil {
				return nil, a.fail(gen, err)
			}
			st.stores[dt] = s
			a.keepManifests(c)
			if r := s.Rebuilt(); r != nil {
				st.rebuilt = append(st.rebuilt, SearchRebuilt{Doctype: dt, Reason: r.Error()})
			}
			changed = append(changed, s)
		} else if !fresh {
			n, err := s.Update(ctx)
			if err != nil {
				return nil, a.fail(gen, err)
			}
			if n > 0 {
				changed = append(changed, s)
			}
		}
	}
	if !fresh {
		st.updated = time.Now()
	}
	// Store what changed for the next device, in the background. Another
	// device having stored its index meanwhile (a conflict): this one is
	// dropped, and the next search opens that device's.
	for _, s := range changed {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			err := s.Save(ctx)
			if errors.Is(err, search.ErrConflict) {
				st.mu.Lock()
				if st.stores[s.Doctype()] == s {
					delete(st.stores, s.Doctype())
					s.Close()
				}
				st.mu.Unlock()
			} else if err == nil {
				a.keepManifests(c)
			}
		}()
	}
	res := &SearchResult{Groups: []SearchGroup{}, Rebuilt: st.rebuilt}
	q := strings.TrimSpace(query)
	if q == "" {
		return res, nil
	}
	for _, dt := range slices.Sorted(maps.Keys(st.stores)) {
		r, err := st.stores[dt].Search(ctx, search.Query{Text: q, Limit: limit})
		if err != nil {
			if errors.Is(err, search.ErrBadQuery) {
				return nil, badInput("%v", err)
			}
			return nil, a.fail(gen, err)
		}
		if len(r.Found) == 0 {
			continue
		}
		g := SearchGroup{Doctype: dt, Total: r.Total, Hits: []SearchHit{}}
		if slug := appFor(dt, apps); slug != "" {
			g.App = &SearchApp{Slug: slug, Name: apps[slug].Name, URL: a.appURL(slug, c.User())}
		}
		var tree *client.Tree
		if dt == client.FilesDoctype {
			// A file or folder found shows the folder it is in; one in
			// the trash is left out.
			if tree, err = c.Files(ctx); err != nil {
				return nil, a.fail(gen, err)
			}
		}
		for _, f := range r.Found {
			h := SearchHit{ID: f.ID, Title: titleOf(f.Content), Snippet: snippetOf(f.Snippet)}
			if tree != nil {
				it := tree.Item(f.ID)
				if it == nil || it.InTrash {
					continue
				}
				h.Folder = tree.Path(it.Parent)
			}
			if g.App != nil {
				h.URL = g.App.URL + "#open=" + f.ID
			}
			g.Hits = append(g.Hits, h)
		}
		if len(g.Hits) == 0 {
			continue
		}
		res.Groups = append(res.Groups, g)
	}
	return res, nil
}

// appFor returns the installed app a hit of doctype opens in (at
// #open=<id>), or "": one that keeps doctype (its agreement includes
// writing it: Contacts for contacts, not Notes, which reads them to show
// names). The bundled app comes first (spec/web.md §3.7), then an app
// whose agreement includes reading it too (an app that cannot read a
// document cannot open it), then by slug: an app installed from an
// archive, whatever its slug, never takes a bundled app's documents.
func appFor(doctype string, apps map[string]appInfo) string {
	best, bestRank := "", 3
	for _, slug := range slices.Sorted(maps.Keys(apps)) {
		app := apps[slug]
		i := slices.IndexFunc(app.Scopes, func(sc client.Scope) bool { return sc.Doctype == doctype })
		if i < 0 || !slices.Contains(app.Scopes[i].Verbs, client.VerbWrite) {
			continue
		}
		rank := 2
		switch {
		case app.Bundled:
			rank = 0
		case slices.Contains(app.Scopes[i].Verbs, client.VerbRead):
			rank = 1
		}
		if rank < bestRank {
			best, bestRank = slug, rank
		}
	}
	return best
}

// searchApps returns the installed apps, each with the scopes the person
// agreed to (the manifest's, for a bundled app installed from the start),
// read at most every 30 seconds (a search runs as the person types).
func (a *API) searchApps(ctx context.Context, c *client.Client) map[string]appInfo {
	a.mu.Lock()
	apps, at := a.appsSeen, a.appsSeenAt
	a.mu.Unlock()
	if apps != nil && time.Since(at) < 30*time.Second {
		return apps
	}
	apps, consents, err := a.installedInfos(ctx, c)
	if err != nil {
		apps = map[string]appInfo{} // no links this time
	}
	for slug, k := range consents {
		if k != nil {
			info := apps[slug]
			info.Scopes = k.Scopes
			apps[slug] = info
		}
	}
	a.mu.Lock()
	if a.acct == c { // not if the session changed meanwhile
		a.appsSeen, a.appsSeenAt = apps, time.Now()
	}
	a.mu.Unlock()
	return apps
}

// titleOf returns what names a document: its title, or its name (a
// string, or a contact's name object, spec/contacts.md), or else the
// first line of its body without Markdown marks (as Notes names a note
// without a title).
func titleOf(content []byte) string {
	var v struct {
		Title string          `json:"title"`
		Name  json.RawMessage `json:"name"`
		Body  string          `json:"body"`
	}
	if json.Unmarshal(content, &v) != nil {
		return ""
	}
	t := v.Title
	if t == "" && len(v.Name) > 0 {
		var name string
		var full struct {
			Full string `json:"full"`
		}
		if json.Unmarshal(v.Name, &name) == nil {
			t = name
		} else if json.Unmarshal(v.Name, &full) == nil {
			t = full.Full
		}
	}
	if strings.TrimSpace(t) == "" {
		body := v.Body[:min(len(v.Body), 2000)]
		for line := range strings.SplitSeq(body, "\n") {
			if t = search.PlainText(line); t != "" {
				break
			}
		}
		t = clip(t, 80)
	}
	return clip(t, 200)
}

// clip cuts s to at most n bytes, at a character's start, with … when cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return strings.TrimRight(s[:n], " ") + "…"
}

// prefixCache keeps one account's segments apart in the page's Cache
// (IndexedDB: one per origin, which all Home's users share).
type prefixCache struct {
	c      Cache
	prefix string
}

func (p prefixCache) Get(key string) []byte    { return p.c.Get(p.prefix + key) }
func (p prefixCache) Put(key string, b []byte) { p.c.Put(p.prefix+key, b) }
func (p prefixCache) Prune(prefix string, keep []string) {
	p.c.Prune(p.prefix+prefix, keep)
}

// The manifest revisions this browser saw are kept in the Cache too (they
// are no secret: the host serves them), since the search worker stores no
// session state: a manifest rolled back is then refused after a reload
// (spec/protocol.md §7.2).
func manifestsKey(c *client.Client) string { return "manifests/" + c.User() }

func (a *API) loadManifests(c *client.Client) {
	if a.cfg.Cache == nil {
		return
	}
	var m map[string]client.DocState
	if json.Unmarshal(a.cfg.Cache.Get(manifestsKey(c)), &m) == nil {
		c.RememberManifests(m)
	}
}

func (a *API) keepManifests(c *client.Client) {
	if a.cfg.Cache == nil {
		return
	}
	if b, err := json.Marshal(c.Manifests()); err == nil {
		a.cfg.Cache.Put(manifestsKey(c), b)
	}
}
