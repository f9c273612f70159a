package api

import (
	"bytes"
	"io"
	"net/http"
	"sync"

	"github.com/hearthcloud/hearth/internal/wire"
)

// Requests whose bodies are read whole into memory (bulk writes, app
// archives) are read a few at a time, in slots shared by every account. So
// that one account cannot hold them all (say, with bodies sent a byte at a
// time), a request takes a slot only once its body has begun to arrive, and
// each account holds at most perAccount of them: with perAccount below the
// total, another account always finds one.
type slots struct {
	total, perAccount int

	mu      sync.Mutex
	used    int
	byUser  map[string]int
	changed chan struct{} // closed, and replaced, when a slot is given back
}

func newSlots(total, perAccount int) *slots {
	return &slots{total: total, perAccount: perAccount, byUser: map[string]int{}, changed: make(chan struct{})}
}

// take waits for the body of r to begin (within the body's deadline), then
// for a slot that user may take. It returns the function that gives the
// slot back. A body that does not begin is truncated, and takes no slot.
func (sl *slots) take(r *http.Request, user string) (release func(), err error) {
	if err := bodyBegun(r); err != nil {
		return nil, err
	}
	for {
		sl.mu.Lock()
		if sl.used < sl.total && sl.byUser[user] < sl.perAccount {
			sl.used++
			sl.byUser[user]++
			sl.mu.Unlock()
			return func() { sl.give(user) }, nil
		}
		ch := sl.changed
		sl.mu.Unlock()
		select {
		case <-ch:
		case <-r.Context().Done():
			return nil, r.Context().Err()
		}
	}
}

func (sl *slots) give(user string) {
	sl.mu.Lock()
	defer sl.mu.Unlock()
	sl.used--
	if sl.byUser[user]--; sl.byUser[user] <= 0 {
		delete(sl.byUser, user)
	}
	close(sl.changed)
	sl.changed = make(chan struct{})
}

// inUse returns the slots taken (for tests).
func (sl *slots) inUse() int {
	sl.mu.Lock()
	defer sl.mu.Unlock()
	return sl.used
}

// bodyBegun waits until the first byte of r's body has arrived and puts it
// back in front of the rest. A request without a body returns at once.
func bodyBegun(r *http.Request) error {
	if r.ContentLength <= 0 {
		return nil
	}
	var b [1]byte
	if _, err := io.ReadFull(r.Body, b[:]); err != nil {
		return &Error{Code: wire.CodeTruncated, Message: "the body ended before Content-Length bytes", Err: err}
	}
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(b[:]), r.Body), r.Body}
	return nil
}
