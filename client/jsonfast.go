package client

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf8"
)

// A decoder for the two answers a client reads in bulk, a page of the
// changes feed and a _bulk_get answer: encoding/json, which scans its input
// twice through a state machine called per byte, took the WebAssembly
// client 20 ms (after warm-up; 30–120 ms on a page's first run) for each
// thousand documents, which is most of opening Notes on a new device.
//
// It decodes what encoding/json decodes into the same structs, or fails
// where encoding/json fails, with three differences that make it stricter:
// a member name given twice, or in another case than the struct's (which
// encoding/json matches case-insensitively), is an error, and so is nesting
// deeper than maxJSONDepth in an ignored member. Unknown members are ignored
// (protocol §8.1.1). FuzzFastJSON checks it against encoding/json.

var errFastJSON = errors.New("malformed JSON")

const maxJSONDepth = 64

type jsonScan struct {
	b []byte
	i int
}

func (s *jsonScan) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// lit consumes byte c (after white space) if it comes next.
func (s *jsonScan) lit(c byte) bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// word consumes the literal w (true, false, null) if it comes next.
func (s *jsonScan) word(w string) bool {
	s.ws()
	if bytes.HasPrefix(s.b[s.i:], []byte(w)) {
		s.i += len(w)
		return true
	}
	return false
}

// end checks that only white space is left.
func (s *jsonScan) end() error {
	s.ws()
	if s.i != len(s.b) {
		return errFastJSON
	}
	return nil
}

// strStop marks the bytes that end the plain run of a string: its quote,
// an escape, and the control characters JSON forbids in it.
var strStop = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

// str reads a string and returns its value: a slice of the input when it
// has no escape and is valid UTF-8, else what encoding/json makes of it.
func (s *jsonScan) str() ([]byte, error) { return s.strUTF8(true) }

// strUTF8 is str; with check false, a string without escapes is returned as
// it is even if it is not UTF-8 (base64, which then fails on any byte
// encoding/json would have replaced).
func (s *jsonScan) strUTF8(check bool) ([]byte, error) {
	s.ws()
	b := s.b
	if s.i >= len(b) || b[s.i] != '"' {
		return nil, errFastJSON
	}
	start := s.i
	j := start + 1
	for j < len(b) && !strStop[b[j]] {
		j++
	}
	if j < len(b) && b[j] == '"' {
		v := b[start+1 : j]
		if !check || utf8.Valid(v) {
			s.i = j + 1
			return v, nil
		}
	}
	// An escape, a control character, invalid UTF-8, or no end.
	for ; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			s.i = j + 1
			var out string
			if err := json.Unmarshal(b[start:j+1], &out); err != nil {
				return nil, errFastJSON
			}
			return []byte(out), nil
		case c == '\\':
			j++ // the escaped byte cannot end the string
		case c < 0x20:
			return nil, errFastJSON
		}
	}
	return nil, errFastJSON
}

// number reads a JSON number and returns its literal.
func (s *jsonScan) number() ([]byte, error) {
	s.ws()
	start, b, i := s.i, s.b, s.i
	digits := func() bool {
		n := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i > n
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	if i < len(b) && b[i] == '0' {
		i++
	} else if !digits() {
		return nil, errFastJSON
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			return nil, errFastJSON
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			return nil, errFastJSON
		}
	}
	s.i = i
	return b[start:i], nil
}

// uint reads a uint64 member's value (null leaves *v as it is).
func (s *jsonScan) uint(v *uint64) error {
	if s.word("null") {
		return nil
	}
	lit, err := s.number()
	if err != nil {
		return err
	}
	n, err := strconv.ParseUint(string(lit), 10, 64)
	if err != nil {
		return errFastJSON // a sign, a fraction, an exponent, or too big
	}
	*v = n
	return nil
}

// bool reads a bool member's value (null leaves *v as it is).
func (s *jsonScan) bool(v *bool) error {
	switch {
	case s.word("true"):
		*v = true
	case s.word("false"):
		*v = false
	case s.word("null"):
	default:
		return errFastJSON
	}
	return nil
}

// string reads a string member's value (null leaves *v as it is).
func (s *jsonScan) string(v *string) error {
	if s.word("null") {
		return nil
	}
	b, err := s.str()
	if err != nil {
		return err
	}
	*v = string(b)
	return nil
}

// bytes reads a []byte member's value, base64 as encoding/json has it
// (null gives nil).
func (s *jsonScan) bytes(v *[]byte) error {
	if s.word("null") {
		*v = nil
		return nil
	}
	b, err := s.strUTF8(false)
	if err != nil {
		return err
	}
	out := make([]byte, base64.StdEncoding.DecodedLen(len(b)))
	n, err := base64.StdEncoding.Decode(out, b)
	if err != nil {
		return errFastJSON
	}
	*v = out[:n]
	return nil
}

