//go:build js && wasm

package wasm

import (
	"context"
	"encoding/json"
	"io"
	"sync"
	"time"

	"github.com/hearthcloud/hearth/client/jspromise"
	"github.com/hearthcloud/hearth/internal/appmanifest"

	"syscall/js"
)

// Install registers globalThis.hearthGo = { open(config) } on the worker's
// global scope. open takes { server, device, onEvent, cache, outbox }
// (onEvent is called with each Event as a JSON string and, for "state",
// "memory" and "docs", their bytes as a Uint8Array second argument; cache and outbox: see
// jsCache and jsOutbox) and returns an object with:
//
//	methods                          the JSON of the page's methods: [{name, noResult?}] (methods.go)
//	call(method, argsJSON)           → Promise<resultJSON>   (see API.Call)
//	resume(savedBytes, pages)        → Promise<resultJSON>   (API.Resume of a Uint8Array, and the documents cache's pages: [Uint8Array])
//	upload(blob, name, onProgress, folder, job) → Promise<resultJSON>   ({id}; folder: a folder id, "" the root, for API.UploadTo; undefined: API.Upload)
//	download(id, onProgress)         → Promise<{info: infoJSON, bytes: Uint8Array}>
//	downloadTo(id, sink, onProgress, job) → Promise<infoJSON>   (streamed into sink, see sinkWriter)
//	zipTo(idsJSON, sink, onProgress, job) → Promise<null>   (API.Zip into sink)
//	cancel(job)                      stops the upload, downloadTo or zipTo given that job number
//	appOffer(files)                  → Promise<offerJSON>    (API.AppOffer; files: [[path, Uint8Array], …])
//	reseal(onProgress)               → Promise<resultJSON>   (API.Reseal; onProgress(doctype, what, done, total))
//	close()
//
// Promises reject with an Error carrying .code (and .retryAfter, .rev when
// known). Install then calls globalThis.hearthReady, if set.
func Install() {
	hg := js.Global().Get("Object").New()
	hg.Set("open", js.FuncOf(open))
	js.Global().Set("hearthGo", hg)
	if r := js.Global().Get("hearthReady"); r.Type() == js.TypeFunction {
		r.Invoke()
	}
}

