package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/hearthcloud/hearth/client"
)

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

const stateFile = "state.json"

// loadState reads the saved session; errNoSession when there is none.
func loadState() (*client.State, error) {
	h, err := home()
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(h, stateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errors.New("not logged in: run hearth login --server URL --user NAME")
	}
	if err != nil {
		return nil, err
	}
	var st client.State
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("the state file %s is damaged (%v); log in again", filepath.Join(h, stateFile), err)
	}
	return &st, nil
}

// saveState writes st atomically with mode 0600: temporary file, fsync,
// rename. It holds the session token and the master key.
func saveState(st *client.State) error {
	h, err := home()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(h, 0o700); err != nil {
		return err
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(h, ".state-*") // mode 0600
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), filepath.Join(h, stateFile))
}

// removeState forgets the session.
func removeState() error {
	h, err := home()
	if err != nil {
		return err
	}
	err = os.Remove(filepath.Join(h, stateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// session resumes the saved client; after use, call save to keep what it
// learned (revisions seen, feed position).
func session() (*client.Client, error) {
	st, err := loadState()
	if err != nil {
		return nil, err
	}
	return client.Resume(st, nil)
}

// withSession runs fn with the saved client and saves its state after,
// also when fn failed (an integrity failure changes no remembered state,
// but revisions learned before it must be kept).
func withSession(fn func(c *client.Client) error) error {
	c, err := session()
	if err != nil {
		return err
	}
	ferr := fn(c)
	if err := saveState(c.State()); err != nil && ferr == nil {
		return fmt.Errorf("saving state: %w", err)
	}
	return ferr
}
