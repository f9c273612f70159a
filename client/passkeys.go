package client

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hearthcloud/hearth/crypto/keyring"
	"github.com/hearthcloud/hearth/internal/wire"
)

// Passkeys (protocol §4.8, §8.2.10). The WebAuthn ceremonies run where the
// authenticator is (a browser page, through navigator.credentials): the
// client begins one with the server, the caller asks the authenticator
// with the options and the PRF input, and hands the answer back to finish.

// PasskeysDoctype holds the passkey records: a passkey's name and, for
// one that unlocks the account, its secret (§4.8).
const PasskeysDoctype = "io.hearth.passkeys"

// MaxPasskeyName is the longest passkey name, in characters.
const MaxPasskeyName = 64

// A Passkey is one of the account's passkeys.
type Passkey struct {
	ID       string     `json:"id"` // the credential id, base64url
	Name     string     `json:"name"`
	Unlocks  bool       `json:"unlocks"` // signs in without the password; false: a second factor only
	Created  time.Time  `json:"created"`
	LastUsed *time.Time `json:"lastUsed,omitempty"`
}

// A PasskeyCeremony is a WebAuthn ceremony the server began: Options go to
// navigator.credentials.create or .get, with PRFSalt as the PRF
// extension's input (extensions.prf.eval.first).
type PasskeyCeremony struct {
	Ticket  string          `json:"ticket"`
	Options json.RawMessage `json:"options"` // {"publicKey": …}
	PRFSalt []byte          `json:"prfSalt"`
}

// A PasskeyAnswer is an authenticator's answer to a ceremony: the
// PublicKeyCredential as JSON, and the PRF output (nil: the authenticator
// gave none).
type PasskeyAnswer struct {
	Ticket     string          `json:"ticket"`
	Credential json.RawMessage `json:"credential"`
	PRF        []byte          `json:"prf,omitempty"`
}

// ErrPasskeyCannotUnlock: the passkey signs in only as a second factor (it
// has no PRF, or a password change left it out); sign in with the password.
var ErrPasskeyCannotUnlock = errors.New("this passkey cannot unlock your account by itself (it lacks the PRF extension, or did not verify you with a PIN, fingerprint or face): sign in with your password (the passkey can then be your second step)")

// ErrPasskeyName: a passkey's name is too long or holds control characters.
var ErrPasskeyName = fmt.Errorf("a passkey's name is at most %d characters, without control characters", MaxPasskeyName)

type passkeyRecord struct {
	Credential string    `json:"credential"` // base64url
	Name       string    `json:"name"`
	Secret     []byte    `json:"secret,omitempty"` // ps
	PRF        bool      `json:"prf"`
	Added      time.Time `json:"added"`
}

// passkeyRecordID is the record's document id: the first 16 bytes of
// SHA-256 of the credential id, in lowercase base32 (§4.8).
func passkeyRecordID(credential []byte) string {
	s := sha256.Sum256(credential)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(s[:16]))
}

// credentialID reads the raw id of a PublicKeyCredential in JSON.
func credentialID(credential json.RawMessage) ([]byte, error) {
	var c struct {
		RawID string `json:"rawId"`
	}
	if json.Unmarshal(credential, &c) != nil {
		return nil, errors.New("client: the passkey's answer is not a credential")
	}
	id, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(c.RawID, "="))
	if err != nil || len(id) == 0 || len(id) > 1023 {
		return nil, errors.New("client: the passkey's answer has no valid credential id")
	}
	return id, nil
}

func passkeyName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "Passkey", nil
	}
	if !utf8.ValidString(name) || utf8.RuneCountInString(name) > MaxPasskeyName || strings.ContainsFunc(name, isControl) {
		return "", ErrPasskeyName
	}
	return name, nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 }

func checkPRF(prf []byte) error {
	if prf != nil && len(prf) != 32 {
		return fmt.Errorf("client: a PRF output is 32 bytes, not %d", len(prf))
	}
	return nil
}

// passkeyCeremony begins a ceremony at path.
func (c *Client) passkeyCeremony(ctx context.Context, path string, noAuth bool) (*PasskeyCeremony, error) {
	var cer PasskeyCeremony
	if _, err := c.callJSON(ctx, "POST", path, map[string]any{}, &cer, nil, noAuth); err != nil {
		return nil, err
	}
	if cer.Ticket == "" || len(cer.Options) == 0 {
		return nil, errors.New("client: the server began no passkey ceremony")
	}
	cer.PRFSalt = keyring.PasskeyPRFSalt()
	return &cer, nil
}

