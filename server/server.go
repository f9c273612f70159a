// Package server assembles the Hearth server: the HTTP API of
// spec/protocol.md §8 (package api) over its embedded default storage,
// metadata in SQLite (package meta/sqlite) and blob bodies in a folder
// (package blob/disk), all inside one data folder, beside the web site
// (package site, spec/web.md: it serves the web client that wasm/web
// registers), with requests routed by host name (Handler):
//
//	DIR/meta.db        SQLite database (with meta.db-wal, meta.db-shm)
//	DIR/blobs/         sealed blob and index-segment bodies by digest
//	DIR/server-secret  32 random bytes made once (fake prelogin seeds)
//	DIR/lock           held by the one server serving DIR
//
// Admin (admin.go) works on the same folder for the operator's commands
// (hearthd quota, hearthd invite), also while a server runs on it.
//
// Everything in DIR is ciphertext or metadata the threat model lists as
// visible to the host.
package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	stdlog "log"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/hearthcloud/hearth/internal/appmanifest"
	"github.com/hearthcloud/hearth/server/api"
	"github.com/hearthcloud/hearth/server/auth"
	"github.com/hearthcloud/hearth/server/blob"
	"github.com/hearthcloud/hearth/server/blob/disk"
	"github.com/hearthcloud/hearth/server/meta"
	"github.com/hearthcloud/hearth/server/meta/sqlite"
	"github.com/hearthcloud/hearth/server/site"
)

// Config configures a server.
type Config struct {
	Dir         string          // data folder, created if missing
	MaxBlobSize int64           // zero: 4 GiB
	SignupOff   bool            // close sign-up
	SignupInv   bool            // sign-up needs an invitation (Admin.Invite); SignupOff wins
	Quota       meta.Limits     // every account's limits unless it has its own (Admin.SetQuota); zero: none
	Log         *slog.Logger    // nil: discard
	Hash        auth.HashParams // zero: auth.DefaultHashParams (tests lower it)
	Web         site.Config     // the web client: base domain (default localhost), scheme; tests may swap its files

	TrustedProxies []netip.Prefix // reverse proxies whose forwarded client address the rate limits use

	Now func() time.Time // the API's clock; nil: the package's (time.Now, or SetClockForTesting's)
}

// Server is an open data folder and the API serving it.
type Server struct {
	API       *api.Server
	Site      *site.Site
	meta      *sqlite.Store
	unlock    func() // the data folder's lock (lockFolder)
	stopSweep func() // ends the sweeper of upload sessions and waits for it
}

const secretName = "server-secret"

