//go:build js

package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall/js"

	"github.com/hearthcloud/hearth/client/jspromise"
)

// Under GOOS=js the client sends its requests with the JavaScript fetch API
// (browsers, workers, Node 18+), without net/http: what the WebAssembly
// module does not link (net/http, crypto/tls, crypto/x509) makes it much
// smaller and faster to start.

func defaultTransport() Transport { return fetchTransport{} }

// loopbackName reports whether the host name h reaches this machine
// whatever the DNS says: localhost and the names under .localhost, which
// browsers resolve to the loopback address themselves (Home is at
// home.localhost, spec/web.md §1).
func loopbackName(h string) bool { return h == "localhost" || strings.HasSuffix(h, ".localhost") }

// fetchTransport is a Transport over fetch. The request body is read whole
// first (browsers cannot stream a request body over HTTP/1.1); the response
// body streams. Redirects are errors; no cookies or HTTP authentication go
// with a request (the token is in Authorization).
type fetchTransport struct{}

// forbiddenHeader reports whether fetch refuses (Node) or silently drops
// (browsers) a request header package client sets: Expect, on uploads.
func forbiddenHeader(name string) bool {
	return strings.EqualFold(name, "Expect") || strings.EqualFold(name, "Content-Length")
}

// netError is what a failed request becomes: a *url.Error, as net/http
// returns, which callers (package wasm) recognize as a network failure.
func netError(r *httpRequest, err error) error {
	op := r.method[:1] + strings.ToLower(r.method[1:])
	return &url.Error{Op: op, URL: r.url, Err: err}
}

// ctxOr returns ctx's error when ctx is done (the failure is the
// cancellation's doing), else err.
func ctxOr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	return err
}

func (fetchTransport) roundTrip(ctx context.Context, r *httpRequest) (res *httpResponse, err error) {
	if err := ctx.Err(); err != nil {
		return nil, netError(r, err)
	}
	body := r.whole
	if r.body != nil && body == nil {
		type read struct {
			b   []byte
			err error
		}
		ch := make(chan read, 1)
		go func() {
			b, err := io.ReadAll(r.body)
			ch <- read{b, err}
		}()
		select {
		case <-ctx.Done():
			// The caller closes r.body, which ends the read.
			return nil, netError(r, ctx.Err())
		case rd := <-ch:
			if rd.err != nil {
				return nil, rd.err
			}
			if int64(len(rd.b)) != r.contentLength {
				return nil, fmt.Errorf("request body has %d bytes, not %d", len(rd.b), r.contentLength)
			}
			body = rd.b
		}
	}
	defer func() {
		// A value fetch or Headers refuse throws: an error, not a crash.
		if p := recover(); p != nil {
			jerr, ok := p.(js.Error)
			if !ok {
				panic(p)
			}
			res, err = nil, netError(r, errors.New("fetch: "+jerr.Error()))
		}
	}()

	h := js.Global().Get("Headers").New()
	for k, v := range r.header {
		if !forbiddenHeader(k) {
			h.Call("append", k, v)
		}
	}
	opt := js.Global().Get("Object").New()
	opt.Set("method", r.method)
	opt.Set("headers", h)
	opt.Set("redirect", "error")
	opt.Set("credentials", "omit")
	// Cancelling ctx aborts the fetch, or the response body's stream.
	stop := func() bool { return false }
	if ac := js.Global().Get("AbortController"); ac.Type() == js.TypeFunction {
		abort := ac.New()
		opt.Set("signal", abort.Get("signal"))
		stop = context.AfterFunc(ctx, func() { abort.Call("abort") })
	}

	if hb, ok := r.held.(blobBody); ok {
		opt.Set("body", hb.v) // a Blob, sent as it is (sealer_js.go)
	}
	v, err := await(startFetch(r.url, opt, body))
	if err != nil {
		stop()
		return nil, netError(r, ctxOr(ctx, fmt.Errorf("fetch() failed: %w", err)))
	}
	res = &httpResponse{status: v.Get("status").Int(), header: jsHeader{v.Get("headers")}, contentLength: -1}
	// fetch decodes a compressed body, whose Content-Length is then not
	// the length of what it gives: unknown.
	ce := res.header.Get("Content-Encoding")
	if cl := res.header.Get("Content-Length"); cl != "" && (ce == "" || strings.EqualFold(ce, "identity")) {
		n, err := strconv.ParseInt(cl, 10, 64)
		if err != nil || n < 0 {
			stop()
			return nil, netError(r, fmt.Errorf("bad Content-Length %q", cl))
		}
		res.contentLength = n
	}
	res.body = &streamBody{ctx: ctx, req: r, stop: stop, resp: v}
	return res, nil
}

