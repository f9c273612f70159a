package api

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/gorilla/mux"

	"github.com/hearthcloud/hearth/internal/wire"
	"github.com/hearthcloud/hearth/server/meta"
)

// Passkeys (§4.8, §8.2.10): the WebAuthn ceremonies, verified with
// go-webauthn; what unlocks the account (wrap, unlock) is sealed on the
// device and only kept here.

const (
	ceremonyTTL = 5 * time.Minute
	// maxCeremonies bounds the ceremonies begun and not finished, of each
	// kind (registrations, sign-ins); maxOwnCeremonies those of one
	// account (registrations) or one client address (sign-ins).
	maxCeremonies    = 4096
	maxOwnCeremonies = 8
	maxSlot          = 1024 // bytes of a wrap or an unlock
)

// A ceremony is a registration or a sign-in begun: the challenge and what
// go-webauthn checks the answer against, kept here by ticket (the client
// sees the ticket, never the session data).
type ceremony struct {
	user    string // registration: the account; sign-in: ""
	owner   string // who began it: "user:<name>" or "addr:<address>"
	data    webauthn.SessionData
	expires time.Time
}

type ceremonies struct {
	mu sync.Mutex
	m  map[string]ceremony
}

// put keeps c and returns its ticket. It forgets the expired ceremonies;
// then, when c's owner already holds maxOwnCeremonies, the owner's oldest,
// or else, when maxCeremonies are under way, the oldest of all: one
// account or address holds only its last few, so that neither can keep
// the others from beginning (a flood from many addresses pushes others'
// ceremonies out only as fast as it begins new ones).
func (cs *ceremonies) put(c ceremony, now time.Time) string {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.m == nil {
		cs.m = map[string]ceremony{}
	}
	own := 0
	var ownOldest, oldest string
	var ownAt, at time.Time
	for k, v := range cs.m {
		if now.After(v.expires) {
			delete(cs.m, k)
			continue
		}
		if v.owner == c.owner {
			if own++; ownOldest == "" || v.expires.Before(ownAt) {
				ownOldest, ownAt = k, v.expires
			}
		}
		if oldest == "" || v.expires.Before(at) {
			oldest, at = k, v.expires
		}
	}
	if own >= maxOwnCeremonies {
		delete(cs.m, ownOldest)
	} else if len(cs.m) >= maxCeremonies {
		delete(cs.m, oldest)
	}
	b := make([]byte, 18)
	rand.Read(b)
	t := base64.RawURLEncoding.EncodeToString(b)
	cs.m[t] = c
	return t
}

// take returns the ceremony of ticket once (a second use is refused).
func (cs *ceremonies) take(ticket string, now time.Time) (ceremony, bool) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	c, ok := cs.m[ticket]
	delete(cs.m, ticket)
	return c, ok && !now.After(c.expires)
}

// passkeyUser is an account as go-webauthn sees it.
type passkeyUser struct {
	name   string
	handle []byte
	creds  []webauthn.Credential
}