func open(_ js.Value, args []js.Value) any {
	if len(args) < 1 || args[0].Type() != js.TypeObject {
		panic(jsError(badInput("open: give {server}")))
	}
	cfg := args[0]
	onEvent := cfg.Get("onEvent")
	c := Config{Server: str(cfg.Get("server")), Device: str(cfg.Get("device"))}
	if onEvent.Type() == js.TypeFunction {
		c.OnEvent = func(ev Event) {
			b, err := json.Marshal(ev)
			if err != nil {
				return
			}
			if ev.State == nil {
				onEvent.Invoke(string(b))
				return
			}
			u8 := js.Global().Get("Uint8Array").New(len(ev.State))
			js.CopyBytesToJS(u8, ev.State)
			onEvent.Invoke(string(b), u8)
		}
	}
	if jc := cfg.Get("cache"); jc.Type() == js.TypeObject {
		c.Cache = jsCache{jc}
	}
	if jo := cfg.Get("outbox"); jo.Type() == js.TypeObject {
		c.Outbox = jsOutbox{jo}
	}
	a, err := New(c)
	if err != nil {
		return promiseReject(toError(err))
	}
	o := js.Global().Get("Object").New()
	names, _ := json.Marshal(pageMethods())
	o.Set("methods", string(names))
	o.Set("call", js.FuncOf(func(_ js.Value, args []js.Value) any {
		method := str(arg(args, 0))
		argsJSON := str(arg(args, 1))
		return promise(func() (any, *Error) {
			b, e := a.CallJSON(context.Background(), method, []byte(argsJSON))
			if e != nil {
				return nil, e
			}
			return string(b), nil
		})
	}))
	o.Set("resume", js.FuncOf(func(_ js.Value, args []js.Value) any {
		u8 := js.Global().Get("Uint8Array")
		bytesOf := func(v js.Value) []byte {
			if !v.InstanceOf(u8) {
				return nil
			}
			b := make([]byte, v.Get("length").Int())
			js.CopyBytesToGo(b, v)
			return b
		}
		b := bytesOf(arg(args, 0))
		var pages [][]byte
		if ps := arg(args, 1); ps.Type() == js.TypeObject && ps.Get("length").Type() == js.TypeNumber {
			for i := range ps.Get("length").Int() {
				if p := bytesOf(ps.Index(i)); p != nil {
					pages = append(pages, p)
				}
			}
		}
		return promise(func() (any, *Error) {
			res, err := a.Resume(b, pages...)
			if err != nil {
				return nil, toError(err)
			}
			out, _ := json.Marshal(res)
			return string(out), nil
		})
	}))
	o.Set("upload", js.FuncOf(func(_ js.Value, args []js.Value) any {
		blob, name, progress, folder := arg(args, 0), str(arg(args, 1)), arg(args, 2), arg(args, 3)
		ctx, done := jobs.start(arg(args, 4))
		return promise(func() (any, *Error) {
			defer done()
			if blob.Type() != js.TypeObject || blob.Get("size").Type() != js.TypeNumber {
				return nil, badInput("upload: give a File or Blob")
			}
			if name == "" {
				name = str(blob.Get("name"))
			}
			var mtime time.Time
			if lm := blob.Get("lastModified"); lm.Type() == js.TypeNumber && lm.Float() > 0 {
				mtime = time.UnixMilli(int64(lm.Float()))
			}
			size := int64(blob.Get("size").Float())
			r := &blobReader{blob: blob, size: size}
			var res *UploadResult
			var err error
			if folder.Type() == js.TypeString {
				res, err = a.UploadTo(ctx, folder.String(), r, size, name, str(blob.Get("type")), mtime, throttle(progress))
			} else {
				res, err = a.Upload(ctx, r, size, name, str(blob.Get("type")), mtime, throttle(progress))
			}
			if err != nil {
				return nil, toError(err)
			}
			b, _ := json.Marshal(res)
			return string(b), nil
		})
	}))
	o.Set("download", js.FuncOf(func(_ js.Value, args []js.Value) any {
		id, progress := str(arg(args, 0)), arg(args, 1)
		return promise(func() (any, *Error) {
			info, data, err := a.Download(context.Background(), id, throttle(progress))
			if err != nil {
				return nil, toError(err)
			}
			b, _ := json.Marshal(info)
			u8 := js.Global().Get("Uint8Array").New(len(data))
			js.CopyBytesToJS(u8, data)
			out := js.Global().Get("Object").New()
			out.Set("info", string(b))
			out.Set("bytes", u8)
			return out, nil
		})
	}))
	o.Set("downloadTo", js.FuncOf(func(_ js.Value, args []js.Value) any {
		id, sink, progress := str(arg(args, 0)), arg(args, 1), arg(args, 2)
		ctx, done := jobs.start(arg(args, 3))
		return promise(func() (any, *Error) {
			defer done()
			info, err := a.DownloadTo(ctx, id, &sinkWriter{sink: sink}, throttle(progress))
			if err != nil {
				return nil, toError(err)
			}
			b, _ := json.Marshal(info)
			return string(b), nil
		})
	}))
	o.Set("zipTo", js.FuncOf(func(_ js.Value, args []js.Value) any {
		var ids []string
		if err := json.Unmarshal([]byte(str(arg(args, 0))), &ids); err != nil {
			return promiseReject(badInput("zipTo: the ids are not [string]"))
		}
		sink, progress := arg(args, 1), arg(args, 2)
		ctx, done := jobs.start(arg(args, 3))
		return promise(func() (any, *Error) {
			defer done()
			if err := a.Zip(ctx, ids, &sinkWriter{sink: sink}, throttle(progress)); err != nil {
				return nil, toError(err)
			}
			return nil, nil
		})
	}))
	o.Set("cancel", js.FuncOf(func(_ js.Value, args []js.Value) any {
		jobs.cancel(arg(args, 0))
		return nil
	}))
	o.Set("appOffer", js.FuncOf(func(_ js.Value, args []js.Value) any {
		list := arg(args, 0)
		var files []appmanifest.File
		if list.Type() == js.TypeObject && list.Get("length").Type() == js.TypeNumber {
			total := 0
			for i := 0; i < list.Get("length").Int(); i++ {
				e := list.Index(i)
				u8 := e.Index(1)
				if !u8.InstanceOf(js.Global().Get("Uint8Array")) {
					files = nil
					break
				}
				n := u8.Get("length").Int()
				if total += n; total > appmanifest.MaxUncompressed {
					return promiseReject(badInput("the app is larger than %d MiB", appmanifest.MaxUncompressed>>20))
				}
				b := make([]byte, n)
				js.CopyBytesToGo(b, u8)
				files = append(files, appmanifest.File{Path: str(e.Index(0)), Data: b})
			}
		}
		return promise(func() (any, *Error) {
			res, err := a.AppOffer(context.Background(), files)
			if err != nil {
				return nil, toError(err)
			}
			b, _ := json.Marshal(res)
			return string(b), nil
		})
	}))
	o.Set("reseal", js.FuncOf(func(_ js.Value, args []js.Value) any {
		progress := arg(args, 0)
		return promise(func() (any, *Error) {
			var last time.Time
			res, err := a.Reseal(context.Background(), func(doctype, what string, done, total int) {
				if progress.Type() != js.TypeFunction || done != total && time.Since(last) < 100*time.Millisecond {
					return
				}
				last = time.Now()
				progress.Invoke(doctype, what, done, total)
			})
			if err != nil {
				return nil, toError(err)
			}
			b, _ := json.Marshal(res)
			return string(b), nil
		})
	}))
	o.Set("close", js.FuncOf(func(js.Value, []js.Value) any {
		a.Close()
		return nil
	}))
	return o
}

