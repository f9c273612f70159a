//go:build js

package client

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"hash"
	"io"
	"strings"
	"syscall/js"

	"github.com/hearthcloud/hearth/client/jspromise"
	"github.com/hearthcloud/hearth/crypto/seal"
)

// JSWriter is implemented by a writer into JavaScript (the browser's sink
// of a download, wasm/sink_js.go): it takes a Uint8Array as it is.
type JSWriter interface {
	WriteJS(v js.Value) error
}

// jsQueue is the sealed bytes of a download not yet used, as the fetch
// gave them (Uint8Arrays), each hashed as it came.
type jsQueue struct {
	body   *streamBody
	h      hash.Hash
	chunks []js.Value
	off    int   // bytes of chunks[0] used
	have   int64 // bytes held
	read   int64 // bytes read from the body
}

// fill reads until n bytes are held; io.ErrUnexpectedEOF if the answer
// ends first.
func (q *jsQueue) fill(n int64) error {
	for q.have < n {
		v, err := q.body.nextJS()
		if err == io.EOF {
			return io.ErrUnexpectedEOF
		}
		if err != nil {
			return err
		}
		hashJS(q.h, v)
		k := int64(v.Get("length").Int())
		q.chunks = append(q.chunks, v)
		q.have += k
		q.read += k
	}
	return nil
}

// take returns the next n bytes (held) as one Uint8Array.
func (q *jsQueue) take(n int64) js.Value {
	out := js.Global().Get("Uint8Array").New(int(n))
	at := 0
	for int64(at) < n {
		c := q.chunks[0]
		cl := c.Get("length").Int()
		k := min(cl-q.off, int(n)-at)
		out.Call("set", c.Call("subarray", q.off, q.off+k), at)
		at += k
		q.off += k
		if q.off == cl {
			q.chunks, q.off = q.chunks[1:], 0
		}
	}
	q.have -= n
	return out
}

// peek copies the first n bytes held into Go.
func (q *jsQueue) peek(n int64) []byte {
	b := make([]byte, 0, n)
	off := q.off
	for _, c := range q.chunks {
		if int64(len(b)) == n {
			break
		}
		k := min(c.Get("length").Int()-off, int(n)-len(b))
		part := make([]byte, k)
		js.CopyBytesToGo(part, c.Call("subarray", off, off+k))
		b = append(b, part...)
		off = 0
	}
	return b
}

