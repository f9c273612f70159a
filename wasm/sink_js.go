//go:build js && wasm

package wasm

import (
	"context"
	"errors"
	"sync"
	"syscall/js"

	"github.com/hearthcloud/hearth/client/jspromise"
)

// sinkWriter writes into a JavaScript sink: an object whose write(bytes)
// takes a Uint8Array and returns nothing (a sync access handle of the
// Origin Private File System, written in the worker) or a promise (a
// FileSystemWritableFileStream), awaited before the next write. The
// bytes are copied through one buffer, reused: memory stays bounded
// whatever the file's size.
type sinkWriter struct {
	sink js.Value
	buf  js.Value // a Uint8Array of sinkChunk bytes
}

const sinkChunk = 1 << 20

// WriteJS writes the bytes of a Uint8Array as they are (client.JSWriter).
func (s *sinkWriter) WriteJS(v js.Value) error {
	r := s.sink.Call("write", v)
	if r.Type() == js.TypeObject && r.Get("then").Type() == js.TypeFunction {
		if v, rejected := jspromise.Await(r); rejected {
			return errors.New("writing the download failed: " + jspromise.Message(v))
		}
	}
	return nil
}

func (s *sinkWriter) Write(p []byte) (int, error) {
	if s.buf.IsUndefined() {
		s.buf = js.Global().Get("Uint8Array").New(sinkChunk)
	}
	n := 0
	for len(p) > 0 {
		k := min(len(p), sinkChunk)
		view := s.buf
		if k < sinkChunk {
			view = s.buf.Call("subarray", 0, k)
		}
		js.CopyBytesToJS(view, p[:k])
		r := s.sink.Call("write", view)
		if r.Type() == js.TypeObject && r.Get("then").Type() == js.TypeFunction {
			if v, rejected := jspromise.Await(r); rejected {
				return n, errors.New("writing the download failed: " + jspromise.Message(v))
			}
		}
		n += k
		p = p[k:]
	}
	return n, nil
}

// jobs are the uploads and downloads under way that the page may cancel,
// by the job number it gave.
var jobs = jobTable{m: map[int]context.CancelFunc{}}

type jobTable struct {
	mu sync.Mutex
	m  map[int]context.CancelFunc
}

// start gives a context for job (a number; anything else: a job that
// cannot be cancelled) and the function to call when it ends.
func (t *jobTable) start(job js.Value) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	if job.Type() != js.TypeNumber {
		return ctx, cancel
	}
	id := job.Int()
	t.mu.Lock()
	t.m[id] = cancel
	t.mu.Unlock()
	return ctx, func() {
		t.mu.Lock()
		delete(t.m, id)
		t.mu.Unlock()
		cancel()
	}
}

func (t *jobTable) cancel(job js.Value) {
	if job.Type() != js.TypeNumber {
		return
	}
	t.mu.Lock()
	c := t.m[job.Int()]
	t.mu.Unlock()
	if c != nil {
		c()
	}
}
