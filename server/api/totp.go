package api

import (
	"errors"
	"net/http"

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
		return Errorf(CodeExists, "TOTP is already enabled; disable it first")
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
				return Errorf(CodeTOTPReplayed, "this code was already used; wait for the next one")
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
	return Errorf(CodeTOTPInvalid, "wrong code")
}

func (s *Server) totpConfirm(w http.ResponseWriter, r *http.Request) error {
	var req codeRequest
	if err := readJSON(r, maxJSON, &req); err != nil {
		return err
	}
	user := tokenOf(r).User
	st, err := s.cfg.Meta.TOTP(r.Context(), user)
	if err != nil {
		return err
	}
	if st.Enabled || st.Secret == nil {
		return Errorf(CodeNotFound, "no TOTP enrolment is pending")
	}
	at, err := s.reserve(r, user)
	if err != nil {
		return err
	}
	if err := at.end(s.checkCode(r, user, st, req.Code, false)); err != nil {
		return err
	}
	codes, hashes := totp.NewRecoveryCodes(totp.RecoveryCodeCount)
	st, err = s.cfg.Meta.TOTP(r.Context(), user) // LastStep moved
	if err != nil {
		return err
	}
	st.Enabled, st.RecoveryCodes = true, hashes
	if err := s.cfg.Meta.PutTOTP(r.Context(), user, st); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"recovery_codes": codes})
}

func (s *Server) totpDisable(w http.ResponseWriter, r *http.Request) error {
	var req codeRequest
	if err := readJSON(r, maxJSON, &req); err != nil {
		return err
	}
	user := tokenOf(r).User
	st, err := s.cfg.Meta.TOTP(r.Context(), user)
	if err != nil {
		return err
	}
	if !st.Enabled {
		return Errorf(CodeNotFound, "TOTP is not enabled")
	}
	at, err := s.reserve(r, user)
	if err != nil {
		return err
	}
	if err := at.end(s.checkCode(r, user, st, req.Code, true)); err != nil {
		return err
	}
	st, err = s.cfg.Meta.TOTP(r.Context(), user)
	if err != nil {
		return err
	}
	if err := s.cfg.Meta.PutTOTP(r.Context(), user, &meta.TOTPState{LastStep: st.LastStep}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
