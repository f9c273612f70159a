//go:build js

package jspromise

import "syscall/js"

// Await blocks the calling goroutine (never the event loop's) until p
// settles. It returns the value p resolved with, or, with rejected set,
// the value it was rejected with.
func Await(p js.Value) (v js.Value, rejected bool) {
	type result struct {
		v        js.Value
		rejected bool
	}
	ch := make(chan result, 1)
	first := func(args []js.Value) js.Value {
		if len(args) > 0 {
			return args[0]
		}
		return js.Undefined()
	}
	then := js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- result{v: first(args)}
		return nil
	})
	catch := js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- result{v: first(args), rejected: true}
		return nil
	})
	defer then.Release()
	defer catch.Release()
	p.Call("then", then, catch)
	r := <-ch
	return r.v, r.rejected
}

// Message words a JavaScript error value: its message (and its cause's),
// or its string form.
func Message(e js.Value) string {
	if e.Type() != js.TypeObject {
		return js.Global().Call("String", e).String()
	}
	msg := js.Global().Call("String", e).String()
	if m := e.Get("message"); m.Type() == js.TypeString {
		msg = m.String()
	}
	if c := e.Get("cause"); c.Type() == js.TypeObject {
		if m := c.Get("message"); m.Type() == js.TypeString && m.String() != "" {
			msg += ": " + m.String()
		}
	}
	return msg
}
