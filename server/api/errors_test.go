package api

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/hearthcloud/hearth/internal/wire"
	"github.com/hearthcloud/hearth/server/blob"
	"github.com/hearthcloud/hearth/server/meta"
)

func TestAsError(t *testing.T) {
	for err, want := range map[error]wire.Code{
		fmt.Errorf("sqlite.PutDocs: %w", meta.ErrConflict): wire.CodeConflict,
		meta.ErrUnknownDoctype:                             wire.CodeUnknownDoctype,
		fmt.Errorf("disk.Put: %w", blob.ErrTruncated):      wire.CodeTruncated,
		Errorf(wire.CodeForbidden, "no"):                   wire.CodeForbidden,
		errors.New("disk full"):                            wire.CodeInternal,
	} {
		if got := AsError(err); got.Code != want {
			t.Errorf("AsError(%v) = %s, want %s", err, got.Code, want)
		}
	}
	if AsError(errors.New("secret detail")).Message == "secret detail" {
		t.Error("internal error detail reaches the client")
	}
	if wire.CodeConflict.Status() != http.StatusPreconditionFailed || wire.Code("nope").Status() != 500 {
		t.Error("statuses")
	}
}
