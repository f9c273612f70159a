package seal_test

// Tests for the item properties of SECURITY.md (spec/protocol.md §1.2),
// each named for the property it proves. The host is the adversary: it
// rewrites the bytes it stores and what it claims they are.

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"testing"

	"github.com/hearthcloud/hearth/crypto/seal"
)

// wantIntegrity fails unless err is exactly the one generic error.
func wantIntegrity(t *testing.T, what string, err error) {
	t.Helper()
	if err != seal.ErrIntegrity {
		t.Errorf("%s: got %v, want ErrIntegrity", what, err)
	}
}

func sealDoc(t *testing.T, k *seal.Key, ref seal.Ref, prev seal.Digest, content string) []byte {
	t.Helper()
	s, err := seal.SealDocument(k, ref, prev, []byte(content))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Property 7: flipping any bit of a stored document or blob makes opening
// fail with the integrity error, and no plaintext of a damaged chunk is
// returned.
func TestSecurity07FlipAnyBit(t *testing.T) {
	ks, k := keys(t)
	ref := seal.Ref{Doctype: notes, ID: "n1", Rev: 1}
	sealed := sealDoc(t, k, ref, seal.Digest{}, "secret note")
	for i := range sealed {
		for bit := 0; bit < 8; bit++ {
			m := bytes.Clone(sealed)
			m[i] ^= 1 << bit
			d, err := seal.OpenDocument(ks, ref, m)
			if d != nil {
				t.Fatalf("byte %d bit %d: returned a document", i, bit)
			}
			wantIntegrity(t, "flipped document", err)
		}
	}

	bref := seal.BlobRef{Doctype: "io.hearth.files", ID: "b1"}
	content := pattern(3<<16 + 100) // four chunks
	meta := seal.Meta{Name: "a.bin", Size: int64(len(content))}
	sblob := sealBlob(t, k, seal.PurposeFile, bref, meta, content)
	hdr := headerLen(t, sblob)
	frame := 4 + len(`{"name":"a.bin","size":196708}`) // metadata frame before the content
	const enc = 64<<10 + 16
	for _, i := range []int{0, 30, 60, hdr - 20, hdr - 1, hdr + 5, hdr + enc + 7, hdr + 2*enc + 100, len(sblob) - 20, len(sblob) - 1} {
		m := bytes.Clone(sblob)
		m[i] ^= 0x01
		_, got, err := openBlob(ks, seal.PurposeFile, bref, m)
		wantIntegrity(t, "flipped blob", err)
		// What was released is authenticated content that ends before the
		// damaged chunk: never a byte of it.
		limit := 0
		if i >= hdr {
			limit = max((i-hdr)/enc*(64<<10)-frame, 0)
		}
		if !bytes.HasPrefix(content, got) || len(got) > limit {
			t.Fatalf("flip at %d released %d bytes (limit %d)", i, len(got), limit)
		}
	}
}

// Property 8: swapping the ciphertexts of two documents is detected.
func TestSecurity08SwappedDocuments(t *testing.T) {
	ks, k := keys(t)
	a := seal.Ref{Doctype: notes, ID: "a", Rev: 1}
	b := seal.Ref{Doctype: notes, ID: "b", Rev: 1}
	sa := sealDoc(t, k, a, seal.Digest{}, "note a")
	sb := sealDoc(t, k, b, seal.Digest{}, "note b")
	_, err := seal.OpenDocument(ks, a, sb)
	wantIntegrity(t, "b served as a", err)
	_, err = seal.OpenDocument(ks, b, sa)
	wantIntegrity(t, "a served as b", err)
}

// Property 9: moving a ciphertext to another doctype is detected, both when
// the doctypes share nothing and when the host names the wrong doctype.
func TestSecurity09MovedToAnotherDoctype(t *testing.T) {
	ks, k := keys(t)
	ref := seal.Ref{Doctype: notes, ID: "x", Rev: 1}
	s := sealDoc(t, k, ref, seal.Digest{}, "note")
	moved := ref
	moved.Doctype = "io.hearth.tasks"
	_, err := seal.OpenDocument(ks, moved, s) // even with the same key
	wantIntegrity(t, "same key, other doctype", err)
	other, _ := keys(t)
	_, err = seal.OpenDocument(other, moved, s)
	wantIntegrity(t, "other doctype's key", err)
	// A manifest cannot pass for a document nor the other way round.
	man, err := seal.SealManifest(k, notes, 1, seal.Digest{}, []byte("{}"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = seal.OpenDocument(ks, seal.Ref{Doctype: notes, ID: seal.ManifestID, Rev: 1}, man)
	wantIntegrity(t, "manifest as document", err)
	_, err = seal.OpenManifest(ks, notes, 1, sealDoc(t, k, seal.Ref{Doctype: notes, ID: seal.ManifestID, Rev: 1}, seal.Digest{}, "{}"))
	wantIntegrity(t, "document as manifest", err)
}

// Property 10: an older revision replayed under the current revision number
// is detected, and the revision chain names each predecessor.
func TestSecurity10ReplayedRevision(t *testing.T) {
	ks, k := keys(t)
	r1 := seal.Ref{Doctype: notes, ID: "n", Rev: 1}
	r2 := seal.Ref{Doctype: notes, ID: "n", Rev: 2}
	r3 := seal.Ref{Doctype: notes, ID: "n", Rev: 3}
	s1 := sealDoc(t, k, r1, seal.Digest{}, "v1")
	s2 := sealDoc(t, k, r2, seal.DigestOf(s1), "v2")
	s3 := sealDoc(t, k, r3, seal.DigestOf(s2), "v3")
	for _, c := range []struct {
		ref    seal.Ref
		sealed []byte
	}{{r3, s1}, {r3, s2}, {r2, s1}, {r1, s2}} {
		_, err := seal.OpenDocument(ks, c.ref, c.sealed)
		wantIntegrity(t, "replay as "+c.ref.String(), err)
	}
	d3, err := seal.OpenDocument(ks, r3, s3)
	if err != nil || d3.Prev != seal.DigestOf(s2) {
		t.Fatalf("revision 3 does not chain to revision 2: %v", err)
	}
	d2, err := seal.OpenDocument(ks, r2, s2)
	if err != nil {
		t.Fatal(err)
	}
	if err := seal.CheckSuccessor(d2, s2, d3); err != nil {
		t.Fatalf("genuine successor refused: %v", err)
	}
	// A fork: the host accepted another revision 2 from another device and
	// serves a revision 3 built on it to a reader that holds our revision 2.
	s2fork := sealDoc(t, k, r2, seal.DigestOf(s1), "v2 elsewhere")
	s3fork := sealDoc(t, k, r3, seal.DigestOf(s2fork), "v3 elsewhere")
	d3fork, err := seal.OpenDocument(ks, r3, s3fork)
	if err != nil {
		t.Fatal(err) // each revision is authentic on its own
	}
	wantIntegrity(t, "fork", seal.CheckSuccessor(d2, s2, d3fork))
	// A skipped revision is no successor either.
	d1, _ := seal.OpenDocument(ks, r1, s1)
	wantIntegrity(t, "skip", seal.CheckSuccessor(d1, s1, d3))
}

// Property 17: after a doctype key is rotated (an app revoked), what is
// sealed afterwards does not open with the keys the app held; a revision the
// app seals with its old key on top of a newer one (with the host's help) is
// refused by a reader that holds the predecessor; and once the old
// generation is dropped from the keyring, nothing sealed with it opens.
func TestSecurity17RevokedKeysCannotOpenOrExtend(t *testing.T) {
	user, k1 := keys(t)
	app, err := seal.NewKeySet(k1) // what the revoked app kept
	if err != nil {
		t.Fatal(err)
	}
	k2 := mustRotate(t, user)
	r1 := seal.Ref{Doctype: notes, ID: "n", Rev: 1}
	r2 := seal.Ref{Doctype: notes, ID: "n", Rev: 2}
	r3 := seal.Ref{Doctype: notes, ID: "n", Rev: 3}
	s1 := sealDoc(t, k1, r1, seal.Digest{}, "before revocation")
	s2 := sealDoc(t, k2, r2, seal.DigestOf(s1), "after revocation")
	_, err = seal.OpenDocument(app, r2, s2)
	wantIntegrity(t, "revoked app opens a new revision", err)
	bref := seal.BlobRef{Doctype: notes, ID: "att"}
	_, _, err = openBlob(app, seal.PurposeFile, bref, sealBlob(t, k2, seal.PurposeFile, bref, seal.Meta{Name: "a", Size: 1}, []byte("a")))
	wantIntegrity(t, "revoked app opens a new blob", err)

	// The revoked app, given s2 by the host, seals revision 3 with its key.
	forged := sealDoc(t, k1, r3, seal.DigestOf(s2), "forged by the revoked app")
	d2, _ := seal.OpenDocument(user, r2, s2)
	d3, err := seal.OpenDocument(user, r3, forged)
	if err != nil {
		t.Fatal(err) // generation 1 still opens until it is dropped
	}
	wantIntegrity(t, "older generation extends a newer one", seal.CheckSuccessor(d2, s2, d3))

	// Once every item is sealed again under generation 2, generation 1 is
	// dropped, and then nothing sealed with it opens at all.
	if err := user.Drop(2); err == nil {
		t.Fatal("dropped the current generation")
	}
	if err := user.Drop(1); err != nil {
		t.Fatal(err)
	}
	_, err = seal.OpenDocument(user, r3, forged)
	wantIntegrity(t, "dropped generation", err)
}

// Property 11: reordering, dropping, duplicating or truncating chunks of a
// large file is detected.
func TestSecurity11ChunksReorderedDroppedTruncated(t *testing.T) {
	ks, k := keys(t)
	ref := seal.BlobRef{Doctype: "io.hearth.files", ID: "big"}
	content := pattern(5 << 16)
	s := sealBlob(t, k, seal.PurposeFile, ref, seal.Meta{Name: "big.bin", Size: int64(len(content))}, content)
	const enc = 64<<10 + 16
	hdr := headerLen(t, s)
	chunk := func(i int) []byte {
		lo := hdr + i*enc
		return s[lo:min(lo+enc, len(s))]
	}
	n := (len(s) - hdr + enc - 1) / enc
	if n < 5 {
		t.Fatalf("want at least 5 chunks, have %d", n)
	}
	join := func(idx ...int) []byte {
		out := bytes.Clone(s[:hdr])
		for _, i := range idx {
			out = append(out, chunk(i)...)
		}
		return out
	}
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	cases := map[string][]byte{
		"swap 1 and 2":     join(append([]int{0, 2, 1}, all[3:]...)...),
		"drop 2":           join(append([]int{0, 1}, all[3:]...)...),
		"duplicate 1":      join(append([]int{0, 1, 1}, all[2:]...)...),
		"drop last":        join(all[:n-1]...),
		"truncate mid":     s[:len(s)-100],
		"truncate header":  s[:hdr-1],
		"extend":           append(bytes.Clone(s), 0),
		"append old chunk": append(bytes.Clone(s), chunk(1)...),
	}
	for name, m := range cases {
		_, got, err := openBlob(ks, seal.PurposeFile, ref, m)
		wantIntegrity(t, name, err)
		if !bytes.HasPrefix(content, got) {
			t.Errorf("%s: released bytes that are not the content", name)
		}
	}
}

// headerLen returns the length of the age header plus its 16-byte nonce,
// found from the "--- " MAC line.
func headerLen(t *testing.T, s []byte) int {
	t.Helper()
	i := bytes.Index(s, []byte("\n--- "))
	if i < 0 {
		t.Fatal("no age header")
	}
	j := bytes.IndexByte(s[i+1:], '\n')
	return i + 1 + j + 1 + 16
}

// Property 12: a file's name, size or type cannot be changed, nor can a blob
// be served under another id, doctype or purpose.
func TestSecurity12BlobMetadataBound(t *testing.T) {
	ks, k := keys(t)
	ref := seal.BlobRef{Doctype: "io.hearth.files", ID: "f1"}
	meta := seal.Meta{Name: "tax-2025.pdf", Type: "application/pdf", Size: 1000}
	s := sealBlob(t, k, seal.PurposeFile, ref, meta, pattern(1000))
	for name, c := range map[string]struct {
		p   seal.Purpose
		ref seal.BlobRef
	}{
		"other id":      {seal.PurposeFile, seal.BlobRef{Doctype: ref.Doctype, ID: "f2"}},
		"other doctype": {seal.PurposeFile, seal.BlobRef{Doctype: "io.hearth.photos", ID: "f1"}},
		"as index":      {seal.PurposeIndex, ref},
	} {
		_, _, err := openBlob(ks, c.p, c.ref, s)
		wantIntegrity(t, name, err)
	}
	// A file name that is a path, or holds control characters, is refused
	// when sealing (and when opening: see the blob vectors).
	for _, name := range []string{"../x", "a/b", "a\\b", "..", "a\x00b", "a\nb", string([]byte{0xff})} {
		if _, err := seal.NewBlobWriter(io.Discard, k, seal.PurposeFile, ref, seal.Meta{Name: name}); err == nil {
			t.Errorf("sealed a blob named %q", name)
		}
	}
	// The metadata lives in the encrypted stream: its bytes are not visible.
	if bytes.Contains(s, []byte("tax-2025")) || bytes.Contains(s, []byte("application/pdf")) {
		t.Fatal("metadata visible in the sealed blob")
	}
	// Any change to the first chunk (which carries the metadata) is caught.
	hdr := headerLen(t, s)
	for _, i := range []int{hdr, hdr + 4, hdr + 20} {
		m := bytes.Clone(s)
		m[i] ^= 0x40
		r, err := seal.OpenBlob(bytes.NewReader(m), ks, seal.PurposeFile, ref)
		if r != nil {
			t.Fatalf("changed metadata opened: %+v", r.Meta())
		}
		wantIntegrity(t, "changed metadata", err)
	}
}

// Property 13: the host, holding no doctype key, cannot inject a document
// or a blob: random bytes, items sealed under another key, and well-formed
// items with guessed fields are all rejected.
func TestSecurity13InjectedItemsRejected(t *testing.T) {
	ks, _ := keys(t)
	_, forged := keys(t) // a key the host made up
	ref := seal.Ref{Doctype: notes, ID: "evil", Rev: 1}
	for i := 0; i < 100; i++ {
		junk := make([]byte, i*7)
		rand.Read(junk)
		if len(junk) > 0 {
			junk[0] = seal.DocumentVersion
		}
		_, err := seal.OpenDocument(ks, ref, junk)
		wantIntegrity(t, "random document", err)
	}
	// A document sealed under a key of the same generation but not the user's.
	_, err := seal.OpenDocument(ks, ref, sealDoc(t, forged, ref, seal.Digest{}, "injected"))
	wantIntegrity(t, "document under forged key", err)
	// A blob under a forged key.
	bref := seal.BlobRef{Doctype: "io.hearth.files", ID: "evil"}
	_, _, err = openBlob(ks, seal.PurposeFile, bref, sealBlob(t, forged, seal.PurposeFile, bref, seal.Meta{Name: "x", Size: 1}, []byte("x")))
	wantIntegrity(t, "blob under forged key", err)
	// Not even the format's own error paths tell anything apart.
	_, err = seal.OpenBlob(bytes.NewReader(nil), ks, seal.PurposeFile, bref)
	wantIntegrity(t, "empty blob", err)
	_, err = seal.OpenBlob(io.LimitReader(rand.Reader, 1000), ks, seal.PurposeFile, bref)
	wantIntegrity(t, "random blob", err)
}

// Property 3 (items): all-zero keys and generation 0 are refused.
func TestSecurity03DegenerateDoctypeKeys(t *testing.T) {
	for _, c := range []struct {
		gen uint32
		raw []byte
	}{{1, make([]byte, 32)}, {0, bytes.Repeat([]byte{1}, 32)}, {1, make([]byte, 31)}, {1, nil}} {
		if _, err := seal.NewKey(c.gen, c.raw); !errors.Is(err, seal.ErrWeakKey) {
			t.Errorf("NewKey(%d, %x) = %v", c.gen, c.raw, err)
		}
	}
}

// Property 5 (items): older and unknown format versions are refused.
func TestSecurity05OldFormatVersionsRefused(t *testing.T) {
	ks, k := keys(t)
	ref := seal.Ref{Doctype: notes, ID: "n", Rev: 1}
	s := sealDoc(t, k, ref, seal.Digest{}, "x")
	for _, v := range []byte{0x00, 0x02, 0xff} {
		m := bytes.Clone(s)
		m[0] = v
		_, err := seal.OpenDocument(ks, ref, m)
		wantIntegrity(t, "version byte", err)
	}
}
