//go:build hearthtest

package server

import "time"

// SetClockForTesting makes the servers opened afterwards read the time
// from clock and sweep expired upload sessions every sweep, and returns a
// function that restores both. It exists only in builds with the
// hearthtest tag: never in a shipped binary.
func SetClockForTesting(clock func() time.Time, sweep time.Duration) (restore func()) {
	oldNow, oldSweep := now, sweepEvery
	now, sweepEvery = clock, sweep
	return func() { now, sweepEvery = oldNow, oldSweep }
}
