//go:build js

package client

import (
	"errors"
	"io"
	"syscall/js"

	"github.com/hearthcloud/hearth/client/jspromise"
)

// blobMAC makes, in JavaScript, the mac of the Blob r reads (a file the
// page gave, not read yet: client.JSBlob), without its bytes entering
// Go's memory: the seal worker reads the Blob itself for a large upload
// (sealer_js.go), so a reader between it and the upload would hide the
// Blob from it, and see nothing. The mac is HMAC-SHA-256 (RFC 2104) over
// the worker's hash-wasm SHA-256, the Blob read in slices with
// arrayBuffer(), each awaited: it runs beside the upload, on this thread
// while the seal worker seals on its own. ok is false where r is no such
// reader or hash-wasm is missing (Node): the caller hashes what it reads.
func blobMAC(r io.Reader, key []byte) (wait func() ([]byte, error), ok bool) {
	jb, isBlob := r.(JSBlob)
	hw := js.Global().Get("hashwasm")
	if !isBlob || hw.Type() != js.TypeObject || hw.Get("createSHA256").Type() != js.TypeFunction {
		return nil, false
	}
	blob, ok := jb.JSBlob()
	if !ok {
		return nil, false
	}
	done := make(chan struct{})
	var sum []byte
	var err error
	go func() {
		defer close(done)
		sum, err = hmacBlob(hw, blob, key)
	}()
	return func() ([]byte, error) { <-done; return sum, err }, true
}

// macSlice is the length of the slices blobMAC reads.
const macSlice = 4 << 20

func hmacBlob(hw, blob js.Value, key []byte) ([]byte, error) {
	sha := func() (js.Value, error) {
		v, rejected := jspromise.Await(hw.Call("createSHA256"))
		if rejected {
			return js.Undefined(), errors.New("client: hash-wasm did not start: " + jspromise.Message(v))
		}
		return v, nil
	}
	inner, err := sha()
	if err != nil {
		return nil, err
	}
	outer, err := sha()
	if err != nil {
		return nil, err
	}
	// RFC 2104: the key, 32 bytes, padded with zeros to SHA-256's block.
	ipad, opad := make([]byte, 64), make([]byte, 64)
	copy(ipad, key)
	copy(opad, key)
	for i := range ipad {
		ipad[i] ^= 0x36
		opad[i] ^= 0x5c
	}
	inner.Call("init")
	inner.Call("update", jsBytes(ipad))
	size := int64(blob.Get("size").Float())
	for off := int64(0); off < size; off += macSlice {
		ab, rejected := jspromise.Await(blob.Call("slice", float64(off), float64(min(off+macSlice, size))).Call("arrayBuffer"))
		if rejected {
			return nil, errors.New("client: reading the file failed: " + jspromise.Message(ab))
		}
		u8 := js.Global().Get("Uint8Array").New(ab)
		if int64(u8.Get("length").Int()) != min(macSlice, size-off) {
			return nil, errors.New("client: the file changed while it was read")
		}
		inner.Call("update", u8)
		jspromise.Held(u8.Get("length").Int())
	}
	in := inner.Call("digest", "binary")
	outer.Call("init")
	outer.Call("update", jsBytes(opad))
	outer.Call("update", in)
	out := outer.Call("digest", "binary")
	sum := make([]byte, out.Get("length").Int())
	js.CopyBytesToGo(sum, out)
	return sum, nil
}
