package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hearthcloud/hearth/crypto/kdf"
	"github.com/hearthcloud/hearth/crypto/keyring"
	"github.com/hearthcloud/hearth/internal/wire"
)

type loginAnswer struct {
	Session wire.Session `json:"session"`
	Keyring struct {
		Rev uint64 `json:"rev"`
	} `json:"keyring"`
}

// Signup creates an account on server and logs in. It returns the recovery
// key, to be shown to the user once: with it (and only with it) a forgotten
// password can be replaced without losing data.
func Signup(ctx context.Context, server, user, password string, o *Options) (c *Client, recoveryKey string, err error) {
	c, err = newClient(server, o, nil)
	if err != nil {
		return nil, "", err
	}
	if err := wire.CheckNewUser(user); err != nil {
		return nil, "", err
	}
	if err := CheckPassword(user, password); err != nil {
		return nil, "", err
	}
	seed := kdf.NewSeed()
	keys, err := kdf.Derive(password, user, seed, c.kdf)
	if err != nil {
		return nil, "", err
	}
	kr, err := keyring.New(user)
	if err != nil {
		return nil, "", err
	}
	sealed, err := kr.SealWithMasterKey(&keys.MasterKey, 1)
	if err != nil {
		return nil, "", err
	}
	recovery, err := kr.SealRecoveryCopy(1)
	if err != nil {
		return nil, "", err
	}
	var ans struct {
		Session wire.Session `json:"session"`
	}
	in := map[string]any{
		"user": user, "kdf": c.kdf, "seed": seed,
		"login_secret":  keys.LoginSecret[:],
		"recovery_auth": kr.RecoveryKey().Auth(user),
		"keyring":       sealed, "recovery_keyring": recovery,
		"device": c.device,
	}
	if c.invite != "" {
		in["invite"] = c.invite
	}
	_, err = c.callJSON(ctx, "POST", "/v1/accounts", in, &ans, nil, true)
	if err != nil {
		return nil, "", err
	}
	if ans.Session.Token == "" {
		return nil, "", errors.New("client: the server's sign-up answer holds no session")
	}
	if err := c.signedIn(user, ans.Session, &keys.MasterKey, sealed, 1, seed); err != nil {
		return nil, "", err
	}
	c.mu.Lock()
	// A new account's changes feed is empty: there is nothing to catch up.
	c.st.CaughtUp = true
	c.mu.Unlock()
	return c, kr.RecoveryKey().String(), nil
}

// rememberKDF records the KDF parameters and seed the device derived its
// keys with (State.KDF, State.Seed).
func (c *Client) rememberKDF(p kdf.Params, seed []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.st.KDF, c.st.Seed = &p, bytes.Clone(seed)
}

// knownKDF is what this device remembers of user's KDF parameters and
// seed (nil: nothing): this session's once it is signed in (a password
// change checks the seed it signed in with, or the one its last change
// made), else the earlier session's (Options.Previous), unless
// Options.KDFChanged says the password was changed on another device.
func (c *Client) knownKDF(user string) (*kdf.Params, []byte) {
	c.mu.Lock()
	if c.st.User == user && c.st.KDF != nil {
		p, seed := *c.st.KDF, bytes.Clone(c.st.Seed)
		c.mu.Unlock()
		return &p, seed
	}
	c.mu.Unlock()
	if p := c.previous(user); p != nil && p.KDF != nil && !c.kdfChanged {
		return p.KDF, p.Seed
	}
	return nil, nil
}

// codeMember says whether code is a TOTP code (six digits) or a recovery code.
func codeMember(code string) string {
	if len(code) == 6 && strings.Trim(code, "0123456789") == "" {
		return "totp"
	}
	return "recovery_code"
}

// normalizeCode drops the spaces people type inside codes ("492 039").
func normalizeCode(code string) string { return strings.Join(strings.Fields(code), "") }

// prelogin fetches the account's KDF parameters and seed, and derives keys
// from password; kdf.Derive refuses parameters under the floor (§3.2). A
// seed or parameters other than those this device remembers (knownKDF)
// are refused as ErrIntegrity before anything is derived or sent: only
// the host could change them, unless the password was changed on another
// device, and a wrong-password answer would lead the user to try other
// passwords on a host that may be collecting them.
func (c *Client) prelogin(ctx context.Context, user, password string) (*kdf.Keys, error) {
	var pre struct {
		KDF  kdf.Params `json:"kdf"`
		Seed []byte     `json:"seed"`
	}
	if _, err := c.callJSON(ctx, "POST", "/v1/prelogin", map[string]string{"user": user}, &pre, nil, true); err != nil {
		return nil, err
	}
	if p, seed := c.knownKDF(user); p != nil && (*p != pre.KDF || !bytes.Equal(seed, pre.Seed)) {
		return nil, &integrityError{err: ErrKDFChanged, detail: "the server now gives this account other key-derivation parameters or another seed than when this device last signed in; nothing was sent. If you changed the password on another device, sign in again saying so; otherwise the server was changed"}
	}
	keys, err := kdf.Derive(password, user, pre.Seed, pre.KDF)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	c.rememberKDF(pre.KDF, pre.Seed)
	return keys, nil
}

