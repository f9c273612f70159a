package api

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/hearthcloud/hearth/server/meta"
	"strings"
)

// writeSealed answers sealed bytes with their revision (§8.1.7).
func writeSealed(w http.ResponseWriter, rev uint64, b []byte) error {
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", "attachment") // never rendered (§8.1.9)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("ETag", `"`+strconv.FormatUint(rev, 10)+`"`)
	h.Set("Hearth-Revision", strconv.FormatUint(rev, 10))
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(b)
	return err
}

// precondition reads If-Match / If-None-Match: it returns the expected
// revision, 0 for a create (If-None-Match: *).
func precondition(r *http.Request) (uint64, error) {
	im, inm := r.Header.Get("If-Match"), r.Header.Get("If-None-Match")
	switch {
	case im != "" && inm != "":
		return 0, Errorf(CodeBadRequest, "send either If-Match or If-None-Match, not both")
	case inm == "*":
		return 0, nil
	case im != "":
		v, ok := strings.CutPrefix(im, `"`)
		v, ok2 := strings.CutSuffix(v, `"`)
		n, err := strconv.ParseUint(v, 10, 64)
		if !ok || !ok2 || err != nil || n == 0 || strconv.FormatUint(n, 10) != v {
			return 0, Errorf(CodeBadRequest, `If-Match: give the revision as "N"`)
		}
		return n, nil
	case inm != "":
		return 0, Errorf(CodeBadRequest, "If-None-Match: only * is supported")
	}
	return 0, Errorf(CodePreconditionRequired, `send If-Match: "N" (update) or If-None-Match: * (create)`)
}

func (s *Server) getKeyring(w http.ResponseWriter, r *http.Request) error {
	if err := onlyParams(r); err != nil {
		return err
	}
	rev, kr, _, err := s.cfg.Meta.Keyring(r.Context(), tokenOf(r).User)
	if err != nil {
		return err
	}
	return writeSealed(w, rev, kr)
}

func (s *Server) getRecoveryKeyring(w http.ResponseWriter, r *http.Request) error {
	if err := onlyParams(r); err != nil {
		return err
	}
	rev, _, rk, err := s.cfg.Meta.Keyring(r.Context(), tokenOf(r).User)
	if err != nil {
		return err
	}
	return writeSealed(w, rev, rk)
}

func (s *Server) putKeyring(w http.ResponseWriter, r *http.Request) error {
	ifRev, err := precondition(r)
	if err != nil {
		return err
	}
	if ifRev == 0 {
		return conflict(0, "the keyring exists from sign-up; update it with If-Match")
	}
	var req struct {
		Keyring         []byte `json:"keyring"`
		RecoveryKeyring []byte `json:"recovery_keyring"`
	}
	if err := readJSON(r, maxJSON, &req); err != nil {
		return err
	}
	if len(req.Keyring) == 0 || len(req.RecoveryKeyring) == 0 {
		return Errorf(CodeBadRequest, "send both keyring and recovery_keyring")
	}
	user := tokenOf(r).User
	rev, err := s.cfg.Meta.PutKeyring(r.Context(), user, ifRev, req.Keyring, req.RecoveryKeyring)
	if err != nil {
		if cur, _, _, e2 := s.cfg.Meta.Keyring(r.Context(), user); e2 == nil && isConflict(err) {
			return conflict(cur, "the keyring changed; read it again")
		}
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]uint64{"rev": rev})
}

func conflict(current uint64, msg string) *Error {
	return &Error{Code: CodeConflict, Message: msg, Rev: &current}
}

// answerPut answers a write of a sealed item under a revision
// precondition (ifRev; 0 for a create) that the store took (rev) or
// refused (err). A refusal the caller judged a conflict answers the
// current revision, as current reads it (0 when there is none); a taken
// write answers 201 for a create, else 200, with {"rev": rev}.
func answerPut(w http.ResponseWriter, ifRev, rev uint64, err error, conflicted bool, current func() (uint64, []byte, error), msg string) error {
	if conflicted {
		cur, _, e2 := current()
		if e2 != nil && !errors.Is(e2, meta.ErrNotFound) {
			return e2
		}
		return conflict(cur, msg)
	}
	if err != nil {
		return err
	}
	status := http.StatusOK
	if ifRev == 0 {
		status = http.StatusCreated
	}
	return writeJSON(w, status, map[string]uint64{"rev": rev})
}

func isConflict(err error) bool { return AsError(err).Code == CodeConflict }
