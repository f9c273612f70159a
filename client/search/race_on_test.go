//go:build race

package search

// raceDetector: timing ratios mean little under the race detector, which
// slows memory accesses unevenly.
const raceDetector = true
