package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"

	"github.com/hearthcloud/hearth/internal/wire"
	"github.com/hearthcloud/hearth/server/meta"
)

// Group commit. PutDocs queues its call and waits; one writer goroutine
// takes everything queued, applies the calls in queue order in one
// transaction and commits it with one sync, then hands each caller its own
// results. While that sync runs the next calls queue up, so the batch size
// follows the load and an idle store commits a lone call at once. The
// results are those of running the calls one after another in queue order.
//
// Failures: a call whose context is done before its batch starts is
// dropped with the context's error. If a statement fails (a database
// error, not a revision conflict), the batch is rolled back and each of its
// calls is retried alone in its own transaction, so one bad call cannot
// fail its neighbours. If COMMIT itself fails, every call of the batch gets
// the error. In every case a call with an error return stored nothing.
// Once queued, a call waits for its outcome even if its context ends, so
// that the error return keeps that meaning.

// maxBatch bounds the document writes of one transaction (a single call
// may exceed it).
const maxBatch = 4096

// A putReq is one queued PutDocs call.
type putReq struct {
	ctx     context.Context
	user    string
	writes  []meta.DocWrite
	digests [][32]byte // SHA-256 of each write's Sealed, hashed by the caller

	res  []meta.DocResult
	err  error
	done chan struct{}
}

// PutDocs implements meta.Documents. For a user without an account each
// write fails with ErrUnknownDoctype.
func (s *Store) PutDocs(ctx context.Context, user string, writes []meta.DocWrite) ([]meta.DocResult, error) {
	const op = "sqlite.PutDocs"
	if len(writes) == 0 {
		return []meta.DocResult{}, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	r := &putReq{ctx: ctx, user: user, writes: writes, digests: make([][32]byte, len(writes)), done: make(chan struct{})}
	for i, w := range writes {
		r.digests[i] = sha256.Sum256(w.Sealed)
	}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return nil, fmt.Errorf("%s: %w", op, ErrClosed)
	}
	select {
	case s.queue <- r:
	case <-ctx.Done():
		s.mu.RUnlock()
		return nil, fmt.Errorf("%s: %w", op, ctx.Err())
	}
	s.mu.RUnlock()
	<-r.done
	if r.err != nil {
		return nil, wrap(op, r.err)
	}
	return r.res, nil
}

// writer is the goroutine that commits queued PutDocs calls. It ends when
// the queue is closed and drained.
func (s *Store) writer() {
	defer close(s.done)
	for first := range s.queue {
		batch := []*putReq{first}
		n := len(first.writes)
	gather:
		for n < maxBatch {
			select {
			case r, ok := <-s.queue:
				if !ok {
					break gather
				}
				batch = append(batch, r)
				n += len(r.writes)
			default:
				break gather
			}
		}
		s.commit(batch)
	}
}

// commit applies batch in one transaction and completes every call in it.
func (s *Store) commit(batch []*putReq) {
	live := batch[:0:0]
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.err = err
			close(r.done)
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	err := s.commitTx(live)
	var ce commitError
	if err != nil && len(live) > 1 && !errors.As(err, &ce) {
		for _, r := range live {
			s.commitTx([]*putReq{r})
		}
	}
	for _, r := range live {
		close(r.done)
	}
}

// A commitError is a failed COMMIT, as opposed to a failed statement.
type commitError struct{ err error }

func (e commitError) Error() string { return "commit: " + e.err.Error() }
func (e commitError) Unwrap() error { return e.err }

// commitTx applies reqs in one transaction and sets their results, or on
// failure gives each the error (and no results) and returns it.
func (s *Store) commitTx(reqs []*putReq) error {
	err := s.tryTx(reqs)
	for _, r := range reqs {
		if err != nil {
			r.res = nil
		}
		r.err = err
	}
	return err
}

func (s *Store) tryTx(reqs []*putReq) error {
	ctx := context.Background()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	b := &batch{st: s.stmts.in(ctx, tx), heads: map[int64]*head{}, doctypes: map[doctypeKey]bool{}, accounts: map[string]int64{}}
	for _, r := range reqs {
		if r.res, err = s.apply(ctx, b, r); err != nil {
			tx.Rollback()
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		// SQLite may keep the transaction open after a failed COMMIT (a busy
		// or I/O error); end it so the single writer connection is not
		// wedged. Without an open transaction this fails harmlessly.
		s.w.ExecContext(ctx, "ROLLBACK")
		return commitError{err}
	}
	return nil
}

// A batch is the state of one PutDocs transaction: what it has looked up
// or written so far.
type batch struct {
	st       putStmts
	accounts map[string]int64 // 0: no such account
	doctypes map[doctypeKey]bool
	heads    map[int64]*head
}

type doctypeKey struct {
	account int64
	name    string
}

// head is the last entry of an account's feed.
type head struct {
	seq   uint64
	chain [32]byte
}

func (b *batch) account(ctx context.Context, user string) (int64, error) {
	if id, ok := b.accounts[user]; ok {
		return id, nil
	}
	var id int64
	err := b.st.account.QueryRowContext(ctx, user).Scan(&id)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, err
	}
	b.accounts[user] = id
	return id, nil
}

func (b *batch) doctype(ctx context.Context, acct int64, name string) (bool, error) {
	k := doctypeKey{acct, name}
	if ok, seen := b.doctypes[k]; seen {
		return ok, nil
	}
	var one int
	err := b.st.doctype.QueryRowContext(ctx, acct, name).Scan(&one)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, err
	}
	b.doctypes[k] = err == nil
	return err == nil, nil
}

