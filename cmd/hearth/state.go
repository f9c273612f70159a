package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/hearthcloud/hearth/client"
)

// The state folder ($HEARTH_HOME) holds, with mode 0600 files in mode 0700
// folders:
//
//	accounts/<key>.json   one per server and user: the client's State, which
//	                      is the session (token and master key) while logged
//	                      in, and always what the device has verified (the
//	                      highest keyring revision, the feed position,
//	                      revisions seen), kept across logouts so that a host
//	                      rolling data back is caught after a new login too
//	current               the key of the account commands use
//	lock                  held while a command reads and writes the state
//	index/<key>/<doctype>/<segment id>
//	                      sealed search-index segments downloaded, kept so
//	                      that a search does not download them again
//	                      (segcache.go)

// home returns the state folder: $HEARTH_HOME, else <config dir>/hearth.
func home() (string, error) {
	if h := os.Getenv("HEARTH_HOME"); h != "" {
		return h, nil
	}
	d, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no state folder: set HEARTH_HOME (%v)", err)
	}
	return filepath.Join(d, "hearth"), nil
}

// accountKey names an account's state file.
func accountKey(server, user string) string {
	h := sha256.Sum256([]byte(strings.TrimRight(server, "/") + "\n" + user))
	return user + "-" + hex.EncodeToString(h[:8])
}

func accountPath(h, key string) string { return filepath.Join(h, "accounts", key+".json") }

var errNotLoggedIn = errors.New("not logged in: run hearth login --server URL --user NAME")

// readAccount reads one account's state, or returns nil if there is none.
func readAccount(h, key string) (*client.State, error) {
	b, err := os.ReadFile(accountPath(h, key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var st client.State
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("the state file %s is damaged (%v); move it away and log in again", accountPath(h, key), err)
	}
	return &st, nil
}

// loadState reads the current account's state; errNotLoggedIn when there
// is no session.
func loadState() (*client.State, error) {
	h, err := home()
	if err != nil {
		return nil, err
	}
	key, err := os.ReadFile(filepath.Join(h, "current"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errNotLoggedIn
	}
	if err != nil {
		return nil, err
	}
	st, err := readAccount(h, strings.TrimSpace(string(key)))
	if err != nil {
		return nil, err
	}
	if st == nil || st.Token == "" {
		return nil, errNotLoggedIn
	}
	return st, nil
}

// previous returns what this device remembers of server and user, or nil.
func previous(server, user string) (*client.State, error) {
	h, err := home()
	if err != nil {
		return nil, err
	}
	return readAccount(h, accountKey(server, user))
}

// writeFile writes b to path atomically with mode 0600: temporary file,
// fsync, rename, fsync of the folder.
func writeFile(path string, b []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".tmp-*") // mode 0600
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := syncClose(f); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// saveState writes st as its account's state and, if current, makes that
// account the one commands use.
func saveState(st *client.State, current bool) error {
	h, err := home()
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	key := accountKey(st.Server, st.User)
	if err := writeFile(accountPath(h, key), b); err != nil {
		return err
	}
	if current {
		return writeFile(filepath.Join(h, "current"), []byte(key+"\n"))
	}
	return nil
}

// forgetSession removes the session from st (token, master key) but keeps
// what the device verified, and clears the current account.
func forgetSession(st *client.State) error {
	st.Token, st.SessionID, st.MasterKey = "", "", nil
	if err := saveState(st, false); err != nil {
		return err
	}
	h, err := home()
	if err != nil {
		return err
	}
	err = os.Remove(filepath.Join(h, "current"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// session resumes the current account.
func session() (*client.Client, error) {
	st, err := loadState()
	if err != nil {
		return nil, err
	}
	return client.Resume(st, nil)
}

// withSession runs fn with the current account's client and saves its state
// after, also when fn failed (an integrity failure changes no remembered
// state but the halt it causes, and what was verified before it must be
// kept). A device that has not yet read the account's changes feed to its
// end does so first (client.CatchUp), so that it never writes before it
// has looked. The state lock is held throughout, so concurrent commands
// cannot lose each other's memory.
func withSession(ctx context.Context, fn func(c *client.Client) error) error {
	c, unlock, err := lockedSession()
	if err != nil {
		return err
	}
	defer unlock()
	ferr := c.CatchUp(ctx)
	if ferr == nil {
		ferr = fn(c)
	}
	if errors.Is(ferr, client.ErrShareStale) {
		ferr = fmt.Errorf("%w (hearth shares --update LINK-ID tries again)", ferr)
	}
	if err := saveState(c.State(), true); err != nil && ferr == nil {
		return fmt.Errorf("saving state: %w", err)
	}
	if h := c.Halted(); h != "" && errors.Is(ferr, client.ErrIntegrity) {
		// A write refused, or a read that found the history altered
		// again, on a device that stopped writing: say so, and what to do.
		return haltedError(h)
	}
	return ferr
}

// haltedError says what this device found, that it stopped writing to the
// account, and how a person goes on (protocol §4.7). It is ErrHalted and
// ErrIntegrity.
type haltedError string

func (e haltedError) Error() string {
	return "integrity check failed: the server showed an older or altered history of the account (" + string(e) +
		"); this device stopped writing to it: check with the server's operator, then run 'hearth verify --accept' to go on with what the server holds now"
}

func (e haltedError) Is(target error) bool {
	return target == client.ErrHalted || target == client.ErrIntegrity
}

// lockedSession takes the state folder's lock and resumes the saved
// session; unlock gives the lock back.
func lockedSession() (c *client.Client, unlock func(), err error) {
	if unlock, err = lockState(); err != nil {
		return nil, nil, err
	}
	if c, err = session(); err != nil {
		unlock()
		return nil, nil, err
	}
	return c, unlock, nil
}

// lockState takes the state folder's lock.
func lockState() (func(), error) {
	h, err := home()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(h, 0o700); err != nil {
		return nil, err
	}
	return lockFile(filepath.Join(h, "lock"))
}

// syncClose makes f's contents durable and closes it.
func syncClose(f *os.File) error {
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
