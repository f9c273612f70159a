package main

import (
	"testing"
	"time"
)

// TestParseDays: --expires takes days, hours or minutes up to a year,
// and says so for anything else.
func TestParseDays(t *testing.T) {
	for in, want := range map[string]time.Duration{"7d": 7 * 24 * time.Hour, "36h": 36 * time.Hour, "90m": 90 * time.Minute, "365d": 365 * 24 * time.Hour} {
		if d, err := parseDays(in); err != nil || d != want {
			t.Errorf("%s: %v, %v", in, d, err)
		}
	}
	for _, in := range []string{"0d", "366d", "9000h", "-1h", "soon", "", "1.5d"} {
		if _, err := parseDays(in); err == nil {
			t.Errorf("%q was taken", in)
		}
	}
}
