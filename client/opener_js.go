//go:build js

package client

import (
	"bufio"
	"errors"
	"io"
	"sync"
	"syscall/js"

	"github.com/hearthcloud/hearth/client/jspromise"
	"github.com/hearthcloud/hearth/crypto/seal"
)

// openThreshold: smaller blobs open here; the seal worker's round trips
// would cost more than they save.
const openThreshold = 8 << 20

// errOpenStopped ends the seal worker's feed when the reader stops early.
var errOpenStopped = errors.New("client: download stopped")

// openSealed opens the blob ref of size sealed bytes that src reads. A
// large blob, where the page has a seal worker (spec/web.md §3.7), opens
// there: the header is checked here (seal.OpenBlobHeader), the chunks are
// authenticated and opened by the worker on a thread of its own, in
// batches, and their plaintext checked here as OpenBlob's is
// (seal.OpenBlobPayload). stop, once the caller is done with br, waits
// until nothing reads src any more.
func openSealed(src *bufio.Reader, size int64, ks *seal.KeySet, ref seal.BlobRef) (br *seal.BlobReader, stop func(), err error) {
	here := func() (*seal.BlobReader, func(), error) {
		br, err := seal.OpenBlob(src, ks, seal.PurposeFile, ref)
		return br, func() {}, err
	}
	if size < openThreshold || !sealerReady() {
		return here()
	}
	prefix, _ := src.Peek(seal.BlobHeaderPrefix)
	h, err := seal.OpenBlobHeader(prefix, size, ks, seal.PurposeFile, ref)
	if err != nil {
		return nil, nil, err
	}
	if _, err := src.Discard(h.HeaderLen); err != nil {
		return nil, nil, err
	}
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		err := openInWorker(pw, src, h, size-int64(h.HeaderLen))
		clear(h.PayloadKey)
		pw.CloseWithError(err)
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			pr.CloseWithError(errOpenStopped)
			<-done
		})
	}
	br, err = seal.OpenBlobPayload(pr)
	if err != nil {
		stop()
		return nil, nil, err
	}
	return br, stop, nil
}

// openInWorker reads the payload's payload bytes of sealed chunks from
// src, has the seal worker open them, sealAhead batches at a time, and
// writes their plaintext to w in order. A chunk that does not
// authenticate is seal.ErrIntegrity.
func openInWorker(w io.Writer, src io.Reader, h *seal.OpenedHeader, payload int64) error {
	batch := int64(sealBatch) * seal.SealedChunkSize
	var asked []js.Value
	var read int64
	next := int64(0) // the first chunk of the next batch
	buf := make([]byte, min(batch, payload))
	ask := func() error {
		n := min(batch, payload-read)
		if _, err := io.ReadFull(src, buf[:n]); err != nil {
			return err
		}
		data := js.Global().Get("Uint8Array").New(int(n))
		js.CopyBytesToJS(data, buf[:n])
		job := js.Global().Get("Object").New()
		job.Set("op", "open")
		job.Set("key", jsBytes(h.PayloadKey)) // the worker zeroes it once used
		job.Set("data", data)                 // transferred to the worker
		job.Set("first", float64(next))
		job.Set("chunks", float64(h.Chunks))
		asked = append(asked, js.Global().Call("hearthSeal", job))
		read += n
		next += sealBatch
		return nil
	}
	// settle waits for the batches asked for, before src or the pipe goes.
	settle := func() {
		for _, a := range asked {
			jspromise.Await(a)
		}
	}
	var plain []byte
	for {
		for len(asked) < sealAhead && read < payload {
			if err := ask(); err != nil {
				settle()
				return err
			}
		}
		if len(asked) == 0 {
			return nil
		}
		v, err := awaitSeal(asked[0])
		asked = asked[1:]
		if err != nil {
			settle()
			return err
		}
		n := v.Get("length").Int()
		if cap(plain) < n {
			plain = make([]byte, n)
		}
		js.CopyBytesToGo(plain[:n], v)
		jspromise.Held(n)
		if _, err := w.Write(plain[:n]); err != nil {
			settle()
			return err
		}
	}
}