func (u *passkeyUser) WebAuthnID() []byte                         { return u.handle }
func (u *passkeyUser) WebAuthnName() string                       { return u.name }
func (u *passkeyUser) WebAuthnDisplayName() string                { return u.name }
func (u *passkeyUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

// credentialOf is what go-webauthn needs of a stored passkey.
func credentialOf(p *meta.Passkey) webauthn.Credential {
	return webauthn.Credential{ID: p.ID, PublicKey: p.PublicKey,
		Flags:         webauthn.NewCredentialFlags(protocol.AuthenticatorFlags(p.Flags)),
		Authenticator: webauthn.Authenticator{AAGUID: p.AAGUID, SignCount: p.SignCount}}
}

// passkeyUserOf loads user's passkeys; a user with none gets a new handle.
func (s *Server) passkeyUserOf(r *http.Request, user string) (*passkeyUser, []meta.Passkey, error) {
	ps, err := s.cfg.Meta.Passkeys(r.Context(), user)
	if err != nil {
		return nil, nil, err
	}
	u := &passkeyUser{name: user}
	for i := range ps {
		u.handle = ps[i].UserHandle
		u.creds = append(u.creds, credentialOf(&ps[i]))
	}
	if u.handle == nil {
		u.handle = make([]byte, 32)
		rand.Read(u.handle)
	}
	return u, ps, nil
}

// relyingParty is the relying party of a request: Home's origin, and its
// host as the relying party id.
func (s *Server) relyingParty(r *http.Request) (*webauthn.WebAuthn, error) {
	return relyingPartyAt(s.homeOrigin(r))
}

// homeOrigin is Home's origin as r names it.
func (s *Server) homeOrigin(r *http.Request) string {
	origin := "http://home.localhost"
	if s.cfg.HomeOrigin != nil {
		origin = s.cfg.HomeOrigin(r)
	} else if _, port, err := net.SplitHostPort(r.Host); err == nil && port != "" {
		origin += ":" + port
	}
	return origin
}

// relyingPartyAt is the relying party of a page at origin.
func relyingPartyAt(origin string) (*webauthn.WebAuthn, error) {
	u, err := url.Parse(origin)
	if err != nil {
		return nil, err
	}
	return webauthn.New(&webauthn.Config{RPID: u.Hostname(), RPDisplayName: "Hearth", RPOrigins: []string{origin}})
}

func (s *Server) passkeyRegisterBegin(w http.ResponseWriter, r *http.Request) error {
	if err := readJSON(r, maxJSON, &struct{}{}); err != nil {
		return err
	}
	user := tokenOf(r).User
	u, ps, err := s.passkeyUserOf(r, user)
	if err != nil {
		return err
	}
	if len(ps) >= meta.MaxPasskeys {
		return Errorf(wire.CodeExists, "this account has %d passkeys, the most it may: remove one first", meta.MaxPasskeys)
	}
	rp, err := s.relyingParty(r)
	if err != nil {
		return err
	}
	creation, data, err := rp.BeginRegistration(u,
		webauthn.WithResidentKeyRequirement(protocol.ResidentKeyRequirementRequired),
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey: protocol.ResidentKeyRequirementRequired, UserVerification: protocol.VerificationPreferred}),
		webauthn.WithExclusions(webauthn.Credentials(u.creds).CredentialDescriptors()))
	if err != nil {
		return err
	}
	ticket := s.passkeyRegistrations.put(ceremony{user: user, owner: "user:" + user, data: *data, expires: s.cfg.Now().Add(ceremonyTTL)}, s.cfg.Now())
	return writeJSON(w, http.StatusOK, map[string]any{"ticket": ticket, "options": creation})
}

func (s *Server) passkeyRegisterFinish(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Ticket     string          `json:"ticket"`
		Credential json.RawMessage `json:"credential"`
		Wrap       []byte          `json:"wrap"`
		Unlock     []byte          `json:"unlock"`
	}
	if err := readJSON(r, maxJSON, &req); err != nil {
		return err
	}
	if (req.Wrap == nil) != (req.Unlock == nil) || len(req.Wrap) > maxSlot || len(req.Unlock) > maxSlot {
		return Errorf(wire.CodeBadRequest, "give both wrap and unlock, or neither, each of at most %d bytes", maxSlot)
	}
	user := tokenOf(r).User
	c, ok := s.passkeyRegistrations.take(req.Ticket, s.cfg.Now())
	if !ok || c.user != user {
		return Errorf(wire.CodeBadRequest, "no such passkey registration under way, or it expired: begin again")
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(req.Credential)
	if err != nil {
		return Errorf(wire.CodeBadRequest, "the credential is malformed")
	}
	u, _, err := s.passkeyUserOf(r, user)
	if err != nil {
		return err
	}
	u.handle = c.data.UserID
	origin := s.homeOrigin(r)
	rp, err := relyingPartyAt(origin)
	if err != nil {
		return err
	}
	cred, err := rp.CreateCredential(u, c.data, parsed)
	if err != nil {
		return Errorf(wire.CodeBadRequest, "the passkey did not verify")
	}
	// The passkey signs in only at the origin it was made at: not at
	// another port of Home's host a request could name (§8.2.10).
	p := &meta.Passkey{ID: cred.ID, UserHandle: c.data.UserID, PublicKey: cred.PublicKey, SignCount: cred.Authenticator.SignCount,
		Flags: byte(cred.Flags.ProtocolValue()), Wrap: req.Wrap, Unlock: req.Unlock, // no AAGUID: the model of a person's authenticator is not the host's to know
		Origin: origin, Created: s.cfg.Now().UTC()}
	switch err := s.cfg.Meta.AddPasskey(r.Context(), user, p); {
	case errors.Is(err, meta.ErrExists):
		return Errorf(wire.CodeExists, "this passkey is stored already")
	case errors.Is(err, meta.ErrTooMany):
		return Errorf(wire.CodeExists, "this account has %d passkeys, the most it may: remove one first", meta.MaxPasskeys)
	case err != nil:
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]string{"id": base64.RawURLEncoding.EncodeToString(cred.ID)})
}

