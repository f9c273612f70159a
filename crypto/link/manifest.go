package link

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/hearthcloud/hearth/crypto/internal/format"
	"github.com/hearthcloud/hearth/crypto/pad"
	"github.com/hearthcloud/hearth/crypto/seal"
	"github.com/hearthcloud/hearth/internal/wire"
)

// Manifest kinds.
const (
	KindFile   = "file"
	KindFolder = "folder"
)

// Limits of a manifest (§4.5).
const (
	MaxEntries   = 100000
	MaxPathLen   = 4096
	MaxPathDepth = 64
	// MaxSealedManifest bounds a sealed manifest (the server's limit).
	MaxSealedManifest = 16 << 20
)

// A Manifest is what a share link gives: one file, or a folder's tree.
type Manifest struct {
	Kind    string  `json:"kind"`
	Name    string  `json:"name"`
	Created int64   `json:"created"`
	Entries []Entry `json:"entries"`
}

// An Entry is a file or a folder of a manifest.
type Entry struct {
	Path   string `json:"path"`
	Folder bool   `json:"folder,omitempty"`
	Type   string `json:"type,omitempty"`
	Length int64  `json:"length,omitempty"` // plaintext length; absent: 0
	MTime  int64  `json:"mtime,omitempty"`
	Blob   string `json:"blob,omitempty"`
	Digest []byte `json:"digest,omitempty"` // SHA-256 of the sealed blob
	Size   int64  `json:"size,omitempty"`   // the sealed blob's length
	Key    []byte `json:"key,omitempty"`    // the blob's age file key
}

const manifestVersion = 0x01

func manifestAD(id string, version uint64) []byte {
	ad := format.Context("hearth-link-v1")
	ad = format.AppendString(ad, id)
	ad = format.AppendUint64(ad, version)
	return append(ad, manifestVersion)
}

// SealManifest seals m as version (at least 1) of the manifest of the link
// keys belong to. It refuses a manifest that Check refuses.
func SealManifest(k *Keys, version uint64, m *Manifest) ([]byte, error) {
	nonce := make([]byte, 24)
	if _, err := rand.Read(nonce); err != nil {
		panic("link: random source failed: " + err.Error())
	}
	return sealManifest(k, version, m, nonce)
}

func sealManifest(k *Keys, version uint64, m *Manifest, nonce []byte) ([]byte, error) {
	if version == 0 {
		return nil, errors.New("link: manifest version 0")
	}
	if err := m.Check(); err != nil {
		return nil, err
	}
	content, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return sealContent(k, version, content, nonce)
}

// sealContent seals manifest JSON as it is.
func sealContent(k *Keys, version uint64, content, nonce []byte) ([]byte, error) {
	out := append([]byte{manifestVersion}, nonce...)
	aead, _ := chacha20poly1305.NewX(k.seal)
	out = aead.Seal(out, nonce, pad.Pad(content), manifestAD(k.id, version))
	if len(out) > MaxSealedManifest {
		return nil, fmt.Errorf("link: the manifest is %d bytes sealed, over the %d limit", len(out), MaxSealedManifest)
	}
	return out, nil
}

// OpenManifest opens a sealed manifest that the server says is version of
// the link keys belong to. Any failure (the seal, the padding, the JSON,
// a rule of §4.5) is seal.ErrIntegrity.
func OpenManifest(k *Keys, version uint64, sealed []byte) (*Manifest, error) {
	if version == 0 || len(sealed) < 1+24+16 || sealed[0] != manifestVersion || len(sealed) > MaxSealedManifest {
		return nil, seal.ErrIntegrity
	}
	aead, _ := chacha20poly1305.NewX(k.seal)
	padded, err := aead.Open(nil, sealed[1:25], sealed[25:], manifestAD(k.id, version))
	if err != nil {
		return nil, seal.ErrIntegrity
	}
	content, err := pad.UnpadExact(padded)
	if err != nil {
		return nil, seal.ErrIntegrity
	}
	var m Manifest
	if json.Unmarshal(content, &m) != nil || m.Check() != nil {
		return nil, seal.ErrIntegrity
	}
	return &m, nil
}

// Check reports whether m follows the rules of §4.5.
func (m *Manifest) Check() error {
	switch m.Kind {
	case KindFile, KindFolder:
	default:
		return errors.New("link: a manifest's kind is file or folder")
	}
	if err := seal.CheckName(m.Name); err != nil {
		return err
	}
	if len(m.Entries) > MaxEntries {
		return fmt.Errorf("link: more than %d entries", MaxEntries)
	}
	if m.Kind == KindFile && (len(m.Entries) != 1 || m.Entries[0].Folder || m.Entries[0].Path != m.Name) {
		return errors.New("link: a file manifest has one file entry, named as the manifest")
	}
	paths := make(map[string]bool, len(m.Entries))
	files := make(map[string]bool, len(m.Entries))
	for i := range m.Entries {
		e := &m.Entries[i]
		if err := e.check(); err != nil {
			return err
		}
		if paths[e.Path] {
			return errors.New("link: two entries share a path")
		}
		paths[e.Path] = true
		if !e.Folder {
			files[e.Path] = true
		}
	}
	// No file is a folder of another entry.
	for p := range paths {
		for i := strings.IndexByte(p, '/'); i >= 0; {
			if files[p[:i]] {
				return errors.New("link: a file's path is another entry's folder")
			}
			j := strings.IndexByte(p[i+1:], '/')
			if j < 0 {
				break
			}
			i += 1 + j
		}
	}
	return nil
}

func (e *Entry) check() error {
	if len(e.Path) > MaxPathLen {
		return errors.New("link: a path over 4096 bytes")
	}
	parts := strings.Split(e.Path, "/")
	if len(parts) > MaxPathDepth {
		return errors.New("link: a path of more than 64 components")
	}
	for _, p := range parts {
		if err := seal.CheckName(p); err != nil {
			return err
		}
	}
	if e.Folder {
		if e.Type != "" || e.Length != 0 || e.MTime != 0 || e.Blob != "" || e.Digest != nil || e.Size != 0 || e.Key != nil {
			return errors.New("link: a folder entry has a path only")
		}
		return nil
	}
	if wire.CheckID(e.Blob) != nil || len(e.Digest) != 32 || e.Size < 1 ||
		e.Length < 0 || e.Length > seal.MaxBlobSize || len(e.Key) != seal.FileKeySize || format.IsZero(e.Key) {
		return errors.New("link: a file entry needs blob, digest, size, length and key")
	}
	if e.Type != "" {
		if err := seal.CheckType(e.Type); err != nil {
			return err
		}
	}
	return nil
}

// Blobs returns the distinct blob ids m's files name, in order.
func (m *Manifest) Blobs() []string {
	var out []string
	seen := map[string]bool{}
	for _, e := range m.Entries {
		if !e.Folder && !seen[e.Blob] {
			seen[e.Blob] = true
			out = append(out, e.Blob)
		}
	}
	return out
}
