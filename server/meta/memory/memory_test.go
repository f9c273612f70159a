package memory_test

import (
	"testing"

	"github.com/hearthcloud/hearth/server/meta"
	"github.com/hearthcloud/hearth/server/meta/memory"
	"github.com/hearthcloud/hearth/server/meta/metatest"
)

func TestConformance(t *testing.T) {
	metatest.Run(t, func(t *testing.T) meta.Store {
		s := memory.New()
		t.Cleanup(func() { s.Close() })
		return s
	})
}
