package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/hearthcloud/hearth/internal/wire"
	"github.com/hearthcloud/hearth/server/meta"
)

// A doctype's index manifest (§7.2, §8.8) is a mutable sealed item like the
// keyring (§8.3), except that it does not exist until first written: GET is
// not_found until then, and the first PUT creates it with If-None-Match: *.
// The body is the raw sealed manifest (§8.1.3), at most maxManifest bytes.

func (s *Server) getManifest(w http.ResponseWriter, r *http.Request) error {
	if err := onlyParams(r); err != nil {
		return err
	}
	d, err := doctypeVar(r)
	if err != nil {
		return err
	}
	user := tokenOf(r).User
	rev, sealed, err := s.cfg.Meta.Manifest(r.Context(), user, d)
	if errors.Is(err, meta.ErrNotFound) {
		if err := s.registered(r, user, d); err != nil {
			return err
		}
		return Errorf(wire.CodeNotFound, "no manifest was written for this doctype")
	}
	if err != nil {
		return err
	}
	return writeSealed(w, rev, sealed)
}

// putManifest checks in the order of §8.1.6: names, scope, then the
// headers (length, media type, declared size, precondition), the body,
// the doctype's registration and last the revision.
func (s *Server) putManifest(w http.ResponseWriter, r *http.Request) error {
	if err := onlyParams(r); err != nil {
		return err
	}
	d, err := doctypeVar(r)
	if err != nil {
		return err
	}
	if err := uploadHead(r, typeSealed, "the sealed manifest", maxManifest,
		fmt.Sprintf("the body is larger than %d bytes", maxManifest)); err != nil {
		return err
	}
	ifRev, err := precondition(r)
	if err != nil {
		return err
	}
	body, err := readSealed(r, maxManifest)
	if err != nil {
		return err
	}
	user := tokenOf(r).User
	rev, err := s.cfg.Meta.PutManifest(r.Context(), user, d, ifRev, body)
	// Exists (a create of one that exists), a stale revision, or an update
	// of none: all are conflict, with the current revision (0: none).
	conflicted := errors.Is(err, meta.ErrExists) || errors.Is(err, meta.ErrConflict) || ifRev != 0 && errors.Is(err, meta.ErrNotFound)
	return answerPut(w, ifRev, rev, err, conflicted, func() (uint64, error) {
		cur, _, err := s.cfg.Meta.Manifest(r.Context(), user, d)
		return cur, err
	}, "the manifest changed; read it again")
}
