package seal

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"testing"

	"github.com/hearthcloud/hearth/spec/vectors/vectorstest"
)

// TestContentMACVectors: the mac of spec/vectors/content-mac.json, made
// by spec/vectors/gen, from each doctype key's ContentMACKey.
func TestContentMACVectors(t *testing.T) {
	var f struct {
		Format, Spec, Comment, Generator string
		Vectors                          []struct {
			Name, Key, Content, MAC string
		} `json:"vectors"`
	}
	vectorstest.Load(t, "content-mac.json", &f)
	if len(f.Vectors) == 0 {
		t.Fatal("no vectors")
	}
	for _, v := range f.Vectors {
		k, err := NewKey(1, vectorstest.Unhex(t, v.Key))
		if err != nil {
			t.Fatal(err)
		}
		m := hmac.New(sha256.New, k.ContentMACKey())
		m.Write(vectorstest.Unhex(t, v.Content))
		if got := m.Sum(nil); !bytes.Equal(got, vectorstest.Unhex(t, v.MAC)) {
			t.Errorf("%s: mac %x", v.Name, got)
		}
	}
}
