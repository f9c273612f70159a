package seal

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"filippo.io/age"

	"github.com/hearthcloud/hearth/crypto/internal/format"
	"github.com/hearthcloud/hearth/crypto/pad"
	"github.com/hearthcloud/hearth/internal/wire"
)

// A Purpose says what a blob is for. Each purpose wraps file keys with its
// own subkey of the doctype key, so an index segment can never be passed off
// as a file of the same doctype, nor the other way round.
type Purpose uint8

const (
	PurposeFile  Purpose = 1 // a user's file, photo or attachment (§6)
	PurposeIndex Purpose = 2 // a sealed search-index segment (§7)
)

func (p Purpose) String() string {
	switch p {
	case PurposeFile:
		return "file"
	case PurposeIndex:
		return "index"
	}
	return "purpose(" + strconv.Itoa(int(p)) + ")"
}

func (p Purpose) wrapKey(k *Key) ([]byte, error) {
	switch p {
	case PurposeFile:
		return k.file, nil
	case PurposeIndex:
		return k.index, nil
	}
	return nil, fmt.Errorf("seal: unknown blob purpose %d", p)
}

// A BlobRef names a blob: the values its seal binds besides its purpose.
type BlobRef struct {
	Doctype string
	ID      string
}

func (r BlobRef) check() error {
	if err := wire.CheckDoctype(r.Doctype); err != nil {
		return err
	}
	return wire.CheckID(r.ID)
}

// Meta is a blob's metadata, sealed inside the blob (§6.2).
type Meta struct {
	Name     string `json:"name"`            // file name, without directories
	Type     string `json:"type,omitempty"`  // media type
	Size     int64  `json:"size"`            // content length in bytes
	Modified int64  `json:"mtime,omitempty"` // modification time, Unix seconds
}

// MaxMetaLen bounds the encoded metadata of a blob.
const MaxMetaLen = 64 << 10

// MaxBlobSize bounds a blob's content length (2^56 bytes, 64 PiB), far
// beyond any real file and far from overflowing the length arithmetic.
const MaxBlobSize = 1 << 56

// ErrSizeMismatch is returned by a blob writer given more or fewer content
// bytes than Meta.Size announced.
var ErrSizeMismatch = errors.New("seal: blob content length differs from its metadata size")

const (
	stanzaType    = "hearth-blob"
	stanzaVersion = "1"
	stanzaBodyLen = nonceLen + 16 + tagLen // nonce, wrapped 16-byte file key, tag
)

func blobAD(p Purpose, ref BlobRef, gen uint32) []byte {
	ad := format.Context("hearth-blob-v1")
	ad = format.AppendString(ad, p.String())
	ad = format.AppendString(ad, ref.Doctype)
	ad = format.AppendString(ad, ref.ID)
	return format.AppendUint32(ad, gen)
}

// blobRecipient wraps an age file key for one blob with a doctype key.
type blobRecipient struct {
	key     *Key
	purpose Purpose
	ref     BlobRef
}

func (r *blobRecipient) Wrap(fileKey []byte) ([]*age.Stanza, error) {
	wk, err := r.purpose.wrapKey(r.key)
	if err != nil {
		return nil, err
	}
	nonce := randomBytes(nonceLen)
	body := mustAEAD(wk).Seal(nonce, nonce, fileKey, blobAD(r.purpose, r.ref, r.key.gen))
	args := []string{stanzaVersion, r.purpose.String(), strconv.FormatUint(uint64(r.key.gen), 10)}
	return []*age.Stanza{{Type: stanzaType, Args: args, Body: body}}, nil
}

// blobIdentity unwraps the file key of one expected blob.
type blobIdentity struct {
	keys    *KeySet
	purpose Purpose
	ref     BlobRef
}

func (id *blobIdentity) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	if len(stanzas) != 1 {
		return nil, ErrIntegrity
	}
	s := stanzas[0]
	if s.Type != stanzaType || len(s.Args) != 3 || s.Args[0] != stanzaVersion ||
		s.Args[1] != id.purpose.String() || len(s.Body) != stanzaBodyLen {
		return nil, ErrIntegrity
	}
	gen, err := strconv.ParseUint(s.Args[2], 10, 32)
	if err != nil || strconv.FormatUint(gen, 10) != s.Args[2] {
		return nil, ErrIntegrity
	}
	k := id.keys.Gen(uint32(gen))
	if k == nil {
		return nil, ErrIntegrity
	}
	wk, err := id.purpose.wrapKey(k)
	if err != nil {
		return nil, ErrIntegrity
	}
	fileKey, err := mustAEAD(wk).Open(nil, s.Body[:nonceLen], s.Body[nonceLen:], blobAD(id.purpose, id.ref, k.gen))
	if err != nil {
		return nil, ErrIntegrity
	}
	return fileKey, nil
}

// paddedBlobLen is the plaintext length of a sealed blob: the metadata frame
// and content, padded with Padmé and never below pad.MinLen.
func paddedBlobLen(metaLen int, size int64) int64 {
	return pad.Padme(max(4+int64(metaLen)+size, pad.MinLen))
}

// MaxNameLen bounds a blob's file name in bytes.
const MaxNameLen = 255

// checkMeta refuses metadata a reader could be hurt by: a name that is not a
// plain file name (path separators, "." or "..", control characters,
// invalid UTF-8, over 255 bytes) or a type that is not printable ASCII.
func checkMeta(m Meta) error {
	if m.Size < 0 || m.Size > MaxBlobSize {
		return fmt.Errorf("seal: blob size %d out of range", m.Size)
	}
	n := m.Name
	if len(n) > MaxNameLen || !utf8.ValidString(n) || n == "." || n == ".." || strings.ContainsAny(n, "/\\") {
		return fmt.Errorf("seal: %q is not a plain file name", n)
	}
	for _, r := range n {
		if unicode.IsControl(r) {
			return fmt.Errorf("seal: file name with a control character")
		}
	}
	if len(m.Type) > MaxNameLen {
		return fmt.Errorf("seal: media type too long")
	}
	for i := 0; i < len(m.Type); i++ {
		if m.Type[i] < 0x20 || m.Type[i] > 0x7e {
			return fmt.Errorf("seal: media type is not printable ASCII")
		}
	}
	return nil
}

// decodeMeta parses sealed metadata; "size" is required.
func decodeMeta(b []byte) (Meta, error) {
	var m struct {
		Meta
		Size *int64 `json:"size"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return Meta{}, err
	}
	if m.Size == nil {
		return Meta{}, errors.New("seal: blob metadata without a size")
	}
	m.Meta.Size = *m.Size
	return m.Meta, checkMeta(m.Meta)
}

func encodeMeta(m Meta) ([]byte, error) {
	if err := checkMeta(m); err != nil {
		return nil, err
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	if len(b) > MaxMetaLen {
		return nil, fmt.Errorf("seal: blob metadata is %d bytes, over the %d limit", len(b), MaxMetaLen)
	}
	return b, nil
}

// CheckName reports whether name is a plain file name by §6.1's rule (what
// a blob's metadata may name): at most 255 bytes of valid UTF-8, no '/',
// '\\' or control character, not "." or "..", not empty.
func CheckName(name string) error {
	if name == "" {
		return fmt.Errorf("seal: an empty file name")
	}
	return checkMeta(Meta{Name: name})
}

// CheckType reports whether t is a media type §6.1 allows.
func CheckType(t string) error { return checkMeta(Meta{Name: "x", Type: t}) }
