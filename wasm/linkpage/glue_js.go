//go:build js

package linkpage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"syscall/js"
	"time"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/client/jspromise"
	"github.com/hearthcloud/hearth/crypto/link"
	"github.com/hearthcloud/hearth/internal/wire"
)

// Install registers globalThis.hearthLink:
//
//	open(url, password, seen)            → Promise<{version, manifest}>  (manifest: JSON, keys left out)
//	save(paths, zip, sink, progress)     → Promise<null>   (sink(Uint8Array) may return a Promise)
//	drop(url, blob, name, type, mtime, progress) → Promise<null>
//
// A rejection is an Error whose code is one of password_needed,
// wrong_password, rate_limited (retryAfter: seconds), gone (reason),
// not_found, integrity, replayed, network, failed.
func Install() {
	js.Global().Set("hearthLink", js.ValueOf(map[string]any{
		"open": js.FuncOf(open),
		"save": js.FuncOf(save),
		"drop": js.FuncOf(drop),
	}))
}

var (
	mu     sync.Mutex
	shared *client.Shared
)

// promise runs fn in a goroutine and settles a Promise with its result.
func promise(fn func() (any, error)) js.Value {
	var h js.Func
	h = js.FuncOf(func(_ js.Value, args []js.Value) any {
		resolve, reject := args[0], args[1]
		h.Release()
		go func() {
			v, err := fn()
			if err != nil {
				reject.Invoke(jsError(err))
				return
			}
			resolve.Invoke(v)
		}()
		return nil
	})
	return js.Global().Get("Promise").New(h)
}

// replayed is the error of a manifest older than one this browser opened.
var errReplayed = errors.New("linkpage: replayed")

func jsError(err error) js.Value {
	code, extra := "failed", map[string]any{}
	var gone *client.GoneError
	var ae *client.APIError
	switch {
	case errors.Is(err, errReplayed):
		code = "replayed"
	case errors.Is(err, client.ErrPasswordNeeded):
		code = "password_needed"
	case errors.Is(err, client.ErrWrongPassword):
		code = "wrong_password"
	case errors.As(err, &gone):
		code, extra["reason"] = "gone", gone.Reason
	case errors.Is(err, client.ErrIntegrity):
		code = "integrity"
	case errors.As(err, &ae) && ae.Code == wire.CodeRateLimited:
		code, extra["retryAfter"] = "rate_limited", int(ae.RetryAfter/time.Second)
	case errors.As(err, &ae) && ae.Status == 404:
		code = "not_found"
	case errors.As(err, &ae):
		code = string(ae.Code)
	case errors.Is(err, context.Canceled):
		code = "cancelled"
	default:
		var ue interface{ Timeout() bool }
		if errors.As(err, &ue) {
			code = "network"
		}
	}
	e := js.Global().Get("Error").New(err.Error())
	e.Set("code", code)
	for k, v := range extra {
		e.Set(k, v)
	}
	return e
}

// seenStore is the VersionStore of one open: the highest version this
// browser opened (the page keeps it, spec/web.md §7.3); it tells a replay
// apart from another integrity error.
type seenStore struct {
	seen          uint64
	asked, stored bool
	version       uint64
}

func (s *seenStore) LinkVersion(string) uint64 { s.asked = true; return s.seen }
func (s *seenStore) SetLinkVersion(_ string, v uint64) error {
	s.stored, s.version = true, v
	return nil
}

func open(_ js.Value, args []js.Value) any {
	url, password := args[0].String(), ""
	if len(args) > 1 && args[1].Type() == js.TypeString {
		password = args[1].String()
	}
	st := &seenStore{}
	if len(args) > 2 && args[2].Type() == js.TypeNumber {
		st.seen = uint64(args[2].Float())
	}
	return promise(func() (any, error) {
		s, err := client.OpenLink(context.Background(), url, password, &client.LinkOptions{Versions: st})
		if err != nil {
			if errors.Is(err, client.ErrIntegrity) && st.asked && !st.stored {
				return nil, fmt.Errorf("%w: %v", errReplayed, err)
			}
			return nil, err
		}
		mu.Lock()
		shared = s
		mu.Unlock()
		m := *s.Manifest
		m.Entries = make([]link.Entry, len(s.Manifest.Entries))
		for i, e := range s.Manifest.Entries {
			m.Entries[i] = link.Entry{Path: e.Path, Folder: e.Folder, Type: e.Type, Length: e.Length, MTime: e.MTime}
		}
		b, _ := json.Marshal(m)
		return map[string]any{"version": float64(s.Version), "manifest": string(b)}, nil
	})
}

