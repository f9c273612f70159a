package appmanifest

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/hearthcloud/hearth/spec/vectors/vectorstest"
)

type vector struct {
	Name    string          `json:"name"`
	Comment string          `json:"comment"`
	Content json.RawMessage `json:"content"`
	Raw     *string         `json:"raw"`
	Error   *string         `json:"error"`
	Want    *struct {
		Slug, Version, Entry string
		Permissions, Intents int
	} `json:"want"`
}

func (v vector) bytes() []byte {
	if v.Raw != nil {
		return []byte(*v.Raw)
	}
	return v.Content
}

func load(t testing.TB) []vector {
	var f struct {
		Format, Spec, Comment, Generator string
		Vectors                          []vector
	}
	vectorstest.Load(t, "app-manifest.json", &f)
	if len(f.Vectors) < 20 {
		t.Fatalf("%d vectors", len(f.Vectors))
	}
	return f.Vectors
}

// TestVectors runs spec/vectors/app-manifest.json.
func TestVectors(t *testing.T) {
	for _, v := range load(t) {
		m, err := Parse(v.bytes())
		if v.Error != nil {
			var e *Error
			if !errors.As(err, &e) || e.Field != *v.Error || !errors.Is(err, ErrNotManifest) {
				t.Errorf("%s: got %v, want an error naming %q", v.Name, err, *v.Error)
			} else {
				t.Logf("%s: %v", v.Name, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", v.Name, err)
			continue
		}
		w := v.Want
		if m.Slug != w.Slug || m.Version.String() != w.Version || m.Entry != w.Entry || len(m.Permissions) != w.Permissions || len(m.Intents) != w.Intents {
			t.Errorf("%s: read %+v", v.Name, m)
		}
	}
}

func TestVersionLess(t *testing.T) {
	a, b := Version{1, 2, 3}, Version{1, 10, 0}
	if !a.Less(b) || b.Less(a) || a.Less(a) {
		t.Fatal("order")
	}
}

// FuzzParse: any input is a manifest or an *Error, never a panic, and a
// manifest accepted keeps the rules.
func FuzzParse(f *testing.F) {
	for _, v := range load(f) {
		f.Add(v.bytes())
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Parse(b)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("%T %v", err, err)
			}
			return
		}
		if checkSlug("", m.Slug) != nil || len(m.Permissions) == 0 || path("", m.Entry, false) != nil {
			t.Fatalf("accepted %+v", m)
		}
		for _, p := range m.Permissions {
			if len(p.Verbs) == 0 || text("", p.Reason, 200) != nil {
				t.Fatalf("accepted %+v", p)
			}
		}
		for _, f := range m.Features {
			if !contains(FeatureNames, f.Name) || text("", f.Reason, 200) != nil {
				t.Fatalf("accepted %+v", f)
			}
		}
	})
}
