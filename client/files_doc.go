package client

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hearthcloud/hearth/crypto/seal"
)

// The kinds of document of FilesDoctype (spec/protocol.md §6.3).
const (
	KindFile     = "file"
	KindFolder   = "folder"
	KindSettings = "settings"
)

// settingsID is the id of the files settings document (§6.3).
const settingsID = "settings"

// Versions kept of a file when the settings say nothing, and the most the
// settings may ask for (§6.3).
const (
	DefaultVersionsKept = 10
	MaxVersionsKept     = 100
)

// filesDoc is the content of a document of FilesDoctype (§6.3), all kinds
// in one: what each kind has is filled in. Members it does not know are
// kept by writers, which change the document's JSON object member by
// member (docEdit), not through this struct.
type filesDoc struct {
	Kind    string `json:"kind,omitempty"`
	Name    string `json:"name,omitempty"`
	Parent  string `json:"parent,omitempty"`
	Type    string `json:"type,omitempty"`
	Length  int64  `json:"length,omitempty"`
	MTime   int64  `json:"mtime,omitempty"`
	Trashed int64  `json:"trashed,omitempty"`
	Blob    string `json:"blob,omitempty"`   // blob id
	Digest  []byte `json:"digest,omitempty"` // SHA-256 of the sealed blob
	Size    int64  `json:"size,omitempty"`   // sealed size
	// FromDrop is the drop a file was adopted from (§4.5), if it was.
	FromDrop string `json:"from_drop,omitempty"`
	// TrashedFrom is, on an item put in the trash, the names of the
	// folders from the root down to the one it was in then; readers drop
	// one that breaks the name rule (checkedTrashedFrom).
	TrashedFrom []string `json:"trashed_from,omitempty"`
	// MAC and MACGen are a file's keyed hash of its content and the
	// generation of the doctype key it was made with (contentmac.go).
	MAC    []byte `json:"mac,omitempty"`
	MACGen uint32 `json:"mac_gen,omitempty"`
	// Versions is a file's earlier contents (an array) or, in the
	// settings document, how many to keep (a number).
	Versions json.RawMessage `json:"versions,omitempty"`

	versions []fileVersion // a file's, parsed
	kept     int           // the settings', parsed
	old      bool          // the format before kinds: blob, digest, size only
}

// fileVersion is one earlier content of a file (§6.3).
type fileVersion struct {
	Blob     string `json:"blob"`
	Digest   []byte `json:"digest"`
	Size     int64  `json:"size"`
	Length   int64  `json:"length"`
	MTime    int64  `json:"mtime,omitempty"`
	Replaced int64  `json:"replaced,omitempty"`
	MAC      []byte `json:"mac,omitempty"`
	MACGen   uint32 `json:"mac_gen,omitempty"`
}

var errMalformedFilesDoc = errors.New("client: malformed files document")

// parseFilesDoc parses and checks the content of a document of
// FilesDoctype. A kind it does not know parses (Kind says which) with
// nothing checked: readers ignore it. Anything else that breaks §6.3 is
// errMalformedFilesDoc.
func parseFilesDoc(content []byte) (*filesDoc, error) {
	var d filesDoc
	if decodeFilesDoc(content, &d) != nil {
		d = filesDoc{}
		if err := json.Unmarshal(content, &d); err != nil {
			return nil, errMalformedFilesDoc
		}
	}
	switch d.Kind {
	case "":
		// The old format: a file at the root, named in its blob.
		if d.Blob == "" {
			return nil, errMalformedFilesDoc
		}
		d.Kind, d.old = KindFile, true
		d.Name, d.Parent, d.Type, d.Length, d.MTime, d.Trashed, d.Versions = "", "", "", 0, 0, 0, nil
		if !goodContent(d.Blob, d.Digest, d.Size) {
			return nil, errMalformedFilesDoc
		}
		return &d, nil
	case KindFile:
		if !goodContent(d.Blob, d.Digest, d.Size) || d.Length < 0 || d.Length > seal.MaxBlobSize || checkTypeName(d.Type) != nil ||
			d.FromDrop != "" && checkDocID(d.FromDrop) != nil {
			return nil, errMalformedFilesDoc
		}
		if len(d.Versions) > 0 && string(d.Versions) != "null" {
			if err := json.Unmarshal(d.Versions, &d.versions); err != nil || len(d.versions) > MaxVersionsKept {
				return nil, errMalformedFilesDoc
			}
			for i, v := range d.versions {
				if !goodContent(v.Blob, v.Digest, v.Size) || v.Length < 0 || v.Length > seal.MaxBlobSize {
					return nil, errMalformedFilesDoc
				}
				if len(v.MAC) != contentMACSize || v.MACGen == 0 {
					d.versions[i].MAC, d.versions[i].MACGen = nil, 0 // ignored unless whole
				}
			}
		}
	case KindFolder:
	case KindSettings:
		d.kept = DefaultVersionsKept
		if len(d.Versions) > 0 && string(d.Versions) != "null" {
			if err := json.Unmarshal(d.Versions, &d.kept); err != nil || d.kept < 0 || d.kept > MaxVersionsKept {
				return nil, errMalformedFilesDoc
			}
		}
		return &d, nil
	default:
		return &d, nil
	}
	if CheckFileName(d.Name) != nil || d.Parent != "" && checkDocID(d.Parent) != nil || d.MTime < 0 || d.Trashed < 0 {
		return nil, errMalformedFilesDoc
	}
	d.TrashedFrom = checkedTrashedFrom(d.TrashedFrom)
	if len(d.MAC) != contentMACSize || d.MACGen == 0 {
		d.MAC, d.MACGen = nil, 0 // §6.3: ignored unless whole
	}
	return &d, nil
}

