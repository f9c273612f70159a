package wasm

import (
	"context"
	"io"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/hearthcloud/hearth/internal/wire"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/crypto/kdf"
)

// Config configures an API.
type Config struct {
	Server string     // Home's origin, e.g. http://home.localhost:8080
	Device string     // session device name; "" -> "browser"
	KDF    kdf.Params // sign-up parameters; zero: kdf.Default
	// PollWait is how long each request of the subscription loop long-polls
	// the changes feed; 0: 55 seconds.
	PollWait time.Duration
	// OnEvent receives the events of the API (see Event). It is called from
	// the API's goroutines, never while the API holds a lock, and should
	// return quickly.
	OnEvent func(Event)
	// Cache, if not nil, keeps what search downloads (sealed index
	// segments) across page loads: IndexedDB, in the browser.
	Cache Cache
	// Outbox, if not nil, keeps the writes that wait for the server
	// (put's keep option, outbox.go) across page loads: IndexedDB, sealed,
	// in the browser. Without it, put never keeps a write.
	Outbox OutboxStore
}

// Cache is a store of bytes by key that survives the page (hearth-worker.js
// keeps it in IndexedDB, with the session, and wipes it with the session).
// Its failures are misses: it is a cache.
type Cache interface {
	Get(key string) []byte
	Put(key string, b []byte)
	// Prune deletes the keys that start with prefix, but prefix+k for each
	// k of keep.
	Prune(prefix string, keep []string)
}

// Event is something the API tells its host without being asked:
//
//   - "change": a document of a subscribed doctype changed (Sub and Change);
//   - "error": the subscription loop stopped on an error (Error), for
//     every subscription;
//   - "state": what to keep to resume after a reload (State: the saved
//     form, to be stored only sealed, spec/web.md §4; it holds the master
//     key and the session token and must never leave the worker);
//   - "wipe": the session ended (logout, or revoked): delete the saved
//     state and its key;
//   - "memory": after a "wipe", what the browser verified of the accounts'
//     histories (State: the memory record of memory.go, States and an
//     app's AppState without token, session, identity or master key), to
//     keep, sealed, across the wipe and give back with remember when the
//     page starts (protocol §4.7);
//   - "halted": the session stopped saving (protocol §4.7): Error.Message
//     says why;
//   - "outbox": what became of a write kept for later (Outbox, outbox.go);
//   - "docs": a page of the documents cache (State: its bytes; Name: its
//     name, "<doctype>/<n>", docpages.go) to keep, sealed, in place of the
//     one of that name, and give back to Resume; it holds documents'
//     content and must never leave the worker but sealed.
type Event struct {
	Type   string      `json:"type"`
	Name   string      `json:"name,omitempty"`
	Sub    int         `json:"sub,omitempty"`
	Change *Change     `json:"change,omitempty"`
	Error  *Error      `json:"error,omitempty"`
	Outbox *OutboxNews `json:"outbox,omitempty"`
	State  []byte      `json:"-"` // "state", "memory": the saved form (saved.go); "docs": the page; given to the host apart
}

// session is what Home's Client and an App have in common.
type session interface {
	User() string
	Create(ctx context.Context, doctype string, content []byte) (string, uint64, error)
	Put(ctx context.Context, doctype, id string, content []byte) (uint64, error)
	Get(ctx context.Context, doctype, id string) (*client.Doc, error)
	GetMany(ctx context.Context, doctype string, ids []string) ([]*client.Doc, error)
	Delete(ctx context.Context, doctype, id string) error
	Sync(ctx context.Context, wait time.Duration, fn func(client.Change) error) error
	KnownRevs(doctype string) map[string]uint64
	Upload(ctx context.Context, r io.Reader, size int64, name, mediaType string, mtime time.Time, progress func(done, total int64)) (string, error)
	DownloadProgress(ctx context.Context, fileID string, w io.Writer, progress func(done, total int64)) (*client.FileInfo, error)
	// Files and folders (files_tree.go).
	Files(ctx context.Context) (*client.Tree, error)
	Mkdir(ctx context.Context, parent, name string) (string, error)
	Rename(ctx context.Context, id, name string) error
	Move(ctx context.Context, ids []string, parent string) error
	Trash(ctx context.Context, ids []string) error
	Restore(ctx context.Context, ids []string) error
	EmptyTrash(ctx context.Context) error
	DeleteForever(ctx context.Context, ids []string) error
	Versions(ctx context.Context, id string) ([]client.FileVersion, error)
	RestoreVersion(ctx context.Context, id string, i int) error
	SetVersionsKept(ctx context.Context, n int) error
	UploadFile(ctx context.Context, parent string, r io.Reader, size int64, name, mediaType string, mtime time.Time, progress func(done, total int64)) (client.Uploaded, error)
	WriteZip(ctx context.Context, ids []string, w io.Writer, progress func(done, total int64)) error
}

