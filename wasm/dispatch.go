package wasm

import (
	"context"
	"encoding/json"

	"github.com/hearthcloud/hearth/internal/wire"
)

// A method is one row of the method table (methods.go).
type method struct {
	name string
	need need
	// internal: hearth.js or the worker call it themselves; the page's
	// handle has no method of this name.
	internal bool
	call     caller
}

// need is what a method needs of the session. Its Go method checks it
// (TestMethodNeeds holds the table to that).
type need int

const (
	needNothing need = iota // signed out too
	needSession             // a session, Home's or an app's: signed out, session_ended
	needHome                // Home's session: signed out, session_ended; in an app, forbidden
)

// A caller decodes a method's arguments and calls it.
type caller struct {
	fn func(a *API, ctx context.Context, in args) (any, error)
	// noResult: the method resolves to nothing (null here, undefined in
	// the page).
	noResult bool
}

// args are the arguments of one call: the JSON array the page sent.
type args struct {
	method string
	av     []json.RawMessage
}

// decode decodes argument i into v: a string missing or null is "", a
// json.RawMessage is the argument as it is (any JSON value, null too, but
// it must be there), and anything else must be there and not null.
func (in args) decode(i int, v any) error {
	if raw, ok := v.(*json.RawMessage); ok {
		if i >= len(in.av) {
			return badInput("%s: argument %d (the value) is missing", in.method, i+1)
		}
		*raw = in.av[i]
		return nil
	}
	if i >= len(in.av) || string(in.av[i]) == "null" {
		if s, ok := v.(*string); ok {
			*s = ""
			return nil
		}
		return badInput("%s: argument %d is missing", in.method, i+1)
	}
	if err := json.Unmarshal(in.av[i], v); err != nil {
		return badInput("%s: argument %d has the wrong type", in.method, i+1)
	}
	return nil
}

// argOf decodes argument i as a T.
func argOf[T any](in args, i int) (T, error) {
	var v T
	return v, in.decode(i, &v)
}

// decodeAll decodes the arguments in order into vs (see decode).
func (in args) decodeAll(vs ...any) error {
	for i, v := range vs {
		if err := in.decode(i, v); err != nil {
			return err
		}
	}
	return nil
}

// The adapters of the table's rows: rN calls a method of N arguments with
// a result, eN one that returns only an error (noResult).

func r0[R any](f func(*API, context.Context) (R, error)) caller {
	return caller{fn: func(a *API, ctx context.Context, _ args) (any, error) {
		return f(a, ctx)
	}}
}

func r1[A, R any](f func(*API, context.Context, A) (R, error)) caller {
	return caller{fn: func(a *API, ctx context.Context, in args) (any, error) {
		var x A
		if err := in.decodeAll(&x); err != nil {
			return nil, err
		}
		return f(a, ctx, x)
	}}
}

func r2[A, B, R any](f func(*API, context.Context, A, B) (R, error)) caller {
	return caller{fn: func(a *API, ctx context.Context, in args) (any, error) {
		var x A
		var y B
		if err := in.decodeAll(&x, &y); err != nil {
			return nil, err
		}
		return f(a, ctx, x, y)
	}}
}

func r3[A, B, C, R any](f func(*API, context.Context, A, B, C) (R, error)) caller {
	return caller{fn: func(a *API, ctx context.Context, in args) (any, error) {
		var x A
		var y B
		var z C
		if err := in.decodeAll(&x, &y, &z); err != nil {
			return nil, err
		}
		return f(a, ctx, x, y, z)
	}}
}

func e0(f func(*API, context.Context) error) caller {
	return caller{noResult: true, fn: func(a *API, ctx context.Context, _ args) (any, error) {
		return nil, f(a, ctx)
	}}
}

func e1[A any](f func(*API, context.Context, A) error) caller {
	c := r1(func(a *API, ctx context.Context, x A) (any, error) { return nil, f(a, ctx, x) })
	c.noResult = true
	return c
}

func e2[A, B any](f func(*API, context.Context, A, B) error) caller {
	c := r2(func(a *API, ctx context.Context, x A, y B) (any, error) { return nil, f(a, ctx, x, y) })
	c.noResult = true
	return c
}

// methodNamed is the table by name.
var methodNamed = func() map[string]*method {
	m := make(map[string]*method, len(methods))
	for i := range methods {
		m[methods[i].name] = &methods[i]
	}
	return m
}()

// Call runs method with args, a JSON array of its arguments in the order
// of spec/web.md §3 (the table, methods.go, lists them), and returns the
// result to be encoded as JSON (nil for none). It is what the worker's
// messages {id, method, args} reach.
func (a *API) Call(ctx context.Context, method string, raw json.RawMessage) (any, error) {
	var av []json.RawMessage
	if len(raw) > 0 && string(raw) != "null" {
		if err := json.Unmarshal(raw, &av); err != nil {
			return nil, badInput("the arguments of %s are not a JSON array", method)
		}
	}
	m := methodNamed[method]
	if m == nil {
		return nil, badInput("no method %q", method)
	}
	return m.call.fn(a, ctx, args{method: method, av: av})
}

// CallJSON is Call with the result encoded: what the glue hands to
// JavaScript (which parses it).
func (a *API) CallJSON(ctx context.Context, method string, args []byte) ([]byte, *Error) {
	res, err := a.Call(ctx, method, args)
	if err != nil {
		return nil, toError(err)
	}
	if ja, ok := res.(jsonAppender); ok {
		return ja.appendJSON(nil), nil
	}
	b, err := json.Marshal(res)
	if err != nil {
		return nil, &Error{Code: string(wire.CodeInternal), Message: err.Error()}
	}
	return b, nil
}

// pageMethod is one method of the page's handle, as the worker tells
// hearth.js of it at start.
type pageMethod struct {
	Name     string `json:"name"`
	NoResult bool   `json:"noResult,omitempty"`
}

// pageMethods lists the table's methods but the internal ones.
func pageMethods() []pageMethod {
	var out []pageMethod
	for _, m := range methods {
		if !m.internal {
			out = append(out, pageMethod{Name: m.name, NoResult: m.call.noResult})
		}
	}
	return out
}
