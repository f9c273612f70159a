// Package webauthntest is a software passkey authenticator for tests: it
// answers the options of navigator.credentials.create and .get as a
// browser with a passkey would (ES256, "none" attestation, user present
// and verified), with a PRF extension of its own when asked. Go tests of
// the server and the client use it; the browser tests use Chromium's
// virtual authenticator instead. Nothing shipped imports it.
package webauthntest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"net/url"

	"github.com/fxamacker/cbor/v2"
)

// An Authenticator holds one passkey.
type Authenticator struct {
	key    *ecdsa.PrivateKey
	ID     []byte // the credential id
	Handle []byte // the user handle the relying party gave at creation
	Count  uint32 // the signature counter, raised by each Get
	Origin string // the origin the "browser" reports
	NoUV   bool   // its assertions say the user was present, not verified (a key without a PIN)
	rpID   string
	prf    []byte // nil: no PRF extension
}

// New returns an authenticator for a page at origin, whose relying party
// id is origin's host name. With prf, it has the PRF extension.
func New(origin string, prf bool) *Authenticator {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	a := &Authenticator{key: k, ID: make([]byte, 16), Origin: origin}
	rand.Read(a.ID)
	if u, err := url.Parse(origin); err == nil {
		a.rpID = u.Hostname()
	}
	if prf {
		a.prf = make([]byte, 32)
		rand.Read(a.prf)
	}
	return a
}

var b64u = base64.RawURLEncoding

// PRF is the PRF extension's output for salt: nil without the extension.
func (a *Authenticator) PRF(salt []byte) []byte {
	if a.prf == nil {
		return nil
	}
	m := hmac.New(sha256.New, a.prf)
	m.Write(salt)
	return m.Sum(nil)
}

// Options reads the challenge (and, at creation, the user handle) of
// options, {"publicKey": …} as a relying party gives them.
func Options(options json.RawMessage) (challenge, handle []byte, err error) {
	var o struct {
		PublicKey struct {
			Challenge string `json:"challenge"`
			User      *struct {
				ID string `json:"id"`
			} `json:"user"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(options, &o); err != nil {
		return nil, nil, err
	}
	if challenge, err = b64u.DecodeString(o.PublicKey.Challenge); err != nil || len(challenge) == 0 {
		return nil, nil, errors.New("webauthntest: no challenge in the options")
	}
	if o.PublicKey.User != nil {
		if handle, err = b64u.DecodeString(o.PublicKey.User.ID); err != nil {
			return nil, nil, err
		}
	}
	return challenge, handle, nil
}

func (a *Authenticator) clientData(typ string, challenge []byte) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": b64u.EncodeToString(challenge), "origin": a.Origin, "crossOrigin": false})
	return b
}

func (a *Authenticator) authData(flags byte, extra []byte) []byte {
	h := sha256.Sum256([]byte(a.rpID))
	out := append(h[:], flags)
	out = binary.BigEndian.AppendUint32(out, a.Count)
	return append(out, extra...)
}

// Create answers navigator.credentials.create with options: the
// PublicKeyCredential, as JSON.
func (a *Authenticator) Create(options json.RawMessage) (json.RawMessage, error) {
	challenge, handle, err := Options(options)
	if err != nil {
		return nil, err
	}
	return a.CreateFor(challenge, handle), nil
}

// CreateFor is Create for a challenge and user handle already read.
func (a *Authenticator) CreateFor(challenge, handle []byte) json.RawMessage {
	a.Handle = handle
	x, y := a.key.PublicKey.X.FillBytes(make([]byte, 32)), a.key.PublicKey.Y.FillBytes(make([]byte, 32))
	cose, err := cbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: x, -3: y})
	if err != nil {
		panic(err)
	}
	att := make([]byte, 16) // AAGUID
	att = binary.BigEndian.AppendUint16(att, uint16(len(a.ID)))
	att = append(append(att, a.ID...), cose...)
	ao, err := cbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": a.authData(0x45, att)}) // UP, UV, AT
	if err != nil {
		panic(err)
	}
	b, _ := json.Marshal(map[string]any{"id": b64u.EncodeToString(a.ID), "rawId": b64u.EncodeToString(a.ID), "type": "public-key",
		"response": map[string]any{"clientDataJSON": b64u.EncodeToString(a.clientData("webauthn.create", challenge)),
			"attestationObject": b64u.EncodeToString(ao)}})
	return b
}

// Get answers navigator.credentials.get with options.
func (a *Authenticator) Get(options json.RawMessage) (json.RawMessage, error) {
	challenge, _, err := Options(options)
	if err != nil {
		return nil, err
	}
	return a.GetFor(challenge), nil
}

// GetFor is Get for a challenge already read.
func (a *Authenticator) GetFor(challenge []byte) json.RawMessage {
	a.Count++
	flags := byte(0x05) // UP, UV
	if a.NoUV {
		flags = 0x01 // UP
	}
	ad := a.authData(flags, nil)
	cd := a.clientData("webauthn.get", challenge)
	h := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, ad...), h[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, a.key, digest[:])
	if err != nil {
		panic(err)
	}
	b, _ := json.Marshal(map[string]any{"id": b64u.EncodeToString(a.ID), "rawId": b64u.EncodeToString(a.ID), "type": "public-key",
		"response": map[string]any{"clientDataJSON": b64u.EncodeToString(cd), "authenticatorData": b64u.EncodeToString(ad),
			"signature": b64u.EncodeToString(sig), "userHandle": b64u.EncodeToString(a.Handle)}})
	return b
}