// Open opens (or creates) the data folder and removes debris a crash may
// have left: temporary blob files, bodies no row names, partial uploads no
// session names, and upload sessions that expired; then it sweeps expired
// sessions every few minutes until Close.
func Open(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.MaxBlobSize == 0 {
		cfg.MaxBlobSize = 4 << 30
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("data folder: %w", err)
	}
	unlock, err := lockFolder(cfg.Dir)
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			unlock()
		}
	}()
	secret, err := loadSecret(filepath.Join(cfg.Dir, secretName))
	if err != nil {
		return nil, err
	}
	blobs, err := disk.Open(filepath.Join(cfg.Dir, "blobs"), cfg.MaxBlobSize)
	if err != nil {
		return nil, err
	}
	m, err := sqlite.Open(filepath.Join(cfg.Dir, "meta.db"))
	if err != nil {
		return nil, err
	}
	// Make the folder's entries (blobs/, meta.db, the secret) and the
	// folder's own entry durable, as a first start creates them.
	for _, d := range []string{cfg.Dir, filepath.Dir(filepath.Clean(cfg.Dir))} {
		if err := syncDir(d); err != nil {
			m.Close()
			return nil, fmt.Errorf("data folder: %w", err)
		}
	}
	if n, err := collectOrphans(ctx, m, blobs); err != nil {
		m.Close()
		return nil, fmt.Errorf("start-up clean-up: %w", err)
	} else if n > 0 {
		cfg.Log.Info("removed bodies no row names", "count", n)
	}
	if n, err := collectPartials(ctx, m, blobs); err != nil {
		m.Close()
		return nil, fmt.Errorf("start-up clean-up: %w", err)
	} else if n > 0 {
		cfg.Log.Info("removed partial uploads no session names", "count", n)
	}
	wcfg := cfg.Web
	wcfg.Installed = installedApps{m, blobs}
	if wcfg.Log == nil {
		wcfg.Log = cfg.Log
	}
	ws, err := site.New(wcfg)
	if err != nil {
		m.Close()
		return nil, err
	}
	m.SetDefaultLimits(cfg.Quota)
	clock := cfg.Now
	if clock == nil {
		clock = now
	}
	a := api.New(api.Config{Meta: m, Blobs: blobs, Secret: secret, MaxBlobSize: cfg.MaxBlobSize, Now: clock,
		SignupOff: cfg.SignupOff, SignupInvite: cfg.SignupInv, Log: cfg.Log, Hash: cfg.Hash, Bundled: ws.Bundled, CheckApp: ws.CheckApp,
		TrustedProxies: cfg.TrustedProxies, HomeOrigin: func(r *http.Request) string {
			o, _ := ws.Origin(r.Host)
			return ws.HomeOrigin(r, o)
		}})
	// Upload sessions that expired while the server was down go now, the
	// others as they expire (spec §8.7.3).
	if n, err := a.SweepUploads(ctx); err != nil {
		m.Close()
		return nil, fmt.Errorf("start-up clean-up: %w", err)
	} else if n > 0 {
		cfg.Log.Info("removed expired upload sessions", "count", n)
	}
	sweepCtx, stopSweep := context.WithCancel(context.Background())
	swept := make(chan struct{})
	every := sweepEvery
	go func() { defer close(swept); a.RunSweeper(sweepCtx, every) }()
	ok = true
	return &Server{API: a, Site: ws, meta: m, unlock: unlock, stopSweep: func() { stopSweep(); <-swept }}, nil
}

// now is the server's clock; sweepEvery is how often expired upload
// sessions are swept. Tests built with the hearthtest tag may change both
// (testhook.go).
var (
	now        = time.Now
	sweepEvery = 5 * time.Minute
)

// installedApps finds the apps installed from archives for the site
// (spec/apps.md §2): the archive is read whole into memory (at most 32
// MiB) and served from there while the site keeps it.
type installedApps struct {
	meta  meta.Apps
	blobs blob.Getter
}

func (i installedApps) InstalledApp(ctx context.Context, user, slug string) ([32]byte, func() (fs.FS, error), error) {
	a, err := i.meta.App(ctx, user, slug)
	if errors.Is(err, meta.ErrNotFound) {
		return [32]byte{}, nil, fs.ErrNotExist
	}
	if err != nil {
		return [32]byte{}, nil, err
	}
	return a.Digest, func() (fs.FS, error) {
		rc, size, err := i.blobs.Get(context.Background(), a.Digest)
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		if size > appmanifest.MaxArchive {
			return nil, fmt.Errorf("app %s: archive of %d bytes", slug, size)
		}
		b := make([]byte, size)
		if _, err := io.ReadFull(rc, b); err != nil {
			return nil, err
		}
		ar, err := appmanifest.ReadArchive(bytes.NewReader(b), size)
		if err != nil {
			return nil, err
		}
		return ar.Files, nil
	}, nil
}

// Close stops the sweeper of upload sessions and closes the metadata store.
func (s *Server) Close() error {
	s.stopSweep()
	err := s.meta.Close()
	s.unlock()
	return err
}

// HTTPServer returns an http.Server for h with the timeouts of §8.1.10:
// headers within 10 s, idle connections closed after 120 s, and every
// response cut after 60 s without progress (a client that stops reading).
// Bodies and responses have no overall limit, since blobs stream for as
// long as they take (the API bounds small bodies and stalled streams
// itself). net/http's own messages go to log with client addresses removed
// (§8.1.12).
func HTTPServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{Handler: progressDeadlines(h), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second,
		ErrorLog: stdlog.New(addrScrubber{log}, "", 0)}
}

