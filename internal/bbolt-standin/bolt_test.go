package bbolt

import (
	"errors"
	"testing"
)

func TestOpenRefused(t *testing.T) {
	if db, err := Open("/tmp/x.bolt", 0o600, DefaultOptions); db != nil || !errors.Is(err, ErrUnsupported) {
		t.Fatalf("Open: %v %v", db, err)
	}
}
