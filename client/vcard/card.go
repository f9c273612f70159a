package vcard

import (
	"fmt"
	"strings"
)

// Param is one parameter: an upper-case name and its values, in order.
type Param struct {
	Name   string
	Values []string
}

// Property is one content line.
//
// Value is in 3.0/4.0 form whatever the card's version: backslash escapes
// (\n \, \; \\) are still there, QUOTED-PRINTABLE and CHARSET have been
// undone (the text is UTF-8), and binary values (ENCODING=b) are base64
// without white space.
type Property struct {
	Group  string // as written, "" if none
	Name   string // as written (names are case-insensitive)
	Params []Param
	Value  string
	Line   int // first line of the property in the input
}

// Card is one vCard: its properties in order, without BEGIN and END.
type Card struct {
	Version  string // "2.1", "3.0" or "4.0": the rules the card was read with
	Line     int    // line of BEGIN:VCARD
	Props    []Property
	Warnings []Warning
}

// Error is a malformed input: the line it was found on and, when known, the
// property.
type Error struct {
	Line int
	Prop string
	Msg  string
}

func (e *Error) Error() string {
	if e.Prop != "" {
		return fmt.Sprintf("vcard: line %d: %s: %s", e.Line, e.Prop, e.Msg)
	}
	return fmt.Sprintf("vcard: line %d: %s", e.Line, e.Msg)
}

// Warning is something Import did that the person might want to know: a
// guessed character set, a photo left out for its size.
type Warning struct {
	Line int
	Prop string
	Msg  string
}

func (w Warning) String() string {
	if w.Prop != "" {
		return fmt.Sprintf("line %d: %s: %s", w.Line, w.Prop, w.Msg)
	}
	return fmt.Sprintf("line %d: %s", w.Line, w.Msg)
}

// Param returns the values of the parameter name (upper case), merged over
// all its occurrences.
func (p *Property) Param(name string) []string {
	var v []string
	for _, q := range p.Params {
		if q.Name == name {
			v = append(v, q.Values...)
		}
	}
	return v
}

func (p *Property) hasParam(name string) bool {
	for _, q := range p.Params {
		if q.Name == name {
			return true
		}
	}
	return false
}

func (p *Property) dropParam(name string) {
	out := p.Params[:0]
	for _, q := range p.Params {
		if q.Name != name {
			out = append(out, q)
		}
	}
	p.Params = out
}

func (p *Property) isBinary() bool {
	for _, v := range p.Param("ENCODING") {
		if strings.EqualFold(v, "b") {
			return true
		}
	}
	return false
}
