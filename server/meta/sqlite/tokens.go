package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hearthcloud/hearth/server/meta"
)

// CreateToken implements meta.Tokens. A user without an account, or a
// Session that names none of the user's tokens, is ErrNotFound.
func (s *Store) CreateToken(ctx context.Context, t *meta.Token) error {
	const op = "sqlite.CreateToken"
	scopes, err := json.Marshal(t.Scopes)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		acct, err := accountID(ctx, tx, op, t.User)
		if err != nil {
			return err
		}
		if t.Session != "" {
			var n int
			err := tx.QueryRowContext(ctx, `SELECT count(*) FROM tokens WHERE id = ? AND account = ?`, t.Session, acct).Scan(&n)
			if err != nil {
				return err
			}
			if n == 0 {
				return fmt.Errorf("%s: session: %w", op, meta.ErrNotFound)
			}
		}
		// At most MaxTokens of a kind: the least recently used session
		// ends (a trigger ends the tokens bound to it), or the token is
		// refused.
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM tokens WHERE account = ? AND kind = ?`, acct, t.Kind).Scan(&n); err != nil {
			return err
		}
		if n >= meta.MaxTokens {
			if t.Kind != meta.KindSession {
				return fmt.Errorf("%s: %w", op, meta.ErrTooMany)
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM tokens WHERE id = (SELECT id FROM tokens
				WHERE account = ? AND kind = ? ORDER BY last_seen, created, n LIMIT 1)`, acct, meta.KindSession); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO tokens (id, account, kind, name, hash, scopes, created, last_seen, expires, session)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			t.ID, acct, t.Kind, t.Name, t.Hash[:], string(scopes), fromTime(t.Created), fromTime(t.LastSeen), fromTime(t.Expires), t.Session)
		if isUnique(err) {
			return fmt.Errorf("%s: id or hash: %w", op, meta.ErrExists)
		}
		return err
	})
	if err != nil {
		return wrap(op, err)
	}
	return nil
}

const tokenCols = `t.id, a.user, t.kind, t.name, t.hash, t.scopes, t.created, t.last_seen, t.expires, t.session`

// scanToken reads a row of tokenCols.
func scanToken(sc interface{ Scan(...any) error }) (*meta.Token, error) {
	var t meta.Token
	var hash []byte
	var scopes string
	var created, seen, expires sql.NullInt64
	if err := sc.Scan(&t.ID, &t.User, &t.Kind, &t.Name, &hash, &scopes, &created, &seen, &expires, &t.Session); err != nil {
		return nil, err
	}
	t.Hash = to32(hash)
	if err := json.Unmarshal([]byte(scopes), &t.Scopes); err != nil {
		return nil, fmt.Errorf("token scopes: %w", err)
	}
	t.Created, t.LastSeen, t.Expires = toTime(created), toTime(seen), toTime(expires)
	return &t, nil
}

// TokenByHash implements meta.Tokens.
func (s *Store) TokenByHash(ctx context.Context, hash [32]byte) (*meta.Token, error) {
	return s.tokenWhere(ctx, "sqlite.TokenByHash", "t.hash = ?", hash[:])
}

// TokenByID implements meta.Tokens.
func (s *Store) TokenByID(ctx context.Context, id string) (*meta.Token, error) {
	return s.tokenWhere(ctx, "sqlite.TokenByID", "t.id = ?", id)
}

// tokenWhere reads the one token matching cond (with its argument).
func (s *Store) tokenWhere(ctx context.Context, op, cond string, arg any) (*meta.Token, error) {
	t, err := scanToken(s.r.QueryRowContext(ctx, `SELECT `+tokenCols+`
		FROM tokens t JOIN accounts a ON a.id = t.account WHERE `+cond, arg))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("%s: %w", op, meta.ErrNotFound)
	case err != nil:
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return t, nil
}

// Tokens implements meta.Tokens: oldest first, ties in creation order.
func (s *Store) Tokens(ctx context.Context, user, kind string) ([]*meta.Token, error) {
	const op = "sqlite.Tokens"
	rows, err := s.r.QueryContext(ctx, `SELECT `+tokenCols+`
		FROM tokens t JOIN accounts a ON a.id = t.account
		WHERE a.user = ? AND t.kind = ? ORDER BY t.created, t.n`, user, kind)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	defer rows.Close()
	var out []*meta.Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return out, nil
}

