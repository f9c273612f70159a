package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"github.com/hearthcloud/hearth/internal/appmanifest"
	"github.com/hearthcloud/hearth/internal/wire"
	"github.com/hearthcloud/hearth/server/blob"
	"github.com/hearthcloud/hearth/server/meta"
)

// Apps installed from archives (§8.10, spec/apps.md §2): code, not user
// data, stored in the clear and served on the app's origin by package site.

// Limits of installed apps.
const (
	maxApps        = 100             // per account
	appBodyTimeout = 2 * time.Minute // an archive's body must arrive within
)

// appJSON is an installed app as the API answers it.
type appJSON struct {
	Slug      string          `json:"slug"`
	Version   string          `json:"version"`
	Size      int64           `json:"size"`
	Digest    string          `json:"digest"` // hex SHA-256 of the archive
	Installed time.Time       `json:"installed"`
	Updated   time.Time       `json:"updated"`
	Manifest  json.RawMessage `json:"manifest"`
}

func appOut(a *meta.App) appJSON {
	return appJSON{Slug: a.Slug, Version: a.Version, Size: a.Size, Digest: hex.EncodeToString(a.Digest[:]),
		Installed: a.Installed.UTC(), Updated: a.Updated.UTC(), Manifest: a.Manifest}
}

func slugVar(r *http.Request) (string, error) {
	slug := mux.Vars(r)["slug"]
	if err := appmanifest.CheckSlug(slug); err != nil {
		return "", Errorf(wire.CodeInvalidName, "not an app slug (a-z, 0-9 and -, starting with a letter, at most 32)")
	}
	return slug, nil
}

// appVar checks a request naming an installed app ({slug}, no query
// parameters) and returns the app, or not_found.
func (s *Server) appVar(r *http.Request) (*meta.App, error) {
	if err := onlyParams(r); err != nil {
		return nil, err
	}
	slug, err := slugVar(r)
	if err != nil {
		return nil, err
	}
	a, err := s.cfg.Meta.App(r.Context(), tokenOf(r).User, slug)
	if errors.Is(err, meta.ErrNotFound) {
		return nil, Errorf(wire.CodeNotFound, "no such app is installed")
	}
	return a, err
}

// putApp checks the archive whole (spec/apps.md §2, and its pages as the
// site renders them), stores it durably, then the row; the body of an
// archive it replaces is removed when nothing names it any more.
func (s *Server) putApp(w http.ResponseWriter, r *http.Request) error {
	if err := onlyParams(r); err != nil {
		return err
	}
	slug, err := slugVar(r)
	if err != nil {
		return err
	}
	if err := uploadHead(r, typeZip, "the app's archive", appmanifest.MaxArchive,
		fmt.Sprintf("the archive is larger than %d MiB", appmanifest.MaxArchive>>20)); err != nil {
		return err
	}
	onlyNew, err := createOnly(r)
	if err != nil {
		return err
	}
	if s.cfg.Bundled != nil && s.cfg.Bundled(slug) {
		return Errorf(wire.CodeExists, "this is the slug of an app bundled with Hearth")
	}
	user := tokenOf(r).User
	// Checked first (before the body is read), and again, under the
	// account's lock, before the row is written.
	if err := s.appRoom(r, user, slug); err != nil {
		return err
	}
	grown := r.ContentLength
	if old, err := s.cfg.Meta.App(r.Context(), user, slug); err == nil {
		grown -= old.Size
	} else if !errors.Is(err, meta.ErrNotFound) {
		return err
	}
	unhold, err := s.holdUpload(r, user, r.ContentLength, grown)
	if err != nil {
		return err
	}
	defer unhold()
	// A few archives are read and checked at once (each holds up to 32
	// MiB), and each must arrive in time: a slot is taken once the body
	// begins, one an account, so a slow sender holds back no other account.
	http.NewResponseController(w).SetReadDeadline(time.Now().Add(appBodyTimeout))
	release, err := s.appSlot.take(r, user)
	if err != nil {
		return err
	}
	defer release()
	body, err := readBody(r, appmanifest.MaxArchive)
	if err != nil {
		return err
	}
	a, err := appmanifest.ReadArchive(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		return &Error{Code: wire.CodeBadRequest, Message: err.Error(), Err: err}
	}
	if len(a.Skipped) > 0 {
		return Errorf(wire.CodeBadRequest, "app archive: %s: hidden files (names starting with . or _) are never served, so they are not stored: leave them out", a.Skipped[0])
	}
	if a.Manifest.Slug != slug {
		return Errorf(wire.CodeBadRequest, "app archive: hearth-app.json: slug: not the slug the archive was sent for")
	}
	if s.cfg.CheckApp != nil {
		if err := s.cfg.CheckApp(slug, a.Files); err != nil {
			return &Error{Code: wire.CodeBadRequest, Message: "app archive: " + err.Error(), Err: err}
		}
	}
	if onlyNew {
		if _, err := s.cfg.Meta.App(r.Context(), user, slug); err == nil {
			return &Error{Code: wire.CodeConflict, Message: "an app of this slug is installed"}
		}
	}
	dg, err := s.cfg.Blobs.Put(r.Context(), bytes.NewReader(body), int64(len(body)), nil)
	if err != nil {
		return err
	}
	now := s.cfg.Now().UTC().Truncate(time.Second)
	row := &meta.App{Slug: slug, Version: a.Manifest.Version.String(), Manifest: a.ManifestJSON, Digest: dg,
		Size: int64(len(body)), Installed: now, Updated: now}
	um := s.appLocks.of(sha256.Sum256([]byte(user)))
	um.Lock()
	defer um.Unlock()
	if err := s.appRoom(r, user, slug); err != nil {
		s.removeUnused(r, dg)
		return err
	}
	mu := s.blobLocks.of(dg)
	mu.Lock()
	// A concurrent delete of another row with these bytes may have removed
	// the body between Put and here; then nothing is committed.
	rc, _, err := s.cfg.Blobs.Get(r.Context(), dg)
	if err != nil {
		mu.Unlock()
		if errors.Is(err, blob.ErrNotFound) {
			return &Error{Code: wire.CodeUnavailable, Message: "the upload raced with a deletion; send it again", Retry: 1}
		}
		return err
	}
	rc.Close()
	replaced, err := s.cfg.Meta.PutApp(r.Context(), user, row, onlyNew)
	mu.Unlock()
	if err != nil {
		if inUse, e2 := s.cfg.Meta.DigestInUse(r.Context(), dg); e2 == nil && !inUse {
			s.cfg.Blobs.Remove(r.Context(), dg)
		}
		if errors.Is(err, meta.ErrExists) {
			return &Error{Code: wire.CodeConflict, Message: "an app of this slug is installed"}
		}
		return err
	}
	status := http.StatusCreated
	if replaced != nil {
		status = http.StatusOK
		if replaced.Digest != dg {
			s.removeUnused(r, replaced.Digest)
		}
	}
	return writeJSON(w, status, appOut(row))
}