func (s *Server) listPasskeys(w http.ResponseWriter, r *http.Request) error {
	if err := onlyParams(r); err != nil {
		return err
	}
	ps, err := s.cfg.Meta.Passkeys(r.Context(), tokenOf(r).User)
	if err != nil {
		return err
	}
	type item struct {
		ID       string     `json:"id"`
		Created  time.Time  `json:"created"`
		LastUsed *time.Time `json:"last_used,omitempty"`
		Unlock   bool       `json:"unlock"`
	}
	out := make([]item, len(ps))
	for i, p := range ps {
		out[i] = item{ID: base64.RawURLEncoding.EncodeToString(p.ID), Created: p.Created, Unlock: p.Unlock != nil}
		if !p.LastUsed.IsZero() {
			out[i].LastUsed = &ps[i].LastUsed
		}
	}
	return writeJSON(w, http.StatusOK, out)
}

// passkeyID is the {id} of a passkey route: a base64url credential id.
func passkeyID(r *http.Request) ([]byte, error) {
	id, err := base64.RawURLEncoding.DecodeString(mux.Vars(r)["id"])
	if err != nil || len(id) == 0 || len(id) > 1023 {
		return nil, Errorf(wire.CodeBadRequest, "the passkey id is the base64url of a credential id")
	}
	return id, nil
}

func (s *Server) deletePasskey(w http.ResponseWriter, r *http.Request) error {
	id, err := passkeyID(r)
	if err != nil {
		return err
	}
	if err := s.cfg.Meta.DeletePasskey(r.Context(), tokenOf(r).User, id); errors.Is(err, meta.ErrNotFound) {
		return Errorf(wire.CodeNotFound, "no such passkey")
	} else if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) setPasskeyUnlock(w http.ResponseWriter, r *http.Request) error {
	id, err := passkeyID(r)
	if err != nil {
		return err
	}
	var req struct {
		Unlock []byte `json:"unlock"`
	}
	if err := readJSON(r, maxJSON, &req); err != nil {
		return err
	}
	if len(req.Unlock) == 0 || len(req.Unlock) > maxSlot {
		return Errorf(wire.CodeBadRequest, "give the unlock, of at most %d bytes", maxSlot)
	}
	if err := s.cfg.Meta.SetPasskeyUnlock(r.Context(), tokenOf(r).User, id, req.Unlock); errors.Is(err, meta.ErrNotFound) {
		return Errorf(wire.CodeNotFound, "no such passkey")
	} else if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) passkeyLoginBegin(w http.ResponseWriter, r *http.Request) error {
	if err := readJSON(r, maxJSON, &struct{}{}); err != nil {
		return err
	}
	// As prelogin: a few a second per address; and each address holds its
	// last few sign-ins begun (ceremonies.put).
	addr := "addr:" + s.clientAddr(r)
	if wait := s.prelogins.Take(addr, s.cfg.Now()); wait > 0 {
		return &Error{Code: wire.CodeRateLimited, Message: "too many sign-ins begun from this address; wait and try again", Retry: retrySeconds(wait)}
	}
	rp, err := s.relyingParty(r)
	if err != nil {
		return err
	}
	assertion, data, err := rp.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationPreferred))
	if err != nil {
		return err
	}
	ticket := s.passkeyCeremonies.put(ceremony{owner: addr, data: *data, expires: s.cfg.Now().Add(ceremonyTTL)}, s.cfg.Now())
	return writeJSON(w, http.StatusOK, map[string]any{"ticket": ticket, "options": assertion})
}

// errPasskey is every failed passkey sign-in, with no more said.
var errPasskey = Errorf(wire.CodeBadCredentials, "this passkey does not sign in to any account here")