// BeginAddPasskey begins adding a passkey to the account: give the
// ceremony's options to navigator.credentials.create, then its answer to
// FinishAddPasskey. Only a client signed in to the account can (not an
// app); a halted device cannot (§4.7).
func (c *Client) BeginAddPasskey(ctx context.Context) (*PasskeyCeremony, error) {
	if c.ring() == nil {
		return nil, errNoKeyring
	}
	if err := c.haltedErr(); err != nil {
		return nil, err
	}
	// Adding writes the passkey's record: a device writes once it has
	// verified the account's history.
	if err := c.CatchUp(ctx); err != nil {
		return nil, err
	}
	return c.passkeyCeremony(ctx, "/v1/passkeys/register/begin", false)
}

// FinishAddPasskey adds the passkey a.Credential made, named name. With
// a.PRF, it unlocks the account: it is given the master key under a
// passkey secret kept in a sealed record (§4.8). Without, it serves as a
// second factor only.
func (c *Client) FinishAddPasskey(ctx context.Context, a PasskeyAnswer, name string) (*Passkey, error) {
	name, err := passkeyName(name)
	if err != nil {
		return nil, err
	}
	if err := checkPRF(a.PRF); err != nil {
		return nil, err
	}
	cred, err := credentialID(a.Credential)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	user, mk := c.st.User, c.st.MasterKey
	c.mu.Unlock()
	if c.ring() == nil || len(mk) != 32 {
		return nil, errNoKeyring
	}
	rec := passkeyRecord{Credential: base64.RawURLEncoding.EncodeToString(cred), Name: name, PRF: a.PRF != nil, Added: time.Now().UTC().Truncate(time.Second)}
	body := map[string]any{"ticket": a.Ticket, "credential": a.Credential}
	if a.PRF != nil {
		ps := keyring.NewPasskeySecret()
		wrap, err := keyring.SealPasskeyWrap(a.PRF, ps, user, cred)
		if err != nil {
			return nil, err
		}
		unlock, err := keyring.SealPasskeyUnlock(ps, (*[32]byte)(mk), user, cred)
		if err != nil {
			return nil, err
		}
		rec.Secret = ps[:]
		body["wrap"], body["unlock"] = wrap, unlock
	}
	// A passkey of the account already: its record keeps the secret its
	// stored wrap and unlock were sealed with, which a new record would
	// replace.
	list, err := c.serverPasskeys(ctx)
	if err != nil {
		return nil, err
	}
	for _, p := range list {
		if p.ID == rec.Credential {
			return nil, errors.New("this passkey is one of your account's already")
		}
	}
	// Added again after it was removed: the keyring forgets the removal.
	if err := c.updateKeyring(ctx, func(kr *keyring.Keyring) (bool, error) { return kr.ReaddPasskey(rec.Credential), nil }); err != nil {
		return nil, err
	}
	// The record first: a passkey the server holds with an unlock but
	// whose secret no record keeps could not follow a password change.
	id := passkeyRecordID(cred)
	if _, err := c.Put(ctx, PasskeysDoctype, id, mustJSON(rec)); err != nil {
		return nil, err
	}
	var ans struct {
		ID string `json:"id"`
	}
	if _, err := c.callJSON(ctx, "POST", "/v1/passkeys/register/finish", body, &ans, nil, false); err != nil {
		// The record goes only when the server answered that it stored
		// nothing: an answer lost on the way may follow a passkey it did
		// store, which signs in, and which the record lets follow the
		// next password change.
		var ae *APIError
		if errors.As(err, &ae) && ae.Code != wire.CodeExists {
			c.Delete(ctx, PasskeysDoctype, id)
		}
		return nil, err
	}
	if ans.ID != rec.Credential {
		return nil, fmt.Errorf("client: the server stored the passkey as %q, not %q", ans.ID, rec.Credential)
	}
	return &Passkey{ID: ans.ID, Name: name, Unlocks: a.PRF != nil, Created: rec.Added}, nil
}

// passkeyRecords reads the records of the passkeys ids (base64url
// credential ids); one without a record, or with a malformed one, is
// absent from the answer.
func (c *Client) passkeyRecords(ctx context.Context, ids []string) (map[string]*passkeyRecord, error) {
	out := map[string]*passkeyRecord{}
	byDoc := map[string]string{}
	var docIDs []string
	for _, id := range ids {
		raw, err := base64.RawURLEncoding.DecodeString(id)
		if err != nil {
			continue
		}
		docIDs = append(docIDs, passkeyRecordID(raw))
		byDoc[passkeyRecordID(raw)] = id
	}
	if len(docIDs) == 0 {
		return out, nil
	}
	// A device reads only once it has verified the account's history.
	if err := c.CatchUp(ctx); err != nil {
		return nil, err
	}
	docs, err := c.GetMany(ctx, PasskeysDoctype, docIDs)
	if isCode(err, wire.CodeUnknownDoctype) {
		return out, nil // no passkey was ever added
	}
	if err != nil {
		return nil, err
	}
	for _, d := range docs {
		var rec passkeyRecord
		if d == nil || d.Deleted || json.Unmarshal(d.Content, &rec) != nil || rec.Credential != byDoc[d.ID] {
			continue
		}
		if rec.Secret != nil && len(rec.Secret) != 32 {
			rec.Secret = nil
		}
		out[rec.Credential] = &rec
	}
	return out, nil
}