// loginFailed ends the session Login opened, and returns err; except
// when err reports a rollback or a fork of the keyring: then the device
// halts (§4.7) and stays signed in, so that the person can decide
// (AcceptServerState), and Login returns it with Halted saying why.
func (c *Client) loginFailed(ctx context.Context, err error) (*Client, error) {
	var ie *integrityError
	if errors.As(err, &ie) && ie.rollback {
		c.halt(err)
		return c, nil
	}
	c.Logout(ctx)
	return nil, err
}

// Login opens a session with the password, and totp when the account has
// two-factor authentication on (a six-digit authenticator code, or one of
// the recovery codes given when it was turned on). Without a needed code it
// returns an error matching ErrTOTPRequired.
//
// A device writes only once it has read the changes feed to its end (Sync
// or CatchUp), which Login leaves to the caller, so that a caller that
// builds what it shows from Sync sees every change.
//
// A keyring older than the one this device opened, or not descending from
// it, does not fail the login: the device is signed in halted (Halted says
// why), writes nothing, and reads only what the keyring it trusts opens,
// until the person accepts what the server holds now (§4.7).
func Login(ctx context.Context, server, user, password, totp string, o *Options) (*Client, error) {
	return LoginWith(ctx, server, user, password, SecondFactor{Code: totp}, o)
}

// A SecondFactor is what a login gives besides the password when the
// account has two-factor authentication on: an authenticator code or a
// recovery code, or the answer of one of the account's passkeys to a
// ceremony begun with BeginPasskeySignIn (§8.2.3). At most one is set.
type SecondFactor struct {
	Code    string
	Passkey *PasskeyAnswer
}

// LoginWith is Login with any second factor.
func LoginWith(ctx context.Context, server, user, password string, f SecondFactor, o *Options) (*Client, error) {
	c, err := newClient(server, o, nil)
	if err != nil {
		return nil, err
	}
	if err := wire.CheckUser(user); err != nil {
		return nil, err
	}
	if f.Code != "" && f.Passkey != nil {
		return nil, errors.New("client: a login takes a code or a passkey, not both")
	}
	keys, err := c.prelogin(ctx, user, password)
	if err != nil {
		return nil, err
	}
	in := map[string]any{"user": user, "login_secret": keys.LoginSecret[:], "device": c.device}
	if f.Code != "" {
		code := normalizeCode(f.Code)
		in[codeMember(code)] = code
	}
	if f.Passkey != nil {
		in["passkey"] = map[string]any{"ticket": f.Passkey.Ticket, "credential": f.Passkey.Credential}
	}
	var ans loginAnswer
	if _, err := c.callJSON(ctx, "POST", "/v1/login", in, &ans, nil, true); err != nil {
		return nil, err
	}
	c.st.SessionID, c.st.Token = ans.Session.ID, ans.Session.Token
	return c.loggedIn(ctx, user, ans, &keys.MasterKey)
}

// loggedIn takes the session a login opened (st.SessionID and st.Token
// set) for user, with the master key the device derived or unwrapped: it
// adopts what the device remembers of the account, and opens and checks
// the keyring the login announced.
func (c *Client) loggedIn(ctx context.Context, user string, ans loginAnswer, master *[32]byte) (*Client, error) {
	c.st.User = user
	c.adopt(user)
	c.st.MasterKey = master[:]
	if ans.Keyring.Rev < c.st.KeyringRev {
		return c.loginFailed(ctx, rolledBack("the server announced keyring revision %d after this device saw revision %d (rolled back)", ans.Keyring.Rev, c.st.KeyringRev))
	}
	// Opening the keyring now checks the password end to end, and the
	// revision the login answered against the keyring served.
	if err := c.src.refresh(ctx); err != nil {
		return c.loginFailed(ctx, err)
	}
	if c.State().KeyringRev < ans.Keyring.Rev {
		c.Logout(ctx)
		return nil, integrity("the keyring served is older (revision %d) than the login announced (%d)", c.State().KeyringRev, ans.Keyring.Rev)
	}
	return c, nil
}

