package wasm

import (
	"bytes"
	"errors"
	"net/url"
	"strings"

	"github.com/hearthcloud/hearth/client"
)

// What a browser remembers of the accounts it verified, across sessions
// (spec/protocol.md §4.7, spec/web.md §4): Home keeps one memory per
// account and server, the maxMemories most recently used; an app keeps its
// own (the account it is of). A "memory" event carries them all, in the
// form
//
//	"hearth-memory-1\n" | n × (uvarint len | a saved form, saved.go)
//
// each saved form holding a State (Home) or an AppState (an app) without
// token, session, identity or master key, and the epoch (saved.Epoch).
// Remember also takes the single saved form of earlier versions.
const memoryMagic = "hearth-memory-1\n"

// maxMemories bounds Home's memories: the most recently used are kept, the
// oldest dropped (spec/web.md §4).
const maxMemories = 20

var errMemory = errors.New("wasm: the memory record is malformed")

// memEntry is what the browser remembers of one account: Home's State or an
// app's AppState, without secrets, and the epoch of Home's decisions it
// knows (saved.Epoch).
type memEntry struct {
	State *client.State
	App   *client.AppState
	Epoch uint64
}

func encodeMemory(ms []memEntry) ([]byte, error) {
	out := []byte(memoryMagic)
	for _, m := range ms {
		b, err := encodeSaved(saved{Version: 1, State: m.State, App: m.App, Epoch: m.Epoch})
		if err != nil {
			return nil, err
		}
		out = appendBytes(out, b)
	}
	return out, nil
}

func decodeMemory(b []byte) ([]memEntry, error) {
	rest, ok := bytes.CutPrefix(b, []byte(memoryMagic))
	if !ok {
		// An earlier version's single memory.
		sv, err := decodeSaved(b)
		if err != nil || sv.Version != 1 || sv.State == nil {
			return nil, errMemory
		}
		return []memEntry{{State: sv.State, Epoch: sv.Epoch}}, nil
	}
	var out []memEntry
	for len(rest) > 0 {
		p, ok := cutBytes(&rest)
		if !ok || len(out) == maxMemories+1 {
			return nil, errMemory
		}
		sv, err := decodeSaved(p)
		if err != nil || sv.Version != 1 || (sv.State == nil) == (sv.App == nil) {
			return nil, errMemory
		}
		out = append(out, memEntry{State: sv.State, App: sv.App, Epoch: sv.Epoch})
	}
	return out, nil
}

// memoryOf is st as a device remembers it once its session ended: what it
// verified of the account's history, without the token, the session or
// the master key.
func memoryOf(st *client.State) *client.State {
	m := *st
	m.Token, m.SessionID, m.MasterKey = "", "", nil
	return &m
}

// appMemoryOf is an app's st without its token and identity.
func appMemoryOf(st *client.AppState) *client.AppState {
	m := *st
	m.Token, m.Identity = "", ""
	return &m
}

func (a *API) sameServer(server string) bool {
	u, err := url.Parse(strings.TrimRight(server, "/"))
	return err == nil && u.String() == a.server
}

// Remember takes what a "memory" event carried, when the page starts: the
// next sign-in of each account remembered on this server starts from its
// memory, and an app connecting again from its own. Anything else is
// ignored.
func (a *API) Remember(b []byte) {
	ms, err := decodeMemory(b)
	if err != nil {
		return
	}
	var homes []memEntry
	var app *memEntry
	for _, m := range ms {
		switch {
		case m.State != nil && a.sameServer(m.State.Server) && len(homes) < maxMemories:
			m.State = memoryOf(m.State)
			homes = append(homes, m)
		case m.App != nil && a.sameServer(m.App.Server) && app == nil:
			m.App = appMemoryOf(m.App)
			app = &m
		}
	}
	a.mu.Lock()
	a.memories, a.appMemory = homes, app
	a.mu.Unlock()
}

// memoryFor returns Home's memory of user (the caller holds mu), or nil.
func (a *API) memoryForLocked(user string) *memEntry {
	for i := range a.memories {
		if a.memories[i].State.User == user {
			return &a.memories[i]
		}
	}
	return nil
}

// rememberLocked puts m first among Home's memories, in place of the
// account's earlier one, dropping the oldest past maxMemories (the caller
// holds mu).
func (a *API) rememberLocked(m memEntry) {
	out := []memEntry{m}
	for _, o := range a.memories {
		if o.State.User != m.State.User && len(out) < maxMemories {
			out = append(out, o)
		}
	}
	a.memories = out
}

// memoryRecordLocked is the memory record to keep: Home's memories and the
// app's (the caller holds mu).
func (a *API) memoryRecordLocked() []byte {
	ms := append([]memEntry(nil), a.memories...)
	if a.appMemory != nil {
		ms = append(ms, *a.appMemory)
	}
	b, err := encodeMemory(ms)
	if err != nil {
		return nil
	}
	return b
}