type serverPasskey struct {
	ID       string     `json:"id"`
	Created  time.Time  `json:"created"`
	LastUsed *time.Time `json:"last_used"`
	Unlock   bool       `json:"unlock"`
}

func (c *Client) serverPasskeys(ctx context.Context) ([]serverPasskey, error) {
	var list []serverPasskey
	_, err := c.callJSON(ctx, "GET", "/v1/passkeys", nil, &list, nil, false)
	return list, err
}

// passkeysWithRecords lists the account's passkeys as the server holds
// them, and their records by id.
func (c *Client) passkeysWithRecords(ctx context.Context) ([]serverPasskey, map[string]*passkeyRecord, error) {
	list, err := c.serverPasskeys(ctx)
	if err != nil {
		return nil, nil, err
	}
	ids := make([]string, len(list))
	for i, p := range list {
		ids[i] = p.ID
	}
	recs, err := c.passkeyRecords(ctx, ids)
	return list, recs, err
}

// Passkeys lists the account's passkeys, oldest first.
func (c *Client) Passkeys(ctx context.Context) ([]Passkey, error) {
	list, recs, err := c.passkeysWithRecords(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Passkey, len(list))
	for i, p := range list {
		out[i] = Passkey{ID: p.ID, Name: "Passkey", Unlocks: p.Unlock, Created: p.Created, LastUsed: p.LastUsed}
		if r := recs[p.ID]; r != nil {
			out[i].Name = r.Name
		}
	}
	return out, nil
}

// RenamePasskey renames one of the account's passkeys.
func (c *Client) RenamePasskey(ctx context.Context, id, name string) error {
	name, err := passkeyName(name)
	if err != nil {
		return err
	}
	list, err := c.serverPasskeys(ctx)
	if err != nil {
		return err
	}
	var found *serverPasskey
	for i := range list {
		if list[i].ID == id {
			found = &list[i]
		}
	}
	if found == nil {
		return fmt.Errorf("%w: no passkey %s", ErrNotFound, id)
	}
	recs, err := c.passkeyRecords(ctx, []string{id})
	if err != nil {
		return err
	}
	rec := recs[id]
	if rec == nil {
		rec = &passkeyRecord{Credential: id, Added: found.Created}
	}
	rec.Name = name
	raw, _ := base64.RawURLEncoding.DecodeString(id)
	_, err = c.Put(ctx, PasskeysDoctype, passkeyRecordID(raw), mustJSON(rec))
	return err
}

// RemovePasskey removes one of the account's passkeys, and its record.
// The server forgets its unlock; but a host that kept it, and that also
// holds the authenticator, could still open the master key of today
// until the password changes (§4.8).
func (c *Client) RemovePasskey(ctx context.Context, id string) error {
	raw, err := base64.RawURLEncoding.DecodeString(id)
	if err != nil || len(raw) == 0 {
		return fmt.Errorf("%w: no passkey %s", ErrNotFound, id)
	}
	// The keyring first: whatever the server does with the DELETE, no
	// client of the account gives this passkey an unlock again.
	if err := c.updateKeyring(ctx, func(kr *keyring.Keyring) (bool, error) { return kr.RemovePasskey(id) }); err != nil {
		return err
	}
	if _, err := c.callJSON(ctx, "DELETE", "/v1/passkeys/"+pathEscape(id), nil, nil, nil, false); err != nil {
		return err
	}
	if err := c.Delete(ctx, PasskeysDoctype, passkeyRecordID(raw)); err != nil && !errors.Is(err, ErrNotFound) && !isCode(err, wire.CodeUnknownDoctype) {
		return err
	}
	return nil
}

// passkeySecrets reads the secrets of the account's passkeys that unlock
// it, by id, from their records. The caller must not hold kmu.
func (c *Client) passkeySecrets(ctx context.Context) (map[string]*keyring.PasskeySecret, error) {
	_, recs, err := c.passkeysWithRecords(ctx)
	if err != nil {
		return nil, err
	}
	kr, err := c.loadedKeyring(ctx, false)
	if err != nil {
		return nil, err
	}
	out := map[string]*keyring.PasskeySecret{}
	for id, r := range recs {
		// A passkey removed from the account gets no unlock, even when
		// the host lists it and serves an old record of it (§4.8).
		if r.Secret != nil && !kr.PasskeyRemoved(id) {
			out[id] = (*keyring.PasskeySecret)(r.Secret)
		}
	}
	return out, nil
}

