// Package sqlite is the embedded default meta.Store: one SQLite database
// file (github.com/mattn/go-sqlite3) in WAL mode with synchronous=FULL, so a
// method that returns has its change on disk.
//
// It keeps the promises of package meta and passes the conformance suite in
// metatest. Writes go through one connection, so they are serialised, and
// reads use a pool of read-only connections that see committed data only.
// PutDocs is a group commit twice over: the writes of one call share one
// transaction, and concurrent calls are gathered by a single writer
// goroutine into one transaction and one sync (see putdocs.go).
//
// The schema is versioned with PRAGMA user_version and brought up to date
// by Open (schema.go); a database written by a newer program is refused
// with ErrSchemaTooNew.
//
// Sealed documents, keyrings, grants, index manifests and blob digests are
// opaque bytes to this package, and it logs nothing.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"

	"github.com/hearthcloud/hearth/server/meta"
)

var _ meta.Store = (*Store)(nil)

// ErrClosed is returned by PutDocs after Close.
var ErrClosed = errors.New("sqlite: store closed")

// busyTimeout is how long a connection waits for a lock held by another
// (a second process, or the checkpointer) before SQLITE_BUSY.
const busyTimeout = 10 * time.Second

// A Store is a meta.Store in one SQLite file. Its methods are safe for
// concurrent use.
type Store struct {
	w *sql.DB // the one writer connection
	r *sql.DB // read-only connections

	stmts putStmts // prepared on w, for the writer goroutine

	mu     sync.RWMutex // guards closed and sending on queue
	closed bool
	queue  chan *putReq
	done   chan struct{} // closed when the writer goroutine has ended

	defaults atomic.Pointer[meta.Limits] // SetDefaultLimits; nil: no limits

	// failWrite, when set by a test, makes the write it returns an error
	// for fail as a database error would.
	failWrite func(meta.DocWrite) error
}

// Open opens the database at path, creating it if needed, and migrates its
// schema to the current version. The caller must Close the store.
func Open(path string) (*Store, error) {
	const op = "sqlite.Open"
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("%s: %q: want the path of a database file", op, path)
	}
	w, err := sql.Open("sqlite3", dsn(path, true))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := migrate(w, migrations); err != nil {
		w.Close()
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	r, err := sql.Open("sqlite3", dsn(path, false))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	s := &Store{w: w, r: r, queue: make(chan *putReq, 1024), done: make(chan struct{})}
	if err := s.stmts.prepare(w); err != nil {
		s.stmts.close()
		r.Close()
		w.Close()
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	go s.writer()
	return s, nil
}

// dsn returns the go-sqlite3 data source name of the database at path: a
// file: URI (the path escaped) with the driver's connection parameters.
// The writer takes the write lock at BEGIN (BEGIN IMMEDIATE), so a
// transaction never fails half way for want of it.
func dsn(path string, writer bool) string {
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	p := fmt.Sprintf("_busy_timeout=%d&_foreign_keys=on", busyTimeout.Milliseconds())
	if writer {
		p += "&_journal_mode=WAL&_synchronous=FULL&_txlock=immediate"
	} else {
		p += "&_query_only=on&_txlock=deferred"
	}
	return "file:" + esc + "?" + p
}

// Close waits for queued PutDocs calls to finish, then closes the
// database. The store is unusable afterwards.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.queue)
	s.mu.Unlock()
	<-s.done
	s.stmts.close()
	return errors.Join(s.r.Close(), s.w.Close())
}

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// write runs f in a transaction on the writer connection and commits it
// unless f fails.
func (s *Store) write(ctx context.Context, f func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// accountID returns the row id of user's account, or ErrNotFound.
func accountID(ctx context.Context, q querier, op, user string) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, `SELECT id FROM accounts WHERE user = ?`, user).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("%s: account: %w", op, meta.ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("%s: %w", op, err)
	}
	return id, nil
}

// isUnique reports whether err is a violated UNIQUE or PRIMARY KEY
// constraint.
func isUnique(err error) bool {
	var e sqlite3.Error
	return errors.As(err, &e) &&
		(e.ExtendedCode == sqlite3.ErrConstraintUnique || e.ExtendedCode == sqlite3.ErrConstraintPrimaryKey)
}

// Times are stored as Unix nanoseconds (so 1678 to 2262), the zero time as
// NULL.

func fromTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}

func toTime(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.Unix(0, n.Int64).UTC()
}

// to32 copies b, which the schema keeps at 32 bytes, into an array.
func to32(b []byte) [32]byte {
	var a [32]byte
	copy(a[:], b)
	return a
}

// limitArg turns the interface's "0 or less: no limit" into SQLite's.
func limitArg(limit int) int {
	if limit <= 0 {
		return -1
	}
	return limit
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// wrap names op in err unless err is one of package meta's, which the
// methods already wrap where they arise.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	for _, e := range []error{meta.ErrNotFound, meta.ErrExists, meta.ErrConflict, meta.ErrUnknownDoctype, meta.ErrReplay, meta.ErrQuota, meta.ErrInvite} {
		if errors.Is(err, e) {
			return err
		}
	}
	if isFull(err) {
		return fmt.Errorf("%s: %w: %w", op, meta.ErrNoSpace, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// isFull reports a write refused for want of space: SQLite's SQLITE_FULL
// (which it answers when the file system does), or the file system's own
// error where one comes through.
func isFull(err error) bool {
	var e sqlite3.Error
	return errors.As(err, &e) && e.Code == sqlite3.ErrFull || errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// affected returns ErrNotFound if res changed no row.
func affected(op string, res sql.Result) error {
	n, err := res.RowsAffected()
	switch {
	case err != nil:
		return fmt.Errorf("%s: %w", op, err)
	case n == 0:
		return fmt.Errorf("%s: %w", op, meta.ErrNotFound)
	}
	return nil
}