// downloadJS downloads sb from res, the answer to its GET, into w, a
// JSWriter, without its bytes entering Go's memory: the sealed bytes stay
// in JavaScript (hashed there by hash-wasm), the seal worker opens the
// chunks (spec/web.md §3.7), and their plaintext goes to w as it is; only
// the header, the metadata frame and the padding are read here. It checks
// all that downloadBlob checks. ok is false, with nothing of res read,
// where it does not apply: a small blob, no seal worker, w or res not of
// JavaScript.
func (c *Client) downloadJS(ctx context.Context, doctype string, res *httpResponse, sb SealedBlob, w io.Writer, progress func(done, total int64)) (meta seal.Meta, ok bool, err error) {
	jw, isJS := w.(JSWriter)
	body, isStream := res.body.(*streamBody)
	if !isJS || !isStream || body.started || sb.Size < openThreshold || !sealerReady() {
		return seal.Meta{}, false, nil
	}
	integ := func(what string, err error) (seal.Meta, bool, error) {
		return seal.Meta{}, true, &integrityError{detail: what, err: err}
	}
	q := &jsQueue{body: body, h: newBlobHash()}
	// cut maps the end of the answer before its size to the integrity
	// error, and a failure of the network to itself.
	cut := func(err error) (seal.Meta, bool, error) {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return integ("the content does not authenticate (altered, truncated or reordered)", err)
		}
		return seal.Meta{}, true, err
	}
	pre := min(int64(seal.BlobHeaderPrefix), sb.Size)
	if err := q.fill(pre); err != nil {
		return cut(err)
	}
	prefix := q.peek(pre)
	ks, err := c.keys(ctx, doctype, blobGen(bufio.NewReader(bytes.NewReader(prefix))), false)
	if err != nil {
		return seal.Meta{}, true, err
	}
	if ks == nil {
		return integ("sealed with a key the keyring lacks", nil)
	}
	ref := seal.BlobRef{Doctype: doctype, ID: sb.ID}
	h, err := seal.OpenBlobHeader(prefix, sb.Size, ks, seal.PurposeFile, ref)
	if err != nil {
		return integ("the blob's header does not open (altered, swapped or not this file's)", err)
	}
	defer clear(h.PayloadKey)
	q.take(int64(h.HeaderLen))
	payload := sb.Size - int64(h.HeaderLen)
	plainLen := payload - h.Chunks*16
	batch := int64(sealBatch) * seal.SealedChunkSize

	var asked []js.Value
	var sent, next int64 // payload bytes asked for; the first chunk of the next batch
	var pos int64        // plaintext bytes handled
	frameLen, padding := int64(0), int64(0)
	var done int64
	for {
		for len(asked) < sealAhead && sent < payload {
			n := min(batch, payload-sent)
			if err := q.fill(n); err != nil {
				return cut(err)
			}
			job := js.Global().Get("Object").New()
			job.Set("op", "open")
			job.Set("key", jsBytes(h.PayloadKey)) // the worker zeroes it once used
			job.Set("data", q.take(n))            // transferred to the worker
			job.Set("first", float64(next))
			job.Set("chunks", float64(h.Chunks))
			asked = append(asked, js.Global().Call("hearthSeal", job))
			sent += n
			next += sealBatch
		}
		if len(asked) == 0 {
			break
		}
		v, err := awaitSeal(asked[0])
		asked = asked[1:]
		if err != nil {
			if errors.Is(err, seal.ErrIntegrity) {
				return integ("the content does not authenticate (altered, truncated or reordered)", err)
			}
			return seal.Meta{}, true, err
		}
		l := int64(v.Get("length").Int())
		if pos == 0 {
			head := make([]byte, min(l, 4+seal.MaxMetaLen))
			js.CopyBytesToGo(head, v.Call("subarray", 0, len(head)))
			var fl int
			meta, fl, padding, err = seal.PayloadFrame(head)
			frameLen = int64(fl)
			if err != nil || frameLen+meta.Size+padding != plainLen {
				return integ("the blob's header does not open (altered, swapped or not this file's)", err)
			}
		}
		// The content in this batch, then the padding.
		if a, b := max(pos, frameLen), min(pos+l, frameLen+meta.Size); a < b {
			if err := jw.WriteJS(v.Call("subarray", a-pos, b-pos)); err != nil {
				return seal.Meta{}, true, err
			}
			done += b - a
			if progress != nil {
				progress(done, meta.Size)
			}
		}
		if a := max(pos, frameLen+meta.Size); a < pos+l {
			zeros := make([]byte, pos+l-a)
			js.CopyBytesToGo(zeros, v.Call("subarray", a-pos, l))
			for _, z := range zeros {
				if z != 0 {
					return integ("the content does not authenticate (altered, truncated or reordered)", seal.ErrIntegrity)
				}
			}
		}
		pos += l
	}
	if pos != plainLen || done != meta.Size {
		return integ("the content does not authenticate (altered, truncated or reordered)", nil)
	}
	// The answer ends here, and is the blob the document names.
	if err := q.fill(1); err == nil {
		return integ("trailing data after the end of the blob", nil)
	} else if !errors.Is(err, io.ErrUnexpectedEOF) {
		return seal.Meta{}, true, err
	}
	if q.read != sb.Size || !bytes.Equal(q.h.Sum(nil), sb.Digest) {
		return integ("the blob differs from the one the file document names", nil)
	}
	return meta, true, nil
}

// sealerReady reports whether the page's seal worker is there (loading
// it the first time).
func sealerReady() bool {
	ready := js.Global().Get("hearthSealReady")
	if ready.Type() != js.TypeFunction {
		return false
	}
	v, rejected := jspromise.Await(ready.Invoke())
	return !rejected && v.Truthy()
}

// awaitSeal waits for a hearthSeal promise: its Uint8Array, or
// seal.ErrIntegrity when a chunk did not authenticate.
func awaitSeal(p js.Value) (js.Value, error) {
	v, rejected := jspromise.Await(p)
	if !rejected {
		return v, nil
	}
	msg := ""
	if v.Type() == js.TypeObject && v.Get("message").Type() == js.TypeString {
		msg = v.Get("message").String()
	}
	if strings.HasPrefix(msg, "integrity:") {
		return js.Undefined(), seal.ErrIntegrity
	}
	return js.Undefined(), errors.New("client: the seal worker failed: " + msg)
}
