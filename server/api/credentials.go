package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/hearthcloud/hearth/crypto/kdf"
	"github.com/hearthcloud/hearth/internal/wire"
	"github.com/hearthcloud/hearth/server/meta"
	"github.com/hearthcloud/hearth/server/totp"
)

// Endpoints that check credentials share one limiter per user name and one
// per client address (§8.1.11). An attempt is counted (reserved) before
// anything is checked, so that however many arrive at once, only as many
// are checked as the limiters allow; the others are answered rate_limited
// without any work. The limiters count failures (a success clears them),
// so every check also counts against a rate per address, whatever its
// outcome: correct credentials sent in a loop (an account holder's own)
// cannot keep the Argon2id gate full either.

// An attempt is one reserved credential check.
type attempt struct {
	s          *Server
	user, addr string
}

// reserve counts an attempt against user and the client's address, or
// answers rate_limited (counting nothing) while either is in backoff.
func (s *Server) reserve(r *http.Request, user string) (*attempt, error) {
	now := s.cfg.Now()
	a := &attempt{s: s, user: "user:" + user, addr: "addr:" + s.clientAddr(r)}
	if wait := s.byUser.Reserve(a.user, now); wait > 0 {
		return nil, &Error{Code: wire.CodeRateLimited, Message: "too many failed attempts; wait and try again", Retry: retrySeconds(wait)}
	}
	if wait := s.byAddr.Reserve(a.addr, now); wait > 0 {
		s.byUser.Release(a.user)
		return nil, &Error{Code: wire.CodeRateLimited, Message: "too many attempts from this address; wait and try again", Retry: retrySeconds(wait)}
	}
	if wait := s.checks.Take(a.addr, now); wait > 0 {
		s.byUser.Release(a.user)
		s.byAddr.Release(a.addr)
		return nil, &Error{Code: wire.CodeRateLimited, Message: "too many attempts from this address; wait and try again", Retry: retrySeconds(wait)}
	}
	return a, nil
}

// attempt reserves a credential check of user (§8.1.11), runs check and
// settles the attempt with its outcome, which it returns.
func (s *Server) attempt(r *http.Request, user string, check func() error) error {
	at, err := s.reserve(r, user)
	if err != nil {
		return err
	}
	return at.end(check())
}

// signInAttempt counts an attempt to sign user in (§8.1.11) and runs
// first, then, if it passed, the second factor of user (§8.2.3): the
// checks of a login or a recovery reset.
func (s *Server) signInAttempt(r *http.Request, user string, f factor, first func() error) error {
	return s.attempt(r, user, func() error {
		if err := first(); err != nil {
			return err
		}
		return s.secondFactor(r, user, f)
	})
}

// A factor is the second factor a sign-in gives (§8.2.3): an
// authenticator code, a recovery code, or a passkey's assertion (§8.2.10).
type factor struct {
	Code, RecoveryCode string
	Passkey            *passkeyAnswer
}

// passkeyAnswer is a passkey ceremony's answer: its ticket and credential.
type passkeyAnswer struct {
	Ticket     string          `json:"ticket"`
	Credential json.RawMessage `json:"credential"`
}

// end settles the attempt with the outcome of its checks and returns err: a
// credential failure keeps the counts; a success clears the name's count
// and takes back the address's failure (its rate keeps it); any other
// outcome (totp_required, an overloaded or failing server) takes all back.
func (a *attempt) end(err error) error {
	switch {
	case credentialFailure(err):
	case err == nil:
		a.s.byUser.Success(a.user)
		a.s.byAddr.Release(a.addr)
	default:
		a.s.byUser.Release(a.user)
		a.s.byAddr.Release(a.addr)
		a.s.checks.Give(a.addr)
	}
	return err
}

func retrySeconds(d time.Duration) int { return int((d + time.Second - 1) / time.Second) }

