// Package jsonscan is a small JSON scanner for the documents Hearth reads
// in bulk (pages of the changes feed, _bulk_get answers, documents being
// indexed for search) and for app manifests (internal/appmanifest, which
// reads them strictly), several times faster than encoding/json under
// WebAssembly. It reads what encoding/json reads and fails where it fails
// (client.FuzzFastJSON checks it against encoding/json), with stricter
// member names in Object (see there).
package jsonscan

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf8"
)

// Scanners used as struct decoders (Object with known names) are stricter
// than encoding/json in three ways: a member name given twice, or in
// another case than the struct's (which encoding/json matches
// case-insensitively), is an error, and so is nesting deeper than MaxDepth
// in an ignored member. Unknown members are ignored (protocol §8.1.1).

// ErrMalformed is every failure: the input is not JSON of the shape read.
var ErrMalformed = errors.New("malformed JSON")

// MaxDepth bounds the nesting Skip follows.
const MaxDepth = 64

// Scanner reads JSON from B, at I.
type Scanner struct {
	B []byte
	I int
}

// WS skips white space.
func (s *Scanner) WS() {
	for s.I < len(s.B) {
		switch s.B[s.I] {
		case ' ', '\t', '\n', '\r':
			s.I++
		default:
			return
		}
	}
}

// Lit consumes byte c (after white space) if it comes next.
func (s *Scanner) Lit(c byte) bool {
	s.WS()
	if s.I < len(s.B) && s.B[s.I] == c {
		s.I++
		return true
	}
	return false
}

// Word consumes the literal w (true, false, null) if it comes next.
func (s *Scanner) Word(w string) bool {
	s.WS()
	if bytes.HasPrefix(s.B[s.I:], []byte(w)) {
		s.I += len(w)
		return true
	}
	return false
}

// End checks that only white space is left.
func (s *Scanner) End() error {
	s.WS()
	if s.I != len(s.B) {
		return ErrMalformed
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

// Str reads a string and returns its value: a slice of the input when it
// has no escape and is valid UTF-8, else what encoding/json makes of it.
func (s *Scanner) Str() ([]byte, error) { return s.StrUTF8(true) }

// StrUTF8 is str; with check false, a string without escapes is returned as
// it is even if it is not UTF-8 (base64, which then fails on any byte
// encoding/json would have replaced).
func (s *Scanner) StrUTF8(check bool) ([]byte, error) {
	s.WS()
	b := s.B
	if s.I >= len(b) || b[s.I] != '"' {
		return nil, ErrMalformed
	}
	start := s.I
	j := start + 1
	for j < len(b) && !strStop[b[j]] {
		j++
	}
	if j < len(b) && b[j] == '"' {
		v := b[start+1 : j]
		if !check || utf8.Valid(v) {
			s.I = j + 1
			return v, nil
		}
	}
	// An escape, a control character, invalid UTF-8, or no end.
	for ; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			s.I = j + 1
			var out string
			if err := json.Unmarshal(b[start:j+1], &out); err != nil {
				return nil, ErrMalformed
			}
			return []byte(out), nil
		case c == '\\':
			j++ // the escaped byte cannot end the string
		case c < 0x20:
			return nil, ErrMalformed
		}
	}
	return nil, ErrMalformed
}

// Number reads a JSON number and returns its literal.
func (s *Scanner) Number() ([]byte, error) {
	s.WS()
	start, b, i := s.I, s.B, s.I
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
		return nil, ErrMalformed
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			return nil, ErrMalformed
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			return nil, ErrMalformed
		}
	}
	s.I = i
	return b[start:i], nil
}

// Uint reads a uint64 member's value (null leaves *v as it is).
func (s *Scanner) Uint(v *uint64) error {
	if s.Word("null") {
		return nil
	}
	lit, err := s.Number()
	if err != nil {
		return err
	}
	n, err := strconv.ParseUint(string(lit), 10, 64)
	if err != nil {
		return ErrMalformed // a sign, a fraction, an exponent, or too big
	}
	*v = n
	return nil
}

