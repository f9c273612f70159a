package main

import (
	"slices"
	"testing"
)

// TestUsageListsEveryCommand: 'hearth help' names every command there is.
func TestUsageListsEveryCommand(t *testing.T) {
	for name := range commands {
		if !slices.Contains(commandOrder, name) {
			t.Errorf("hearth help does not list %q", name)
		}
	}
	for _, name := range commandOrder {
		if _, ok := commands[name]; !ok {
			t.Errorf("hearth help lists %q, which is no command", name)
		}
	}
}
