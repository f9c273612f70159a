//go:build !hearthtest

package kdf

// LowerFloorForTesting is testhook.go's function for this package's own
// tests when they are built without the hearthtest tag.
func LowerFloorForTesting() (restore func()) { return lowerFloor() }