// haltedOf returns why session s stopped saving, or "".
func haltedOf(s session) string {
	switch s := s.(type) {
	case *client.Client:
		return s.Halted()
	case *client.App:
		return s.State().Halted
	}
	return ""
}

// API is the client library as the browser sees it: one method per
// operation of spec/web.md §3, with JSON-able arguments and results and
// errors of type *Error. Its methods may be called from several goroutines.
type API struct {
	cfg    Config
	server string // cfg.Server normalized

	mu        sync.Mutex
	c         session        // nil: signed out
	acct      *client.Client // the session when signed in with a password (Home)
	app       *client.App    // the session of an app (spec/web.md §5)
	pending   *pendingConnect
	appTokens []string            // ids of the app tokens this browser created (Home)
	appSlugs  []string            // the apps connected in this browser (Home)
	offered   map[string]*offered // the connections ConnectOffer described, by state (connect.go)
	offer     *client.AppOffer    // the app Home last offered to install (apps.go)
	resealMu  sync.Mutex          // one Reseal at a time
	// The installed apps search links hits to (search.go), and when
	// they were read.
	appsSeen   map[string]appInfo
	appsSeenAt time.Time
	gen        uint64 // bumped at every change of session
	live       map[string]map[string]*entry
	seqs       map[string]map[string]uint64 // doctype → id → seq (seqs.go)
	ob         *outbox                      // the writes waiting for the server (outbox.go)
	loaded     map[string]bool              // doctypes whose documents known before this session are in live
	dirty      map[string]map[int]bool      // doctype → its pages changed since last given (docpages.go)
	subs       map[int]*subscription
	loop       *loop
	lastSaved  []byte
	fetchMu    sync.Mutex // one load of older documents at a time
	// memories is what this browser verified of each account signed in
	// here (its State without token, session or master key), most recently
	// used first, kept when a session ends so that the next sign-in is a
	// known device's (spec protocol.md §4.7, web.md §4): Login gives the
	// account's as Options.Previous. appMemory is an app's own (memory.go).
	memories  []memEntry
	appMemory *memEntry
	// epoch is the session's saved.Epoch; haltSaid the halt last told
	// with a "halted" event.
	epoch    uint64
	haltSaid string
}

// New returns an API for cfg.Server, signed out.
func New(cfg Config) (*API, error) {
	u, err := url.Parse(strings.TrimRight(cfg.Server, "/"))
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, badInput("%q is not a server URL", cfg.Server)
	}
	if cfg.Device == "" {
		cfg.Device = "browser"
	}
	if cfg.PollWait <= 0 {
		cfg.PollWait = 55 * time.Second
	}
	return &API{cfg: cfg, server: u.String(), live: map[string]map[string]*entry{},
		loaded: map[string]bool{}, subs: map[int]*subscription{}}, nil
}

// opts returns the client's options, with Home's memory of user (if any)
// as Options.Previous.
func (a *API) opts(user string) *client.Options {
	a.mu.Lock()
	defer a.mu.Unlock()
	o := &client.Options{Device: a.cfg.Device, KDF: a.cfg.KDF}
	if m := a.memoryForLocked(user); m != nil {
		o.Previous = m.State
	}
	return o
}

func (a *API) emit(ev Event) {
	if a.cfg.OnEvent != nil {
		a.cfg.OnEvent(ev)
	}
}

// session returns the current session, or errNotLoggedIn.
func (a *API) session() (session, uint64, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.c == nil {
		return nil, 0, errNotLoggedIn
	}
	return a.c, a.gen, nil
}

var errNotForApps = &Error{Code: string(wire.CodeForbidden), Message: "only Home can do this, not an app"}

// account returns Home's session, or an error in an app or signed out.
func (a *API) account() (*client.Client, uint64, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.c == nil {
		return nil, 0, errNotLoggedIn
	}
	if a.acct == nil {
		return nil, 0, errNotForApps
	}
	return a.acct, a.gen, nil
}

// fail maps err, and ends the session if the server says it ended.
func (a *API) fail(gen uint64, err error) error {
	e := toError(err)
	if e != nil && e.Code == CodeSessionEnded && gen != 0 {
		a.drop(gen)
	}
	if e != nil && e.Code == CodeIntegrity && gen != 0 {
		// A rollback found by any call halts the client: the saved state
		// keeps the halt now, not at the feed loop's next pass, which the
		// host can put off for as long as it likes (protocol §4.7).
		a.persist(gen)
	}
	if e == nil {
		return nil
	}
	return e
}

// Close stops the feed loop. The API is not to be used after.
func (a *API) Close() {
	a.mu.Lock()
	a.stopLocked()
	a.stopOutboxLocked()
	a.subs = map[int]*subscription{}
	a.mu.Unlock()
}
