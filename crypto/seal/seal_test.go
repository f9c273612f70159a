package seal_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/hearthcloud/hearth/crypto/seal"
)

const notes = "io.hearth.notes"

func keys(t testing.TB) (*seal.KeySet, *seal.Key) {
	t.Helper()
	ks := &seal.KeySet{}
	return ks, mustRotate(t, ks)
}

func mustRotate(t testing.TB, ks *seal.KeySet) *seal.Key {
	t.Helper()
	k, err := ks.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestDocumentRoundTrip(t *testing.T) {
	ks, k := keys(t)
	ref := seal.Ref{Doctype: notes, ID: "n1", Rev: 1}
	s1, err := seal.SealDocument(k, ref, seal.Digest{}, []byte(`{"title":"hello"}`))
	if err != nil {
		t.Fatal(err)
	}
	d, err := seal.OpenDocument(ks, ref, s1)
	if err != nil || string(d.Content) != `{"title":"hello"}` || d.Gen != 1 || d.Deleted() {
		t.Fatalf("open = %+v, %v", d, err)
	}
	// Revision 2 chains to revision 1, under a rotated key.
	k2 := mustRotate(t, ks)
	ref2 := ref
	ref2.Rev = 2
	s2, err := seal.SealDocument(k2, ref2, seal.DigestOf(s1), nil)
	if err != nil {
		t.Fatal(err)
	}
	d2, err := seal.OpenDocument(ks, ref2, s2)
	if err != nil || !d2.Deleted() || d2.Prev != seal.DigestOf(s1) || d2.Gen != 2 {
		t.Fatalf("open tombstone = %+v, %v", d2, err)
	}
	// Old generations still open what they sealed.
	if _, err := seal.OpenDocument(ks, ref, s1); err != nil {
		t.Fatal(err)
	}
	// Revision 1 must not claim a predecessor, later ones must.
	if _, err := seal.SealDocument(k, ref, seal.DigestOf(s1), nil); err == nil {
		t.Error("revision 1 with a previous digest was sealed")
	}
	if _, err := seal.SealDocument(k, ref2, seal.Digest{}, nil); err == nil {
		t.Error("revision 2 without a previous digest was sealed")
	}
	for _, bad := range []seal.Ref{{"notes", "n1", 1}, {notes, "a/b", 1}, {notes, "n1", 0}} {
		if _, err := seal.SealDocument(k, bad, seal.Digest{}, []byte("x")); err == nil {
			t.Errorf("sealed under bad ref %v", bad)
		}
	}
}

func TestDocumentPadding(t *testing.T) {
	_, k := keys(t)
	ref := seal.Ref{Doctype: notes, ID: "n1", Rev: 1}
	a, _ := seal.SealDocument(k, ref, seal.Digest{}, []byte("hi"))
	b, _ := seal.SealDocument(k, ref, seal.Digest{}, bytes.Repeat([]byte("x"), 200))
	if len(a) != len(b) {
		t.Errorf("2-byte and 200-byte documents differ in sealed length: %d vs %d", len(a), len(b))
	}
}

func sealBlob(t testing.TB, k *seal.Key, p seal.Purpose, ref seal.BlobRef, meta seal.Meta, content []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := seal.NewBlobWriter(&buf, k, p, ref, meta)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(content); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	size, err := seal.SealedBlobSize(k, p, ref, meta)
	if err != nil || size != int64(buf.Len()) {
		t.Fatalf("SealedBlobSize = %d, %v; sealed %d bytes", size, err, buf.Len())
	}
	return buf.Bytes()
}

func openBlob(ks *seal.KeySet, p seal.Purpose, ref seal.BlobRef, sealed []byte) (seal.Meta, []byte, error) {
	r, err := seal.OpenBlob(bytes.NewReader(sealed), ks, p, ref)
	if err != nil {
		return seal.Meta{}, nil, err
	}
	b, err := io.ReadAll(r)
	return r.Meta(), b, err
}

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>8)
	}
	return b
}

func TestBlobRoundTrip(t *testing.T) {
	ks, k := keys(t)
	ref := seal.BlobRef{Doctype: "io.hearth.files", ID: "b1"}
	for _, n := range []int{0, 1, 300, 64<<10 - 40, 64 << 10, 3<<16 + 5, 1 << 20} {
		meta := seal.Meta{Name: "photo ünïcode.jpg", Type: "image/jpeg", Size: int64(n), Modified: 1700000000}
		content := pattern(n)
		sealed := sealBlob(t, k, seal.PurposeFile, ref, meta, content)
		got, b, err := openBlob(ks, seal.PurposeFile, ref, sealed)
		if err != nil || got != meta || !bytes.Equal(b, content) {
			t.Fatalf("n=%d: meta %+v, %d bytes, %v", n, got, len(b), err)
		}
	}
}

func TestBlobWriterSizeChecks(t *testing.T) {
	_, k := keys(t)
	ref := seal.BlobRef{Doctype: "io.hearth.files", ID: "b1"}
	w, _ := seal.NewBlobWriter(io.Discard, k, seal.PurposeFile, ref, seal.Meta{Name: "a", Size: 3})
	if _, err := w.Write([]byte("abcd")); !errors.Is(err, seal.ErrSizeMismatch) {
		t.Errorf("overlong write: %v", err)
	}
	w, _ = seal.NewBlobWriter(io.Discard, k, seal.PurposeFile, ref, seal.Meta{Name: "a", Size: 3})
	w.Write([]byte("ab"))
	if err := w.Close(); !errors.Is(err, seal.ErrSizeMismatch) {
		t.Errorf("short close: %v", err)
	}
	if _, err := seal.NewBlobWriter(io.Discard, k, seal.PurposeFile, ref, seal.Meta{Size: -1}); err == nil {
		t.Error("negative size accepted")
	}
}

func TestKeySet(t *testing.T) {
	ks := &seal.KeySet{}
	if ks.Current() != nil {
		t.Fatal("empty set has a current key")
	}
	k1 := mustRotate(t, ks)
	k2 := mustRotate(t, ks)
	if k1.Gen() != 1 || k2.Gen() != 2 || ks.Current() != k2 || ks.Gen(1) != k1 || ks.Gen(3) != nil {
		t.Fatal("rotation broke generations")
	}
	if err := ks.Add(k1); err == nil {
		t.Fatal("duplicate generation added")
	}
	if bytes.Equal(k1.Bytes(), k2.Bytes()) {
		t.Fatal("rotation reused the key")
	}
}
