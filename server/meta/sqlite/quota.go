package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/hearthcloud/hearth/server/meta"
)

// Quotas (§8.1.10). Usage lives in the quotas table, kept by triggers
// (schema.go, migration 5); the writes that grow it call checkQuota in
// their own transaction, on the one writer connection, so the check and
// the write are one step.

// SetDefaultLimits implements meta.Quotas.
func (s *Store) SetDefaultLimits(l meta.Limits) { s.defaults.Store(&l) }

func (s *Store) defaultLimits() meta.Limits {
	if p := s.defaults.Load(); p != nil {
		return *p
	}
	return meta.Limits{}
}

// SetLimits implements meta.Quotas.
func (s *Store) SetLimits(ctx context.Context, user string, own meta.Limits) error {
	const op = "sqlite.SetLimits"
	if own.Bytes < meta.DefaultLimit || own.Docs < meta.DefaultLimit {
		return fmt.Errorf("%s: a limit below %d", op, meta.DefaultLimit)
	}
	nullable := func(n int64) any {
		if n == meta.DefaultLimit {
			return nil
		}
		return n
	}
	return wrap(op, s.write(ctx, func(tx *sql.Tx) error {
		acct, err := accountID(ctx, tx, op, user)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE quotas SET limit_bytes = ?, limit_docs = ? WHERE account = ?`,
			nullable(own.Bytes), nullable(own.Docs), acct)
		return err
	}))
}

// Quota implements meta.Quotas.
func (s *Store) Quota(ctx context.Context, user string) (*meta.Quota, error) {
	const op = "sqlite.Quota"
	acct, err := accountID(ctx, s.r, op, user)
	if err != nil {
		return nil, err
	}
	q, err := s.quotaOf(ctx, s.r, acct)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return q, nil
}

// quotaQuery reads an account's usage and own limits.
const quotaQuery = `SELECT bytes, docs, limit_bytes, limit_docs FROM quotas WHERE account = ?`

// quotaOf returns account acct's quota as q sees it.
func (s *Store) quotaOf(ctx context.Context, q querier, acct int64) (*meta.Quota, error) {
	return s.scanQuota(q.QueryRowContext(ctx, quotaQuery, acct))
}

func (s *Store) scanQuota(row *sql.Row) (*meta.Quota, error) {
	var qt meta.Quota
	var lb, ld sql.NullInt64
	err := row.Scan(&qt.Used.Bytes, &qt.Used.Docs, &lb, &ld)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	qt.Own = meta.Limits{Bytes: meta.DefaultLimit, Docs: meta.DefaultLimit}
	if lb.Valid {
		qt.Own.Bytes = lb.Int64
	}
	if ld.Valid {
		qt.Own.Docs = ld.Int64
	}
	qt.Limit = qt.Own.Apply(s.defaultLimits())
	return &qt, nil
}

// checkQuota returns ErrQuota (ErrQuotaDocs) if changing account acct's usage by dBytes
// and dDocs would leave it over a limit the change grows. q is the
// transaction the write is made in.
func (s *Store) checkQuota(ctx context.Context, q querier, op string, acct, dBytes, dDocs int64) error {
	if dBytes <= 0 && dDocs <= 0 {
		return nil
	}
	qt, err := s.quotaOf(ctx, q, acct)
	if err != nil {
		return err
	}
	if err := qt.Check(dBytes, dDocs); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}
