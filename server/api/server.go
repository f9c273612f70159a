package api

import (
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/gorilla/mux"

	"github.com/hearthcloud/hearth/crypto/kdf"
	"github.com/hearthcloud/hearth/server/auth"
	"github.com/hearthcloud/hearth/server/blob"
	"github.com/hearthcloud/hearth/server/meta"
)

// Config is what the API needs; cmd/hearthd wires it.
type Config struct {
	Meta   meta.Store
	Blobs  blob.Store
	Secret []byte // at least 32 random bytes kept with the data (fake seeds)

	Hash        auth.HashParams // login-secret hashing; zero: auth.DefaultHashParams
	DefaultKDF  kdf.Params      // for prelogin of unknown users; zero: kdf.Default
	SignupOff   bool            // answer sign-up with 403
	SessionTTL  time.Duration   // zero: 30 days
	MaxBlobSize int64           // zero: 4 GiB
	BodyTimeout time.Duration   // a request body must arrive within; zero: 30 s
	StreamIdle  time.Duration   // a blob stream without progress is aborted after; zero: 60 s
	Now         func() time.Time
	Log         *slog.Logger // never given bodies, tokens or query strings

	// TrustedProxies are the ranges of reverse proxies whose X-Forwarded-For
	// or Forwarded header names the client, for per-address limits (nil:
	// none; the connecting address is the client's).
	TrustedProxies []netip.Prefix

	// Bundled reports the slugs of the apps bundled with Hearth, which no
	// archive may take (nil: none); CheckApp renders an archive's pages as
	// the site will serve them (nil: no check beyond the archive's rules).
	Bundled  func(slug string) bool
	CheckApp func(slug string, files fs.FS) error

	// SignupInvite makes sign-up need a one-time invitation (§8.2.2);
	// SignupOff wins over it.
	SignupInvite bool
}

// Server serves the API.
type Server struct {
	cfg       Config
	router    *mux.Router
	byUser    *auth.Limiter
	byAddr    *auth.Limiter
	signups   *auth.Limiter // every sign-up attempt counts: 30 a minute per address
	prelogins *auth.Rate    // per address
	checks    *auth.Rate    // credential checks, per address, whatever their outcome
	hashes    *hashGate     // Argon2id runs in flight
	feedWait  *notifier
	closing   chan struct{} // closed by Close: long-polls answer at once
	bulkSlots *slots        // bulk writes being read at once
	closeOnce sync.Once
	blobLocks digestLocks
	appLocks  digestLocks    // by account: installing apps
	allowed   []allowedRoute // for the Allow header of 405 answers
	appSlot   *slots         // archives being read and checked at once
	uploads   holds          // bytes of uploads under way, by account (quota.go)
}

// New returns the API as an http.Handler.
func New(cfg Config) *Server {
	if cfg.Hash == (auth.HashParams{}) {
		cfg.Hash = auth.DefaultHashParams
	}
	if cfg.DefaultKDF == (kdf.Params{}) {
		cfg.DefaultKDF = kdf.Default
	}
	if cfg.SessionTTL == 0 {
		cfg.SessionTTL = 30 * 24 * time.Hour
	}
	if cfg.BodyTimeout == 0 {
		cfg.BodyTimeout = 30 * time.Second
	}
	if cfg.StreamIdle == 0 {
		cfg.StreamIdle = 60 * time.Second
	}
	if cfg.MaxBlobSize == 0 {
		cfg.MaxBlobSize = 4 << 30
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	feedWait := newNotifier()
	cfg.Meta = cachedMeta{cfg.Meta, newTokenCache(cfg.Meta, 10*time.Second), feedWait.notify}
	if len(cfg.Secret) < 32 {
		panic("api: server secret shorter than 32 bytes")
	}
	s := &Server{cfg: cfg, byUser: auth.NewLimiter(), byAddr: &auth.Limiter{Free: 30, First: time.Second, Max: time.Minute},
		signups:   &auth.Limiter{Free: 30, First: time.Second, Max: time.Minute, Forget: time.Minute},
		prelogins: &auth.Rate{Burst: 60, Every: time.Second}, checks: &auth.Rate{Burst: 60, Every: time.Second},
		hashes:   defaultHashGate(),
		feedWait: feedWait, closing: make(chan struct{}), bulkSlots: newSlots(4, 2), appSlot: newSlots(2, 1)}
	s.router = s.routes()
	return s
}

// Close makes waiting long-polls answer at once (with what there is), so a
// graceful shutdown does not wait for them.
func (s *Server) Close() { s.closeOnce.Do(func() { close(s.closing) }) }

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.router.ServeHTTP(w, r) }

