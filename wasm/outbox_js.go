//go:build js && wasm

package wasm

import (
	"errors"
	"syscall/js"

	"github.com/hearthcloud/hearth/client/jspromise"
)

// jsOutbox is an OutboxStore of JavaScript functions (hearth-worker.js,
// which seals each record): load() → Promise<[[key, Uint8Array], …]>,
// store(key, bytes) → Promise, remove(key) → Promise.
type jsOutbox struct{ o js.Value }

// rejection turns what a promise was rejected with into an error.
func rejection(v js.Value) error {
	if v.Type() == js.TypeObject && v.Get("message").Type() == js.TypeString {
		return errors.New(v.Get("message").String())
	}
	return errors.New("the browser's storage failed")
}

func (s jsOutbox) Load() (map[string][]byte, error) {
	v, rejected := jspromise.Await(s.o.Call("load"))
	if rejected {
		return nil, rejection(v)
	}
	out := map[string][]byte{}
	if v.Type() != js.TypeObject || v.Get("length").Type() != js.TypeNumber {
		return out, nil
	}
	u8 := js.Global().Get("Uint8Array")
	for i := 0; i < v.Get("length").Int(); i++ {
		e := v.Index(i)
		k, b := e.Index(0), e.Index(1)
		if k.Type() != js.TypeString || !b.InstanceOf(u8) {
			continue
		}
		buf := make([]byte, b.Get("length").Int())
		js.CopyBytesToGo(buf, b)
		out[k.String()] = buf
	}
	return out, nil
}

func (s jsOutbox) Store(key string, b []byte) error {
	u8 := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(u8, b)
	if v, rejected := jspromise.Await(s.o.Call("store", key, u8)); rejected {
		return rejection(v)
	}
	return nil
}

func (s jsOutbox) Remove(key string) error {
	if v, rejected := jspromise.Await(s.o.Call("remove", key)); rejected {
		return rejection(v)
	}
	return nil
}
