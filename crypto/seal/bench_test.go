package seal_test

// Benchmarks for the figures of issue 2 (see BENCHMARKS.md and
// scripts/bench.sh). They run natively and under GOOS=js GOARCH=wasm.
//
// Identifiers here carry a bench prefix so they cannot collide with helpers
// in the package's other test files.

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"testing"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/hearthcloud/hearth/crypto/pad"
	"github.com/hearthcloud/hearth/crypto/seal"
	"github.com/hearthcloud/hearth/internal/wire"
)

const (
	benchDoctype  = "io.hearth.notes"
	benchDocSize  = 1 << 10  // 1 KiB document
	benchNumDocs  = 10_000   // documents opened per iteration of BenchmarkOpen10000Documents
	benchBlobSize = 64 << 20 // 64 MiB blob
	benchChunk    = 64 << 10 // age STREAM chunk size, for the raw AEAD baseline
)

func benchKeySet(tb testing.TB) (*seal.KeySet, *seal.Key) {
	tb.Helper()
	ks := &seal.KeySet{}
	k, _ := ks.Rotate()
	return ks, k
}

// benchContent returns n bytes that look like a document: printable, not
// all one value.
func benchContent(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = 'a' + byte(i*7%26)
	}
	return b
}

func BenchmarkSealDocument1KiB(b *testing.B) {
	_, k := benchKeySet(b)
	ref := seal.Ref{Doctype: benchDoctype, ID: wire.NewID(), Rev: 1}
	content := benchContent(benchDocSize)
	b.SetBytes(benchDocSize)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := seal.SealDocument(k, ref, seal.Digest{}, content); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpenDocument1KiB(b *testing.B) {
	ks, k := benchKeySet(b)
	ref := seal.Ref{Doctype: benchDoctype, ID: wire.NewID(), Rev: 1}
	content := benchContent(benchDocSize)
	sealed, err := seal.SealDocument(k, ref, seal.Digest{}, content)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(benchDocSize)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := seal.OpenDocument(ks, ref, sealed); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpen10000Documents opens 10,000 sealed 1 KiB documents, each with
// its own identifier, per iteration: what a client does to load a doctype.
func BenchmarkOpen10000Documents(b *testing.B) {
	ks, k := benchKeySet(b)
	refs := make([]seal.Ref, benchNumDocs)
	sealed := make([][]byte, benchNumDocs)
	for i := range refs {
		refs[i] = seal.Ref{Doctype: benchDoctype, ID: wire.NewID(), Rev: 1}
		content := benchContent(benchDocSize)
		content[0] = byte(i) // documents differ
		s, err := seal.SealDocument(k, refs[i], seal.Digest{}, content)
		if err != nil {
			b.Fatal(err)
		}
		sealed[i] = s
	}
	b.ReportAllocs()
	for b.Loop() {
		for i, s := range sealed {
			d, err := seal.OpenDocument(ks, refs[i], s)
			if err != nil || len(d.Content) != benchDocSize {
				b.Fatalf("document %d: %v", i, err)
			}
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/10k-docs")
}

// benchCounter counts the bytes written to it and keeps none.
type benchCounter int64

func (c *benchCounter) Write(p []byte) (int, error) { *c += benchCounter(len(p)); return len(p), nil }

func benchBlobMeta() seal.Meta {
	return seal.Meta{Name: "video.mp4", Type: "video/mp4", Size: benchBlobSize, Modified: 1795000000}
}

func BenchmarkSealBlob64MiB(b *testing.B) {
	_, k := benchKeySet(b)
	ref := seal.BlobRef{Doctype: benchDoctype, ID: wire.NewID()}
	meta := benchBlobMeta()
	content := benchContent(benchBlobSize) // the one 64 MiB input
	want, err := seal.SealedBlobSize(k, seal.PurposeFile, ref, meta)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(benchBlobSize)
	b.ReportAllocs()
	for b.Loop() {
		var out benchCounter
		w, err := seal.NewBlobWriter(&out, k, seal.PurposeFile, ref, meta)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(w, bytes.NewReader(content)); err != nil {
			b.Fatal(err)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		if int64(out) != want {
			b.Fatalf("sealed %d bytes, SealedBlobSize says %d", out, want)
		}
	}
}

// benchRepeat is an endless reader of a short pattern, so a 64 MiB blob can
// be sealed without holding its plaintext.
type benchRepeat struct {
	pat []byte
	off int
}

func (r *benchRepeat) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.pat[r.off:])
		n += c
		r.off = (r.off + c) % len(r.pat)
	}
	return n, nil
}

func BenchmarkOpenBlob64MiB(b *testing.B) {
	ks, k := benchKeySet(b)
	ref := seal.BlobRef{Doctype: benchDoctype, ID: wire.NewID()}
	meta := benchBlobMeta()
	size, err := seal.SealedBlobSize(k, seal.PurposeFile, ref, meta)
	if err != nil {
		b.Fatal(err)
	}
	// The sealed blob is the one large buffer held (about 66 MiB with
	// padding and tags); its plaintext is streamed from a short pattern.
	var sealed bytes.Buffer
	sealed.Grow(int(size))
	w, err := seal.NewBlobWriter(&sealed, k, seal.PurposeFile, ref, meta)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(w, io.LimitReader(&benchRepeat{pat: benchContent(4093)}, benchBlobSize)); err != nil {
		b.Fatal(err)
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	blob := sealed.Bytes()
	b.SetBytes(benchBlobSize)
	b.ReportAllocs()
	for b.Loop() {
		r, err := seal.OpenBlob(bytes.NewReader(blob), ks, seal.PurposeFile, ref)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, r)
		if err != nil || n != benchBlobSize {
			b.Fatalf("opened %d bytes: %v", n, err)
		}
	}
}

// BenchmarkBaselineXChaCha20Poly1305_64KiB seals 64 KiB chunks with the raw
// AEAD, the reference for the blob figures: same machine, same run.
func BenchmarkBaselineXChaCha20Poly1305_64KiB(b *testing.B) {
	key := make([]byte, chacha20poly1305.KeySize)
	nonce := make([]byte, chacha20poly1305.NonceSizeX)
	rand.Read(key)
	rand.Read(nonce)
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		b.Fatal(err)
	}
	chunk := benchContent(benchChunk)
	dst := make([]byte, 0, benchChunk+aead.Overhead())
	b.SetBytes(benchChunk)
	b.ReportAllocs()
	for b.Loop() {
		dst = aead.Seal(dst[:0], nonce, chunk, nil)
	}
}

// TestDocumentOverhead checks that DocumentOverhead is what sealing adds
// before padding: a sealed document is DocumentOverhead-1 bytes (header,
// nonce, tag) plus the padded plaintext, whose pad.Len already counts the
// one-byte end marker.
func TestDocumentOverhead(t *testing.T) {
	if seal.DocumentOverhead >= 100 {
		t.Errorf("DocumentOverhead = %d, want < 100", seal.DocumentOverhead)
	}
	const header, nonce, tag, marker = 1 + 4 + seal.DigestSize, 24, 16, 1
	if seal.DocumentOverhead != header+nonce+tag+marker {
		t.Errorf("DocumentOverhead = %d, want %d (header %d, nonce %d, tag %d, marker %d)",
			seal.DocumentOverhead, header+nonce+tag+marker, header, nonce, tag, marker)
	}
	_, k := benchKeySet(t)
	for _, n := range []int{benchDocSize, 0, 1, 255, 256, 4000, 1 << 16} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			content := benchContent(n)
			sealed, err := seal.SealDocument(k, seal.Ref{Doctype: benchDoctype, ID: "d1", Rev: 1}, seal.Digest{}, content)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(sealed) - pad.Len(len(content)) + 1; got != seal.DocumentOverhead {
				t.Errorf("%d-byte content: sealed %d bytes, padded plaintext %d: overhead %d, DocumentOverhead %d",
					n, len(sealed), pad.Len(len(content)), got, seal.DocumentOverhead)
			}
		})
	}
}