// maxTrashedFrom bounds the folders of a trashed_from (§6.3).
const maxTrashedFrom = 256

// checkedTrashedFrom is names, or nil if one breaks the name rule or
// there are more than maxTrashedFrom: a reader ignores such a member
// (§6.3), as it would a missing one.
func checkedTrashedFrom(names []string) []string {
	if len(names) > maxTrashedFrom {
		return nil
	}
	for _, n := range names {
		if CheckFileName(n) != nil {
			return nil
		}
	}
	return names
}

func goodContent(blob string, digest []byte, size int64) bool {
	return checkDocID(blob) == nil && len(digest) == sha256.Size && size > 0
}

// CheckFileName checks a file or folder name by the rule of §6.1 and §6.3:
// at most 255 bytes of valid UTF-8, no '/', '\' or control character, not
// "." or "..", and not empty.
func CheckFileName(n string) error {
	if n == "" || len(n) > seal.MaxNameLen || !utf8.ValidString(n) || n == "." || n == ".." || strings.ContainsAny(n, `/\`) || strings.IndexFunc(n, unicode.IsControl) >= 0 {
		return ErrBadName
	}
	return nil
}

// ErrBadName is a file or folder name that breaks the name rule.
var ErrBadName = errors.New("a name is 1 to 255 bytes of UTF-8 without '/', '\\' or control characters, and not '.' or '..'")

func checkTypeName(t string) error {
	if len(t) > seal.MaxNameLen {
		return ErrBadName
	}
	for i := 0; i < len(t); i++ {
		if t[i] < 0x20 || t[i] > 0x7e {
			return ErrBadName
		}
	}
	return nil
}

// sealed returns a file's current content as a SealedBlob.
func (d *filesDoc) sealed() SealedBlob {
	return SealedBlob{ID: d.Blob, Digest: d.Digest, Size: d.Size}
}

// blobs returns the ids of every blob the document names: the current
// content's and the versions'.
func (d *filesDoc) blobs() []string {
	if d.Blob == "" {
		return nil
	}
	out := []string{d.Blob}
	for _, v := range d.versions {
		out = append(out, v.Blob)
	}
	return out
}

// docEdit is a document's JSON object, changed member by member so that
// members this client does not know are kept.
type docEdit map[string]json.RawMessage

func newDocEdit(content []byte) (docEdit, error) {
	var m docEdit
	if err := json.Unmarshal(content, &m); err != nil || m == nil {
		return nil, errMalformedFilesDoc
	}
	return m, nil
}

// set sets member k to v, or removes it when v is the zero value.
func (m docEdit) set(k string, v any) {
	switch x := v.(type) {
	case string:
		if x == "" {
			delete(m, k)
			return
		}
	case int64:
		if x == 0 {
			delete(m, k)
			return
		}
	case []fileVersion:
		if len(x) == 0 {
			delete(m, k)
			return
		}
	case []string:
		if len(x) == 0 {
			delete(m, k)
			return
		}
	case []byte:
		if len(x) == 0 {
			delete(m, k)
			return
		}
	case uint32:
		if x == 0 {
			delete(m, k)
			return
		}
	}
	b, _ := json.Marshal(v)
	m[k] = b
}

func (m docEdit) bytes() []byte {
	b, _ := json.Marshal(map[string]json.RawMessage(m))
	return b
}

// setContent makes b the file's current content.
func (m docEdit) setContent(b SealedBlob, length, mtime int64, mediaType string) {
	m.set("blob", b.ID)
	m.set("digest", b.Digest)
	m.set("size", b.Size)
	m["length"] = jsonInt(length) // 0 is a length too: kept
	m.set("mtime", mtime)
	m.set("type", mediaType)
}

func jsonInt(n int64) []byte {
	b, _ := json.Marshal(n)
	return b
}

// unix returns t in Unix seconds, 0 for the zero time.
func unix(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// fromUnix is unix's inverse.
func fromUnix(s int64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(s, 0).UTC()
}
