package server

import "time"

// SetWriteIdle shortens the time a response may go without progress, for
// the tests of this package; it returns a function restoring it.
func SetWriteIdle(d time.Duration) (restore func()) {
	old := writeIdle
	writeIdle = d
	return func() { writeIdle = old }
}
