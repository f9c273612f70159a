package seal

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/hearthcloud/hearth/spec/vectors/vectorstest"
	"io"

	"strings"
	"testing"

	"filippo.io/age"

	"github.com/hearthcloud/hearth/crypto/pad"
)

// The test vectors of spec/vectors, made by an independent implementation
// (spec/vectors/gen). The relative path works natively and under
// GOOS=js GOARCH=wasm, where Node runs the test in the package directory.
var (
	loadVectors = vectorstest.Load
	unhex       = vectorstest.Unhex
)

// loadVectors decodes a vector file, refusing fields this test does not
// know, so that a change to the generator cannot go unchecked.

func unb64(t testing.TB, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fileHeader holds the fields every vector file starts with.
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

func vectorKeySet(t testing.TB, keys []vectorKey) *KeySet {
	t.Helper()
	s := &KeySet{}
	for _, k := range keys {
		key, err := NewKey(k.Gen, unhex(t, k.Key))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Add(key); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// wantIntegrity checks that err is exactly ErrIntegrity.
func wantIntegrity(t testing.TB, err error) {
	t.Helper()
	if err != ErrIntegrity || !errors.Is(err, ErrIntegrity) {
		t.Fatalf("error %v, want ErrIntegrity", err)
	}
}

// withNonces makes randReader return exactly b, for the duration of f.
func withNonces(b []byte, f func()) {
	old := randReader
	randReader = bytes.NewReader(b)
	defer func() { randReader = old }()
	f()
}

// Documents and manifests.

type recordVector struct {
	Name        string      `json:"name"`
	Comment     string      `json:"comment"`
	OpenAs      string      `json:"open_as"`
	Keys        []vectorKey `json:"keys"`
	Doctype     string      `json:"doctype"`
	ID          string      `json:"id"`
	Rev         uint64      `json:"rev"`
	Gen         uint32      `json:"gen"`
	Prev        string      `json:"prev"`
	PrevOf      string      `json:"prev_of"`
	Nonce       string      `json:"nonce"`
	Content     *string     `json:"content"`
	ContentText string      `json:"content_text"`
	Sealed      string      `json:"sealed"`
	Error       string      `json:"error"`
}

type recordFile struct {
	fileHeader
	Vectors []recordVector `json:"vectors"`
}

func (v *recordVector) ref() Ref { return Ref{Doctype: v.Doctype, ID: v.ID, Rev: v.Rev} }

// open opens sealed as the vector says: as a document or as a manifest.
func (v *recordVector) open(t testing.TB, ks *KeySet, sealed []byte) (*Document, error) {
	switch v.OpenAs {
	case "document":
		return OpenDocument(ks, v.ref(), sealed)
	case "manifest":
		if v.ID != ManifestID {
			t.Fatalf("manifest vector with id %q", v.ID)
		}
		return OpenManifest(ks, v.Doctype, v.Rev, sealed)
	}
	t.Fatalf("open_as %q", v.OpenAs)
	return nil, nil
}

func loadRecords(t testing.TB, name string) []recordVector {
	var f recordFile
	loadVectors(t, name, &f)
	if len(f.Vectors) == 0 {
		t.Fatalf("%s: no vectors", name)
	}
	return f.Vectors
}

func TestDocumentVectors(t *testing.T) { testRecordVectors(t, "document.json") }
func TestManifestVectors(t *testing.T) { testRecordVectors(t, "manifest.json") }

func testRecordVectors(t *testing.T, file string) {
	vs := loadRecords(t, file)
	sealedOf := map[string][]byte{}
	for _, v := range vs {
		sealedOf[v.Name] = unhex(t, v.Sealed)
	}
	for _, v := range vs {
		t.Run(v.Name, func(t *testing.T) {
			ks := vectorKeySet(t, v.Keys)
			sealed := sealedOf[v.Name]
			d, err := v.open(t, ks, sealed)
			if v.Error != "" {
				if v.Error != "integrity" {
					t.Fatalf("unknown error %q", v.Error)
				}
				if d != nil {
					t.Errorf("returned a document: %q", d.Content)
				}
				wantIntegrity(t, err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			content := unhex(t, *v.Content)
			prev := unhex(t, v.Prev)
			if !bytes.Equal(d.Content, content) || d.Gen != v.Gen || !bytes.Equal(d.Prev[:], prev) || d.Ref != v.ref() {
				t.Fatalf("opened %v gen %d prev %x content %q", d.Ref, d.Gen, d.Prev, d.Content)
			}
			if v.ContentText != string(content) {
				t.Errorf("content_text differs from content")
			}
			if d.Deleted() != (len(content) == 0) {
				t.Errorf("Deleted() = %v", d.Deleted())
			}
			if v.PrevOf != "" {
				if p := sealedOf[v.PrevOf]; p == nil || DigestOf(p) != d.Prev {
					t.Errorf("prev is not the digest of %s", v.PrevOf)
				}
			}
			if g, err := DocumentGen(sealed); err != nil || g != v.Gen {
				t.Errorf("DocumentGen = %d, %v", g, err)
			}
			if want := docHeaderLen + nonceLen + pad.Len(len(content)) + tagLen; len(sealed) != want {
				t.Errorf("sealed length %d, want %d", len(sealed), want)
			}
			// Sealing again with the vector's nonce gives the same bytes.
			var resealed []byte
			withNonces(unhex(t, v.Nonce), func() {
				k := ks.Gen(v.Gen)
				if v.OpenAs == "manifest" {
					resealed, err = SealManifest(k, v.Doctype, v.Rev, d.Prev, content)
				} else {
					resealed, err = SealDocument(k, v.ref(), d.Prev, content)
				}
			})
			if err != nil || !bytes.Equal(resealed, sealed) {
				t.Fatalf("resealing gives other bytes (%d, error %v)", len(resealed), err)
			}
		})
	}
}

// Blobs.

type blobMeta struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Size     int64  `json:"size"`
	Modified int64  `json:"mtime"`
}

type blobVector struct {
	Name           string      `json:"name"`
	Comment        string      `json:"comment"`
	Keys           []vectorKey `json:"keys"`
	Purpose        string      `json:"purpose"`
	Doctype        string      `json:"doctype"`
	ID             string      `json:"id"`
	DerivedFrom    string      `json:"derived_from"`
	Gen            uint32      `json:"gen"`
	FileKey        string      `json:"file_key"`
	StanzaNonce    string      `json:"stanza_nonce"`
	PayloadNonce   string      `json:"payload_nonce"`
	MetaJSON       string      `json:"meta_json"`
	Meta           *blobMeta   `json:"meta"`
	Content        *string     `json:"content"`
	ContentPattern *struct {
		Length int    `json:"length"`
		Rule   string `json:"rule"`
	} `json:"content_pattern"`
	ContentSHA256 string `json:"content_sha256"`
	SealedLen     int    `json:"sealed_len"`
	Sealed        string `json:"sealed"`
	Cut           int    `json:"cut"`
	XorAt         int    `json:"xor_at"`
	Error         string `json:"error"`
}

type blobFile struct {
	fileHeader
	Vectors []blobVector `json:"vectors"`
}

func (v *blobVector) purpose(t testing.TB) Purpose {
	switch v.Purpose {
	case "file":
		return PurposeFile
	case "index":
		return PurposeIndex
	}
	t.Fatalf("purpose %q", v.Purpose)
	return 0
}

func (v *blobVector) ref() BlobRef { return BlobRef{Doctype: v.Doctype, ID: v.ID} }

// loadBlobs returns the vectors and the sealed bytes of each, derived ones
// included.
func loadBlobs(t testing.TB) ([]blobVector, map[string][]byte) {
	var f blobFile
	loadVectors(t, "blob.json", &f)
	sealed := map[string][]byte{}
	derived := func(v *blobVector) bool { return v.Cut > 0 || v.XorAt > 0 }
	for _, v := range f.Vectors {
		if !derived(&v) {
			sealed[v.Name] = unb64(t, v.Sealed)
		}
	}
	for _, v := range f.Vectors {
		if !derived(&v) {
			continue
		}
		s := bytes.Clone(sealed[v.DerivedFrom])
		if s == nil || v.Sealed != "" {
			t.Fatalf("%s: derived from %q, and sealed %q", v.Name, v.DerivedFrom, v.Sealed)
		}
		if v.Cut > 0 {
			s = s[:v.Cut]
		}
		if v.XorAt > 0 {
			s[v.XorAt] ^= 0x01
		}
		sealed[v.Name] = s
	}
	for _, v := range f.Vectors {
		if len(sealed[v.Name]) != v.SealedLen {
			t.Fatalf("%s: %d sealed bytes, sealed_len %d", v.Name, len(sealed[v.Name]), v.SealedLen)
		}
	}
	return f.Vectors, sealed
}

// content returns a valid vector's content.
func (v *blobVector) content(t testing.TB) []byte {
	var c []byte
	switch {
	case v.Content != nil:
		c = unhex(t, *v.Content)
	case v.ContentPattern != nil && v.ContentPattern.Rule == "byte i is i mod 251":
		c = make([]byte, v.ContentPattern.Length)
		for i := range c {
			c[i] = byte(i % 251)
		}
	default:
		t.Fatalf("%s: no content", v.Name)
	}
	if sum := sha256.Sum256(c); hex.EncodeToString(sum[:]) != v.ContentSHA256 {
		t.Fatalf("%s: content_sha256 differs", v.Name)
	}
	return c
}

// readBlob opens sealed and reads it to the end, returning what was
// released before any error.
func readBlob(sealed []byte, ks *KeySet, p Purpose, ref BlobRef) (*BlobReader, []byte, error) {
	br, err := OpenBlob(bytes.NewReader(sealed), ks, p, ref)
	if err != nil {
		if br != nil {
			return nil, nil, fmt.Errorf("OpenBlob returned a reader and %v", err)
		}
		return nil, nil, err
	}
	got, err := io.ReadAll(br)
	return br, got, err
}

func TestBlobVectors(t *testing.T) {
	vs, sealedOf := loadBlobs(t)
	byName := map[string]*blobVector{}
	for i := range vs {
		byName[vs[i].Name] = &vs[i]
	}
	for _, v := range vs {
		t.Run(v.Name, func(t *testing.T) {
			ks := vectorKeySet(t, v.Keys)
			sealed := sealedOf[v.Name]
			br, got, err := readBlob(sealed, ks, v.purpose(t), v.ref())
			if v.Error != "" {
				if v.Error != "integrity" {
					t.Fatalf("unknown error %q", v.Error)
				}
				wantIntegrity(t, err)
				// Chunks released before the failure are authentic: part of
				// the content of the vector this one was derived from.
				if v.DerivedFrom != "" && !bytes.HasPrefix(byName[v.DerivedFrom].content(t), got) {
					t.Errorf("released %d bytes that are not the content", len(got))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			content := v.content(t)
			want := Meta{Name: v.Meta.Name, Type: v.Meta.Type, Size: v.Meta.Size, Modified: v.Meta.Modified}
			if br.Meta() != want || !bytes.Equal(got, content) {
				t.Fatalf("opened %+v and %d bytes, want %+v and %d bytes", br.Meta(), len(got), want, len(content))
			}
			if mb, err := encodeMeta(want); err != nil || string(mb) != v.MetaJSON {
				t.Errorf("meta encodes as %s, vector has %s", mb, v.MetaJSON)
			}
			k := ks.Gen(v.Gen)
			if n, err := SealedBlobSize(k, v.purpose(t), v.ref(), want); err != nil || n != int64(len(sealed)) {
				t.Errorf("SealedBlobSize = %d, %v; vector is %d bytes", n, err, len(sealed))
			}
			// age chooses the file key and payload nonce itself, so only the
			// stanza can be reproduced: wrapping the vector's file key with
			// its stanza nonce gives the stanza in the vector's header.
			var st []*age.Stanza
			withNonces(unhex(t, v.StanzaNonce), func() {
				st, err = (&blobRecipient{key: k, purpose: v.purpose(t), ref: v.ref()}).Wrap(unhex(t, v.FileKey))
			})
			if err != nil || len(st) != 1 {
				t.Fatalf("Wrap: %v", err)
			}
			if !bytes.Contains(sealed, []byte(stanzaText(st[0]))) {
				t.Errorf("the vector's header lacks the stanza %q", stanzaText(st[0]))
			}
		})
	}
}

// stanzaText is a stanza as the age header writes it.
func stanzaText(s *age.Stanza) string {
	var b strings.Builder
	b.WriteString("-> " + s.Type + " " + strings.Join(s.Args, " ") + "\n")
	enc := base64.RawStdEncoding.EncodeToString(s.Body)
	for ; len(enc) >= 64; enc = enc[64:] {
		b.WriteString(enc[:64] + "\n")
	}
	return b.String() + enc + "\n"
}
