package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"

	"github.com/hearthcloud/hearth/server/auth"
	"github.com/hearthcloud/hearth/server/meta"
	"github.com/hearthcloud/hearth/server/totp"
	"github.com/hearthcloud/hearth/spec/wire"
)

// Endpoints that check credentials share one limiter per user name and one
// per client address (§8.1.11).

// limited answers rate_limited while user or the client's address is in
// backoff.
func (s *Server) limited(r *http.Request, user string) error {
	now := s.cfg.Now()
	if wait := s.byUser.Wait("user:"+user, now); wait > 0 {
		return &Error{Code: CodeRateLimited, Message: "too many failed attempts; wait and try again", Retry: int(wait.Seconds()) + 1}
	}
	if wait := s.byAddr.Wait("addr:"+clientAddr(r), now); wait > 0 {
		return &Error{Code: CodeRateLimited, Message: "too many attempts from this address; wait and try again", Retry: int(wait.Seconds()) + 1}
	}
	return nil
}

// failed counts a failure against user and the address and returns err.
func (s *Server) failed(r *http.Request, user string, err *Error) error {
	now := s.cfg.Now()
	s.byUser.Failure("user:"+user, now)
	s.byAddr.Failure("addr:"+clientAddr(r), now)
	return err
}

// counted passes on the outcome of a credential check: a failure counts
// against user and the address; a success clears user's count.
func (s *Server) counted(r *http.Request, user string, err error) error {
	if credentialFailure(err) {
		return s.failed(r, user, AsError(err))
	}
	if err == nil {
		s.byUser.Success("user:" + user)
	}
	return err
}

// credentialFailure reports whether err is one that counts for backoff.
func credentialFailure(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	return e.Code == CodeBadCredentials || e.Code == CodeTOTPInvalid || e.Code == CodeTOTPReplayed
}

// secondFactor checks TOTP for an account that has it enabled: a TOTP code
// or a recovery code, each accepted once. Accounts without TOTP pass.
func (s *Server) secondFactor(r *http.Request, user, code, recoveryCode string) error {
	st, err := s.cfg.Meta.TOTP(r.Context(), user)
	if err != nil {
		return err
	}
	if !st.Enabled {
		return nil
	}
	switch {
	case code != "":
		return s.checkCode(r, user, st, code, false)
	case recoveryCode != "":
		err := s.cfg.Meta.UseRecoveryCode(r.Context(), user, totp.HashRecoveryCode(recoveryCode))
		if errors.Is(err, meta.ErrNotFound) {
			return Errorf(CodeTOTPInvalid, "wrong or already used recovery code")
		}
		return err
	}
	return Errorf(CodeTOTPRequired, "this account needs an authenticator code")
}

// newLogin is the "new" member of password change and recovery reset
// (§8.2.5, §8.2.6).
type newLogin struct {
	KDF             kdfJSON `json:"kdf"`
	Seed            []byte  `json:"seed"`
	LoginSecret     []byte  `json:"login_secret"`
	RecoveryAuth    []byte  `json:"recovery_auth"`
	Keyring         []byte  `json:"keyring"`
	RecoveryKeyring []byte  `json:"recovery_keyring"`
	KeyringIfMatch  uint64  `json:"keyring_if_match"`
}

func (n *newLogin) update(s *Server) (*meta.LoginUpdate, error) {
	if err := n.KDF.params().Check(); err != nil {
		return nil, Errorf(CodeBadRequest, "new.kdf: %v", err)
	}
	if len(n.Seed) != 32 || len(n.LoginSecret) != 32 || n.RecoveryAuth != nil && len(n.RecoveryAuth) != 32 {
		return nil, Errorf(CodeBadRequest, "new: seed, login_secret and recovery_auth must each be 32 bytes")
	}
	if len(n.Keyring) == 0 || len(n.RecoveryKeyring) == 0 || len(n.Keyring) > maxDocument || len(n.RecoveryKeyring) > maxDocument {
		return nil, Errorf(CodeBadRequest, "new: give both sealed keyring copies")
	}
	if n.KeyringIfMatch == 0 {
		return nil, Errorf(CodeBadRequest, "new.keyring_if_match: give the current keyring revision")
	}
	u := &meta.LoginUpdate{KDF: meta.KDF{Alg: n.KDF.Alg, Memory: n.KDF.M, Time: n.KDF.T, Threads: n.KDF.P},
		Seed: n.Seed, LoginHash: s.cfg.Hash.HashSecret(n.LoginSecret), Keyring: n.Keyring,
		RecoveryKeyring: n.RecoveryKeyring, IfKeyringRev: n.KeyringIfMatch}
	if n.RecoveryAuth != nil {
		h := sha256.Sum256(n.RecoveryAuth)
		u.RecoveryAuthHash = h[:]
	}
	return u, nil
}

