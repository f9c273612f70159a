package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/hearthcloud/hearth/server/auth"
	"github.com/hearthcloud/hearth/server/meta"
	"github.com/hearthcloud/hearth/server/meta/sqlite"
)

// Admin works on a data folder's metadata for the operator's commands
// (hearthd quota, hearthd invite). It is safe while a server runs on the
// same folder: both open the SQLite database in WAL mode, writes wait for
// each other's lock, and the server reads limits and invitations in the
// transaction of the write that needs them, so it sees a change at once.
type Admin struct {
	m *sqlite.Store
}

// OpenAdmin opens the metadata of the data folder dir, which a server must
// have made (it is never created here).
func OpenAdmin(dir string) (*Admin, error) {
	path := filepath.Join(dir, "meta.db")
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s holds no Hearth data (no meta.db): give the server's --data folder", dir)
	} else if err != nil {
		return nil, err
	}
	m, err := sqlite.Open(path)
	if err != nil {
		return nil, err
	}
	return &Admin{m}, nil
}

// Close closes the metadata.
func (a *Admin) Close() error { return a.m.Close() }

// Quota returns user's usage and own limits (Limit is computed with no
// default: the server's --quota is not stored).
func (a *Admin) Quota(ctx context.Context, user string) (*meta.Quota, error) {
	q, err := a.m.Quota(ctx, user)
	if errors.Is(err, meta.ErrNotFound) {
		return nil, fmt.Errorf("no account %q", user)
	}
	return q, err
}

// SetQuota sets user's own limits (meta.DefaultLimit per field: follow the
// server's --quota and --quota-docs; 0: no limit).
func (a *Admin) SetQuota(ctx context.Context, user string, own meta.Limits) error {
	err := a.m.SetLimits(ctx, user, own)
	if errors.Is(err, meta.ErrNotFound) {
		return fmt.Errorf("no account %q", user)
	}
	return err
}

// Invite makes a one-time sign-up invitation valid for ttl and returns its
// code, to hand to one person; only its hash is stored.
func (a *Admin) Invite(ctx context.Context, now time.Time, ttl time.Duration) (code string, expires time.Time, err error) {
	code, hash := auth.NewInvite()
	expires = now.Add(ttl)
	if err := a.m.PutInvite(ctx, &meta.Invite{Hash: hash, Created: now, Expires: expires}); err != nil {
		return "", time.Time{}, err
	}
	return code, expires, nil
}
