package pad

import (
	"bytes"
	"github.com/hearthcloud/hearth/spec/vectors/vectorstest"
	"testing"
)

// The vectors of spec/vectors/padding.json, made by spec/vectors/gen. The
// relative path works natively and under GOOS=js GOARCH=wasm.

type paddingFile struct {
	Format    string `json:"format"`
	Spec      string `json:"spec"`
	Comment   string `json:"comment"`
	Generator string `json:"generator"`
	Lengths   []struct {
		N      int64 `json:"n"`
		Padme  int64 `json:"padme"`
		PadLen int64 `json:"pad_len"`
	} `json:"lengths"`
	Unpad []struct {
		Name    string `json:"name"`
		Padded  string `json:"padded"`
		Content string `json:"content"`
		Error   string `json:"error"`
	} `json:"unpad"`
}

func loadVectors(t testing.TB) *paddingFile {
	t.Helper()
	var f paddingFile
	vectorstest.Load(t, "padding.json", &f)
	if len(f.Lengths) == 0 || len(f.Unpad) == 0 {
		t.Fatal("no vectors")
	}
	return &f
}

func TestPaddingVectors(t *testing.T) {
	f := loadVectors(t)
	for _, v := range f.Lengths {
		if got := Padme(v.N); got != v.Padme {
			t.Errorf("Padme(%d) = %d, want %d", v.N, got, v.Padme)
		}
		if v.N >= 1<<32 {
			continue
		}
		if got := Len(int(v.N)); int64(got) != v.PadLen {
			t.Errorf("Len(%d) = %d, want %d", v.N, got, v.PadLen)
		}
		if v.N <= 1<<20 {
			if got := len(Pad(make([]byte, v.N))); int64(got) != v.PadLen {
				t.Errorf("len(Pad(%d bytes)) = %d, want %d", v.N, got, v.PadLen)
			}
		}
	}
	for _, v := range f.Unpad {
		padded := unhex(t, v.Padded)
		got, err := Unpad(padded)
		switch v.Error {
		case "":
			want := unhex(t, v.Content)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("%s: Unpad = %x, %v; want %x", v.Name, got, err, want)
			}
			if len(padded) == Len(len(want)) && !bytes.Equal(Pad(want), padded) {
				t.Errorf("%s: Pad(%x) = %x", v.Name, want, Pad(want))
			}
		case "padding":
			if err != ErrBadPadding || got != nil {
				t.Errorf("%s: Unpad = %x, %v; want ErrBadPadding", v.Name, got, err)
			}
		default:
			t.Errorf("%s: unknown error %q", v.Name, v.Error)
		}
	}
}

var unhex = vectorstest.Unhex
