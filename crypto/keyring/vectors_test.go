package keyring

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"github.com/hearthcloud/hearth/spec/vectors/vectorstest"
	"slices"
	"testing"

	"filippo.io/age"

	"github.com/hearthcloud/hearth/crypto/seal"
)

// The vectors of spec/vectors/keyring.json and grant.json, made by an
// independent implementation (spec/vectors/gen). The relative path works
// natively and under GOOS=js GOARCH=wasm.
var (
	loadVectors = vectorstest.Load
	unhex       = vectorstest.Unhex
)

type fileHeader struct {
	Format    string `json:"format"`
	Spec      string `json:"spec"`
	Comment   string `json:"comment"`
	Generator string `json:"generator"`
}

type vectorKey struct {
	Gen uint32 `json:"gen"`
	Key string `json:"key"`
}

// sameKeys checks that s holds exactly the keys listed.
func sameKeys(t testing.TB, what string, s *seal.KeySet, want []vectorKey) {
	t.Helper()
	all := s.All()
	if len(all) != len(want) {
		t.Fatalf("%s: %d keys, want %d", what, len(all), len(want))
	}
	for i, k := range all {
		if k.Gen() != want[i].Gen || !bytes.Equal(k.Bytes(), unhex(t, want[i].Key)) {
			t.Fatalf("%s: key %d is gen %d %x", what, i, k.Gen(), k.Bytes())
		}
	}
}

// wantError checks err against a vector's error code.
func wantError(t testing.TB, code string, err error) {
	t.Helper()
	switch code {
	case "integrity":
		if err != ErrIntegrity || !errors.Is(err, seal.ErrIntegrity) {
			t.Fatalf("error %v, want ErrIntegrity", err)
		}
	case "weak_key":
		if !errors.Is(err, seal.ErrWeakKey) {
			t.Fatalf("error %v, want ErrWeakKey", err)
		}
	default:
		t.Fatalf("unknown error %q", code)
	}
}

// withNonces makes randReader return exactly b, for the duration of f.
func withNonces(b []byte, f func()) {
	old := randReader
	randReader = bytes.NewReader(b)
	defer func() { randReader = old }()
	f()
}

type keyringVector struct {
	Name      string `json:"name"`
	Comment   string `json:"comment"`
	Slot      string `json:"slot"`
	Secret    string `json:"secret"`
	User      string `json:"user"`
	Rev       uint64 `json:"rev"`
	Nonce     string `json:"nonce"`
	Plaintext string `json:"plaintext"`
	Expected  *struct {
		SignPublic   string                 `json:"sign_public"`
		BoxRecipient string                 `json:"box_recipient"`
		Doctypes     map[string][]vectorKey `json:"doctypes"`
		Digest       string                 `json:"digest"`
		History      []string               `json:"history"`
	} `json:"expected"`
	Sealed string `json:"sealed"`
	Error  string `json:"error"`
}

type recoveryVector struct {
	Name     string `json:"name"`
	Comment  string `json:"comment"`
	String   string `json:"string"`
	Key      string `json:"key"`
	AuthUser string `json:"auth_user"`
	Auth     string `json:"auth"`
	Error    string `json:"error"`
}

type successionVector struct {
	Name        string `json:"name"`
	Comment     string `json:"comment"`
	KnownRev    uint64 `json:"known_rev"`
	KnownDigest string `json:"known_digest"`
	Keyring     string `json:"keyring"`
	Result      string `json:"result"`
}

type keyringFile struct {
	fileHeader
	Vectors      []keyringVector    `json:"vectors"`
	Successions  []successionVector `json:"successions"`
	RecoveryKeys []recoveryVector   `json:"recovery_keys"`
}

func loadKeyrings(t testing.TB) *keyringFile {
	var f keyringFile
	loadVectors(t, "keyring.json", &f)
	if len(f.Vectors) == 0 || len(f.RecoveryKeys) == 0 {
		t.Fatal("no keyring vectors")
	}
	return &f
}