// Bool reads a bool member's value (null leaves *v as it is).
func (s *Scanner) Bool(v *bool) error {
	switch {
	case s.Word("true"):
		*v = true
	case s.Word("false"):
		*v = false
	case s.Word("null"):
	default:
		return ErrMalformed
	}
	return nil
}

// String reads a string member's value (null leaves *v as it is).
func (s *Scanner) String(v *string) error {
	if s.Word("null") {
		return nil
	}
	b, err := s.Str()
	if err != nil {
		return err
	}
	*v = string(b)
	return nil
}

// Bytes reads a []byte member's value, base64 as encoding/json has it
// (null gives nil).
func (s *Scanner) Bytes(v *[]byte) error {
	if s.Word("null") {
		*v = nil
		return nil
	}
	b, err := s.StrUTF8(false)
	if err != nil {
		return err
	}
	out := make([]byte, base64.StdEncoding.DecodedLen(len(b)))
	n, err := base64.StdEncoding.Decode(out, b)
	if err != nil {
		return ErrMalformed
	}
	*v = out[:n]
	return nil
}

// Skip reads any value and forgets it.
func (s *Scanner) Skip(depth int) error {
	if depth > MaxDepth {
		return ErrMalformed
	}
	s.WS()
	if s.I >= len(s.B) {
		return ErrMalformed
	}
	switch s.B[s.I] {
	case '"':
		_, err := s.Str()
		return err
	case '{':
		return s.Object(nil, func(string) error { return s.Skip(depth + 1) })
	case '[':
		return s.Array(func() error { return s.Skip(depth + 1) })
	case 't', 'f', 'n':
		if s.Word("true") || s.Word("false") || s.Word("null") {
			return nil
		}
		return ErrMalformed
	default:
		_, err := s.Number()
		return err
	}
}

// Object reads an object, calling member with each name, which must read
// the value. A name of known given twice, or that matches one of known in
// another case, is an error; others go to member too. null reads as an
// Object without members.
func (s *Scanner) Object(known []string, member func(name string) error) error {
	if s.Word("null") {
		return nil
	}
	if !s.Lit('{') {
		return ErrMalformed
	}
	if s.Lit('}') {
		return nil
	}
	var seen uint64
	for {
		k, err := s.Str()
		if err != nil {
			return err
		}
		if !s.Lit(':') {
			return ErrMalformed
		}
		name := ""
		for n, kn := range known {
			if string(k) == kn {
				if seen&(1<<n) != 0 {
					return ErrMalformed
				}
				seen |= 1 << n
				name = kn
				break
			}
		}
		if name == "" {
			for _, kn := range known {
				if bytes.EqualFold(k, []byte(kn)) {
					return ErrMalformed
				}
			}
		}
		switch {
		case name != "":
			err = member(name) // the known name: no copy of k
		case known != nil:
			err = s.Skip(1)
		default:
			err = member(string(k))
		}
		if err != nil {
			return err
		}
		if s.Lit(',') {
			continue
		}
		if s.Lit('}') {
			return nil
		}
		return ErrMalformed
	}
}

// Array reads an array, calling elem for each element. null reads as no
// Array at all: see arrayOf.
func (s *Scanner) Array(elem func() error) error {
	if !s.Lit('[') {
		return ErrMalformed
	}
	if s.Lit(']') {
		return nil
	}
	for {
		if err := elem(); err != nil {
			return err
		}
		if s.Lit(',') {
			continue
		}
		if s.Lit(']') {
			return nil
		}
		return ErrMalformed
	}
}

// ArrayOf reads an array of T into *v as encoding/json does: null gives
// nil, [] an empty slice.
func ArrayOf[T any](s *Scanner, v *[]T, elem func(*T) error) error {
	if s.Word("null") {
		*v = nil
		return nil
	}
	out := []T{}
	err := s.Array(func() error {
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
