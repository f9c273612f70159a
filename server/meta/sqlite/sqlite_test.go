package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/hearthcloud/hearth/server/meta"
	"github.com/hearthcloud/hearth/server/meta/metatest"
	"github.com/hearthcloud/hearth/server/meta/sqlite"
)

// open opens a store in a new file under t.TempDir and closes it at the
// end of the test.
func open(t testing.TB) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	metatest.Run(t, func(t *testing.T) meta.Store { return open(t) })
}
