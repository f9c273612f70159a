package api

import (
	"crypto/sha256"
	"errors"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/hearthcloud/hearth/crypto/kdf"
	"github.com/hearthcloud/hearth/internal/wire"
	"github.com/hearthcloud/hearth/server/auth"
	"github.com/hearthcloud/hearth/server/meta"
)

func (s *Server) prelogin(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		User string `json:"user"`
	}
	if wait := s.prelogins.Take("addr:"+s.clientAddr(r), s.cfg.Now()); wait > 0 {
		return &Error{Code: wire.CodeRateLimited, Message: "too many prelogins from this address; wait and try again", Retry: retrySeconds(wait)}
	}
	if err := readJSON(r, maxJSON, &req); err != nil {
		return err
	}
	if err := wire.CheckUser(req.User); err != nil {
		return err
	}
	resp := struct {
		KDF  kdf.Params `json:"kdf"`
		Seed []byte     `json:"seed"`
	}{s.cfg.DefaultKDF, kdf.FakeSeed(s.cfg.Secret, req.User)}
	a, err := s.cfg.Meta.Account(r.Context(), req.User)
	switch {
	case err == nil:
		resp.KDF = kdf.Params{Alg: a.KDF.Alg, Memory: a.KDF.Memory, Time: a.KDF.Time, Threads: a.KDF.Threads}
		resp.Seed = a.Seed
	case !errors.Is(err, meta.ErrNotFound):
		return err
	}
	return writeJSON(w, http.StatusOK, resp)
}

func (s *Server) newSession(r *http.Request, user, device string) (*wire.Session, error) {
	tok, hash := auth.NewToken(auth.SessionPrefix)
	now := s.cfg.Now().UTC().Truncate(time.Second)
	t := &meta.Token{ID: wire.NewID(), User: user, Kind: meta.KindSession, Name: device, Hash: hash,
		Created: now, LastSeen: now, Expires: now.Add(s.cfg.SessionTTL)}
	if err := s.cfg.Meta.CreateToken(r.Context(), t); err != nil {
		return nil, err
	}
	return &wire.Session{ID: t.ID, Token: tok, Expires: t.Expires}, nil
}

func checkDevice(name string) error { return checkDisplayName("device", name) }

// checkSignIn checks the shape of a request that signs user in on device
// with a 32-byte credential (named field) and at most one second factor,
// a login or a recovery reset (§8.2.3, §8.2.6), before anything is counted
// or checked. (Their request structs stay apart: an embedded struct would
// change the member names that malformed_json messages give.)
func checkSignIn(user string, credential []byte, field, code, recoveryCode, device string) error {
	if err := wire.CheckUser(user); err != nil {
		return err
	}
	if len(credential) != 32 || code != "" && recoveryCode != "" {
		return Errorf(wire.CodeBadRequest, "send a 32-byte %s and at most one of totp and recovery_code", field)
	}
	return checkDevice(device)
}

// signupMode is the sign-up mode of §8.2.2.
func (s *Server) signupMode() string {
	switch {
	case s.cfg.SignupOff:
		return "closed"
	case s.cfg.SignupInvite:
		return "invite"
	}
	return "open"
}

// serverInfo answers what a client needs before it has an account (§8.2.9).
func (s *Server) serverInfo(w http.ResponseWriter, r *http.Request) error {
	if err := onlyParams(r); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"signup": s.signupMode(), "max_blob": s.cfg.MaxBlobSize})
}

// errNoInvite answers a sign-up without an invitation, errBadInvite one
// whose code is not usable.
var (
	errNoInvite  = Errorf(wire.CodeForbidden, "sign-up on this server needs an invitation: ask its operator for a code, and give it with the sign-up")
	errBadInvite = Errorf(wire.CodeForbidden, "sign-up on this server needs an invitation, and this code does not work: it is mistyped, used already or expired; ask the server's operator for a new one")
)

