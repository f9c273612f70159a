package link

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"io"
	"testing"

	"filippo.io/age"

	"github.com/hearthcloud/hearth/crypto/seal"
	"github.com/hearthcloud/hearth/internal/wire"
)

func testKeys(t testing.TB) *Keys {
	k, err := Derive(wire.NewID(), NewKey(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestURLRoundTrip(t *testing.T) {
	for _, kind := range []Kind{Share, Drop} {
		u := New("https://example.org/", kind)
		p, err := ParseURL(u.String())
		if err != nil || p.String() != u.String() || p.Kind != kind {
			t.Fatalf("%s: %+v %v", u, p, err)
		}
	}
}

func TestManifestRoundTripAndBinding(t *testing.T) {
	k := testKeys(t)
	m := &Manifest{Kind: KindFolder, Name: "Trips", Created: 1, Entries: []Entry{
		{Path: "a/b.txt", Length: 3, Blob: wire.NewID(), Digest: make([]byte, 32), Size: 300, Key: bytes.Repeat([]byte{7}, 16)},
		{Path: "a/c", Folder: true},
	}}
	sealed, err := SealManifest(k, 2, m)
	if err != nil {
		t.Fatal(err)
	}
	got, err := OpenManifest(k, 2, sealed)
	if err != nil || len(got.Entries) != 2 || got.Entries[0].Path != "a/b.txt" {
		t.Fatalf("%+v %v", got, err)
	}
	other := testKeys(t)
	for name, open := range map[string]func() error{
		"older version": func() error { _, err := OpenManifest(k, 1, sealed); return err },
		"other link":    func() error { _, err := OpenManifest(other, 2, sealed); return err },
		"same key, other id": func() error {
			k2 := *k
			k2.id = wire.NewID()
			_, err := OpenManifest(&k2, 2, sealed)
			return err
		},
	} {
		if err := open(); err != seal.ErrIntegrity {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Every byte flipped: integrity, one error.
	for i := range sealed {
		c := bytes.Clone(sealed)
		c[i] ^= 0x01
		if _, err := OpenManifest(k, 2, c); err != seal.ErrIntegrity {
			t.Fatalf("byte %d: %v", i, err)
		}
	}
	if _, err := SealManifest(k, 1, &Manifest{Kind: KindFolder, Name: "x", Entries: []Entry{{Path: "../x"}}}); err == nil {
		t.Error("sealed a manifest with a climbing path")
	}
}

func TestPasswordChangesEverything(t *testing.T) {
	id, key := wire.NewID(), NewKey()
	a, _ := Derive(id, key, nil)
	b, _ := Derive(id, key, bytes.Repeat([]byte{1}, 32))
	if bytes.Equal(a.proof, b.proof) || bytes.Equal(a.seal, b.seal) || bytes.Equal(a.drop, b.drop) {
		t.Fatal("a password does not change the keys")
	}
	if _, err := PasswordKey("", NewSalt(), kdfDefault()); err == nil {
		t.Error("empty password accepted")
	}
}

func TestDropRoundTripAndForgery(t *testing.T) {
	k := testKeys(t)
	id, _ := age.GenerateX25519Identity()
	r := id.Recipient()
	rt, err := k.CheckRecipient(r.String(), k.RecipientTag(r.String()))
	if err != nil {
		t.Fatal(err)
	}
	content := make([]byte, 70000)
	rand.Read(content)
	meta := seal.Meta{Name: "a.bin", Type: "application/octet-stream", Size: int64(len(content)), Modified: 5}
	dropID := wire.NewID()
	var buf bytes.Buffer
	w, err := NewDropWriter(&buf, k, dropID, rt, meta)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(content)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if size, _ := DropSize(rt, meta); size != int64(buf.Len()) {
		t.Fatalf("DropSize %d, wrote %d", size, buf.Len())
	}
	br, err := OpenDrop(bytes.NewReader(buf.Bytes()), k, dropID, id)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(br)
	if err != nil || !bytes.Equal(got, content) || br.Meta() != meta {
		t.Fatal("drop does not round-trip", err)
	}
	if _, err := OpenDrop(bytes.NewReader(buf.Bytes()), k, wire.NewID(), id); err != seal.ErrIntegrity {
		t.Errorf("drop opened under another id: %v", err)
	}
	// The host knows the recipient, not the drop key: its drop has a tag
	// made with another key (or none), and is refused.
	forger := testKeys(t)
	var forged bytes.Buffer
	fw, _ := NewDropWriter(&forged, forger, dropID, r, meta)
	fw.Write(content)
	fw.Close()
	if _, err := OpenDrop(bytes.NewReader(forged.Bytes()), k, dropID, id); err != seal.ErrIntegrity {
		t.Errorf("forged drop: %v", err)
	}
	var untagged bytes.Buffer
	uw, _ := seal.NewBlobWriterTo(&untagged, r, meta, nil)
	uw.Write(content)
	uw.Close()
	if _, err := OpenDrop(bytes.NewReader(untagged.Bytes()), k, dropID, id); err != seal.ErrIntegrity {
		t.Errorf("untagged drop: %v", err)
	}
	// A recipient the host swapped in is refused before anything is sealed.
	other, _ := age.GenerateX25519Identity()
	if _, err := k.CheckRecipient(other.Recipient().String(), k.RecipientTag(r.String())); err != seal.ErrIntegrity {
		t.Errorf("swapped recipient: %v", err)
	}
}

func FuzzParseURL(f *testing.F) {
	for _, u := range loadLink(f).URLs {
		f.Add(u.URL)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseURL(s)
		if err != nil {
			return
		}
		again, err := ParseURL(u.String())
		if err != nil || again.String() != u.String() {
			t.Fatalf("%q parses, formats as %q, which does not parse back (%v)", s, u, err)
		}
	})
}

func FuzzOpenManifest(f *testing.F) {
	v := loadLink(f)
	for _, m := range v.Manifests {
		f.Add(vectorsUnhex(f, m.Sealed), m.Version)
	}
	d := v.Derivations[0]
	k, _ := Derive(d.ID, vectorsUnhex(f, d.Key), nil)
	f.Fuzz(func(t *testing.T, sealed []byte, version uint64) {
		m, err := OpenManifest(k, version, sealed)
		if err == nil && m.Check() != nil {
			t.Fatal("opened a manifest that breaks the rules")
		}
		if err != nil && err != seal.ErrIntegrity {
			t.Fatalf("error %v", err)
		}
	})
}

func FuzzOpenDrop(f *testing.F) {
	v := loadLink(f)
	for _, d := range v.Drops {
		b, _ := base64.StdEncoding.DecodeString(d.Sealed)
		f.Add(b)
	}
	d := v.Derivations[0]
	k, _ := Derive(d.ID, vectorsUnhex(f, d.Key), nil)
	id, _ := age.ParseX25519Identity(v.Drops[0].Identity)
	dropID := v.Drops[0].DropID
	f.Fuzz(func(t *testing.T, sealed []byte) {
		br, err := OpenDrop(bytes.NewReader(sealed), k, dropID, id)
		if err != nil {
			if err != seal.ErrIntegrity {
				t.Fatal(err)
			}
			return
		}
		if _, err := io.Copy(io.Discard, br); err != nil && err != seal.ErrIntegrity {
			t.Fatal(err)
		}
	})
}