// sinkWriter writes to a JavaScript function of one Uint8Array, awaiting
// the Promise it may return, and reports progress.
type sinkWriter struct {
	fn, progress js.Value
	done, total  int64
}

func (w *sinkWriter) Write(p []byte) (int, error) {
	u8 := js.Global().Get("Uint8Array").New(len(p))
	js.CopyBytesToJS(u8, p)
	r := w.fn.Invoke(u8)
	if r.Type() == js.TypeObject && r.Get("then").Type() == js.TypeFunction {
		if v, rejected := jspromise.Await(r); rejected {
			return 0, fmt.Errorf("linkpage: writing the download: %s", jspromise.Message(v))
		}
	}
	w.done += int64(len(p))
	if w.progress.Type() == js.TypeFunction {
		w.progress.Invoke(float64(w.done), float64(w.total))
	}
	return len(p), nil
}

func save(_ js.Value, args []js.Value) any {
	var paths []string
	json.Unmarshal([]byte(js.Global().Get("JSON").Call("stringify", args[0]).String()), &paths)
	asZip := args[1].Truthy()
	sink := &sinkWriter{fn: args[2]}
	if len(args) > 3 {
		sink.progress = args[3]
	}
	return promise(func() (any, error) {
		mu.Lock()
		s := shared
		mu.Unlock()
		if s == nil {
			return nil, errors.New("linkpage: the link is not open")
		}
		want := map[string]bool{}
		for _, p := range paths {
			want[p] = true
		}
		var entries []link.Entry
		for _, e := range s.Manifest.Entries {
			if len(paths) == 0 || want[e.Path] {
				entries = append(entries, e)
				sink.total += e.Length
			}
		}
		ctx := context.Background()
		if !asZip {
			if len(entries) != 1 || entries[0].Folder {
				return nil, errors.New("linkpage: name one file to save, or save a zip")
			}
			return nil, s.Download(ctx, entries[0], sink)
		}
		return nil, writeZip(ctx, sink, entries, s.Download)
	})
}

// blobReader reads a JavaScript Blob in slices.
type blobReader struct {
	blob     js.Value
	at, size int64
	progress js.Value
}

func (r *blobReader) Read(p []byte) (int, error) {
	if r.at >= r.size {
		return 0, io.EOF
	}
	n := min(int64(len(p)), r.size-r.at, 1<<20)
	v, rejected := jspromise.Await(r.blob.Call("slice", float64(r.at), float64(r.at+n)).Call("arrayBuffer"))
	if rejected {
		return 0, fmt.Errorf("linkpage: reading the file: %s", jspromise.Message(v))
	}
	got := js.CopyBytesToGo(p[:n], js.Global().Get("Uint8Array").New(v))
	r.at += int64(got)
	if r.progress.Type() == js.TypeFunction {
		r.progress.Invoke(float64(r.at), float64(r.size))
	}
	return got, nil
}

func drop(_ js.Value, args []js.Value) any {
	url, blob := args[0].String(), args[1]
	name, typ := args[2].String(), args[3].String()
	mtime := int64(args[4].Float() / 1000)
	var progress js.Value
	if len(args) > 5 {
		progress = args[5]
	}
	size := int64(blob.Get("size").Float())
	return promise(func() (any, error) {
		f := client.DropFile{Name: name, Type: typ, Size: size, Content: &blobReader{blob: blob, size: size, progress: progress}}
		if mtime > 0 {
			f.ModTime = time.Unix(mtime, 0)
		}
		_, err := client.Drop(context.Background(), url, []client.DropFile{f}, nil)
		return nil, err
	})
}
