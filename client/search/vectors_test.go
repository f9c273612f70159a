package search

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/hearthcloud/hearth/spec/vectors/vectorstest"
)

// TestManifestVectors runs spec/vectors/index-manifest.json.
func TestManifestVectors(t *testing.T) {
	var f struct {
		Format, Spec, Comment, Generator string
		Vectors                          []struct {
			Name    string          `json:"name"`
			Comment string          `json:"comment"`
			Content json.RawMessage `json:"content"`
			Error   string          `json:"error"`
		} `json:"vectors"`
	}
	vectorstest.Load(t, "index-manifest.json", &f)
	if len(f.Vectors) < 10 {
		t.Fatalf("%d vectors", len(f.Vectors))
	}
	for _, v := range f.Vectors {
		_, err := ParseManifest(v.Content)
		switch {
		case v.Error == "" && err != nil:
			t.Errorf("%s: %v", v.Name, err)
		case v.Error == "rebuild" && !errors.Is(err, ErrManifest):
			t.Errorf("%s: %v, want ErrManifest", v.Name, err)
		}
	}
}

// FuzzParseManifest: any content gives a manifest or ErrManifest, never a
// panic, and an accepted manifest keeps the rules.
func FuzzParseManifest(f *testing.F) {
	var v struct {
		Format, Spec, Comment, Generator string
		Vectors                          []struct {
			Name, Comment, Error string
			Content              json.RawMessage
		}
	}
	vectorstest.Load(f, "index-manifest.json", &v)
	for _, x := range v.Vectors {
		f.Add([]byte(x.Content))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseManifest(b)
		if err != nil {
			if !errors.Is(err, ErrManifest) {
				t.Fatal(err)
			}
			return
		}
		var live uint64
		for _, s := range m.Segments {
			if uint64(len(s.Deleted)) > s.Docs || len(s.Digest) != 32 {
				t.Fatalf("accepted %+v", s)
			}
			live += s.Docs - uint64(len(s.Deleted))
		}
		if live != m.Docs {
			t.Fatal("accepted disagreeing counts")
		}
	})
}
