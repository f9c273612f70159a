//go:build js

package jspromise

import (
	"runtime"
	"sync"
)

// A js.Value keeps the JavaScript object it names alive until Go's garbage
// collector finalizes the Value, and Go collects when its own heap grows,
// not JavaScript's. A transfer that reads large buffers from JavaScript
// into buffers Go reuses (a file read for an upload, a download's chunks)
// allocates little in Go, so its Values, and with them every slice and
// chunk read, would stay until the transfer ends: a tab's memory grew by
// more than the file (BENCHMARKS.md, Issue 16 in the browser).

// heldEvery is how many bytes of JavaScript buffers may be named by Values
// before Held collects.
const heldEvery = 16 << 20

var held struct {
	sync.Mutex
	n int
}

// Held counts n bytes of a JavaScript buffer that a Value names (and that
// the caller no longer needs); every heldEvery bytes it runs Go's garbage
// collector, whose finalizers let JavaScript free those buffers.
func Held(n int) {
	held.Lock()
	held.n += n
	gc := held.n >= heldEvery
	if gc {
		held.n = 0
	}
	held.Unlock()
	if gc {
		runtime.GC()
	}
}
