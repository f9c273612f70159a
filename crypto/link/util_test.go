package link

import (
	"testing"

	"github.com/hearthcloud/hearth/crypto/kdf"
	"github.com/hearthcloud/hearth/spec/vectors/vectorstest"
)

func kdfDefault() kdf.Params { return kdf.Default }

func vectorsUnhex(t testing.TB, s string) []byte { return vectorstest.Unhex(t, s) }
