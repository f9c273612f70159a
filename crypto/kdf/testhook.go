//go:build hearthtest

package kdf

// LowerFloorForTesting lets the tests of other packages derive keys with
// TestParams, and returns a function that restores the floor. It exists only
// in builds with the hearthtest tag: never in a shipped binary.
func LowerFloorForTesting() (restore func()) { return lowerFloor() }
