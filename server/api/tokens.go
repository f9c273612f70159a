package api

import (
	"errors"
	"net/http"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/hearthcloud/hearth/internal/appmanifest"

	"github.com/gorilla/mux"

	"github.com/hearthcloud/hearth/internal/wire"
	"github.com/hearthcloud/hearth/server/auth"
	"github.com/hearthcloud/hearth/server/meta"
)

// App and device tokens (§8.9.1) and grants (§8.9.2).

type scopeJSON struct {
	Doctype string   `json:"doctype"`
	Verbs   []string `json:"verbs"`
}

type tokenJSON struct {
	ID       string      `json:"id"`
	Name     string      `json:"name"`
	Kind     string      `json:"kind"`
	Token    string      `json:"token,omitempty"`
	Scopes   []scopeJSON `json:"scopes"`
	Created  time.Time   `json:"created"`
	LastSeen *time.Time  `json:"last_seen,omitempty"`
}

// checkDisplayName applies §8.1.2's rule for display names.
func checkDisplayName(field, name string) error {
	n := utf8.RuneCountInString(name)
	if n < 1 || n > 64 || !utf8.ValidString(name) {
		return Errorf(wire.CodeBadRequest, "%s: give 1 to 64 characters", field)
	}
	for _, c := range name {
		if c < 0x20 || c >= 0x7f && c <= 0x9f {
			return Errorf(wire.CodeBadRequest, "%s: control characters are not allowed", field)
		}
	}
	return nil
}

func checkScopes(in []scopeJSON) ([]meta.Scope, error) {
	if len(in) < 1 || len(in) > 100 {
		return nil, Errorf(wire.CodeBadRequest, "scopes: give 1 to 100")
	}
	seen := map[string]bool{}
	out := make([]meta.Scope, 0, len(in))
	for _, sc := range in {
		if err := wire.CheckDoctype(sc.Doctype); err != nil {
			return nil, err
		}
		if appmanifest.Internal(sc.Doctype) {
			return nil, Errorf(wire.CodeBadRequest, "scopes: %s is Hearth's own: no token is given it", sc.Doctype)
		}
		if seen[sc.Doctype] {
			return nil, Errorf(wire.CodeBadRequest, "scopes: each doctype at most once")
		}
		seen[sc.Doctype] = true
		if len(sc.Verbs) == 0 {
			return nil, Errorf(wire.CodeBadRequest, "scopes: give at least one verb")
		}
		held := map[string]bool{}
		for _, v := range sc.Verbs {
			if !access(v).isVerb() || held[v] {
				return nil, Errorf(wire.CodeBadRequest, "scopes: verbs are distinct, from read, write and delete")
			}
			held[v] = true
		}
		out = append(out, meta.Scope{Doctype: sc.Doctype, Verbs: slices.Clone(sc.Verbs)})
	}
	return out, nil
}

func tokenInfo(t *meta.Token) tokenJSON {
	out := tokenJSON{ID: t.ID, Name: t.Name, Kind: t.Kind, Created: t.Created.UTC(), Scopes: []scopeJSON{}}
	for _, sc := range t.Scopes {
		out.Scopes = append(out.Scopes, scopeJSON{sc.Doctype, sc.Verbs})
	}
	return out
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Name   string      `json:"name"`
		Kind   string      `json:"kind"`
		Scopes []scopeJSON `json:"scopes"`
	}
	if err := readJSON(r, maxJSON, &req); err != nil {
		return err
	}
	if req.Kind != meta.KindApp && req.Kind != meta.KindDevice {
		return Errorf(wire.CodeBadRequest, "kind: give app or device")
	}
	if err := checkDisplayName("name", req.Name); err != nil {
		return err
	}
	scopes, err := checkScopes(req.Scopes)
	if err != nil {
		return err
	}
	tok, hash := auth.NewToken(auth.AppPrefix)
	now := s.cfg.Now().UTC().Truncate(time.Second)
	caller := tokenOf(r)
	t := &meta.Token{ID: wire.NewID(), User: caller.User, Kind: req.Kind, Name: req.Name, Hash: hash,
		Scopes: scopes, Created: now, LastSeen: now}
	if t.Kind == meta.KindApp && caller.Kind == meta.KindSession {
		t.Session = caller.ID // the app ends with the session that connected it (§8.9.1)
	}
	if err := s.cfg.Meta.CreateToken(r.Context(), t); err != nil {
		if t.Session != "" && errors.Is(err, meta.ErrNotFound) {
			// The session ended since this request was authenticated.
			return Errorf(wire.CodeUnauthenticated, "the token is unknown, expired or revoked")
		}
		if errors.Is(err, meta.ErrTooMany) {
			return Errorf(wire.CodeTooLarge, "an account holds at most %d %s tokens: revoke some first", meta.MaxTokens, t.Kind)
		}
		return err
	}
	out := tokenInfo(t)
	out.Token = tok
	return writeJSON(w, http.StatusCreated, out)
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) error {
	if err := onlyParams(r); err != nil {
		return err
	}
	user := tokenOf(r).User
	out := []tokenJSON{}
	for _, kind := range []string{meta.KindApp, meta.KindDevice} {
		list, err := s.cfg.Meta.Tokens(r.Context(), user, kind)
		if err != nil {
			return err
		}
		for _, t := range list {
			info := tokenInfo(t)
			seen := t.LastSeen.UTC()
			info.LastSeen = &seen
			out = append(out, info)
		}
	}
	slices.SortStableFunc(out, func(a, b tokenJSON) int { return a.Created.Compare(b.Created) })
	return writeJSON(w, http.StatusOK, map[string]any{"tokens": out})
}

