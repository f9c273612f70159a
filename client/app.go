package client

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/hearthcloud/hearth/crypto/keyring"
	"github.com/hearthcloud/hearth/internal/wire"
)

// ErrNotGranted: the app's grant does not hold this doctype, or this verb
// on it. It is reported before any request is sent.
var ErrNotGranted = errors.New("client: the app was not granted this")

// An App is an app or device working with an app token (hat_…) and the
// doctype keys a grant gave it (spec/protocol.md §4.4, §8.9; spec/web.md
// §5), never with the keyring. It offers the document API of Client,
// restricted to the granted doctypes and verbs, and verifies everything the
// server returns as a Client does, except that its changes feed is scoped
// (§8.6.4). Its methods may be called from several goroutines.
type App struct {
	c *Client
	g *grantSource // c's key source
}

// AppState is everything an App keeps between runs (ResumeApp). It holds
// the app token and the app's identity, which opens its grants: store it
// only where the app's other secrets live. It marshals to JSON.
type AppState struct {
	Server   string            `json:"server"`   // base URL, without a trailing slash
	User     string            `json:"user"`     // account name
	Token    string            `json:"token"`    // app token (hat_…)
	Identity string            `json:"identity"` // the app's age X25519 identity (AGE-SECRET-KEY-1…)
	Signer   ed25519.PublicKey `json:"signer"`   // the account's signing key, pinned at connection
	GrantRev uint64            `json:"grant_rev"`
	// GrantDigest is the digest of the grant last opened (keyring.Grant):
	// another grant of the same revision is a fork.
	GrantDigest []byte            `json:"grant_digest,omitempty"`
	Halted      string            `json:"halted,omitempty"` // as State.Halted
	Scopes      []Scope           `json:"scopes"`           // doctypes and verbs of the grant last opened
	Gens        map[string]uint32 `json:"gens"`             // newest key generation granted so far, per doctype
	// Seen is the newest key generation met in an item, per doctype, where
	// it is above Gens: the app seals nothing of that doctype until a
	// grant gives it that generation (§4.1).
	Seen    map[string]uint32 `json:"seen,omitempty"`
	FeedSeq uint64            `json:"feed_seq"`
	// FeedFloor is a feed position the user's own client verified and
	// handed to the app (Home's, spec/web.md §5): the app's changes feed
	// must reach it, or it was rolled back (§4.7). 0 once reached.
	FeedFloor uint64    `json:"feed_floor,omitempty"`
	Docs      DocStates `json:"docs,omitempty"` // as State.Docs
	// Manifests is as State.Manifests.
	Manifests map[string]DocState `json:"manifests,omitempty"`
}

// ConnectApp starts an App for user's account on server with an app token,
// identity (the app's age X25519 identity, whose recipient the user's
// client granted keys to) and signer, the account's signing public key the
// app pinned when it was connected (from the user's client, e.g. Home's
// redirect, spec/web.md §5; never from the server). It fetches the app's
// grant and opens it (§4.4); a grant that does not verify under signer, is
// for another user or another app, or is older than one opened before, is
// ErrIntegrity. prev, the State of an earlier App of the same account (nil
// at first), carries over the memory that refuses replays: the last grant's
// revision and generations (for the same identity), the feed position and
// the documents' revisions. Options.Previous is ignored.
func ConnectApp(ctx context.Context, server, user, token string, identity *age.X25519Identity, signer ed25519.PublicKey, prev *AppState, o *Options) (*App, error) {
	if identity == nil {
		return nil, errors.New("client: an app needs its identity")
	}
	if err := keyring.CheckSigningKey(signer); err != nil {
		return nil, fmt.Errorf("client: the pinned signing key is not a valid Ed25519 public key: %w", err)
	}
	if err := wire.CheckUser(user); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(token, "hat_") {
		return nil, errors.New("client: ConnectApp needs an app token (hat_…)")
	}
	g := &grantSource{identity: identity, signer: bytes.Clone(signer), gens: map[string]uint32{}, seen: map[string]uint32{}}
	c, err := newClient(server, o, g)
	if err != nil {
		return nil, err
	}
	c.st.User, c.st.Token = user, token
	a := &App{c: c, g: g}
	a.adopt(prev)
	c.kmu.Lock()
	err = g.refresh(ctx)
	c.kmu.Unlock()
	if err != nil {
		return nil, err
	}
	return a, nil
}