// checkSecret verifies user's login secret (through the hash gate), with
// the same work for a name without an account; a mismatch is
// bad_credentials with message.
func (s *Server) checkSecret(r *http.Request, user string, secret []byte, message string) error {
	a, err := s.cfg.Meta.Account(r.Context(), user)
	if errors.Is(err, meta.ErrNotFound) {
		if err := s.dummyVerify(r.Context(), secret); err != nil {
			return err
		}
		return Errorf(wire.CodeBadCredentials, "%s", message)
	}
	if err != nil {
		return err
	}
	ok, err := s.verify(r.Context(), a.LoginHash, secret)
	if err != nil {
		return err
	}
	if !ok {
		return Errorf(wire.CodeBadCredentials, "%s", message)
	}
	return nil
}

// credentialFailure reports whether err is one that counts for backoff.
func credentialFailure(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	return e.Code == wire.CodeBadCredentials || e.Code == wire.CodeTOTPInvalid || e.Code == wire.CodeTOTPReplayed
}

// secondFactor checks TOTP for an account that has it enabled: a TOTP code
// or a recovery code, each accepted once. Accounts without TOTP pass.
func (s *Server) secondFactor(r *http.Request, user string, f factor) error {
	st, err := s.cfg.Meta.TOTP(r.Context(), user)
	if err != nil {
		return err
	}
	if !st.Enabled {
		return nil
	}
	switch {
	case f.Code != "":
		return s.checkCode(r, user, st, f.Code, false)
	case f.Passkey != nil:
		return s.checkPasskey(r, user, f.Passkey)
	case f.RecoveryCode != "":
		err := s.cfg.Meta.UseRecoveryCode(r.Context(), user, totp.HashRecoveryCode(f.RecoveryCode))
		if errors.Is(err, meta.ErrNotFound) {
			return Errorf(wire.CodeTOTPInvalid, "wrong or already used recovery code")
		}
		return err
	}
	return Errorf(wire.CodeTOTPRequired, "this account needs an authenticator code")
}

// checkNewLogin checks the shape of the "new" member of a password
// change or a recovery reset (§8.2.5, §8.2.6), before any credential is
// checked.
func checkNewLogin(n *wire.NewLogin[kdf.Params]) error {
	if err := n.KDF.Check(); err != nil {
		return Errorf(wire.CodeBadRequest, "new.kdf: %v", err)
	}
	if len(n.Seed) != 32 || len(n.LoginSecret) != 32 || n.RecoveryAuth != nil && len(n.RecoveryAuth) != 32 {
		return Errorf(wire.CodeBadRequest, "new: seed, login_secret and recovery_auth must each be 32 bytes")
	}
	if len(n.Keyring) == 0 || len(n.RecoveryKeyring) == 0 || len(n.Keyring) > maxDocument || len(n.RecoveryKeyring) > maxDocument {
		return Errorf(wire.CodeBadRequest, "new: give both sealed keyring copies")
	}
	if n.KeyringIfMatch == 0 {
		return Errorf(wire.CodeBadRequest, "new.keyring_if_match: give the current keyring revision")
	}
	if len(n.PasskeyUnlocks) > meta.MaxPasskeys {
		return Errorf(wire.CodeBadRequest, "new.passkey_unlocks: at most %d", meta.MaxPasskeys)
	}
	for id, u := range n.PasskeyUnlocks {
		if b, err := base64.RawURLEncoding.DecodeString(id); err != nil || len(b) == 0 || len(u) == 0 || len(u) > maxSlot {
			return Errorf(wire.CodeBadRequest, "new.passkey_unlocks: base64url credential ids, each with an unlock of at most %d bytes", maxSlot)
		}
	}
	return nil
}

