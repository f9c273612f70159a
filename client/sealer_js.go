//go:build js

package client

import (
	"fmt"
	"io"
	"syscall/js"

	"github.com/hearthcloud/hearth/client/jspromise"
	"github.com/hearthcloud/hearth/crypto/seal"
)

// JSBlob is implemented by a reader of a JavaScript Blob (a file the page
// gave) that has not been read from: the seal worker reads the Blob
// itself.
type JSBlob interface {
	JSBlob() (js.Value, bool)
}

// sealBatch is how many chunks the seal worker seals in one request:
// about an upload piece.
const sealBatch = uploadPiece / seal.ChunkSize

// sealAhead is how many requests are with the seal worker at once.
const sealAhead = 2

// sealForSession seals a large upload for its session. Where the page has
// a seal worker (hearth-worker.js: hearthSealReady, hearthSeal;
// spec/web.md §3.7) and r reads a Blob, the worker seals the chunks on a
// thread of its own while this one hashes and sends; otherwise sealStream
// seals here. The sealed bytes are the same either way (crypto/seal
// Prepared).
func sealForSession(k *seal.Key, ref seal.BlobRef, meta seal.Meta, r io.Reader, sealedSize int64) (*io.PipeReader, <-chan error) {
	jb, ok := r.(JSBlob)
	ready := js.Global().Get("hearthSealReady")
	if !ok || ready.Type() != js.TypeFunction {
		return sealStream(k, ref, meta, r, nil, nil)
	}
	blob, ok := jb.JSBlob()
	if !ok {
		return sealStream(k, ref, meta, r, nil, nil)
	}
	if v, rejected := jspromise.Await(ready.Invoke()); rejected || !v.Truthy() {
		return sealStream(k, ref, meta, r, nil, nil)
	}
	p, err := seal.PrepareBlob(k, seal.PurposeFile, ref, meta)
	if err != nil || p.SealedSize != sealedSize {
		return sealStream(k, ref, meta, r, nil, nil)
	}
	pr, pw := io.Pipe()
	ch := make(chan error, 1)
	go func() {
		err := sealInWorker(pw, p, blob)
		clear(p.PayloadKey)
		pw.CloseWithError(err)
		ch <- err
	}()
	return pr, ch
}

// sealInWorker writes p's blob to w: its header, then the chunks the
// seal worker seals from blob, sealAhead requests at a time.
func sealInWorker(w io.Writer, p *seal.Prepared, blob js.Value) error {
	if _, err := w.Write(p.Header); err != nil {
		return err
	}
	u8 := func(b []byte) js.Value {
		v := js.Global().Get("Uint8Array").New(len(b))
		js.CopyBytesToJS(v, b)
		return v
	}
	frame := u8(p.Frame)
	ask := func(first int64) js.Value {
		job := js.Global().Get("Object").New()
		job.Set("op", "seal")
		job.Set("key", u8(p.PayloadKey)) // the worker zeroes it once used
		job.Set("frame", frame)
		job.Set("file", blob)
		job.Set("size", float64(p.Size))
		job.Set("padding", float64(p.Padding))
		job.Set("first", float64(first))
		job.Set("count", float64(min(sealBatch, p.Chunks-first)))
		job.Set("chunks", float64(p.Chunks))
		return js.Global().Call("hearthSeal", job)
	}
	var asked []js.Value
	next := int64(0)
	fill := func() {
		for len(asked) < sealAhead && next < p.Chunks {
			asked = append(asked, ask(next))
			next += sealBatch
		}
	}
	var buf []byte
	for fill(); len(asked) > 0; fill() {
		v, rejected := jspromise.Await(asked[0])
		asked = asked[1:]
		if rejected {
			msg := "the seal worker failed"
			if v.Type() == js.TypeObject && v.Get("message").Type() == js.TypeString {
				msg += ": " + v.Get("message").String()
			}
			for _, a := range asked {
				jspromise.Await(a) // let the worker finish before the pipe closes
			}
			return fmt.Errorf("client: upload: %s", msg)
		}
		n := v.Get("length").Int()
		if cap(buf) < n {
			buf = make([]byte, n)
		}
		js.CopyBytesToGo(buf[:n], v)
		jspromise.Held(n)
		if _, err := w.Write(buf[:n]); err != nil {
			for _, a := range asked {
				jspromise.Await(a)
			}
			return err
		}
	}
	return nil
}