// applyLogin stores u, answering conflict with the current revision.
func (s *Server) applyLogin(r *http.Request, user string, u *meta.LoginUpdate) (uint64, error) {
	rev, err := s.cfg.Meta.UpdateLogin(r.Context(), user, u)
	if errors.Is(err, meta.ErrConflict) {
		cur, _, _, e2 := s.cfg.Meta.Keyring(r.Context(), user)
		if e2 != nil {
			return 0, e2
		}
		return 0, conflict(cur, "the keyring changed; read it again")
	}
	return rev, err
}

// checkRecoveryAuth verifies user's recovery_auth with the same work for
// unknown names.
func (s *Server) checkRecoveryAuth(r *http.Request, user string, auth []byte) error {
	if err := s.limited(r, user); err != nil {
		return err
	}
	bad := func() error { return s.failed(r, user, Errorf(CodeBadCredentials, "wrong user name or recovery key")) }
	h := sha256.Sum256(auth)
	a, err := s.cfg.Meta.Account(r.Context(), user)
	if errors.Is(err, meta.ErrNotFound) {
		subtle.ConstantTimeCompare(h[:], h[:])
		return bad()
	}
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare(h[:], a.RecoveryAuthHash) != 1 {
		return bad()
	}
	return nil
}

func (s *Server) recoveryKeyring(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		User         string `json:"user"`
		RecoveryAuth []byte `json:"recovery_auth"`
	}
	if err := readJSON(r, maxJSON, &req); err != nil {
		return err
	}
	if err := wire.CheckUser(req.User); err != nil {
		return err
	}
	if len(req.RecoveryAuth) != 32 {
		return Errorf(CodeBadRequest, "recovery_auth must be 32 bytes")
	}
	if err := s.checkRecoveryAuth(r, req.User, req.RecoveryAuth); err != nil {
		return err
	}
	rev, _, rk, err := s.cfg.Meta.Keyring(r.Context(), req.User)
	if err != nil {
		return err
	}
	return writeSealed(w, rev, rk)
}

func (s *Server) recoveryReset(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		User         string   `json:"user"`
		RecoveryAuth []byte   `json:"recovery_auth"`
		Device       string   `json:"device"`
		TOTP         string   `json:"totp"`
		RecoveryCode string   `json:"recovery_code"`
		New          newLogin `json:"new"`
	}
	if err := readJSON(r, maxJSON, &req); err != nil {
		return err
	}
	if err := wire.CheckUser(req.User); err != nil {
		return err
	}
	if len(req.RecoveryAuth) != 32 || req.TOTP != "" && req.RecoveryCode != "" {
		return Errorf(CodeBadRequest, "send a 32-byte recovery_auth and at most one of totp and recovery_code")
	}
	if err := checkDevice(req.Device); err != nil {
		return err
	}
	u, err := req.New.update(s)
	if err != nil {
		return err
	}
	if err := s.checkRecoveryAuth(r, req.User, req.RecoveryAuth); err != nil {
		return err
	}
	if err := s.counted(r, req.User, s.secondFactor(r, req.User, req.TOTP, req.RecoveryCode)); err != nil {
		return err
	}
	rev, err := s.applyLogin(r, req.User, u) // ends every session
	if err != nil {
		return err
	}
	sess, err := s.newSession(r, req.User, req.Device)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"session": sess, "keyring": map[string]uint64{"rev": rev}})
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		LoginSecret []byte   `json:"login_secret"`
		New         newLogin `json:"new"`
	}
	if err := readJSON(r, maxJSON, &req); err != nil {
		return err
	}
	if len(req.LoginSecret) != 32 {
		return Errorf(CodeBadRequest, "login_secret must be 32 bytes")
	}
	u, err := req.New.update(s)
	if err != nil {
		return err
	}
	t := tokenOf(r)
	if err := s.limited(r, t.User); err != nil {
		return err
	}
	a, err := s.cfg.Meta.Account(r.Context(), t.User)
	if err != nil {
		return err
	}
	if !auth.VerifySecret(a.LoginHash, req.LoginSecret) {
		return s.failed(r, t.User, Errorf(CodeBadCredentials, "wrong password"))
	}
	s.byUser.Success("user:" + t.User)
	u.KeepSession = t.ID
	rev, err := s.applyLogin(r, t.User, u) // ends every other session
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"keyring": map[string]uint64{"rev": rev}})
}