func (b *batch) head(ctx context.Context, acct int64) (*head, error) {
	if h, ok := b.heads[acct]; ok {
		return h, nil
	}
	h := &head{}
	var chain []byte
	err := b.st.head.QueryRowContext(ctx, acct).Scan(&h.seq, &chain)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return nil, err
	default:
		h.chain = to32(chain)
	}
	b.heads[acct] = h
	return h, nil
}

// apply runs one call's writes in b's transaction, in order, and returns
// their results. An error is a database error: the transaction must be
// rolled back.
func (s *Store) apply(ctx context.Context, b *batch, r *putReq) ([]meta.DocResult, error) {
	const op = "sqlite.PutDocs"
	res := make([]meta.DocResult, len(r.writes))
	acct, err := b.account(ctx, r.user)
	if err != nil {
		return nil, err
	}
	for i, w := range r.writes {
		ok := false
		if acct != 0 {
			if ok, err = b.doctype(ctx, acct, w.Doctype); err != nil {
				return nil, err
			}
		}
		if !ok {
			res[i].Err = fmt.Errorf("%s: %w", op, meta.ErrUnknownDoctype)
			continue
		}
		var cur uint64
		var curSize int64
		var curDeleted bool
		err := b.st.rev.QueryRowContext(ctx, acct, w.Doctype, w.ID).Scan(&cur, &curSize, &curDeleted)
		exists := err == nil
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		if (w.IfRev == 0 && exists) || w.IfRev != cur {
			res[i] = meta.DocResult{
				Err:        fmt.Errorf("%s: document at %d: %w", op, cur, meta.ErrConflict),
				CurrentRev: cur,
			}
			continue
		}
		// The quota (§8.1.10), against the usage the triggers keep in this
		// transaction: earlier writes of the batch are counted, and so is
		// the feed entry this write adds. Deleting a live document always
		// passes, so a full account can make room.
		dBytes := int64(len(w.Sealed)) - curSize + meta.EntryBytes
		dDocs := int64(boolInt(!w.Deleted) - boolInt(exists && !curDeleted))
		freeing := w.Deleted && exists && !curDeleted
		if (dBytes > 0 || dDocs > 0) && !freeing {
			qt, err := s.scanQuota(b.st.quota.QueryRowContext(ctx, acct))
			if err != nil {
				return nil, err
			}
			if err := qt.Check(dBytes, dDocs); err != nil {
				res[i].Err = fmt.Errorf("%s: %w", op, err)
				continue
			}
		}
		if s.failWrite != nil {
			if err := s.failWrite(w); err != nil {
				return nil, err
			}
		}
		h, err := b.head(ctx, acct)
		if err != nil {
			return nil, err
		}
		e := wire.ChainEntry{Seq: h.seq + 1, Doctype: w.Doctype, ID: w.ID, Rev: w.IfRev + 1, Digest: r.digests[i], Deleted: w.Deleted}
		chain := wire.NextChain(h.chain, e)
		if _, err := b.st.upsert.ExecContext(ctx, acct, w.Doctype, w.ID, e.Rev, e.Seq, w.Deleted, len(w.Sealed), w.Sealed); err != nil {
			return nil, err
		}
		if _, err := b.st.feed.ExecContext(ctx, acct, e.Seq, w.Doctype, w.ID, e.Rev, w.Deleted, e.Digest[:], chain[:]); err != nil {
			return nil, err
		}
		h.seq, h.chain = e.Seq, chain
		res[i] = meta.DocResult{Rev: e.Rev, Seq: e.Seq}
	}
	return res, nil
}

// putStmts are PutDocs's statements, prepared once on the writer
// connection.
type putStmts struct {
	account, doctype, head, rev, upsert, feed, quota *sql.Stmt
}

func (p *putStmts) prepare(db *sql.DB) error {
	for _, st := range []struct {
		s **sql.Stmt
		q string
	}{
		{&p.account, `SELECT id FROM accounts WHERE user = ?`},
		{&p.doctype, `SELECT 1 FROM doctypes WHERE account = ? AND name = ?`},
		{&p.head, `SELECT seq, chain FROM feed WHERE account = ? ORDER BY seq DESC LIMIT 1`},
		{&p.rev, `SELECT rev, size, deleted FROM docs WHERE account = ? AND doctype = ? AND id = ?`},
		{&p.upsert, `INSERT INTO docs (account, doctype, id, rev, seq, deleted, size, sealed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (account, doctype, id) DO UPDATE SET
			rev = excluded.rev, seq = excluded.seq, deleted = excluded.deleted, size = excluded.size, sealed = excluded.sealed`},
		{&p.feed, `INSERT INTO feed (account, seq, doctype, id, rev, deleted, digest, chain) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`},
		{&p.quota, quotaQuery},
	} {
		var err error
		if *st.s, err = db.Prepare(st.q); err != nil {
			return err
		}
	}
	return nil
}

// in returns the statements bound to tx.
func (p *putStmts) in(ctx context.Context, tx *sql.Tx) putStmts {
	return putStmts{
		account: tx.StmtContext(ctx, p.account),
		doctype: tx.StmtContext(ctx, p.doctype),
		head:    tx.StmtContext(ctx, p.head),
		rev:     tx.StmtContext(ctx, p.rev),
		upsert:  tx.StmtContext(ctx, p.upsert),
		feed:    tx.StmtContext(ctx, p.feed),
		quota:   tx.StmtContext(ctx, p.quota),
	}
}

func (p *putStmts) close() {
	for _, st := range []*sql.Stmt{p.account, p.doctype, p.head, p.rev, p.upsert, p.feed, p.quota} {
		if st != nil {
			st.Close()
		}
	}
}
