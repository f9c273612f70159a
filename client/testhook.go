//go:build hearthtest

package client

import "time"

// SetResealSettleForTesting sets how long after a complete re-seal Reseal
// may drop the old generations (resealSettle; zero: at once), and returns
// a function that restores it. It exists only in builds with the
// hearthtest tag: never in a shipped binary.
func SetResealSettleForTesting(d time.Duration) (restore func()) {
	old := resealSettle
	resealSettle = d
	return func() { resealSettle = old }
}

// ClearHaltForTesting forgets that the Client halted (State.Halted) but
// keeps everything else it remembers, so that a test can go on with the
// same device after checking a refusal. It exists only in builds with the
// hearthtest tag: a shipped client clears a halt only through the user
// (AcceptServerState).
func (c *Client) ClearHaltForTesting() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.st.Halted = ""
}

// ClearHaltForTesting is Client.ClearHaltForTesting for an App.
func (a *App) ClearHaltForTesting() { a.c.ClearHaltForTesting() }

// SetUploadBackoffForTesting sets the backoff of a resumable upload's
// retries (from first, doubling, at most max), and returns a function
// that restores it. It exists only in builds with the hearthtest tag.
func SetUploadBackoffForTesting(first, max time.Duration) (restore func()) {
	oldFirst, oldMax := retryFirst, retryMax
	retryFirst, retryMax = first, max
	return func() { retryFirst, retryMax = oldFirst, oldMax }
}

// SetSessionThresholdForTesting sets the sealed size above which uploads
// go through a session (8 MiB), and returns a function that restores it.
// It exists only in builds with the hearthtest tag.
func SetSessionThresholdForTesting(n int64) (restore func()) {
	old := sessionThreshold
	sessionThreshold = n
	return func() { sessionThreshold = old }
}