// loginUpdate hashes the new login secret of n (only once the caller's
// credentials passed) and returns the update to store.
func (s *Server) loginUpdate(r *http.Request, n *wire.NewLogin[kdf.Params]) (*meta.LoginUpdate, error) {
	hash, err := s.hashSecret(r.Context(), n.LoginSecret)
	if err != nil {
		return nil, err
	}
	u := &meta.LoginUpdate{KDF: meta.KDF{Alg: n.KDF.Alg, Memory: n.KDF.Memory, Time: n.KDF.Time, Threads: n.KDF.Threads},
		Seed: n.Seed, LoginHash: hash, Keyring: n.Keyring,
		RecoveryKeyring: n.RecoveryKeyring, IfKeyringRev: n.KeyringIfMatch}
	if n.RecoveryAuth != nil {
		h := sha256.Sum256(n.RecoveryAuth)
		u.RecoveryAuthHash = h[:]
	}
	u.PasskeyUnlocks = map[string][]byte{}
	for id, unlock := range n.PasskeyUnlocks {
		b, _ := base64.RawURLEncoding.DecodeString(id) // checked by checkNewLogin
		u.PasskeyUnlocks[string(b)] = unlock
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
// unknown names. The caller has reserved the attempt.
func (s *Server) checkRecoveryAuth(r *http.Request, user string, auth []byte) error {
	bad := Errorf(wire.CodeBadCredentials, "wrong user name or recovery key")
	h := sha256.Sum256(auth)
	a, err := s.cfg.Meta.Account(r.Context(), user)
	if errors.Is(err, meta.ErrNotFound) {
		subtle.ConstantTimeCompare(h[:], h[:])
		return bad
	}
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare(h[:], a.RecoveryAuthHash) != 1 {
		return bad
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
		return Errorf(wire.CodeBadRequest, "recovery_auth must be 32 bytes")
	}
	if err := s.attempt(r, req.User, func() error { return s.checkRecoveryAuth(r, req.User, req.RecoveryAuth) }); err != nil {
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
		User         string                    `json:"user"`
		RecoveryAuth []byte                    `json:"recovery_auth"`
		Device       string                    `json:"device"`
		TOTP         string                    `json:"totp"`
		RecoveryCode string                    `json:"recovery_code"`
		New          wire.NewLogin[kdf.Params] `json:"new"`
	}
	if err := readJSON(r, maxJSON, &req); err != nil {
		return err
	}
	if err := checkSignIn(req.User, req.RecoveryAuth, "recovery_auth", req.TOTP, req.RecoveryCode, req.Device); err != nil {
		return err
	}
	if err := checkNewLogin(&req.New); err != nil {
		return err
	}
	// Counted and checked before anything is hashed.
	if err := s.signInAttempt(r, req.User, factor{Code: req.TOTP, RecoveryCode: req.RecoveryCode}, func() error {
		return s.checkRecoveryAuth(r, req.User, req.RecoveryAuth)
	}); err != nil {
		return err
	}
	u, err := s.loginUpdate(r, &req.New)
	if err != nil {
		return err
	}
	rev, err := s.applyLogin(r, req.User, u) // ends every session
	if err != nil {
		return err
	}
	return s.writeSignedIn(w, r, req.User, req.Device, rev)
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		LoginSecret []byte                    `json:"login_secret"`
		New         wire.NewLogin[kdf.Params] `json:"new"`
	}
	if err := readJSON(r, maxJSON, &req); err != nil {
		return err
	}
	if len(req.LoginSecret) != 32 {
		return Errorf(wire.CodeBadRequest, "login_secret must be 32 bytes")
	}
	if err := checkNewLogin(&req.New); err != nil {
		return err
	}
	t := tokenOf(r)
	if err := s.attempt(r, t.User, func() error { return s.checkSecret(r, t.User, req.LoginSecret, "wrong password") }); err != nil {
		return err
	}
	u, err := s.loginUpdate(r, &req.New)
	if err != nil {
		return err
	}
	u.KeepSession = t.ID
	rev, err := s.applyLogin(r, t.User, u) // ends every other session
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"keyring": map[string]uint64{"rev": rev}})
}