// adopt takes over what an earlier App of the same account on this
// server, pinned to the same signer, remembered.
func (a *App) adopt(p *AppState) {
	c, g := a.c, a.g
	if p == nil || p.User != c.st.User || !bytes.Equal(p.Signer, g.signer) {
		return
	}
	if base, err := checkServer(p.Server); err != nil || base != c.st.Server {
		return
	}
	c.st.FeedSeq, c.st.Docs, c.st.Manifests, c.st.Halted = p.FeedSeq, cloneDocs(p.Docs), cloneDocs(p.Manifests), p.Halted
	if p.FeedFloor > p.FeedSeq {
		g.floor = p.FeedFloor
	}
	for d, gen := range p.Gens {
		if wire.CheckDoctype(d) == nil {
			g.gens[d] = gen
		}
	}
	for d, gen := range p.Seen {
		if wire.CheckDoctype(d) == nil {
			g.seen[d] = gen
		}
	}
	// A grant's revision counts the grants to one grantee.
	if p.Identity == g.identity.String() {
		g.rev = p.GrantRev
		if len(p.GrantDigest) == len(g.digest) {
			copy(g.digest[:], p.GrantDigest)
		}
	}
}

// ResumeApp continues an App saved with State. It does no network I/O; the
// grant is fetched again when its keys are first needed.
func ResumeApp(st *AppState, o *Options) (*App, error) {
	if st == nil {
		return nil, errors.New("client: no app state to resume")
	}
	g := &grantSource{}
	c, err := newClient(st.Server, o, g)
	if err != nil {
		return nil, err
	}
	if err := wire.CheckUser(st.User); err != nil {
		return nil, fmt.Errorf("client: saved app state: %w", err)
	}
	if !strings.HasPrefix(st.Token, "hat_") || st.GrantRev == 0 {
		return nil, errors.New("client: saved app state has no token or grant; connect the app again")
	}
	id, err := age.ParseX25519Identity(st.Identity)
	if err != nil {
		return nil, errors.New("client: saved app state has a malformed identity")
	}
	if err := keyring.CheckSigningKey(st.Signer); err != nil {
		return nil, errors.New("client: saved app state has a malformed signing key")
	}
	for _, s := range st.Scopes {
		if wire.CheckDoctype(s.Doctype) != nil || len(s.Verbs) == 0 {
			return nil, errors.New("client: saved app state has malformed scopes")
		}
	}
	c.st.User, c.st.Token = st.User, st.Token
	c.st.FeedSeq, c.st.Docs, c.st.Manifests, c.st.Halted = st.FeedSeq, cloneDocs(st.Docs), cloneDocs(st.Manifests), st.Halted
	g.identity, g.signer, g.rev = id, bytes.Clone(st.Signer), st.GrantRev
	g.scopes, g.gens, g.seen = cloneScopes(st.Scopes), maps.Clone(st.Gens), maps.Clone(st.Seen)
	if st.FeedFloor > st.FeedSeq {
		g.floor = st.FeedFloor
	}
	if len(st.GrantDigest) == len(g.digest) {
		copy(g.digest[:], st.GrantDigest)
	}
	if g.gens == nil {
		g.gens = map[string]uint32{}
	}
	if g.seen == nil {
		g.seen = map[string]uint32{}
	}
	return &App{c: c, g: g}, nil
}

func cloneScopes(in []Scope) []Scope {
	out := make([]Scope, len(in))
	for i, s := range in {
		out[i] = Scope{Doctype: s.Doctype, Verbs: slices.Clone(s.Verbs)}
	}
	return out
}

// KnownRevs is Client.KnownRevs.
func (a *App) KnownRevs(doctype string) map[string]uint64 { return a.c.KnownRevs(doctype) }

// State returns a snapshot of what the app should keep.
func (a *App) State() *AppState {
	c, g := a.c, a.g
	c.mu.Lock()
	defer c.mu.Unlock()
	st := &AppState{
		Server: c.st.Server, User: c.st.User, Token: c.st.Token,
		Identity: g.identity.String(), Signer: bytes.Clone(g.signer),
		GrantRev: g.rev, Scopes: cloneScopes(g.scopes), Gens: maps.Clone(g.gens), Seen: maps.Clone(g.seen),
		FeedSeq: c.st.FeedSeq, FeedFloor: g.floor, Docs: cloneDocs(c.st.Docs), Manifests: cloneDocs(c.st.Manifests),
		Halted: c.st.Halted,
	}
	if g.digest != [32]byte{} {
		st.GrantDigest = bytes.Clone(g.digest[:])
	}
	return st
}

// User returns the account's user name.
func (a *App) User() string { return a.c.User() }

// Scopes returns the doctypes and verbs of the grant last opened.
func (a *App) Scopes() []Scope {
	a.c.mu.Lock()
	defer a.c.mu.Unlock()
	return cloneScopes(a.g.scopes)
}

