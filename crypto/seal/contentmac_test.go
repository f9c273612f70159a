package seal

import (
	"bytes"
	"testing"

	"github.com/hearthcloud/hearth/spec/vectors/vectorstest"
)

// TestContentMACVectors: the mac of spec/vectors/content-mac.json, made
// by spec/vectors/gen apart from this package, from each doctype key's
// ContentMACKey, written whole and in uneven writes.
func TestContentMACVectors(t *testing.T) {
	var f struct {
		Format, Spec, Comment, Generator string
		Vectors                          []struct {
			Name, Key, Content, MAC string
			Fill, Length            int
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
		content := vectorstest.Unhex(t, v.Content)
		if v.Length > 0 {
			content = bytes.Repeat([]byte{byte(v.Fill)}, v.Length)
		}
		m := NewContentMAC(k.ContentMACKey())
		m.Write(content)
		if got := m.Sum(nil); !bytes.Equal(got, vectorstest.Unhex(t, v.MAC)) {
			t.Errorf("%s: mac %x", v.Name, got)
		}
		m.Reset()
		for rest := content; len(rest) > 0; {
			n := min(len(rest), 1000003)
			m.Write(rest[:n])
			rest = rest[n:]
		}
		if got := m.Sum(nil); !bytes.Equal(got, vectorstest.Unhex(t, v.MAC)) {
			t.Errorf("%s, in uneven writes: mac %x", v.Name, got)
		}
	}
}
