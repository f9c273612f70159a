package seal

import (
	"bytes"
	"io"
	"testing"
)

// Fuzz tests for the parsers of sealed items, seeded from spec/vectors. The
// host controls every byte they read: whatever it sends, opening must not
// panic, must fail with ErrIntegrity alone, and must succeed only for the
// exact bytes of a valid item.

// recordContext is what an opener of a valid record vector holds and
// claims, with the one sealed value that opens under it.
type recordContext struct {
	v      recordVector
	keys   *KeySet
	sealed []byte
}

func recordContexts(f *testing.F, files ...string) ([]recordContext, [][]byte) {
	var ctxs []recordContext
	var seeds [][]byte
	for _, file := range files {
		for _, v := range loadRecords(f, file) {
			s := unhex(f, v.Sealed)
			seeds = append(seeds, s)
			if v.Error == "" {
				ctxs = append(ctxs, recordContext{v, vectorKeySet(f, v.Keys), s})
			}
		}
	}
	return ctxs, seeds
}

// checkRecord opens data in every valid vector's context.
func checkRecord(t *testing.T, ctxs []recordContext, data []byte) {
	DocumentGen(data)
	for _, c := range ctxs {
		d, err := c.v.open(t, c.keys, data)
		if err != nil {
			if err != ErrIntegrity || d != nil {
				t.Fatalf("%s: open = %v, %v", c.v.Name, d, err)
			}
			continue
		}
		if !bytes.Equal(data, c.sealed) {
			t.Fatalf("%s: %x opened, and it is not the vector's sealed bytes", c.v.Name, data)
		}
	}
}

func FuzzOpenDocument(f *testing.F) {
	ctxs, seeds := recordContexts(f, "document.json")
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkRecord(t, ctxs, data) })
}

func FuzzOpenManifest(f *testing.F) {
	ctxs, seeds := recordContexts(f, "manifest.json")
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkRecord(t, ctxs, data) })
}

// FuzzDocumentMalleability changes a valid sealed document or manifest (xor
// one byte, cut it short, or insert a byte) and checks that it no longer
// opens, unless the change did nothing.
func FuzzDocumentMalleability(f *testing.F) {
	ctxs, _ := recordContexts(f, "document.json", "manifest.json")
	for i := range ctxs {
		for _, at := range []uint16{0, 1, 5, 37, 61, 100, 0xffff} {
			f.Add(uint8(i), uint8(0), at, byte(0x01))
		}
		f.Add(uint8(i), uint8(0), uint16(3), byte(0)) // a no-op
		f.Add(uint8(i), uint8(1), uint16(80), byte(0))
		f.Add(uint8(i), uint8(2), uint16(80), byte(0))
	}
	f.Fuzz(func(t *testing.T, which, op uint8, at uint16, x byte) {
		c := ctxs[int(which)%len(ctxs)]
		m := bytes.Clone(c.sealed)
		noop := false
		switch op % 3 {
		case 0: // xor a byte
			m[int(at)%len(m)] ^= x
			noop = x == 0
		case 1: // cut
			m = m[:int(at)%len(m)]
		case 2: // insert
			i := int(at) % (len(m) + 1)
			m = append(m[:i], append([]byte{x}, m[i:]...)...)
		}
		d, err := c.v.open(t, c.keys, m)
		if noop {
			if err != nil || !bytes.Equal(d.Content, unhex(t, *c.v.Content)) {
				t.Fatalf("%s: the unchanged document fails: %v", c.v.Name, err)
			}
			return
		}
		if err != ErrIntegrity || d != nil {
			t.Fatalf("%s: op %d at %d with %#x: open = %v, %v", c.v.Name, op%3, at, x, d, err)
		}
	})
}

// FuzzOpenBlob reads arbitrary bytes as every valid blob vector's blob.
func FuzzOpenBlob(f *testing.F) {
	vs, sealedOf := loadBlobs(f)
	type blobContext struct {
		v      blobVector
		keys   *KeySet
		p      Purpose
		sealed []byte
	}
	var ctxs []blobContext
	for _, v := range vs {
		f.Add(sealedOf[v.Name])
		if v.Error == "" {
			ctxs = append(ctxs, blobContext{v, vectorKeySet(f, v.Keys), v.purpose(f), sealedOf[v.Name]})
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, c := range ctxs {
			br, err := OpenBlob(bytes.NewReader(data), c.keys, c.p, c.v.ref())
			if err == nil {
				_, err = io.ReadAll(br)
			} else if br != nil {
				t.Fatalf("%s: OpenBlob returned a reader and %v", c.v.Name, err)
			}
			if err != nil {
				if err != ErrIntegrity {
					t.Fatalf("%s: %v", c.v.Name, err)
				}
				continue
			}
			if !bytes.Equal(data, c.sealed) {
				t.Fatalf("%s: %q opened, and it is not the vector's sealed bytes", c.v.Name, data)
			}
		}
	})
}
