// Package link implements Hearth's share links and drop links
// (spec/protocol.md §4.5): their URLs, which carry a fragment key the
// server never sees; the derivation of the access proof, the manifest key
// and the drop key from that key and an optional password; sealed
// manifests, which bind the link id and a version; and drops, age files to
// the link owner's X25519 recipient whose metadata carries a tag only a
// holder of the link can make.
//
// Every failure to open a manifest or a drop, whatever its cause, is
// seal.ErrIntegrity.
package link

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/url"
	"strings"

	"github.com/hearthcloud/hearth/crypto/internal/format"
	"github.com/hearthcloud/hearth/internal/wire"
)

// KeySize is the size of a link's fragment key.
const KeySize = 32

// A Kind is what a link does: share items, or take drops.
type Kind string

const (
	Share Kind = "share" // /s/<id>#<key>
	Drop  Kind = "drop"  // /d/<id>#<key>
)

// ErrBadURL: a string is not a Hearth link.
var ErrBadURL = errors.New("link: not a Hearth link (https://HOST/s/ID#KEY or /d/ID#KEY)")

// A URL is a parsed link.
type URL struct {
	Origin string // scheme://host[:port], where /v1 is served
	Kind   Kind
	ID     string
	Key    []byte // KeySize bytes, not all zero
}

var b64url = base64.RawURLEncoding.Strict()

// ParseURL parses a link. The origin must be https, or http on a loopback
// host (§8.1.1); the path /s/<id> or /d/<id>; the fragment the key in
// canonical unpadded base64url. Anything else is ErrBadURL.
func ParseURL(s string) (*URL, error) {
	if len(s) > 2048 {
		return nil, ErrBadURL
	}
	u, err := url.Parse(s)
	if err != nil || u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Host == "" || u.Opaque != "" {
		return nil, ErrBadURL
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && loopback(u.Hostname())) {
		return nil, ErrBadURL
	}
	var kind Kind
	rest, ok := strings.CutPrefix(u.EscapedPath(), "/s/")
	if ok {
		kind = Share
	} else if rest, ok = strings.CutPrefix(u.EscapedPath(), "/d/"); ok {
		kind = Drop
	} else {
		return nil, ErrBadURL
	}
	if wire.CheckLinkID(rest) != nil {
		return nil, ErrBadURL
	}
	key, err := b64url.DecodeString(u.EscapedFragment())
	if err != nil || len(key) != KeySize || format.IsZero(key) || u.EscapedFragment() != u.Fragment {
		return nil, ErrBadURL
	}
	return &URL{Origin: u.Scheme + "://" + u.Host, Kind: kind, ID: rest, Key: key}, nil
}

// loopback reports whether host names this machine (§8.1.1).
func loopback(host string) bool {
	return host == "localhost" || strings.HasSuffix(host, ".localhost") || host == "::1" || strings.HasPrefix(host, "127.")
}

// String formats the link.
func (u *URL) String() string {
	p := "/s/"
	if u.Kind == Drop {
		p = "/d/"
	}
	return u.Origin + p + u.ID + "#" + b64url.EncodeToString(u.Key)
}

// New returns a fresh link of kind on origin: a new id and key.
func New(origin string, kind Kind) *URL {
	return &URL{Origin: strings.TrimRight(origin, "/"), Kind: kind, ID: wire.NewID(), Key: NewKey()}
}

// NewKey returns a fresh fragment key.
func NewKey() []byte {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		panic("link: random source failed: " + err.Error())
	}
	return k
}

// EncodeKey and DecodeKey convert a fragment key to and from its form in
// a link (and in the owner's link record).
func EncodeKey(k []byte) string { return b64url.EncodeToString(k) }

func DecodeKey(s string) ([]byte, error) {
	k, err := b64url.DecodeString(s)
	if err != nil || len(k) != KeySize || format.IsZero(k) {
		return nil, ErrBadURL
	}
	return k, nil
}
