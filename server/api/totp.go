package api

import (
	"errors"
	"net/http"

	"github.com/hearthcloud/hearth/internal/wire"
	"github.com/hearthcloud/hearth/server/meta"
	"github.com/hearthcloud/hearth/server/totp"
)

func (s *Server) totpEnroll(w http.ResponseWriter, r *http.Request) error {
	if err := readEmptyBody(r); err != nil {
		return err
	}
	user := tokenOf(r).User
	st, err := s.cfg.Meta.TOTP(r.Context(), user)
	if err != nil {
		return err
	}
	if st.Enabled {
		return Errorf(wire.CodeExists, "TOTP is already enabled; disable it first")
	}
	secret := totp.NewSecret()
	uri, err := totp.URI(secret, user)
	if err != nil {
		return err
	}
	if err := s.cfg.Meta.PutTOTP(r.Context(), user, &meta.TOTPState{Secret: secret}); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]string{"uri": uri})
}

type codeRequest struct {
	Code string `json:"code"`
}

// checkCode accepts a TOTP code once (by its step) or, if recovery is true,
// a recovery code once.
func (s *Server) checkCode(r *http.Request, user string, st *meta.TOTPState, code string, recovery bool) error {
	if step, ok := totp.Verify(st.Secret, code, s.cfg.Now()); ok {
		if err := s.cfg.Meta.UseTOTPStep(r.Context(), user, step); err != nil {
			if errors.Is(err, meta.ErrReplay) {
				return Errorf(wire.CodeTOTPReplayed, "this code was already used; wait for the next one")
			}
			return err
		}
		return nil
	}
	if recovery {
		err := s.cfg.Meta.UseRecoveryCode(r.Context(), user, totp.HashRecoveryCode(code))
		if err == nil || !errors.Is(err, meta.ErrNotFound) {
			return err
		}
	}
	return Errorf(wire.CodeTOTPInvalid, "wrong code")
}

// totpCode reads a code request (§8.2.7) to confirm an enrolment (enabled
// false) or to disable TOTP (enabled true), and checks the code as one
// credential attempt; disabling also takes a recovery code. It answers
// not_found unless TOTP is in the state the request needs, and returns the
// state after the check.
func (s *Server) totpCode(r *http.Request, enabled bool) (string, *meta.TOTPState, error) {
	var req codeRequest
	if err := readJSON(r, maxJSON, &req); err != nil {
		return "", nil, err
	}
	user := tokenOf(r).User
	st, err := s.cfg.Meta.TOTP(r.Context(), user)
	if err != nil {
		return "", nil, err
	}
	switch {
	case !enabled && (st.Enabled || st.Secret == nil):
		return "", nil, Errorf(wire.CodeNotFound, "no TOTP enrolment is pending")
	case enabled && !st.Enabled:
		return "", nil, Errorf(wire.CodeNotFound, "TOTP is not enabled")
	}
	if err := s.attempt(r, user, func() error { return s.checkCode(r, user, st, req.Code, enabled) }); err != nil {
		return "", nil, err
	}
	st, err = s.cfg.Meta.TOTP(r.Context(), user) // LastStep moved
	return user, st, err
}

func (s *Server) totpConfirm(w http.ResponseWriter, r *http.Request) error {
	user, st, err := s.totpCode(r, false)
	if err != nil {
		return err
	}
	codes, hashes := totp.NewRecoveryCodes(totp.RecoveryCodeCount)
	st.Enabled, st.RecoveryCodes = true, hashes
	if err := s.cfg.Meta.PutTOTP(r.Context(), user, st); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"recovery_codes": codes})
}

func (s *Server) totpDisable(w http.ResponseWriter, r *http.Request) error {
	user, st, err := s.totpCode(r, true)
	if err != nil {
		return err
	}
	if err := s.cfg.Meta.PutTOTP(r.Context(), user, &meta.TOTPState{LastStep: st.LastStep}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