// Large request bodies (an upload's pieces) go through one Uint8Array,
// reused, into a Blob: the Blob takes its copy before it returns, so the
// next request may fill the array again, and the worker does not make a
// new array of 16 MiB for each piece. A Blob body, unlike an array's
// copy, leaves the renderer for the browser's blob store at once: a
// 512 MiB upload's renderer peak went from 575 to 430 MiB (BENCHMARKS.md).
const reuseBody = 1 << 20

var (
	bodyMu  sync.Mutex
	bodyBuf js.Value
)

// startFetch calls fetch with opt and body (nil: none), and returns its
// promise.
func startFetch(url string, opt js.Value, body []byte) js.Value {
	switch {
	case body == nil:
	case len(body) < reuseBody:
		u8 := js.Global().Get("Uint8Array").New(len(body))
		js.CopyBytesToJS(u8, body)
		opt.Set("body", u8)
	default:
		bodyMu.Lock()
		defer bodyMu.Unlock()
		if bodyBuf.IsUndefined() || bodyBuf.Get("length").Int() < len(body) {
			bodyBuf = js.Global().Get("Uint8Array").New(len(body))
		}
		u8 := bodyBuf.Call("subarray", 0, len(body))
		js.CopyBytesToJS(u8, body)
		arr := js.Global().Get("Array").New(1)
		arr.SetIndex(0, u8)
		opt.Set("body", js.Global().Get("Blob").New(arr))
		jspromise.Held(len(body)) // what fetch copied it into
	}
	return js.Global().Call("fetch", url, opt)
}

// jsHeader is a fetch Headers object.
type jsHeader struct{ h js.Value }

func (h jsHeader) Get(name string) string {
	v := h.h.Call("get", name)
	if v.Type() != js.TypeString {
		return ""
	}
	return v.String()
}

// streamBody reads a fetch response's body: as a stream, or whole
// (readAllSHA256).
type streamBody struct {
	ctx     context.Context
	req     *httpRequest
	stop    func() bool
	resp    js.Value // the Response, until the body is read
	reader  js.Value // a ReadableStreamDefaultReader, or
	whole   js.Value // the Response, when its body is not a stream
	started bool
	buf     []byte // what is left of the last chunk
	store   []byte // buf's storage, reused
	err     error  // sticky: io.EOF at the end
}

// start chooses how the body is read, at the first Read.
func (b *streamBody) start() {
	b.started = true
	v := b.resp
	b.resp = js.Undefined()
	if body := v.Get("body"); body.Type() == js.TypeObject && body.Get("getReader").Type() == js.TypeFunction {
		b.reader = body.Call("getReader")
	} else {
		// No stream (an empty body, or an old runtime): the whole body.
		b.whole = v
	}
}

// readAllSHA256 reads the whole body (at most limit bytes, else an error)
// and its SHA-256, which the browser computes (WebCrypto runs natively:
// crypto/sha256 in WebAssembly does about 50 MiB/s). It copies the body
// into Go once, not chunk by chunk. ok is false when it cannot (the body
// was read from already, or there is no crypto.subtle: not a secure
// context); the caller reads it as a stream then.
func (b *streamBody) readAllSHA256(limit int64) (data []byte, digest [32]byte, ok bool, err error) {
	subtle := js.Global().Get("crypto")
	if subtle.Type() == js.TypeObject {
		subtle = subtle.Get("subtle")
	}
	if b.started || subtle.Type() != js.TypeObject {
		return nil, digest, false, nil
	}
	b.started = true
	v := b.resp
	b.resp = js.Undefined()
	defer b.finish(io.EOF)
	ab, err := await(v.Call("arrayBuffer"))
	if err != nil {
		return nil, digest, true, netError(b.req, ctxOr(b.ctx, fmt.Errorf("reading the answer failed: %w", err)))
	}
	n := ab.Get("byteLength").Int()
	if int64(n) > limit {
		return nil, digest, true, fmt.Errorf("the answer is longer than %d bytes", limit)
	}
	dg, err := await(subtle.Call("digest", "SHA-256", ab))
	if err != nil {
		return nil, digest, true, fmt.Errorf("hashing the answer: %w", err)
	}
	data = make([]byte, n)
	js.CopyBytesToGo(data, js.Global().Get("Uint8Array").New(ab))
	js.CopyBytesToGo(digest[:], js.Global().Get("Uint8Array").New(dg))
	return data, digest, true, nil
}