// addrScrubber passes net/http's log lines to a slog.Logger without the
// client addresses they name.
type addrScrubber struct{ log *slog.Logger }

var addrRE = regexp.MustCompile(`\[?[0-9a-fA-F.:]+\]?:\d+|\d+\.\d+\.\d+\.\d+`)

func (a addrScrubber) Write(p []byte) (int, error) {
	a.log.Warn("http server", "msg", addrRE.ReplaceAllString(strings.TrimSpace(string(p)), "[address]"))
	return len(p), nil
}

// loadSecret reads the server secret, making it on first use (mode 0600,
// written to a temporary file, fsynced and renamed).
func loadSecret(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		if len(b) != 32 {
			return nil, fmt.Errorf("%s: want 32 bytes, found %d; restore it from a backup", path, len(b))
		}
		return b, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	b = make([]byte, 32)
	rand.Read(b)
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, err
	}
	return b, syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// collectOrphans removes bodies that no row names: an upload whose body
// became durable but whose row never committed (a crash between the two),
// or a delete that crashed before removing the body.
func collectOrphans(ctx context.Context, m *sqlite.Store, blobs blob.Store) (int, error) {
	var orphans []blob.Digest
	err := blobs.Enumerate(ctx, func(d blob.Digest, _ int64) error {
		inUse, err := m.DigestInUse(ctx, d)
		if err != nil {
			return err
		}
		if !inUse {
			orphans = append(orphans, d)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, d := range orphans {
		if err := blobs.Remove(ctx, d); err != nil {
			return 0, err
		}
	}
	return len(orphans), nil
}

// collectPartials removes partial uploads (blob.Partials) that no upload
// session names: a session made or ended around a crash.
func collectPartials(ctx context.Context, m *sqlite.Store, blobs blob.Store) (int, error) {
	names, err := m.UploadPartials(ctx)
	if err != nil {
		return 0, err
	}
	named := make(map[string]bool, len(names))
	for _, n := range names {
		named[n] = true
	}
	var orphans []string
	if err := blobs.EnumeratePartials(ctx, func(name string) error {
		if !named[name] {
			orphans = append(orphans, name)
		}
		return nil
	}); err != nil {
		return 0, err
	}
	for _, n := range orphans {
		if err := blobs.RemovePartial(ctx, n); err != nil {
			return 0, err
		}
	}
	return len(orphans), nil
}

// Handler routes by Host (spec/web.md §1): Home's host (home.<domain>,
// with any port) serves the API under /v1/ and Home's pages and assets;
// the base domain (<domain>, or a loopback IP literal) serves the API
// under /v1/ and sends the browser on to Home for any other path
// (site.Site.Serve); <app>.<user>.<domain> serves that app's pages and the
// shared assets; any other host is answered 404.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/v1/", s.API)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		o, _ := s.Site.Origin(r.Host)
		s.Site.Serve(w, r, o)
	})
	if _, ok := s.Site.Bytes("index.html"); !ok {
		// A build without Home's page: say how to use the command line,
		// against the base domain (a program does not resolve Home's
		// *.localhost host).
		mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h.Set("Content-Type", "text/plain; charset=utf-8")
			h.Set("Content-Security-Policy", "default-src 'none'")
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Cache-Control", "no-store")
			host := r.Host
			if o, _ := s.Site.Origin(host); o.Home() {
				host = strings.TrimPrefix(strings.ToLower(host), site.HomeLabel+".")
			}
			fmt.Fprint(w, "Hearth is running (this build has no Home page).\n\nUse the command line client against this address:\n\n"+
				"  hearth signup --server http://"+host+" --user NAME\n\nSee the README for more.\n")
		})
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o, ok := s.Site.Origin(r.Host)
		switch {
		case !ok:
			site.NotFound(w, r)
		case o.App == "": // Home, or the base domain
			mux.ServeHTTP(w, r)
		default:
			s.Site.Serve(w, r, o)
		}
	})
}