func (s *Server) signup(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.SignupOff {
		return Errorf(wire.CodeForbidden, "sign-up is closed on this server")
	}
	if wait := s.signups.Reserve(s.clientAddr(r), s.cfg.Now()); wait > 0 { // every attempt counts
		return &Error{Code: wire.CodeRateLimited, Message: "too many sign-ups from this address; wait and try again", Retry: retrySeconds(wait)}
	}
	var req struct {
		User            string     `json:"user"`
		KDF             kdf.Params `json:"kdf"`
		Seed            []byte     `json:"seed"`
		LoginSecret     []byte     `json:"login_secret"`
		RecoveryAuth    []byte     `json:"recovery_auth"`
		Keyring         []byte     `json:"keyring"`
		RecoveryKeyring []byte     `json:"recovery_keyring"`
		Device          string     `json:"device"`
		Invite          string     `json:"invite"`
	}
	if err := readJSON(r, maxJSON, &req); err != nil {
		return err
	}
	if err := wire.CheckNewUser(req.User); err != nil {
		return err
	}
	if err := req.KDF.Check(); err != nil {
		return Errorf(wire.CodeBadRequest, "kdf: %v", err)
	}
	if len(req.Seed) != 32 || len(req.LoginSecret) != 32 || len(req.RecoveryAuth) != 32 {
		return Errorf(wire.CodeBadRequest, "seed, login_secret and recovery_auth must each be 32 bytes")
	}
	if len(req.Keyring) == 0 || len(req.RecoveryKeyring) == 0 || len(req.Keyring) > maxDocument || len(req.RecoveryKeyring) > maxDocument {
		return Errorf(wire.CodeBadRequest, "keyring and recovery_keyring: give the sealed copies")
	}
	if err := checkDevice(req.Device); err != nil {
		return err
	}
	// An invitation is checked for its form before anything is hashed; the
	// account's transaction spends it (or finds it unknown, used, expired).
	var invite [32]byte
	if s.cfg.SignupInvite {
		h, ok := auth.InviteHash(req.Invite)
		if !ok && req.Invite == "" {
			return errNoInvite
		}
		if !ok {
			return errBadInvite
		}
		invite = h
	}
	hash, err := s.hashSecret(r.Context(), req.LoginSecret)
	if err != nil {
		return err
	}
	ra := sha256.Sum256(req.RecoveryAuth)
	a := &meta.Account{User: req.User, KDF: meta.KDF{Alg: req.KDF.Alg, Memory: req.KDF.Memory, Time: req.KDF.Time, Threads: req.KDF.Threads},
		Seed: req.Seed, LoginHash: hash, RecoveryAuthHash: ra[:], Created: s.cfg.Now().UTC()}
	if s.cfg.SignupInvite {
		err = s.cfg.Meta.CreateInvitedAccount(r.Context(), a, req.Keyring, req.RecoveryKeyring, invite)
	} else {
		err = s.cfg.Meta.CreateAccount(r.Context(), a, req.Keyring, req.RecoveryKeyring)
	}
	if err != nil {
		if errors.Is(err, meta.ErrInvite) {
			return errBadInvite
		}
		if errors.Is(err, meta.ErrExists) {
			return Errorf(wire.CodeUserExists, "this user name is taken")
		}
		return err
	}
	sess, err := s.newSession(r, req.User, req.Device)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]any{"user": req.User, "session": sess})
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		User         string         `json:"user"`
		LoginSecret  []byte         `json:"login_secret"`
		TOTP         string         `json:"totp"`
		RecoveryCode string         `json:"recovery_code"`
		Passkey      *passkeyAnswer `json:"passkey"`
		Device       string         `json:"device"`
	}
	if err := readJSON(r, maxJSON, &req); err != nil {
		return err
	}
	if err := checkSignIn(req.User, req.LoginSecret, "login_secret", req.TOTP, req.RecoveryCode, req.Device); err != nil {
		return err
	}
	if req.Passkey != nil && (req.TOTP != "" || req.RecoveryCode != "") {
		return Errorf(wire.CodeBadRequest, "send at most one of totp, recovery_code and passkey")
	}
	// Counted before the secret is checked (§8.1.11).
	if err := s.signInAttempt(r, req.User, factor{Code: req.TOTP, RecoveryCode: req.RecoveryCode, Passkey: req.Passkey}, func() error {
		return s.checkSecret(r, req.User, req.LoginSecret, "wrong user name or password")
	}); err != nil {
		return err
	}
	rev, _, _, err := s.cfg.Meta.Keyring(r.Context(), req.User)
	if err != nil {
		return err
	}
	return s.writeSignedIn(w, r, req.User, req.Device, rev)
}

// writeSignedIn starts a session of user on device and answers a sign-in
// with it and the keyring's revision rev (§8.2.3, §8.2.6).
func (s *Server) writeSignedIn(w http.ResponseWriter, r *http.Request, user, device string, rev uint64) error {
	sess, err := s.newSession(r, user, device)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"session": sess, "keyring": map[string]uint64{"rev": rev}})
}

// getAccount answers what the account's own pages show (§8.2.8).
func (s *Server) getAccount(w http.ResponseWriter, r *http.Request) error {
	if err := onlyParams(r); err != nil {
		return err
	}
	t := tokenOf(r)
	a, err := s.cfg.Meta.Account(r.Context(), t.User)
	if err != nil {
		return err
	}
	st, err := s.cfg.Meta.TOTP(r.Context(), t.User)
	if err != nil {
		return err
	}
	q, err := s.cfg.Meta.Quota(r.Context(), t.User)
	if err != nil {
		return err
	}
	out := usageJSON(q)
	out["user"], out["created"], out["totp"] = a.User, a.Created.UTC().Truncate(time.Second), st.Enabled
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	t := tokenOf(r)
	if err := s.cfg.Meta.DeleteToken(r.Context(), t.User, t.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listSessions(w http.ResponseWriter, r *http.Request) error {
	if err := onlyParams(r); err != nil {
		return err
	}
	t := tokenOf(r)
	list, err := s.cfg.Meta.Tokens(r.Context(), t.User, meta.KindSession)
	if err != nil {
		return err
	}
	out := []wire.SessionInfo{}
	for _, x := range list {
		out = append(out, wire.SessionInfo{ID: x.ID, Device: x.Name, Created: x.Created.UTC(), LastSeen: x.LastSeen.UTC(), Current: x.ID == t.ID})
	}
	return writeJSON(w, http.StatusOK, map[string]any{"sessions": out})
}

func (s *Server) deleteSession(w http.ResponseWriter, r *http.Request) error {
	t := tokenOf(r)
	id := mux.Vars(r)["id"]
	list, err := s.cfg.Meta.Tokens(r.Context(), t.User, meta.KindSession)
	if err != nil {
		return err
	}
	for _, x := range list {
		if x.ID == id {
			if err := s.cfg.Meta.DeleteToken(r.Context(), t.User, id); err != nil {
				return err
			}
			w.WriteHeader(http.StatusNoContent)
			return nil
		}
	}
	return Errorf(wire.CodeNotFound, "no such session")
}