// open opens sealed as the vector's slot says.
func (v *keyringVector) open(t testing.TB, sealed []byte) (*Keyring, error) {
	secret := unhex(t, v.Secret)
	switch v.Slot {
	case "password":
		return OpenWithMasterKey(sealed, (*[32]byte)(secret), v.User, v.Rev)
	case "recovery":
		return OpenWithRecoveryKey(sealed, (*RecoveryKey)(secret), v.User, v.Rev)
	}
	t.Fatalf("slot %q", v.Slot)
	return nil, nil
}

func TestKeyringVectors(t *testing.T) {
	f := loadKeyrings(t)
	for _, v := range f.Vectors {
		t.Run(v.Name, func(t *testing.T) {
			sealed := unhex(t, v.Sealed)
			kr, err := v.open(t, sealed)
			if v.Error != "" {
				if kr != nil {
					t.Errorf("returned a keyring")
				}
				wantError(t, v.Error, err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			e := v.Expected
			if kr.User() != v.User || hex.EncodeToString(kr.SigningKey()) != e.SignPublic || kr.Recipient().String() != e.BoxRecipient {
				t.Fatalf("opened user %q, signing key %x, recipient %s", kr.User(), kr.SigningKey(), kr.Recipient())
			}
			var doctypes []string
			for d := range e.Doctypes {
				doctypes = append(doctypes, d)
			}
			slices.Sort(doctypes)
			if !slices.Equal(kr.Doctypes(), doctypes) {
				t.Fatalf("doctypes %q, want %q", kr.Doctypes(), doctypes)
			}
			for d, keys := range e.Doctypes {
				sameKeys(t, d, kr.Keys(d), keys)
			}
			rev, dg := kr.Revision()
			if rev != v.Rev || hex.EncodeToString(dg[:]) != e.Digest {
				t.Fatalf("opened as revision %d with digest %x, want %d and %s", rev, dg, v.Rev, e.Digest)
			}
			var history []string
			for i := 0; i < len(kr.history); i += DigestSize {
				history = append(history, hex.EncodeToString(kr.history[i:i+DigestSize]))
			}
			if !slices.Equal(history, e.History) || v.Rev > 1 && (kr.history == nil) != (e.History == nil) {
				t.Fatalf("history %q, want %q", history, e.History)
			}
			js, err := kr.marshal(v.Rev)
			if err != nil || string(js) != v.Plaintext {
				t.Fatalf("marshals as %s, vector has %s", js, v.Plaintext)
			}
			// Sealing the opened keyring again with the vector's nonce gives
			// the same bytes.
			var resealed []byte
			withNonces(unhex(t, v.Nonce), func() {
				secret := unhex(t, v.Secret)
				if v.Slot == "recovery" {
					resealed, err = kr.SealRecoveryCopy(v.Rev)
				} else {
					resealed, err = kr.SealWithMasterKey((*[32]byte)(secret), v.Rev)
				}
			})
			if err != nil || !bytes.Equal(resealed, sealed) {
				t.Fatalf("resealing gives other bytes (%d, error %v)", len(resealed), err)
			}
		})
	}
}

// TestKeyringSuccessionVectors runs keyring.json's successions: whether a
// device remembering one revision accepts a keyring it is served (§4.2).
func TestKeyringSuccessionVectors(t *testing.T) {
	f := loadKeyrings(t)
	if len(f.Successions) == 0 {
		t.Fatal("no succession vectors")
	}
	byName := map[string]*keyringVector{}
	for i := range f.Vectors {
		byName[f.Vectors[i].Name] = &f.Vectors[i]
	}
	for _, sv := range f.Successions {
		t.Run(sv.Name, func(t *testing.T) {
			v := byName[sv.Keyring]
			kr, err := v.open(t, unhex(t, v.Sealed))
			if err != nil {
				t.Fatal(err)
			}
			var known Digest
			copy(known[:], unhex(t, sv.KnownDigest))
			err = kr.Descends(sv.KnownRev, known)
			switch sv.Result {
			case "ok":
				if err != nil {
					t.Fatalf("Descends = %v, want nil", err)
				}
			case "fork":
				if !errors.Is(err, ErrFork) {
					t.Fatalf("Descends = %v, want ErrFork", err)
				}
			case "rolled_back":
				if err == nil || errors.Is(err, ErrFork) || !errors.Is(err, ErrIntegrity) {
					t.Fatalf("Descends = %v, want the rolled-back integrity error", err)
				}
			default:
				t.Fatalf("unknown result %q", sv.Result)
			}
		})
	}
}

func TestRecoveryKeyVectors(t *testing.T) {
	f := loadKeyrings(t)
	for _, v := range f.RecoveryKeys {
		t.Run(v.Name, func(t *testing.T) {
			rk, err := ParseRecoveryKey(v.String)
			switch v.Error {
			case "":
			case "bad_recovery_key":
				if rk != nil || err != ErrBadRecoveryKey {
					t.Fatalf("ParseRecoveryKey = %v, %v; want ErrBadRecoveryKey", rk, err)
				}
				return
			default:
				t.Fatalf("unknown error %q", v.Error)
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(rk[:], unhex(t, v.Key)) {
				t.Fatalf("parsed %x", rk[:])
			}
			if got := rk.Auth(v.AuthUser); !bytes.Equal(got, unhex(t, v.Auth)) {
				t.Errorf("Auth(%q) = %x", v.AuthUser, got)
			}
			if v.Name == "canonical" && rk.String() != v.String {
				t.Errorf("String() = %s", rk.String())
			}
			// A recovery key read from the vector comes from randReader too.
			withNonces(rk[:], func() {
				if got := NewRecoveryKey(); *got != *rk {
					t.Errorf("NewRecoveryKey = %x", got[:])
				}
			})
		})
	}
}

type grantVector struct {
	Name     string `json:"name"`
	Comment  string `json:"comment"`
	Identity string `json:"identity"`
	Signer   string `json:"signer"`
	User     string `json:"user"`
	Sealed   string `json:"sealed"`
	Expected *struct {
		User     string `json:"user"`
		Grantee  string `json:"grantee"`
		Rev      uint64 `json:"rev"`
		Issued   int64  `json:"issued"`
		Doctypes map[string]struct {
			Verbs []string    `json:"verbs"`
			Keys  []vectorKey `json:"keys"`
		} `json:"doctypes"`
	} `json:"expected"`
	Error string `json:"error"`
}

type grantFile struct {
	fileHeader
	Vectors []grantVector `json:"vectors"`
}

func loadGrants(t testing.TB) []grantVector {
	var f grantFile
	loadVectors(t, "grant.json", &f)
	if len(f.Vectors) == 0 {
		t.Fatal("no grant vectors")
	}
	return f.Vectors
}

func (v *grantVector) open(t testing.TB, sealed []byte) (*Grant, error) {
	id, err := age.ParseX25519Identity(v.Identity)
	if err != nil {
		t.Fatal(err)
	}
	return OpenGrant(sealed, id, ed25519.PublicKey(unhex(t, v.Signer)), v.User, nil)
}

func TestGrantVectors(t *testing.T) {
	for _, v := range loadGrants(t) {
		t.Run(v.Name, func(t *testing.T) {
			sealed, err := base64.StdEncoding.DecodeString(v.Sealed)
			if err != nil {
				t.Fatal(err)
			}
			g, err := v.open(t, sealed)
			if v.Error != "" {
				if g != nil {
					t.Errorf("returned a grant")
				}
				wantError(t, v.Error, err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			e := v.Expected
			if g.User != e.User || g.Grantee != e.Grantee || g.Rev != e.Rev || g.Issued.Unix() != e.Issued || len(g.Doctypes) != len(e.Doctypes) {
				t.Fatalf("opened %+v", g)
			}
			for d, want := range e.Doctypes {
				gd := g.Doctypes[d]
				if gd == nil || !slices.Equal(gd.Verbs, want.Verbs) {
					t.Fatalf("%s: %+v, want verbs %q", d, gd, want.Verbs)
				}
				sameKeys(t, d, gd.Keys, want.Keys)
			}
		})
	}
}
