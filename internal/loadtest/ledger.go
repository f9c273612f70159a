package loadtest

import (
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"sync"
)

// A ledger is what an account's devices were told the server stored: for
// each document its last acknowledged revision and content, and the
// contents sent since then whose answer never came (a write cut by a crash
// may or may not have committed); for each file the SHA-256 of what was
// uploaded. The final check holds the server to it.
type ledger struct {
	mu    sync.Mutex
	docs  map[string]*docEntry // id -> entry (doctype notesDoctype)
	files map[string]fileEntry // file id -> what was uploaded
	order []string             // file ids, in the order acknowledged
}

type docEntry struct {
	rev     uint64            // last acknowledged revision (0: none yet)
	sum     [32]byte          // SHA-256 of its content
	pending map[[32]byte]bool // contents sent since, not acknowledged
}

type fileEntry struct {
	size int64
	sum  [32]byte
}

func newLedger() *ledger {
	return &ledger{docs: map[string]*docEntry{}, files: map[string]fileEntry{}}
}

// sending records that content is about to be written to doc id.
func (l *ledger) sending(id string, content []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.docs[id]
	if e == nil {
		e = &docEntry{}
		l.docs[id] = e
	}
	if e.pending == nil {
		e.pending = map[[32]byte]bool{}
	}
	e.pending[sha256.Sum256(content)] = true
}

// acked records that content was acknowledged as revision rev of doc id.
func (l *ledger) acked(id string, rev uint64, content []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.docs[id]
	if rev <= e.rev {
		return // another device's later acknowledgement came first
	}
	e.rev, e.sum = rev, sha256.Sum256(content)
	e.pending = nil
}

// ackedRev returns the last acknowledged revision of doc id (0: none).
func (l *ledger) ackedRev(id string) uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e := l.docs[id]; e != nil {
		return e.rev
	}
	return 0
}

// randomDoc returns an acknowledged document's id, or "".
func (l *ledger) randomDoc(r *rand.Rand) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	pick := ""
	for id, e := range l.docs { // reservoir: the map is small per account
		if e.rev == 0 {
			continue
		}
		n++
		if r.IntN(n) == 0 {
			pick = id
		}
	}
	return pick
}

// check holds what the server shows of doc id (rev and content) against
// the ledger: at least the last acknowledged revision, and at that
// revision the acknowledged content, past it one that was sent.
func (l *ledger) check(id string, rev uint64, content []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.docs[id]
	if e == nil {
		return nil
	}
	sum := sha256.Sum256(content)
	switch {
	case rev < e.rev:
		return fmt.Errorf("document at revision %d, but revision %d was acknowledged (lost write)", rev, e.rev)
	case rev == e.rev && sum != e.sum:
		return fmt.Errorf("document at the acknowledged revision %d holds other content", rev)
	case rev > e.rev && !e.pending[sum]:
		return fmt.Errorf("document at revision %d (acknowledged %d) holds content never sent", rev, e.rev)
	}
	return nil
}

// addFile records an acknowledged upload.
func (l *ledger) addFile(id string, size int64, sum [32]byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.files[id] = fileEntry{size, sum}
	l.order = append(l.order, id)
}

// randomFile returns an acknowledged file, or "".
func (l *ledger) randomFile(r *rand.Rand) (string, fileEntry) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.order) == 0 {
		return "", fileEntry{}
	}
	id := l.order[r.IntN(len(l.order))]
	return id, l.files[id]
}
