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