func (b *streamBody) Read(p []byte) (int, error) {
	if !b.started {
		b.start()
	}
	for len(b.buf) == 0 {
		if b.err != nil {
			return 0, b.err
		}
		b.fill()
	}
	n := copy(p, b.buf)
	b.buf = b.buf[n:]
	return n, nil
}

// nextJS returns the body's next chunk as it is, a Uint8Array, or the
// error (io.EOF at the end): for readers that keep the bytes in
// JavaScript (download_js.go). It is not mixed with Read.
func (b *streamBody) nextJS() (js.Value, error) {
	if !b.started {
		b.start()
	}
	for {
		if len(b.buf) > 0 {
			return js.Undefined(), errors.New("the answer was read both ways")
		}
		if b.err != nil {
			return js.Undefined(), b.err
		}
		chunk := b.nextChunk()
		if chunk.IsUndefined() {
			continue // err is set
		}
		if n := chunk.Get("length").Int(); n > 0 {
			jspromise.Held(n)
			return chunk, nil
		}
	}
}

// nextChunk reads the next chunk of the body, as it is; undefined, with
// err set, at the end or on failure.
func (b *streamBody) nextChunk() js.Value {
	if b.reader.Type() == js.TypeObject {
		v, err := await(b.reader.Call("read"))
		if err != nil {
			b.fail(err)
			return js.Undefined()
		}
		if v.Get("done").Bool() {
			b.finish(io.EOF)
			return js.Undefined()
		}
		return v.Get("value")
	}
	w := b.whole
	b.whole = js.Undefined()
	if w.Type() != js.TypeObject {
		b.finish(io.EOF)
		return js.Undefined()
	}
	ab, err := await(w.Call("arrayBuffer"))
	if err != nil {
		b.fail(err)
		return js.Undefined()
	}
	return js.Global().Get("Uint8Array").New(ab)
}

// fill reads the next chunk into buf, or sets err.
func (b *streamBody) fill() {
	chunk := b.nextChunk()
	if chunk.IsUndefined() {
		return
	}
	if n := chunk.Get("length").Int(); n > 0 {
		// buf is read to its end before the next fill: one buffer, reused.
		if cap(b.store) < n {
			b.store = make([]byte, max(n, 256<<10))
		}
		b.buf = b.store[:n]
		js.CopyBytesToGo(b.buf, chunk)
		jspromise.Held(n)
	}
}

func (b *streamBody) fail(err error) {
	b.finish(netError(b.req, ctxOr(b.ctx, fmt.Errorf("reading the answer failed: %w", err))))
}

func (b *streamBody) finish(err error) {
	if b.err == nil {
		b.err = err
		b.stop()
	}
}

func (b *streamBody) Close() error {
	if b.err == nil {
		if !b.started {
			if body := b.resp.Get("body"); body.Type() == js.TypeObject && body.Get("cancel").Type() == js.TypeFunction {
				body.Call("cancel") // a Promise; nothing to wait for
			}
			b.started, b.resp = true, js.Undefined()
		}
		if b.reader.Type() == js.TypeObject {
			b.reader.Call("cancel") // a Promise; nothing to wait for
		}
		b.finish(errors.New("read on a closed response body"))
	}
	b.buf, b.store = nil, nil
	return nil
}

// await waits for p; a rejection becomes an error with its message.
func await(p js.Value) (js.Value, error) {
	v, rejected := jspromise.Await(p)
	if rejected {
		return js.Undefined(), errors.New(jspromise.Message(v))
	}
	return v, nil
}
