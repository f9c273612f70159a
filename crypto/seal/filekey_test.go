package seal

import (
	"bytes"
	"io"
	"testing"
)

// TestBlobFileKeyVectors reads each valid file blob's age file key from its
// first bytes with the doctype key, as an owner does when sharing it by
// link (spec/protocol.md §4.5), and opens the blob with that key alone.
func TestBlobFileKeyVectors(t *testing.T) {
	vs, sealedOf := loadBlobs(t)
	n := 0
	for _, v := range vs {
		if v.Error != "" || v.purpose(t) != PurposeFile {
			continue
		}
		n++
		s := sealedOf[v.Name]
		fk, err := BlobFileKey(s[:min(len(s), BlobHeaderPrefix)], vectorKeySet(t, v.Keys), PurposeFile, v.ref())
		if err != nil || !bytes.Equal(fk, unhex(t, v.FileKey)) {
			t.Fatalf("%s: file key %x, %v", v.Name, fk, err)
		}
		br, err := OpenBlobWithFileKey(bytes.NewReader(s), fk)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(br)
		if err != nil || int64(len(got)) != br.Meta().Size {
			t.Fatalf("%s: %v", v.Name, err)
		}
		// Another file key, or a flipped byte anywhere: integrity.
		other := bytes.Clone(fk)
		other[0] ^= 1
		if _, err := OpenBlobWithFileKey(bytes.NewReader(s), other); err != ErrIntegrity {
			t.Errorf("%s: another file key: %v", v.Name, err)
		}
		if len(s) < 2000 {
			for i := range s {
				c := bytes.Clone(s)
				c[i] ^= 1
				br, err := OpenBlobWithFileKey(bytes.NewReader(c), fk)
				if err == nil {
					_, err = io.ReadAll(br)
				}
				if err != ErrIntegrity {
					t.Fatalf("%s: byte %d flipped: %v", v.Name, i, err)
				}
			}
		}
		// The wrong doctype key finds no file key.
		if _, err := BlobFileKey(s, vectorKeySet(t, v.Keys), PurposeIndex, v.ref()); err != ErrIntegrity {
			t.Errorf("%s: file key as an index segment: %v", v.Name, err)
		}
	}
	if n < 3 {
		t.Fatalf("%d file vectors", n)
	}
}

// FuzzOpenBlobWithFileKey reads arbitrary bytes with each valid file
// vector's file key: only its exact bytes open.
func FuzzOpenBlobWithFileKey(f *testing.F) {
	vs, sealedOf := loadBlobs(f)
	type ctx struct {
		name   string
		fk     []byte
		sealed []byte
	}
	var ctxs []ctx
	for _, v := range vs {
		f.Add(sealedOf[v.Name])
		if v.Error == "" && v.purpose(f) == PurposeFile {
			ctxs = append(ctxs, ctx{v.Name, unhex(f, v.FileKey), sealedOf[v.Name]})
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, c := range ctxs {
			br, err := OpenBlobWithFileKey(bytes.NewReader(data), c.fk)
			if err == nil {
				_, err = io.ReadAll(br)
			}
			if err != nil {
				if err != ErrIntegrity {
					t.Fatalf("%s: %v", c.name, err)
				}
				continue
			}
			if !bytes.Equal(data, c.sealed) {
				t.Fatalf("%s: other bytes opened", c.name)
			}
		}
	})
}