func arg(args []js.Value, i int) js.Value {
	if i < len(args) {
		return args[i]
	}
	return js.Undefined()
}

func str(v js.Value) string {
	if v.Type() == js.TypeString {
		return v.String()
	}
	return ""
}

// jsError makes a JavaScript Error with .code of e.
func jsError(e *Error) js.Value {
	err := js.Global().Get("Error").New(e.Message)
	err.Set("code", e.Code)
	if e.RetryAfter > 0 {
		err.Set("retryAfter", e.RetryAfter)
	}
	if e.Rev > 0 {
		err.Set("rev", float64(e.Rev))
	}
	for k, v := range map[string]int64{"size": e.Size, "limit": e.Limit, "left": e.Left} {
		if v > 0 || k == "left" && e.Limit > 0 {
			err.Set(k, float64(v))
		}
	}
	return err
}

func promiseReject(e *Error) js.Value {
	return js.Global().Get("Promise").Call("reject", jsError(e))
}

// promise runs fn in its own goroutine and settles a Promise with its
// result.
func promise(fn func() (any, *Error)) js.Value {
	var executor js.Func
	executor = js.FuncOf(func(_ js.Value, args []js.Value) any {
		resolve, reject := args[0], args[1]
		go func() {
			res, e := fn()
			if e != nil {
				reject.Invoke(jsError(e))
			} else {
				resolve.Invoke(res)
			}
		}()
		return nil
	})
	p := js.Global().Get("Promise").New(executor)
	executor.Release()
	return p
}

// await waits for p, a step of reading a file the page gave.
func await(p js.Value) (js.Value, error) {
	v, rejected := jspromise.Await(p)
	if rejected {
		msg := "reading the file failed"
		if v.Type() == js.TypeObject && v.Get("message").Type() == js.TypeString {
			msg += ": " + v.Get("message").String()
		}
		return js.Undefined(), badInput("%s", msg)
	}
	return v, nil
}

// blobReader reads a Blob in slices of blobChunk bytes into one buffer,
// reused. In a worker it reads with FileReaderSync: each slice at once,
// without a promise's round trip (several times faster than arrayBuffer()
// in Chromium, BENCHMARKS.md). Elsewhere it uses arrayBuffer(), blobAhead
// slices asked for ahead of the one read (so the browser reads the file
// while Go seals).
type blobReader struct {
	blob      js.Value
	off, size int64      // off: where the next slice to read starts
	asked     []js.Value // arrayBuffer() promises of the slices asked for, in order
	frs       js.Value   // a FileReaderSync, where there is one
	started   bool
	buf       []byte // what is left of the current slice
	store     []byte // buf's storage, reused
}