// passkeyUnlocks seals master for every passkey of secrets: the
// passkey_unlocks of a password change (§8.2.5). A passkey without a
// secret is left out, and no longer unlocks.
func passkeyUnlocks(secrets map[string]*keyring.PasskeySecret, user string, master *[32]byte) (map[string][]byte, error) {
	if len(secrets) == 0 {
		return nil, nil
	}
	out := map[string][]byte{}
	for id, ps := range secrets {
		raw, _ := base64.RawURLEncoding.DecodeString(id)
		u, err := keyring.SealPasskeyUnlock(ps, master, user, raw)
		if err != nil {
			return nil, err
		}
		out[id] = u
	}
	return out, nil
}

// rewrapPasskeys gives every passkey with a secret its unlock under the
// current master key, one request each: after a recovery, whose reset
// cannot read the records (§8.2.10).
func (c *Client) rewrapPasskeys(ctx context.Context) error {
	c.mu.Lock()
	user, mk := c.st.User, c.st.MasterKey
	c.mu.Unlock()
	if len(mk) != 32 {
		return errNoKeyring
	}
	secrets, err := c.passkeySecrets(ctx)
	if err != nil {
		return err
	}
	unlocks, err := passkeyUnlocks(secrets, user, (*[32]byte)(mk))
	if err != nil {
		return err
	}
	for id, u := range unlocks {
		if _, err := c.callJSON(ctx, "PUT", "/v1/passkeys/"+pathEscape(id)+"/unlock", map[string]any{"unlock": u}, nil, nil, false); err != nil {
			return err
		}
	}
	return nil
}

// BeginPasskeySignIn begins a sign-in with a passkey (or a passkey as the
// second factor of a password login, LoginWith): give the ceremony's
// options to navigator.credentials.get.
func BeginPasskeySignIn(ctx context.Context, server string, o *Options) (*PasskeyCeremony, error) {
	c, err := newClient(server, o, nil)
	if err != nil {
		return nil, err
	}
	return c.passkeyCeremony(ctx, "/v1/passkeys/login/begin", true)
}

// PasskeyLogin signs in with a passkey that unlocks the account: the
// server checks the assertion and answers the passkey's wrap and unlock,
// which a.PRF opens to the master key; the keyring is then opened and
// checked as after a password login (Login). A passkey that only serves as
// a second factor is ErrPasskeyCannotUnlock. Options.PreviousFor gives
// what the device remembers of the account the passkey names.
func PasskeyLogin(ctx context.Context, server string, a PasskeyAnswer, o *Options) (*Client, error) {
	if err := checkPRF(a.PRF); err != nil {
		return nil, err
	}
	cred, err := credentialID(a.Credential)
	if err != nil {
		return nil, err
	}
	c, err := newClient(server, o, nil)
	if err != nil {
		return nil, err
	}
	var ans struct {
		loginAnswer
		User   string `json:"user"`
		Wrap   []byte `json:"wrap"`
		Unlock []byte `json:"unlock"`
	}
	_, err = c.callJSON(ctx, "POST", "/v1/passkeys/login/finish",
		map[string]any{"ticket": a.Ticket, "credential": a.Credential, "device": c.device}, &ans, nil, true)
	if isCode(err, wire.CodeForbidden) {
		return nil, ErrPasskeyCannotUnlock
	}
	if err != nil {
		return nil, err
	}
	if err := wire.CheckUser(ans.User); err != nil {
		return nil, integrity("the server named no valid account for the passkey")
	}
	c.st.User = ans.User
	c.st.SessionID, c.st.Token = ans.Session.ID, ans.Session.Token
	if a.PRF == nil {
		c.Logout(ctx)
		return nil, ErrPasskeyCannotUnlock
	}
	ps, err := keyring.OpenPasskeyWrap(ans.Wrap, a.PRF, ans.User, cred)
	if err != nil {
		c.Logout(ctx)
		return nil, &integrityError{detail: "the passkey's wrap from the server does not open with this passkey", err: err}
	}
	mk, err := keyring.OpenPasskeyUnlock(ans.Unlock, ps, ans.User, cred)
	if err != nil {
		c.Logout(ctx)
		return nil, &integrityError{detail: "the passkey's unlock from the server does not open", err: err}
	}
	return c.loggedIn(ctx, ans.User, ans.loginAnswer, mk)
}
