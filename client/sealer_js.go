//go:build js

package client

import (
	"fmt"
	"hash"
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

// sealBatch is how many chunks the seal worker seals or opens in one
// request: about an upload piece.
const sealBatch = uploadPiece / seal.ChunkSize

// sealAhead is how many requests are with the seal worker at once.
const sealAhead = 2

// workerSource is a pieceSource whose pieces the seal worker
// (hearth-worker.js hearthSeal, spec/web.md §3.7) seals from the Blob
// itself, on a thread of its own: each piece is a batch of chunks (the
// first with the header before them), hashed as it comes (hash-wasm, in
// JavaScript) and made a Blob that the fetch transport sends as it is. The
// sealed bytes never enter Go's memory.
type workerSource struct {
	p     *seal.Prepared
	blob  js.Value
	frame js.Value
	h     hash.Hash
	asked []js.Value // hearthSeal promises, in order
	first int64      // the first chunk of the next batch to ask for
}

// sealInWorker returns a workerSource for a large upload of r, where the
// page has a seal worker and r reads a Blob; nil otherwise (the upload is
// then sealed here, sealStream).
func sealInWorker(k *seal.Key, ref seal.BlobRef, meta seal.Meta, r io.Reader, sealedSize int64) *workerSource {
	jb, ok := r.(JSBlob)
	ready := js.Global().Get("hearthSealReady")
	if !ok || ready.Type() != js.TypeFunction {
		return nil
	}
	blob, ok := jb.JSBlob()
	if !ok {
		return nil
	}
	if v, rejected := jspromise.Await(ready.Invoke()); rejected || !v.Truthy() {
		return nil
	}
	p, err := seal.PrepareBlob(k, seal.PurposeFile, ref, meta)
	if err != nil || p.SealedSize != sealedSize {
		return nil
	}
	return &workerSource{p: p, blob: blob, frame: jsBytes(p.Frame), h: newBlobHash()}
}

func jsBytes(b []byte) js.Value {
	v := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(v, b)
	return v
}

// ask has the seal worker seal the next batch.
func (s *workerSource) ask() {
	job := js.Global().Get("Object").New()
	job.Set("op", "seal")
	job.Set("key", jsBytes(s.p.PayloadKey)) // the worker zeroes it once used
	job.Set("frame", s.frame)
	job.Set("file", s.blob)
	job.Set("size", float64(s.p.Size))
	job.Set("padding", float64(s.p.Padding))
	job.Set("first", float64(s.first))
	job.Set("count", float64(min(sealBatch, s.p.Chunks-s.first)))
	job.Set("chunks", float64(s.p.Chunks))
	s.asked = append(s.asked, js.Global().Call("hearthSeal", job))
	s.first += sealBatch
}

func (s *workerSource) next(off int64) <-chan piece {
	ch := make(chan piece, 1)
	go func() {
		for len(s.asked) < sealAhead && s.first < s.p.Chunks {
			s.ask()
		}
		if len(s.asked) == 0 {
			ch <- piece{err: fmt.Errorf("client: upload: no chunks left at %d of %d bytes", off, s.p.SealedSize)}
			return
		}
		v, rejected := jspromise.Await(s.asked[0])
		s.asked = s.asked[1:]
		if rejected {
			msg := "the seal worker failed"
			if v.Type() == js.TypeObject && v.Get("message").Type() == js.TypeString {
				msg += ": " + v.Get("message").String()
			}
			ch <- piece{err: fmt.Errorf("client: upload: %s", msg)}
			return
		}
		parts := js.Global().Get("Array").New()
		n := int64(v.Get("length").Int())
		if off == 0 {
			header := jsBytes(s.p.Header)
			hashJS(s.h, header)
			parts.Call("push", header)
			n += int64(len(s.p.Header))
		}
		hashJS(s.h, v)
		parts.Call("push", v)
		p := piece{held: blobBody{v: js.Global().Get("Blob").New(parts), n: n}}
		jspromise.Held(int(n))
		if off+n == s.p.SealedSize {
			p.digest = s.h.Sum(nil)
		}
		ch <- p
	}()
	return ch
}

// close forgets the payload key; batches still asked for end in the
// worker, unread.
func (s *workerSource) close() {
	clear(s.p.PayloadKey)
	s.asked = nil
}

// blobBody is a heldBody: a Blob of n bytes.
type blobBody struct {
	v js.Value
	n int64
}

func (b blobBody) Len() int64 { return b.n }

func (b blobBody) Slice(from int64) heldBody {
	return blobBody{v: b.v.Call("slice", float64(from)), n: b.n - from}
}