// appRoom refuses a new slug for an account holding maxApps apps.
func (s *Server) appRoom(r *http.Request, user, slug string) error {
	apps, err := s.cfg.Meta.ListApps(r.Context(), user)
	if err != nil {
		return err
	}
	if len(apps) >= maxApps && !slices.ContainsFunc(apps, func(a *meta.App) bool { return a.Slug == slug }) {
		return Errorf(wire.CodeTooLarge, "an account holds at most %d apps installed from archives", maxApps)
	}
	return nil
}

// removeUnused removes a body that no row names any more.
func (s *Server) removeUnused(r *http.Request, d [32]byte) {
	mu := s.blobLocks.of(d)
	mu.Lock()
	defer mu.Unlock()
	if inUse, err := s.cfg.Meta.DigestInUse(r.Context(), d); err == nil && !inUse {
		s.cfg.Blobs.Remove(r.Context(), d)
	}
}

func (s *Server) listApps(w http.ResponseWriter, r *http.Request) error {
	if err := onlyParams(r); err != nil {
		return err
	}
	apps, err := s.cfg.Meta.ListApps(r.Context(), tokenOf(r).User)
	if err != nil {
		return err
	}
	out := make([]appJSON, 0, len(apps))
	for _, a := range apps {
		out = append(out, appOut(a))
	}
	return writeJSON(w, http.StatusOK, map[string]any{"apps": out})
}

func (s *Server) getApp(w http.ResponseWriter, r *http.Request) error {
	a, err := s.appVar(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, appOut(a))
}

func (s *Server) getAppArchive(w http.ResponseWriter, r *http.Request) error {
	a, err := s.appVar(r)
	if err != nil {
		return err
	}
	rc, size, err := s.openAttachment(w, r, a.Digest, typeZip)
	if err != nil {
		return err
	}
	defer rc.Close()
	w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	w.WriteHeader(http.StatusOK)
	_, err = io.Copy(w, rc)
	return nil
}

func (s *Server) deleteApp(w http.ResponseWriter, r *http.Request) error {
	a, err := s.appVar(r)
	if err != nil {
		return err
	}
	mu := s.blobLocks.of(a.Digest)
	mu.Lock()
	inUse, err := s.cfg.Meta.DeleteApp(r.Context(), tokenOf(r).User, a.Slug)
	if err == nil && !inUse {
		s.cfg.Blobs.Remove(r.Context(), a.Digest)
	}
	mu.Unlock()
	if errors.Is(err, meta.ErrNotFound) {
		return Errorf(wire.CodeNotFound, "no such app is installed")
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