const (
	blobChunk = 4 << 20
	blobAhead = 2
)

// nextSlice returns the next slice's bytes, or undefined at the end.
func (r *blobReader) nextSlice() (ab js.Value, err error) {
	if !r.started {
		r.started = true
		if frs := js.Global().Get("FileReaderSync"); frs.Type() == js.TypeFunction {
			r.frs = frs.New()
		}
	}
	slice := func() js.Value {
		end := min(r.off+blobChunk, r.size)
		sl := r.blob.Call("slice", float64(r.off), float64(end))
		r.off = end
		return sl
	}
	if r.frs.Type() == js.TypeObject {
		if r.off >= r.size {
			return js.Undefined(), nil
		}
		defer func() {
			// FileReaderSync throws where arrayBuffer() rejects (the file
			// changed or went).
			if p := recover(); p != nil {
				jerr, ok := p.(js.Error)
				if !ok {
					panic(p)
				}
				ab, err = js.Undefined(), badInput("reading the file failed: %s", jerr.Error())
			}
		}()
		return r.frs.Call("readAsArrayBuffer", slice()), nil
	}
	for len(r.asked) < blobAhead && r.off < r.size {
		r.asked = append(r.asked, slice().Call("arrayBuffer"))
	}
	if len(r.asked) == 0 {
		return js.Undefined(), nil
	}
	next := r.asked[0]
	r.asked = r.asked[1:]
	ab, err = await(next)
	for len(r.asked) < blobAhead && r.off < r.size {
		r.asked = append(r.asked, slice().Call("arrayBuffer"))
	}
	return ab, err
}

// JSBlob hands the Blob to the seal worker (client.JSBlob) while nothing
// was read from it.
func (r *blobReader) JSBlob() (js.Value, bool) {
	return r.blob, !r.started && r.off == 0
}

func (r *blobReader) Read(p []byte) (int, error) {
	if len(r.buf) == 0 {
		ab, err := r.nextSlice()
		if err != nil {
			return 0, err
		}
		if ab.IsUndefined() {
			return 0, io.EOF
		}
		u8 := js.Global().Get("Uint8Array").New(ab)
		n := u8.Get("length").Int()
		if n == 0 {
			return 0, io.ErrUnexpectedEOF
		}
		if cap(r.store) < n {
			r.store = make([]byte, blobChunk)
		}
		r.buf = r.store[:n]
		js.CopyBytesToGo(r.buf, u8)
		jspromise.Held(n)
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// throttle wraps a JavaScript progress callback (or undefined) so that it is
// called at most every 100 ms, and always at the end.
func throttle(fn js.Value) func(done, total int64) {
	if fn.Type() != js.TypeFunction {
		return nil
	}
	var mu sync.Mutex
	var last time.Time
	return func(done, total int64) {
		mu.Lock()
		defer mu.Unlock()
		if done < total && time.Since(last) < 100*time.Millisecond {
			return
		}
		last = time.Now()
		fn.Invoke(float64(done), float64(total))
	}
}

// jsCache is a Cache of JavaScript functions: get(key) → Promise<Uint8Array
// or null>, put(key, bytes) → Promise, prune(prefix, keep) → Promise.
type jsCache struct{ o js.Value }

func (c jsCache) Get(key string) []byte {
	v, rejected := jspromise.Await(c.o.Call("get", key))
	if rejected || !v.InstanceOf(js.Global().Get("Uint8Array")) {
		return nil
	}
	b := make([]byte, v.Get("length").Int())
	js.CopyBytesToGo(b, v)
	return b
}

func (c jsCache) Put(key string, b []byte) {
	u8 := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(u8, b)
	jspromise.Await(c.o.Call("put", key, u8))
}

func (c jsCache) Prune(prefix string, keep []string) {
	arr := js.Global().Get("Array").New(len(keep))
	for i, k := range keep {
		arr.SetIndex(i, k)
	}
	jspromise.Await(c.o.Call("prune", prefix, arr))
}