// routes registers every route of §8.11 in one place.
func (s *Server) routes() *mux.Router {
	r := mux.NewRouter()
	r.NotFoundHandler = s.handle(func(http.ResponseWriter, *http.Request) error {
		return Errorf(CodeNotFound, "no such route")
	})
	r.MethodNotAllowedHandler = s.handle(func(w http.ResponseWriter, r *http.Request) error {
		allow := s.allowHeader(r.URL.Path)
		if allow == "" { // only the preflight route matched the path
			return Errorf(CodeNotFound, "no such route")
		}
		w.Header().Set("Allow", allow)
		return Errorf(CodeMethodNotAllowed, "this path does not take this method")
	})
	// Full paths on the root router: gorilla/mux 1.8 answers 404 instead of
	// 405 for a wrong method under a PathPrefix subrouter.
	open := func(path string, h handlerFunc, methods ...string) {
		r.Handle("/v1"+path, s.handle(h)).Methods(methods...)
	}
	session := func(path string, h handlerFunc, methods ...string) {
		r.Handle("/v1"+path, s.handle(s.authenticated(true, h))).Methods(methods...)
	}
	token := func(path string, h handlerFunc, methods ...string) {
		r.Handle("/v1"+path, s.handle(s.authenticated(false, h))).Methods(methods...)
	}

	open("/prelogin", s.prelogin, http.MethodPost)
	open("/accounts", s.signup, http.MethodPost)
	open("/login", s.login, http.MethodPost)
	open("/server", s.serverInfo, http.MethodGet)
	session("/logout", s.logout, http.MethodPost)
	session("/sessions", s.listSessions, http.MethodGet)
	session("/sessions/{id}", s.deleteSession, http.MethodDelete)

	session("/totp/enroll", s.totpEnroll, http.MethodPost)
	session("/totp/confirm", s.totpConfirm, http.MethodPost)
	session("/totp/disable", s.totpDisable, http.MethodPost)

	session("/keyring", s.getKeyring(false), http.MethodGet)
	session("/keyring", s.putKeyring, http.MethodPut)
	session("/keyring/recovery", s.getKeyring(true), http.MethodGet)

	token("/doctypes", s.listDoctypes, http.MethodGet)
	token("/doctypes/{doctype}", s.putDoctype, http.MethodPut)
	token("/docs/{doctype}", s.listDocs, http.MethodGet)
	token("/docs/{doctype}/_bulk_put", s.bulkPut, http.MethodPost)
	token("/docs/{doctype}/_bulk_get", s.bulkGet, http.MethodPost)
	token("/docs/{doctype}/{id}", s.getDoc, http.MethodGet)
	token("/docs/{doctype}/{id}", s.putDoc, http.MethodPut)
	token("/docs/{doctype}/{id}", s.deleteDoc, http.MethodDelete)
	token("/changes", s.changes, http.MethodGet)

	open("/recovery/keyring", s.recoveryKeyring, http.MethodPost)
	open("/recovery/reset", s.recoveryReset, http.MethodPost)
	session("/account/password", s.changePassword, http.MethodPost)
	session("/account", s.getAccount, http.MethodGet)

	for _, kind := range []struct {
		prefix  string
		segment bool
	}{{"/blobs/{doctype}", false}, {"/index/{doctype}/segments", true}} {
		token(kind.prefix, s.listBlobs(kind.segment), http.MethodGet)
		token(kind.prefix+"/{id}", s.getBlob(kind.segment), http.MethodGet, http.MethodHead)
		token(kind.prefix+"/{id}", s.putBlob(kind.segment), http.MethodPut)
		token(kind.prefix+"/{id}", s.deleteBlob(kind.segment), http.MethodDelete)
	}
	token("/index/{doctype}/manifest", s.getManifest, http.MethodGet)
	token("/index/{doctype}/manifest", s.putManifest, http.MethodPut)

	session("/tokens", s.createToken, http.MethodPost)
	session("/tokens", s.listTokens, http.MethodGet)
	session("/tokens/{id}", s.deleteToken, http.MethodDelete)
	// /grants/self before /grants/{id}: "self" is never a token id.
	token("/grants/self", s.selfGrant, http.MethodGet)
	session("/grants/{id}", s.getGrant, http.MethodGet)
	session("/grants/{id}", s.putGrant, http.MethodPut)
	session("/grants/{id}", s.deleteGrant, http.MethodDelete)

	session("/apps", s.listApps, http.MethodGet)
	session("/apps/{slug}", s.getApp, http.MethodGet)
	session("/apps/{slug}", s.putApp, http.MethodPut)
	session("/apps/{slug}", s.deleteApp, http.MethodDelete)
	session("/apps/{slug}/archive", s.getAppArchive, http.MethodGet)

	// CORS preflight for every path under /v1 (§8.1.9).
	r.PathPrefix("/v1/").Methods(http.MethodOptions).Handler(s.handle(preflight))
	s.allowed = allowedRoutes(r)
	return r
}
