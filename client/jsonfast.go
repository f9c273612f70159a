package client

import (
	"strconv"

	"github.com/hearthcloud/hearth/internal/jsonscan"
	"github.com/hearthcloud/hearth/internal/wire"
)

// The two answers a client reads in bulk, a page of the changes feed and a
// _bulk_get answer, and the documents of FilesDoctype (thousands at a
// listing after a reload), are decoded with package jsonscan: encoding/json, which
// scans its input twice through a state machine called per byte, took the
// WebAssembly client 20 ms (after warm-up; 30–120 ms on a page's first run)
// for each thousand documents, which is most of opening Notes on a new
// device. FuzzFastJSON checks that these decode what encoding/json
// decodes.

var feedPageNames = []string{"since", "since_chain", "changes", "last_seq", "more"}
var feedChangeNames = []string{"seq", "doctype", "id", "rev", "deleted", "digest", "chain", "sealed"}

// decodeFeedPage decodes a page of the changes feed (§8.6) into p.
func decodeFeedPage(body []byte, p *wire.FeedPage) error {
	s := &jsonscan.Scanner{B: body}
	err := s.Object(feedPageNames, func(name string) error {
		switch name {
		case "since":
			return s.Uint(&p.Since)
		case "since_chain":
			return s.Bytes(&p.SinceChain)
		case "last_seq":
			return s.Uint(&p.LastSeq)
		case "more":
			return s.Bool(&p.More)
		default: // changes
			return jsonscan.ArrayOf(s, &p.Changes, func(c *wire.FeedEntry) error {
				return s.Object(feedChangeNames, func(name string) error {
					switch name {
					case "seq":
						return s.Uint(&c.Seq)
					case "doctype":
						return s.String(&c.Doctype)
					case "id":
						return s.String(&c.ID)
					case "rev":
						return s.Uint(&c.Rev)
					case "deleted":
						return s.Bool(&c.Deleted)
					case "digest":
						return s.Bytes(&c.Digest)
					case "chain":
						return s.Bytes(&c.Chain)
					default: // sealed
						return s.Bytes(&c.Sealed)
					}
				})
			})
		}
	})
	if err != nil {
		return err
	}
	return s.End()
}

var bulkNames = []string{"docs"}
var bulkDocNames = []string{"id", "rev", "deleted", "sealed", "error"}
var bulkErrorNames = []string{"code", "message"}

// decodeBulkDocs decodes a _bulk_get answer (§8.5.5): {"docs": [...]}.
func decodeBulkDocs(body []byte) ([]bulkDoc, error) {
	s := &jsonscan.Scanner{B: body}
	var docs []bulkDoc
	err := s.Object(bulkNames, func(string) error {
		return jsonscan.ArrayOf(s, &docs, func(d *bulkDoc) error {
			return s.Object(bulkDocNames, func(name string) error {
				switch name {
				case "id":
					return s.String(&d.ID)
				case "rev":
					return s.Uint(&d.Rev)
				case "deleted":
					return s.Bool(&d.Deleted)
				case "sealed":
					return s.Bytes(&d.Sealed)
				default: // error
					if s.Word("null") {
						d.Error = nil
						return nil
					}
					d.Error = new(wire.ErrorBody)
					return s.Object(bulkErrorNames, func(name string) error {
						if name == "code" {
							var code string
							err := s.String(&code)
							d.Error.Code = wire.Code(code)
							return err
						}
						return s.String(&d.Error.Message)
					})
				}
			})
		})
	})
	if err != nil {
		return nil, err
	}
	return docs, s.End()
}

var filesDocNames = []string{"kind", "name", "parent", "type", "length", "mtime", "trashed", "blob", "digest", "size", "from_drop",
	"trashed_from", "mac", "mac_gen", "versions"}

// decodeFilesDoc decodes a document of FilesDoctype into d as
// json.Unmarshal does, or fails: jsonscan refuses some inputs that
// encoding/json takes (a member named twice, or in another case), so the
// caller asks encoding/json, the authority, after any failure
// (FuzzFilesDocFast checks that what this decodes, encoding/json decodes
// the same).
func decodeFilesDoc(b []byte, d *filesDoc) error {
	s := &jsonscan.Scanner{B: b}
	err := s.Object(filesDocNames, func(name string) error {
		switch name {
		case "kind":
			return scanKind(s, &d.Kind)
		case "name":
			return s.String(&d.Name)
		case "parent":
			return s.String(&d.Parent)
		case "type":
			return s.String(&d.Type)
		case "length":
			return scanInt(s, &d.Length)
		case "mtime":
			return scanInt(s, &d.MTime)
		case "trashed":
			return scanInt(s, &d.Trashed)
		case "blob":
			return s.String(&d.Blob)
		case "digest":
			return s.Bytes(&d.Digest)
		case "size":
			return scanInt(s, &d.Size)
		case "from_drop":
			return s.String(&d.FromDrop)
		case "trashed_from":
			return jsonscan.ArrayOf(s, &d.TrashedFrom, func(v *string) error { return s.String(v) })
		case "mac":
			return s.Bytes(&d.MAC)
		case "mac_gen":
			if s.Word("null") {
				return nil
			}
			lit, err := s.Number()
			if err != nil {
				return err
			}
			n, err := strconv.ParseUint(string(lit), 10, 32)
			if err != nil {
				return jsonscan.ErrMalformed
			}
			d.MACGen = uint32(n)
			return nil
		default: // versions, kept as it is (json.RawMessage: null too)
			s.WS()
			start := s.I
			if err := s.Skip(1); err != nil {
				return err
			}
			d.Versions = append([]byte(nil), s.B[start:s.I]...)
			return nil
		}
	})
	if err != nil {
		return err
	}
	return s.End()
}

// scanInt reads an int64 member's value as encoding/json does (null
// leaves *v as it is; a fraction, an exponent or too large a number fails).
func scanInt(s *jsonscan.Scanner, v *int64) error {
	if s.Word("null") {
		return nil
	}
	lit, err := s.Number()
	if err != nil {
		return err
	}
	n, err := strconv.ParseInt(string(lit), 10, 64)
	if err != nil {
		return jsonscan.ErrMalformed
	}
	*v = n
	return nil
}

// scanKind reads a document's kind as String does, the kinds of §6.3
// without a copy.
func scanKind(s *jsonscan.Scanner, v *string) error {
	if s.Word("null") {
		return nil
	}
	b, err := s.Str()
	if err != nil {
		return err
	}
	switch string(b) {
	case KindFile:
		*v = KindFile
	case KindFolder:
		*v = KindFolder
	case KindSettings:
		*v = KindSettings
	default:
		*v = string(b)
	}
	return nil
}
