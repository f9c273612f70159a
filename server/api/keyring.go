package api

import (
	"net/http"

	"github.com/hearthcloud/hearth/internal/wire"
)

// The keyring and its recovery copy (§8.3): one mutable sealed item in two
// copies, written together.

// getKeyring answers the keyring, or its recovery copy if recovery is set.
func (s *Server) getKeyring(recovery bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := onlyParams(r); err != nil {
			return err
		}
		rev, kr, rk, err := s.cfg.Meta.Keyring(r.Context(), tokenOf(r).User)
		if err != nil {
			return err
		}
		if recovery {
			kr = rk
		}
		return writeSealed(w, rev, kr)
	}
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
		return Errorf(wire.CodeBadRequest, "send both keyring and recovery_keyring")
	}
	user := tokenOf(r).User
	rev, err := s.cfg.Meta.PutKeyring(r.Context(), user, ifRev, req.Keyring, req.RecoveryKeyring)
	return answerPut(w, ifRev, rev, err, isConflict(err), func() (uint64, error) {
		cur, _, _, e2 := s.cfg.Meta.Keyring(r.Context(), user)
		if e2 != nil {
			return 0, err // the store's refusal, as it came
		}
		return cur, nil
	}, "the keyring changed; read it again")
}