// Recover replaces a forgotten password using the recovery key, and logs
// in. It replaces the recovery key too and returns the new one, to be shown
// to the user once (the old one no longer opens anything written after).
// totp is needed when two-factor authentication is on, as for Login.
func Recover(ctx context.Context, server, user, recoveryKey, newPassword, totp string, o *Options) (c *Client, newRecoveryKey string, err error) {
	c, err = newClient(server, o, nil)
	if err != nil {
		return nil, "", err
	}
	if err := wire.CheckNewUser(user); err != nil {
		return nil, "", err
	}
	if err := CheckPassword(user, newPassword); err != nil {
		return nil, "", err
	}
	rk, err := keyring.ParseRecoveryKey(recoveryKey)
	if err != nil {
		return nil, "", err
	}
	auth := rk.Auth(user)
	res, err := c.call(ctx, request{method: "POST", path: "/v1/recovery/keyring", noAuth: true,
		ctype: "application/json", body: mustJSON(map[string]any{"user": user, "recovery_auth": auth})})
	if err != nil {
		return nil, "", err
	}
	rev, err := revHeader(res.header)
	if err != nil {
		return nil, "", err
	}
	c.adopt(user)
	if rev < c.st.KeyringRev {
		return nil, "", rolledBack("the server served keyring revision %d after this device saw revision %d (rolled back)", rev, c.st.KeyringRev)
	}
	served, err := keyring.OpenWithRecoveryKey(res.body, rk, user, rev)
	if err != nil {
		return nil, "", &integrityError{detail: "the recovery copy of the keyring does not open with this recovery key", err: err}
	}
	c.mu.Lock()
	err = c.ring().acceptLocked(served, rev)
	c.mu.Unlock()
	if err != nil {
		return nil, "", err
	}
	kr := served.Clone()
	newRK := kr.ReplaceRecoveryKey()
	seed := kdf.NewSeed()
	keys, err := kdf.Derive(newPassword, user, seed, c.kdf)
	if err != nil {
		return nil, "", err
	}
	sealed, err := kr.SealWithMasterKey(&keys.MasterKey, rev+1)
	if err != nil {
		return nil, "", err
	}
	copy2, err := kr.SealRecoveryCopy(rev + 1)
	if err != nil {
		return nil, "", err
	}
	in := map[string]any{"user": user, "recovery_auth": auth, "device": c.device,
		"new": wire.NewLogin[kdf.Params]{KDF: c.kdf, Seed: seed, LoginSecret: keys.LoginSecret[:],
			Keyring: sealed, RecoveryKeyring: copy2, KeyringIfMatch: rev,
			RecoveryAuth: newRK.Auth(user)}}
	if totp != "" {
		code := normalizeCode(totp)
		in[codeMember(code)] = code
	}
	var ans loginAnswer
	if _, err := c.callJSON(ctx, "POST", "/v1/recovery/reset", in, &ans, nil, true); err != nil {
		return nil, "", err
	}
	if ans.Keyring.Rev != rev+1 {
		return nil, "", integrity("the server answered keyring revision %d to a reset sealed for %d", ans.Keyring.Rev, rev+1)
	}
	if err := c.signedIn(user, ans.Session, &keys.MasterKey, sealed, rev+1, seed); err != nil {
		return nil, "", err
	}
	// The reset left every passkey without an unlock (it could not read
	// their records): give them one under the new master key. A failure
	// leaves them second factors until the next password change, and
	// PasskeysLeftLocked says so.
	if err := c.rewrapPasskeys(ctx); err != nil {
		c.mu.Lock()
		c.passkeysLocked = fmt.Errorf("your passkeys sign in only as a second factor until your next password change: giving them the new key failed (%w)", err)
		c.mu.Unlock()
	}
	return c, newRK.String(), nil
}

// signedIn takes the session that sign-up or a recovery reset opened with
// a keyring this client sealed at revision rev: it opens the keyring (the
// server's answer named the revision) and adopts it, with the master key,
// the session and the KDF parameters and seed it derived with.
func (c *Client) signedIn(user string, s wire.Session, master *[32]byte, sealed []byte, rev uint64, seed []byte) error {
	opened, err := keyring.OpenWithMasterKey(sealed, master, user, rev)
	if err != nil {
		return err
	}
	c.st.User = user
	c.st.SessionID, c.st.Token = s.ID, s.Token
	c.st.MasterKey = master[:]
	c.rememberKDF(c.kdf, seed)
	c.mu.Lock()
	c.ring().adoptLocked(opened)
	c.mu.Unlock()
	return nil
}

