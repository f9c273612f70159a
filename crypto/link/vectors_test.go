package link

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"testing"

	"filippo.io/age"

	"github.com/hearthcloud/hearth/crypto/kdf"
	"github.com/hearthcloud/hearth/crypto/seal"
	"github.com/hearthcloud/hearth/spec/vectors/vectorstest"
)

// The vectors of spec/vectors/link.json, made by spec/vectors/gen (a second
// implementation) and checked once against Node's crypto
// (spec/vectors/link-check.mjs).

type linkVectors struct {
	Format    string `json:"format"`
	Spec      string `json:"spec"`
	Comment   string `json:"comment"`
	Generator string `json:"generator"`
	URLs      []struct {
		Name, URL, Origin, Kind, ID, Key, Error, Comment string
	} `json:"urls"`
	Derivations []struct {
		Name, Comment, ID, Key string
		Password               *string
		Salt                   string
		KDF                    *kdf.Params
		PW, Root, Proof        string
		Verifier               string
		SealKey                string `json:"seal_key"`
		DropKey                string `json:"drop_key"`
	} `json:"derivations"`
	Manifests []struct {
		Name, Comment, Derivation, ID string
		Version                       uint64
		Nonce                         string
		Content                       string `json:"content_json"`
		Sealed, Error                 string
	} `json:"manifests"`
	Tags []struct {
		Name, Derivation, Recipient, Tag string
		Valid                            bool
	} `json:"recipient_tags"`
	Drops []struct {
		Name, Comment, Derivation string
		DropID                    string `json:"drop_id"`
		Identity                  string
		HeaderHash                string `json:"header_sha256"`
		DropTag                   string `json:"drop_tag"`
		Meta                      *seal.Meta
		Content, Sealed, Error    string
	} `json:"drops"`
}

func loadLink(t testing.TB) *linkVectors {
	var v linkVectors
	vectorstest.Load(t, "link.json", &v)
	return &v
}

func TestLinkVectors(t *testing.T) {
	v := loadLink(t)
	unhex := func(s string) []byte { return vectorstest.Unhex(t, s) }
	for _, u := range v.URLs {
		got, err := ParseURL(u.URL)
		if u.Error != "" {
			if !errors.Is(err, ErrBadURL) {
				t.Errorf("url %s: %v, want bad_url", u.Name, err)
			}
			continue
		}
		if err != nil || got.Origin != u.Origin || string(got.Kind) != u.Kind || got.ID != u.ID || !bytes.Equal(got.Key, unhex(u.Key)) {
			t.Errorf("url %s: %+v, %v", u.Name, got, err)
		} else if got.String() != u.URL {
			t.Errorf("url %s formats as %s", u.Name, got)
		}
	}
	keys := map[string]*Keys{}
	for _, d := range v.Derivations {
		var pw []byte
		if d.Password != nil {
			var err error
			if pw, err = PasswordKey(*d.Password, unhex(d.Salt), *d.KDF); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(pw, unhex(d.PW)) {
				t.Errorf("%s: pw", d.Name)
			}
		}
		k, err := Derive(d.ID, unhex(d.Key), pw)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(k.proof, unhex(d.Proof)) || !bytes.Equal(k.Verifier(), unhex(d.Verifier)) ||
			!bytes.Equal(k.seal, unhex(d.SealKey)) || !bytes.Equal(k.drop, unhex(d.DropKey)) {
			t.Errorf("%s: derived keys differ", d.Name)
		}
		keys[d.Name] = k
	}
	for _, m := range v.Manifests {
		k := keys[m.Derivation]
		if k.id != m.ID { // opened as another link: the keys of that link
			k2 := *k
			k2.id = m.ID
			k = &k2
		}
		got, err := OpenManifest(k, m.Version, unhex(m.Sealed))
		if m.Error != "" {
			if err != seal.ErrIntegrity {
				t.Errorf("manifest %s: %v, want integrity", m.Name, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("manifest %s: %v", m.Name, err)
			continue
		}
		again, err := sealContent(k, m.Version, []byte(m.Content), unhex(m.Nonce))
		if err != nil || !bytes.Equal(again, unhex(m.Sealed)) || got.Check() != nil {
			t.Errorf("manifest %s: sealing again differs (%v)", m.Name, err)
		}
	}
	for _, tg := range v.Tags {
		k := keys[tg.Derivation]
		_, err := k.CheckRecipient(tg.Recipient, unhex(tg.Tag))
		if (err == nil) != tg.Valid {
			t.Errorf("tag %s: %v", tg.Name, err)
		}
	}
	for _, d := range v.Drops {
		k := keys[d.Derivation]
		id, err := age.ParseX25519Identity(d.Identity)
		if err != nil {
			t.Fatal(err)
		}
		sealed, _ := base64.StdEncoding.DecodeString(d.Sealed)
		br, err := OpenDrop(bytes.NewReader(sealed), k, d.DropID, id)
		var content []byte
		if err == nil {
			content, err = io.ReadAll(br)
		}
		if d.Error != "" {
			if err != seal.ErrIntegrity {
				t.Errorf("drop %s: %v, want integrity", d.Name, err)
			}
			continue
		}
		if err != nil || !bytes.Equal(content, unhex(d.Content)) || br.Meta() != *d.Meta {
			t.Errorf("drop %s: %v", d.Name, err)
		}
	}
}
