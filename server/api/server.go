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

	// HomeOrigin is Home's origin as the browser that sent r sees it (the
	// site's, site.Site.HomeOrigin): the passkeys' relying party is its
	// host, at that origin (§8.2.10). Nil: http://home.localhost on r's
	// port (tests).
	HomeOrigin func(r *http.Request) string
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
	sessions  sessionLocks   // upload sessions' requests, one at a time (uploads.go)

	linkInfos   *auth.Rate    // link public information, per address (§8.12.2)
	proofByLink *auth.Limiter // wrong link proofs, per link (§8.12.3)
	proofByAddr *auth.Limiter // and per address

	passkeyCeremonies    ceremonies // passkey sign-ins under way
	passkeyRegistrations ceremonies // passkey registrations under way
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
	s.linkInfos = &auth.Rate{Burst: 60, Every: time.Second}
	s.proofByLink = &auth.Limiter{Free: 10, First: time.Second, Max: 15 * time.Minute}
	s.proofByAddr = &auth.Limiter{Free: 30, First: time.Second, Max: time.Minute}
	s.router = s.routes()
	return s
}

// Close makes waiting long-polls answer at once (with what there is), so a
// graceful shutdown does not wait for them.
func (s *Server) Close() { s.closeOnce.Do(func() { close(s.closing) }) }

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.router.ServeHTTP(w, r) }