// RefreshGrant fetches and opens the app's grant again, as the App does by
// itself when a document names a key generation it lacks (a rotation).
func (a *App) RefreshGrant(ctx context.Context) error {
	a.c.kmu.Lock()
	defer a.c.kmu.Unlock()
	return a.g.refresh(ctx)
}

// allow checks locally that the grant holds verbs on doctype.
func (a *App) allow(doctype string, verbs ...string) error {
	if err := wire.CheckDoctype(doctype); err != nil {
		return err
	}
	a.c.mu.Lock()
	scopes := a.g.scopes
	a.c.mu.Unlock()
	for _, s := range scopes {
		if s.Doctype != doctype {
			continue
		}
		for _, v := range verbs {
			if !slices.Contains(s.Verbs, v) {
				return fmt.Errorf("%w: %s on %s (the grant gives %s)", ErrNotGranted, v, doctype, strings.Join(s.Verbs, ", "))
			}
		}
		return nil
	}
	return fmt.Errorf("%w: %s is not among the doctypes granted to this app", ErrNotGranted, doctype)
}

// Create writes a new document under a fresh random id (verb write).
func (a *App) Create(ctx context.Context, doctype string, content []byte) (id string, rev uint64, err error) {
	if err := a.allow(doctype, VerbWrite); err != nil {
		return "", 0, err
	}
	return a.c.Create(ctx, doctype, content)
}

// Put creates or updates a document, as Client.Put (verbs read and write:
// it reads the current revision first).
func (a *App) Put(ctx context.Context, doctype, id string, content []byte) (rev uint64, err error) {
	if err := a.allow(doctype, VerbRead, VerbWrite); err != nil {
		return 0, err
	}
	return a.c.Put(ctx, doctype, id, content)
}

// Get returns the current revision of a document, as Client.Get (verb
// read).
func (a *App) Get(ctx context.Context, doctype, id string) (*Doc, error) {
	if err := a.allow(doctype, VerbRead); err != nil {
		return nil, err
	}
	return a.c.Get(ctx, doctype, id)
}

// List returns the ids of the live documents of doctype, as Client.List
// (verb read).
func (a *App) List(ctx context.Context, doctype string) ([]string, error) {
	if err := a.allow(doctype, VerbRead); err != nil {
		return nil, err
	}
	return a.c.List(ctx, doctype)
}

// Delete deletes a document, as Client.Delete (verbs read and delete).
func (a *App) Delete(ctx context.Context, doctype, id string) error {
	if err := a.allow(doctype, VerbRead, VerbDelete); err != nil {
		return err
	}
	return a.c.Delete(ctx, doctype, id)
}

// PutMany writes many documents, as Client.PutMany (verbs read and write,
// and delete when an item deletes).
func (a *App) PutMany(ctx context.Context, doctype string, items []Item) ([]Result, error) {
	verbs := []string{VerbRead, VerbWrite}
	for _, it := range items {
		if it.Content == nil {
			verbs = append(verbs, VerbDelete)
			break
		}
	}
	if err := a.allow(doctype, verbs...); err != nil {
		return nil, err
	}
	return a.c.PutMany(ctx, doctype, items)
}

// Sync pulls the changes feed of the doctypes the app may read, as
// Client.Sync, with the checks of a scoped feed (§8.6.4): the seqs rise
// strictly, the feed never goes back, no document's revision goes back, and
// every body matches its digest and opens. The host can hide entries from
// a scoped feed undetected (a limitation of protocol version 1).
func (a *App) Sync(ctx context.Context, wait time.Duration, fn func(Change) error) error {
	return a.c.Sync(ctx, wait, fn)
}

// Upload seals and uploads a file, as Client.Upload (verb write on
// FilesDoctype).
func (a *App) Upload(ctx context.Context, r io.Reader, size int64, name, mediaType string, mtime time.Time, progress func(done, total int64)) (fileID string, err error) {
	if err := a.allow(FilesDoctype, VerbWrite); err != nil {
		return "", err
	}
	return a.c.Upload(ctx, r, size, name, mediaType, mtime, progress)
}

// Download streams a file, as Client.Download (verb read on FilesDoctype);
// on error, everything written to w must be discarded.
func (a *App) Download(ctx context.Context, fileID string, w io.Writer) (*FileInfo, error) {
	return a.DownloadProgress(ctx, fileID, w, nil)
}

// DownloadProgress is Download with progress, as Client.DownloadProgress.
func (a *App) DownloadProgress(ctx context.Context, fileID string, w io.Writer, progress func(done, total int64)) (*FileInfo, error) {
	if err := a.allow(FilesDoctype, VerbRead); err != nil {
		return nil, err
	}
	return a.c.DownloadProgress(ctx, fileID, w, progress)
}