// DeleteToken implements meta.Tokens. The grant is in the token's row and
// goes with it; the trigger tokens_end_with_session deletes the tokens bound
// to it in the same statement.
func (s *Store) DeleteToken(ctx context.Context, user, id string) error {
	const op = "sqlite.DeleteToken"
	res, err := s.w.ExecContext(ctx, `DELETE FROM tokens
		WHERE id = ? AND account = (SELECT id FROM accounts WHERE user = ?)`, id, user)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return affected(op, res)
}

// DeleteTokens implements meta.Tokens; the trigger deletes the bound
// tokens.
func (s *Store) DeleteTokens(ctx context.Context, user, kind, keepID string) error {
	const op = "sqlite.DeleteTokens"
	_, err := s.w.ExecContext(ctx, `DELETE FROM tokens
		WHERE account = (SELECT id FROM accounts WHERE user = ?) AND kind = ? AND id != ?`, user, kind, keepID)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// TouchToken implements meta.Tokens. An unknown id is ErrNotFound.
func (s *Store) TouchToken(ctx context.Context, id string, t, expires time.Time) error {
	const op = "sqlite.TouchToken"
	res, err := s.w.ExecContext(ctx, `UPDATE tokens SET last_seen = ?, expires = COALESCE(?, expires) WHERE id = ?`, fromTime(t), fromTime(expires), id)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return affected(op, res)
}

// PutGrant implements meta.Grants.
func (s *Store) PutGrant(ctx context.Context, user, tokenID string, ifRev uint64, sealed []byte) (uint64, error) {
	const op = "sqlite.PutGrant"
	var rev uint64
	err := s.write(ctx, func(tx *sql.Tx) error {
		var cur uint64
		var acct, size int64
		err := tx.QueryRowContext(ctx, `SELECT t.grant_rev, t.account, COALESCE(length(t.grant_sealed), 0) FROM tokens t
			JOIN accounts a ON a.id = t.account WHERE t.id = ? AND a.user = ?`, tokenID, user).Scan(&cur, &acct, &size)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("%s: token: %w", op, meta.ErrNotFound)
		case err != nil:
			return err
		case ifRev == 0 && cur != 0:
			return fmt.Errorf("%s: %w", op, meta.ErrExists)
		case ifRev != cur:
			return fmt.Errorf("%s: grant at %d: %w", op, cur, meta.ErrConflict)
		}
		// Grants count in the quota (schema migration 6 keeps the usage).
		if err := s.checkQuota(ctx, tx, op, acct, int64(len(sealed))-size, 0); err != nil {
			return err
		}
		rev = cur + 1
		_, err = tx.ExecContext(ctx, `UPDATE tokens SET grant_rev = ?, grant_sealed = ? WHERE id = ?`, rev, sealed, tokenID)
		return err
	})
	if err != nil {
		return 0, wrap(op, err)
	}
	return rev, nil
}

// Grant implements meta.Grants.
func (s *Store) Grant(ctx context.Context, user, tokenID string) (uint64, []byte, error) {
	const op = "sqlite.Grant"
	var rev uint64
	var g []byte
	err := s.r.QueryRowContext(ctx, `SELECT t.grant_rev, t.grant_sealed FROM tokens t JOIN accounts a ON a.id = t.account
		WHERE t.id = ? AND a.user = ? AND t.grant_rev > 0`, tokenID, user).Scan(&rev, &g)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, nil, fmt.Errorf("%s: %w", op, meta.ErrNotFound)
	case err != nil:
		return 0, nil, fmt.Errorf("%s: %w", op, err)
	}
	return rev, g, nil
}

// DeleteGrant implements meta.Grants. A later PutGrant with ifRev 0
// creates the grant again at revision 1.
func (s *Store) DeleteGrant(ctx context.Context, user, tokenID string) error {
	const op = "sqlite.DeleteGrant"
	res, err := s.w.ExecContext(ctx, `UPDATE tokens SET grant_rev = 0, grant_sealed = NULL
		WHERE id = ? AND grant_rev > 0 AND account = (SELECT id FROM accounts WHERE user = ?)`, tokenID, user)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return affected(op, res)
}