// skip reads any value and forgets it.
func (s *jsonScan) skip(depth int) error {
	if depth > maxJSONDepth {
		return errFastJSON
	}
	s.ws()
	if s.i >= len(s.b) {
		return errFastJSON
	}
	switch s.b[s.i] {
	case '"':
		_, err := s.str()
		return err
	case '{':
		return s.object(nil, func(string) error { return s.skip(depth + 1) })
	case '[':
		return s.array(func() error { return s.skip(depth + 1) })
	case 't', 'f', 'n':
		if s.word("true") || s.word("false") || s.word("null") {
			return nil
		}
		return errFastJSON
	default:
		_, err := s.number()
		return err
	}
}

// object reads an object, calling member with each name, which must read
// the value. A name of known given twice, or that matches one of known in
// another case, is an error; others go to member too. null reads as an
// object without members.
func (s *jsonScan) object(known []string, member func(name string) error) error {
	if s.word("null") {
		return nil
	}
	if !s.lit('{') {
		return errFastJSON
	}
	if s.lit('}') {
		return nil
	}
	var seen uint64
	for {
		k, err := s.str()
		if err != nil {
			return err
		}
		if !s.lit(':') {
			return errFastJSON
		}
		name := ""
		for n, kn := range known {
			if string(k) == kn {
				if seen&(1<<n) != 0 {
					return errFastJSON
				}
				seen |= 1 << n
				name = kn
				break
			}
		}
		if name == "" {
			for _, kn := range known {
				if bytes.EqualFold(k, []byte(kn)) {
					return errFastJSON
				}
			}
		}
		if name == "" && known != nil {
			err = s.skip(1)
		} else {
			err = member(string(k))
		}
		if err != nil {
			return err
		}
		if s.lit(',') {
			continue
		}
		if s.lit('}') {
			return nil
		}
		return errFastJSON
	}
}

// array reads an array, calling elem for each element. null reads as no
// array at all: see arrayOf.
func (s *jsonScan) array(elem func() error) error {
	if !s.lit('[') {
		return errFastJSON
	}
	if s.lit(']') {
		return nil
	}
	for {
		if err := elem(); err != nil {
			return err
		}
		if s.lit(',') {
			continue
		}
		if s.lit(']') {
			return nil
		}
		return errFastJSON
	}
}

// arrayOf reads an array of T into *v as encoding/json does: null gives
// nil, [] an empty slice.
func arrayOf[T any](s *jsonScan, v *[]T, elem func(*T) error) error {
	if s.word("null") {
		*v = nil
		return nil
	}
	out := []T{}
	err := s.array(func() error {
		var e T
		if err := elem(&e); err != nil {
			return err
		}
		out = append(out, e)
		return nil
	})
	*v = out
	return err
}

var feedPageNames = []string{"since", "since_chain", "changes", "last_seq", "more"}
var feedChangeNames = []string{"seq", "doctype", "id", "rev", "deleted", "digest", "chain", "sealed"}

// decodeFeedPage decodes a page of the changes feed (§8.6) into p.
func decodeFeedPage(body []byte, p *feedPage) error {
	s := &jsonScan{b: body}
	err := s.object(feedPageNames, func(name string) error {
		switch name {
		case "since":
			return s.uint(&p.Since)
		case "since_chain":
			return s.bytes(&p.SinceChain)
		case "last_seq":
			return s.uint(&p.LastSeq)
		case "more":
			return s.bool(&p.More)
		default: // changes
			return arrayOf(s, &p.Changes, func(c *feedChange) error {
				return s.object(feedChangeNames, func(name string) error {
					switch name {
					case "seq":
						return s.uint(&c.Seq)
					case "doctype":
						return s.string(&c.Doctype)
					case "id":
						return s.string(&c.ID)
					case "rev":
						return s.uint(&c.Rev)
					case "deleted":
						return s.bool(&c.Deleted)
					case "digest":
						return s.bytes(&c.Digest)
					case "chain":
						return s.bytes(&c.Chain)
					default: // sealed
						return s.bytes(&c.Sealed)
					}
				})
			})
		}
	})
	if err != nil {
		return err
	}
	return s.end()
}

var bulkNames = []string{"docs"}
var bulkDocNames = []string{"id", "rev", "deleted", "sealed", "error"}
var bulkErrorNames = []string{"code", "message"}

// decodeBulkDocs decodes a _bulk_get answer (§8.5.5): {"docs": [...]}.
func decodeBulkDocs(body []byte) ([]bulkDoc, error) {
	s := &jsonScan{b: body}
	var docs []bulkDoc
	err := s.object(bulkNames, func(string) error {
		return arrayOf(s, &docs, func(d *bulkDoc) error {
			return s.object(bulkDocNames, func(name string) error {
				switch name {
				case "id":
					return s.string(&d.ID)
				case "rev":
					return s.uint(&d.Rev)
				case "deleted":
					return s.bool(&d.Deleted)
				case "sealed":
					return s.bytes(&d.Sealed)
				default: // error
					if s.word("null") {
						d.Error = nil
						return nil
					}
					d.Error = new(bulkError)
					return s.object(bulkErrorNames, func(name string) error {
						if name == "code" {
							return s.string(&d.Error.Code)
						}
						return s.string(&d.Error.Message)
					})
				}
			})
		})
	})
	if err != nil {
		return nil, err
	}
	return docs, s.end()
}
