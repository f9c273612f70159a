package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/hearthcloud/hearth/internal/wire"
	"github.com/hearthcloud/hearth/server/meta"
)

// notifier wakes long-polling feed requests when an account's feed grows.
type notifier struct {
	mu      sync.Mutex
	waiters map[string]map[chan struct{}]bool
}

func newNotifier() *notifier { return &notifier{waiters: map[string]map[chan struct{}]bool{}} }

func (n *notifier) wait(user string) (ch chan struct{}, cancel func()) {
	ch = make(chan struct{})
	n.mu.Lock()
	if n.waiters[user] == nil {
		n.waiters[user] = map[chan struct{}]bool{}
	}
	n.waiters[user][ch] = true
	n.mu.Unlock()
	return ch, func() {
		n.mu.Lock()
		delete(n.waiters[user], ch)
		n.mu.Unlock()
	}
}

func (n *notifier) notify(user string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for ch := range n.waiters[user] {
		close(ch)
	}
	delete(n.waiters, user)
}

func (s *Server) changes(w http.ResponseWriter, r *http.Request) error {
	if err := onlyParams(r, "since", "limit", "include_docs", "wait", "doctype"); err != nil {
		return err
	}
	since, err := intParam(r, "since", 0, 0, 1<<62)
	if err != nil {
		return err
	}
	limit, err := intParam(r, "limit", 500, 1, 1000)
	if err != nil {
		return err
	}
	withDocs, err := boolParam(r, "include_docs")
	if err != nil {
		return err
	}
	waitSec, err := intParam(r, "wait", 0, 0, 60)
	if err != nil {
		return err
	}
	t := tokenOf(r)
	doctypes := r.URL.Query()["doctype"]
	for _, d := range doctypes {
		if err := wire.CheckDoctype(d); err != nil {
			return err
		}
		if err := permit(r, d); err != nil {
			return err
		}
	}
	if len(doctypes) == 0 && t.Kind != meta.KindSession {
		for _, sc := range t.Scopes {
			if slices.Contains(sc.Verbs, string(accessOf(r))) { // the route's verb
				doctypes = append(doctypes, sc.Doctype)
			}
		}
		if len(doctypes) == 0 {
			return Errorf(wire.CodeForbidden, "this token may read no doctype")
		}
	}
	deadline := time.Now().Add(time.Duration(waitSec) * time.Second)
	for {
		// Register before reading, so a commit in between still wakes us.
		ch, cancel := s.feedWait.wait(t.User)
		done, err := s.answerChanges(w, r, since, int(limit), doctypes, withDocs, time.Now().Before(deadline))
		if done || err != nil {
			cancel()
			return err
		}
		select {
		case <-ch:
		case <-time.After(time.Until(deadline)):
		case <-s.closing:
			deadline = time.Now() // answer what there is, now
		case <-r.Context().Done():
			cancel()
			return r.Context().Err()
		}
		cancel()
		// The token may have been revoked (or have expired) while we waited,
		// or the session it is bound to may have ended.
		cur, err := s.cfg.Meta.TokenByHash(r.Context(), t.Hash)
		if errors.Is(err, meta.ErrNotFound) {
			return Errorf(wire.CodeUnauthenticated, "the token was revoked or expired")
		}
		if err != nil {
			return err
		}
		if _, err := s.checkToken(r.Context(), cur, s.cfg.Now()); err != nil {
			return err
		}
	}
}

// answerChanges writes a feed page, unless it is empty and mayWait, in which
// case it reports not done.
//
// The page holds at most limit entries and at most maxPage bytes, the whole
// body counted (§8.6.1): entries are encoded as the store reads them, and
// the first that does not fit ends the page before it, with more set. The
// first entry always goes in; a sealed document is at most 1 MiB, so it
// always fits.
func (s *Server) answerChanges(w http.ResponseWriter, r *http.Request, since uint64, limit int, doctypes []string, withDocs, mayWait bool) (bool, error) {
	user := tokenOf(r).User
	head, _, err := s.cfg.Meta.Head(r.Context(), user)
	if err != nil {
		return true, err
	}
	if since > head {
		return true, Errorf(wire.CodeBadRequest, "since is past the end of the feed (%d)", head)
	}
	sinceChain, err := s.cfg.Meta.ChainAt(r.Context(), user, since)
	if err != nil {
		return true, err
	}
	opening, err := json.Marshal(sinceChain[:])
	if err != nil {
		return true, err
	}
	p := newPage(`{"since":`+strconv.FormatUint(since, 10)+`,"since_chain":`+string(opening)+`,"changes":[`, len(changesTailMax))
	more, lastSeen := false, uint64(0)
	var encErr error
	err = s.cfg.Meta.Changes(r.Context(), user, since, limit+1, doctypes, withDocs, func(c meta.Change) bool {
		if len(p.items) == limit {
			more = true
			return false
		}
		b, err := json.Marshal(wire.FeedEntry{Seq: c.Seq, Doctype: c.Doctype, ID: c.ID, Rev: c.Rev, Deleted: c.Deleted,
			Digest: c.Digest[:], Chain: c.Chain[:], Sealed: c.Sealed})
		if err != nil {
			encErr = err
			return false
		}
		if len(p.items) > 0 && !p.fits(len(b), 0) {
			more = true
			return false
		}
		p.add(b)
		lastSeen = c.Seq
		return true
	})
	if err == nil {
		err = encErr
	}
	if err != nil {
		return true, err
	}
	// Changes reads one snapshot: a body it left out was superseded by an
	// entry in that snapshot, so the page reaches at least to the
	// snapshot's end (which may be past head, read just before), and a
	// client finds every superseding entry by the end of the feed (§8.6.1).
	last := head
	if len(p.items) > 0 && (more || lastSeen > head) {
		last = lastSeen
	}
	if len(p.items) == 0 && mayWait {
		return false, nil
	}
	p.write(w, http.StatusOK, `],"last_seq":`+strconv.FormatUint(last, 10)+`,"more":`+strconv.FormatBool(more)+`}`)
	return true, nil
}

// changesTailMax is the longest a feed page's tail can be.
const changesTailMax = `],"last_seq":18446744073709551615,"more":false}` + "\n"