// ownToken returns the caller's app or device token with this id.
func (s *Server) ownToken(r *http.Request, id string) (*meta.Token, error) {
	user := tokenOf(r).User
	for _, kind := range []string{meta.KindApp, meta.KindDevice} {
		list, err := s.cfg.Meta.Tokens(r.Context(), user, kind)
		if err != nil {
			return nil, err
		}
		for _, t := range list {
			if t.ID == id {
				return t, nil
			}
		}
	}
	return nil, Errorf(wire.CodeNotFound, "no such token")
}

func (s *Server) deleteToken(w http.ResponseWriter, r *http.Request) error {
	if err := readEmptyBody(r); err != nil {
		return err
	}
	t, err := s.ownToken(r, mux.Vars(r)["id"])
	if err != nil {
		return err
	}
	if err := s.cfg.Meta.DeleteToken(r.Context(), t.User, t.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// grantTarget resolves {token-id} to one of the caller's app or device
// tokens; "self" is not a token id (§8.1.2).
func (s *Server) grantTarget(r *http.Request) (*meta.Token, error) {
	return s.ownToken(r, mux.Vars(r)["id"])
}

func (s *Server) putGrant(w http.ResponseWriter, r *http.Request) error {
	ifRev, err := precondition(r)
	if err != nil {
		return err
	}
	if err := mediaType(r, typeSealed, "the sealed grant"); err != nil {
		return err
	}
	body, err := readSealed(r, maxDocument)
	if err != nil {
		return err
	}
	t, err := s.grantTarget(r)
	if err != nil {
		return err
	}
	rev, err := s.cfg.Meta.PutGrant(r.Context(), t.User, t.ID, ifRev, body)
	conflicted := errors.Is(err, meta.ErrExists) || errors.Is(err, meta.ErrConflict)
	return answerPut(w, ifRev, rev, err, conflicted, func() (uint64, error) {
		cur, _, err := s.cfg.Meta.Grant(r.Context(), t.User, t.ID)
		return cur, err
	}, "the grant changed; read it again")
}

func (s *Server) writeGrant(w http.ResponseWriter, r *http.Request, user, tokenID string) error {
	rev, b, err := s.cfg.Meta.Grant(r.Context(), user, tokenID)
	if errors.Is(err, meta.ErrNotFound) {
		return Errorf(wire.CodeNotFound, "no grant for this token")
	}
	if err != nil {
		return err
	}
	return writeSealed(w, rev, b)
}

func (s *Server) getGrant(w http.ResponseWriter, r *http.Request) error {
	if err := onlyParams(r); err != nil {
		return err
	}
	t, err := s.grantTarget(r)
	if err != nil {
		return err
	}
	return s.writeGrant(w, r, t.User, t.ID)
}

func (s *Server) deleteGrant(w http.ResponseWriter, r *http.Request) error {
	if err := readEmptyBody(r); err != nil {
		return err
	}
	t, err := s.grantTarget(r)
	if err != nil {
		return err
	}
	if err := s.cfg.Meta.DeleteGrant(r.Context(), t.User, t.ID); err != nil {
		if errors.Is(err, meta.ErrNotFound) {
			return Errorf(wire.CodeNotFound, "no grant for this token")
		}
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) selfGrant(w http.ResponseWriter, r *http.Request) error {
	if err := onlyParams(r); err != nil {
		return err
	}
	if err := permit(r, ""); err != nil {
		return err
	}
	t := tokenOf(r)
	return s.writeGrant(w, r, t.User, t.ID)
}