func (s *Server) passkeyLoginFinish(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Ticket     string          `json:"ticket"`
		Credential json.RawMessage `json:"credential"`
		Device     string          `json:"device"`
	}
	if err := readJSON(r, maxJSON, &req); err != nil {
		return err
	}
	if err := checkDevice(req.Device); err != nil {
		return err
	}
	c, ok := s.passkeyCeremonies.take(req.Ticket, s.cfg.Now())
	if !ok || c.user != "" {
		return Errorf(wire.CodeBadRequest, "no such passkey sign-in under way, or it expired: begin again")
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(req.Credential)
	if err != nil {
		return Errorf(wire.CodeBadRequest, "the credential is malformed")
	}
	user, p, err := s.cfg.Meta.PasskeyByID(r.Context(), parsed.RawID)
	if errors.Is(err, meta.ErrNotFound) {
		return errPasskey
	} else if err != nil {
		return err
	}
	if err := s.attempt(r, user, func() error { return s.verifyPasskey(r, c, parsed, user, p) }); err != nil {
		return err
	}
	// A passkey that does not unlock is a second factor only: alone, it
	// opens no session (which could delete what it cannot read).
	if p.Unlock == nil {
		return Errorf(wire.CodeForbidden, "this passkey does not unlock your account here: sign in with your password (the passkey serves as its second factor)")
	}
	// In place of the password and the second factor, a passkey must have
	// verified the person (a PIN, a fingerprint, a face), not only seen a
	// touch: a security key without a PIN is a second factor only.
	if !parsed.Response.AuthenticatorData.Flags.HasUserVerified() {
		return Errorf(wire.CodeForbidden, "this passkey did not verify you (with a PIN, fingerprint or face), so it does not unlock your account: sign in with your password")
	}
	sess, err := s.newSession(r, user, req.Device)
	if err != nil {
		return err
	}
	rev, _, _, err := s.cfg.Meta.Keyring(r.Context(), user)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, struct {
		User    string            `json:"user"`
		Session *wire.Session     `json:"session"`
		Keyring map[string]uint64 `json:"keyring"`
		Wrap    []byte            `json:"wrap,omitempty"`
		Unlock  []byte            `json:"unlock,omitempty"`
	}{user, sess, map[string]uint64{"rev": rev}, p.Wrap, p.Unlock})
}

// verifyPasskey checks parsed, the answer to the sign-in ceremony c,
// against user's passkey p, and records its use. Any failure, a counter
// that does not grow included, is errPasskey.
func (s *Server) verifyPasskey(r *http.Request, c ceremony, parsed *protocol.ParsedCredentialAssertionData, user string, p *meta.Passkey) error {
	origin := p.Origin
	if origin == "" {
		origin = s.homeOrigin(r)
	}
	rp, err := relyingPartyAt(origin)
	if err != nil {
		return err
	}
	u := &passkeyUser{name: user, handle: p.UserHandle, creds: []webauthn.Credential{credentialOf(p)}}
	_, cred, err := rp.ValidatePasskeyLogin(func(rawID, handle []byte) (webauthn.User, error) {
		if !bytes.Equal(rawID, p.ID) || !bytes.Equal(handle, p.UserHandle) {
			return nil, errPasskey
		}
		return u, nil
	}, c.data, parsed)
	if err != nil {
		return errPasskey
	}
	// A counter that does not grow: a cloned authenticator.
	if err := s.cfg.Meta.UsePasskey(r.Context(), user, p.ID, cred.Authenticator.SignCount, s.cfg.Now().UTC()); errors.Is(err, meta.ErrConflict) {
		return errPasskey
	} else if err != nil {
		return err
	}
	return nil
}

// checkPasskey checks a passkey's assertion as user's second factor
// (§8.2.3): the answer to a sign-in this server began, by a passkey of
// user's. Its failures are totp_invalid, as a wrong code's.
func (s *Server) checkPasskey(r *http.Request, user string, a *passkeyAnswer) error {
	invalid := Errorf(wire.CodeTOTPInvalid, "this passkey did not verify as this account's; begin again")
	c, ok := s.passkeyCeremonies.take(a.Ticket, s.cfg.Now())
	if !ok || c.user != "" {
		return invalid
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(a.Credential)
	if err != nil {
		return invalid
	}
	owner, p, err := s.cfg.Meta.PasskeyByID(r.Context(), parsed.RawID)
	if errors.Is(err, meta.ErrNotFound) || err == nil && owner != user {
		return invalid
	} else if err != nil {
		return err
	}
	if err := s.verifyPasskey(r, c, parsed, user, p); err == errPasskey {
		return invalid
	} else if err != nil {
		return err
	}
	return nil
}
