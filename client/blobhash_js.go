//go:build js

package client

import (
	"crypto/sha256"
	"hash"
	"syscall/js"

	"github.com/hearthcloud/hearth/client/jspromise"
)

// newBlobHash is the SHA-256 of a blob's sealed bytes (protocol §6.2),
// as uploads and downloads compute it: in the browser's worker, by the
// vendored hash-wasm (globalThis.hashwasm, spec/web.md §2), about three
// times the speed of crypto/sha256 compiled to WebAssembly, which is the
// slowest step of a file's upload or download there; crypto/sha256 where
// hash-wasm is absent (Node, the tests).
func newBlobHash() hash.Hash {
	hw := js.Global().Get("hashwasm")
	if hw.Type() != js.TypeObject || hw.Get("createSHA256").Type() != js.TypeFunction {
		return sha256.New()
	}
	v, rejected := jspromise.Await(hw.Call("createSHA256"))
	if rejected || v.Type() != js.TypeObject {
		return sha256.New()
	}
	return &jsSHA256{h: v}
}

// jsSHA256 is a hash-wasm SHA-256, fed through a buffer of jsHashChunk
// bytes copied into one reused Uint8Array (few calls into JavaScript).
type jsSHA256 struct {
	h   js.Value
	buf []byte
	u8  js.Value
}

const jsHashChunk = 1 << 20

func (j *jsSHA256) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if j.buf == nil {
			j.buf = make([]byte, 0, jsHashChunk)
		}
		k := copy(j.buf[len(j.buf):cap(j.buf)], p)
		j.buf = j.buf[:len(j.buf)+k]
		p = p[k:]
		if len(j.buf) == cap(j.buf) {
			j.flush()
		}
	}
	return n, nil
}

func (j *jsSHA256) flush() {
	if len(j.buf) == 0 {
		return
	}
	if j.u8.IsUndefined() {
		j.u8 = js.Global().Get("Uint8Array").New(jsHashChunk)
	}
	view := j.u8
	if len(j.buf) < jsHashChunk {
		view = j.u8.Call("subarray", 0, len(j.buf))
	}
	js.CopyBytesToJS(view, j.buf)
	j.h.Call("update", view)
	j.buf = j.buf[:0]
}

func (j *jsSHA256) Sum(b []byte) []byte {
	j.flush()
	// digest ends the hash: go on from its saved state afterwards.
	st := j.h.Call("save")
	d := j.h.Call("digest", "binary")
	j.h.Call("load", st)
	out := make([]byte, d.Get("length").Int())
	js.CopyBytesToGo(out, d)
	return append(b, out...)
}

func (j *jsSHA256) Reset()         { j.buf = j.buf[:0]; j.h.Call("init") }
func (j *jsSHA256) Size() int      { return sha256.Size }
func (j *jsSHA256) BlockSize() int { return sha256.BlockSize }

// hashJS writes the bytes of a Uint8Array to h: straight to hash-wasm, or
// through a copy into Go where h is crypto/sha256.
func hashJS(h hash.Hash, v js.Value) {
	if j, ok := h.(*jsSHA256); ok {
		j.flush()
		j.h.Call("update", v)
		return
	}
	b := make([]byte, v.Get("length").Int())
	js.CopyBytesToGo(b, v)
	h.Write(b)
}
