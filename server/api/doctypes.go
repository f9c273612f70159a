package api

import (
	"errors"
	"net/http"
	"slices"

	"github.com/hearthcloud/hearth/internal/wire"
	"github.com/hearthcloud/hearth/server/meta"
)

func (s *Server) listDoctypes(w http.ResponseWriter, r *http.Request) error {
	if err := onlyParams(r); err != nil {
		return err
	}
	t := tokenOf(r)
	list, err := s.cfg.Meta.Doctypes(r.Context(), t.User)
	if err != nil {
		return err
	}
	type info struct {
		Name  string `json:"name"`
		Docs  int64  `json:"docs"`
		Bytes int64  `json:"bytes"`
	}
	out := []info{}
	for _, d := range list {
		if t.Kind != meta.KindSession && !slices.ContainsFunc(t.Scopes, func(sc meta.Scope) bool { return sc.Doctype == d.Name }) {
			continue
		}
		out = append(out, info{d.Name, d.Docs, d.Bytes})
	}
	return writeJSON(w, http.StatusOK, map[string]any{"doctypes": out})
}

func (s *Server) putDoctype(w http.ResponseWriter, r *http.Request) error {
	d, err := doctypeVar(r)
	if err != nil {
		return err
	}
	if err := readEmptyBody(r); err != nil {
		return err
	}
	created, err := s.cfg.Meta.PutDoctype(r.Context(), tokenOf(r).User, d)
	if errors.Is(err, meta.ErrTooMany) {
		return Errorf(wire.CodeTooLarge, "an account registers at most %d doctypes", meta.MaxDoctypes)
	}
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return writeJSON(w, status, map[string]string{"name": d})
}