// Logout ends this device's session. The State keeps the other fields but
// no longer resumes.
func (c *Client) Logout(ctx context.Context) error {
	_, err := c.call(ctx, request{method: "POST", path: "/v1/logout"})
	if err != nil && !errors.Is(err, ErrSessionEnded) {
		return err
	}
	c.mu.Lock()
	c.st.Token, c.st.SessionID = "", ""
	c.mu.Unlock()
	return nil
}

// Sessions lists the account's sessions.
func (c *Client) Sessions(ctx context.Context) ([]Session, error) {
	var ans struct {
		Sessions []Session `json:"sessions"`
	}
	if _, err := c.callJSON(ctx, "GET", "/v1/sessions", nil, &ans, nil, false); err != nil {
		return nil, err
	}
	return ans.Sessions, nil
}

// Account is the account's own record (§8.2.8).
type Account struct {
	User    string    `json:"user"`
	Created time.Time `json:"created"`
	TOTP    bool      `json:"totp"` // two-factor authentication is on
	// Usage is what the account stores and Quota its limits (nil: none),
	// as the server states them: for showing, never for deciding.
	Usage Usage `json:"usage"`
	Quota struct {
		Bytes *int64 `json:"bytes"`
		Docs  *int64 `json:"docs"`
	} `json:"quota"`
}

// Usage is what an account stores, as its quota counts it (§8.1.10).
type Usage struct {
	Bytes int64 `json:"bytes"`
	Docs  int64 `json:"docs"` // documents not deleted
}

// ServerInfo is what a server tells before sign-in (§8.2.9).
type ServerInfo struct {
	// Signup is "open", "invite" (sign-up needs Options.Invite) or
	// "closed".
	Signup string `json:"signup"`
	// MaxBlob is the largest blob the server stores, in sealed bytes (0:
	// it does not say).
	MaxBlob int64 `json:"max_blob,omitempty"`
}

// GetServerInfo asks server what it tells before sign-in. Its answer is a
// hint for the interface; nothing relies on it.
func GetServerInfo(ctx context.Context, server string, o *Options) (*ServerInfo, error) {
	c, err := newClient(server, o, nil)
	if err != nil {
		return nil, err
	}
	var info ServerInfo
	if _, err := c.callJSON(ctx, "GET", "/v1/server", nil, &info, nil, true); err != nil {
		return nil, err
	}
	return &info, nil
}

// Account reads the account's own record.
func (c *Client) Account(ctx context.Context) (*Account, error) {
	var a Account
	if _, err := c.callJSON(ctx, "GET", "/v1/account", nil, &a, nil, false); err != nil {
		return nil, err
	}
	return &a, nil
}

// RevokeSession ends a session of the account (this one included).
func (c *Client) RevokeSession(ctx context.Context, id string) error {
	if err := wire.CheckID(id); err != nil {
		return err
	}
	_, err := c.call(ctx, request{method: "DELETE", path: "/v1/sessions/" + pathEscape(id)})
	return err
}

// TOTPEnroll starts turning on two-factor authentication. It returns an
// otpauth:// URI for an authenticator app; TOTPConfirm finishes.
func (c *Client) TOTPEnroll(ctx context.Context) (uri string, err error) {
	var ans struct {
		URI string `json:"uri"`
	}
	if _, err := c.callJSON(ctx, "POST", "/v1/totp/enroll", nil, &ans, nil, false); err != nil {
		return "", err
	}
	return ans.URI, nil
}

// TOTPConfirm turns two-factor authentication on with a current code from
// the authenticator, and returns ten single-use recovery codes to show once.
func (c *Client) TOTPConfirm(ctx context.Context, code string) (recoveryCodes []string, err error) {
	var ans struct {
		Codes []string `json:"recovery_codes"`
	}
	if _, err := c.callJSON(ctx, "POST", "/v1/totp/confirm", map[string]string{"code": normalizeCode(code)}, &ans, nil, false); err != nil {
		return nil, err
	}
	return ans.Codes, nil
}

// TOTPDisable turns two-factor authentication off, given an authenticator
// code or a recovery code.
func (c *Client) TOTPDisable(ctx context.Context, code string) error {
	_, err := c.callJSON(ctx, "POST", "/v1/totp/disable", map[string]string{"code": normalizeCode(code)}, nil, nil, false)
	return err
}

// PasskeysLeftLocked says, after a Recover, why the account's passkeys
// could not be given an unlock under the new master key (they then serve
// only as second factors until the next password change); nil when they
// were, or when there was nothing to do.
func (c *Client) PasskeysLeftLocked() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.passkeysLocked
}
