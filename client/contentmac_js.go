//go:build js

package client

import (
	"errors"
	"io"
	"syscall/js"

	"github.com/hearthcloud/hearth/client/jspromise"
	"github.com/hearthcloud/hearth/crypto/seal"
)

// blobMAC makes, in JavaScript, the mac of the Blob r reads (a file the
// page gave, not read yet: client.JSBlob), without its bytes entering
// Go's memory: the seal worker reads the Blob itself for a large upload
// (sealer_js.go), so a reader between it and the upload would hide the
// Blob from it, and see nothing. Each piece's HMAC (§6.3,
// seal.NewContentMAC) is WebCrypto's, which runs natively and off this
// thread, so the mac costs the upload little. ok is false where r is no
// such reader or there is no WebCrypto (Node): the caller hashes what it
// reads.
func blobMAC(r io.Reader, key []byte) (wait func() ([]byte, error), ok bool) {
	jb, isBlob := r.(JSBlob)
	subtle := js.Global().Get("crypto")
	if subtle.Type() == js.TypeObject {
		subtle = subtle.Get("subtle")
	}
	if !isBlob || subtle.Type() != js.TypeObject {
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
		sum, err = macBlob(subtle, blob, key)
	}()
	return func() ([]byte, error) { <-done; return sum, err }, true
}

func macBlob(subtle, blob js.Value, key []byte) ([]byte, error) {
	await := func(p js.Value, what string) (js.Value, error) {
		v, rejected := jspromise.Await(p)
		if rejected {
			return js.Undefined(), errors.New("client: " + what + ": " + jspromise.Message(v))
		}
		return v, nil
	}
	alg := js.Global().Get("Object").New()
	alg.Set("name", "HMAC")
	alg.Set("hash", "SHA-256")
	usages := js.Global().Get("Array").New()
	usages.Call("push", "sign")
	k, err := await(subtle.Call("importKey", "raw", jsBytes(key), alg, false, usages), "the mac's key")
	if err != nil {
		return nil, err
	}
	// prefixed is the Blob of tag, u64(n), then part.
	prefixed := func(tag byte, n int64, part js.Value) js.Value {
		head := js.Global().Get("Uint8Array").New(9)
		head.SetIndex(0, int(tag))
		dv := js.Global().Get("DataView").New(head.Get("buffer"))
		dv.Call("setUint32", 1, float64(n>>32))
		dv.Call("setUint32", 5, float64(n&0xffffffff))
		parts := js.Global().Get("Array").New()
		parts.Call("push", head, part)
		return js.Global().Get("Blob").New(parts)
	}
	frs := js.Undefined()
	if f := js.Global().Get("FileReaderSync"); f.Type() == js.TypeFunction {
		frs = f.New()
	}
	read := func(b js.Value) (js.Value, error) {
		if frs.Type() == js.TypeObject {
			var ab js.Value
			var err error
			func() {
				defer func() {
					if p := recover(); p != nil {
						err = errors.New("client: reading the file failed")
					}
				}()
				ab = frs.Call("readAsArrayBuffer", b)
			}()
			return ab, err
		}
		return await(b.Call("arrayBuffer"), "reading the file failed")
	}
	size := int64(blob.Get("size").Float())
	var list []byte
	for i, off := int64(0), int64(0); off < size; i, off = i+1, off+seal.ContentMACPiece {
		end := min(off+seal.ContentMACPiece, size)
		ab, err := read(prefixed(0, i, blob.Call("slice", float64(off), float64(end))))
		if err != nil {
			return nil, err
		}
		if int64(ab.Get("byteLength").Int()) != 9+end-off {
			return nil, errors.New("client: the file changed while it was read")
		}
		sig, err := await(subtle.Call("sign", "HMAC", k, ab), "the mac")
		if err != nil {
			return nil, err
		}
		m := make([]byte, 32)
		js.CopyBytesToGo(m, js.Global().Get("Uint8Array").New(sig))
		list = append(list, m...)
		jspromise.Held(int(end - off))
	}
	ab, err := read(prefixed(1, size, jsBytes(list)))
	if err != nil {
		return nil, err
	}
	sig, err := await(subtle.Call("sign", "HMAC", k, ab), "the mac")
	if err != nil {
		return nil, err
	}
	sum := make([]byte, 32)
	js.CopyBytesToGo(sum, js.Global().Get("Uint8Array").New(sig))
	return sum, nil
}
