package seal_test

import (
	"bytes"
	"testing"

	"github.com/hearthcloud/hearth/crypto/seal"
)

// sealPrepared seals content as p's payload with SealChunk, as the seal
// worker does: the header, then each chunk of frame, content and zeros.
func sealPrepared(p *seal.Prepared, content []byte) []byte {
	plain := append(append(bytes.Clone(p.Frame), content...), make([]byte, p.Padding)...)
	out := bytes.Clone(p.Header)
	for i := int64(0); i < p.Chunks; i++ {
		end := min((i+1)*seal.ChunkSize, int64(len(plain)))
		out = p.SealChunk(out, i, plain[i*seal.ChunkSize:end])
	}
	return out
}

// A prepared blob sealed chunk by chunk is a blob that age opens, of the
// size NewBlobWriter writes, at every boundary of the chunks.
func TestPreparedBlobOpens(t *testing.T) {
	ks, k := keys(t)
	ref := seal.BlobRef{Doctype: "io.hearth.files", ID: "b1"}
	for _, n := range []int{0, 1, 300, 64<<10 - 60, 64<<10 - 40, 64 << 10, 2 << 16, 3<<16 + 5, 1 << 20} {
		meta := seal.Meta{Name: "photo ünïcode.jpg", Type: "image/jpeg", Size: int64(n), Modified: 1700000000}
		content := pattern(n)
		p, err := seal.PrepareBlob(k, seal.PurposeFile, ref, meta)
		if err != nil {
			t.Fatal(err)
		}
		sealed := sealPrepared(p, content)
		want, err := seal.SealedBlobSize(k, seal.PurposeFile, ref, meta)
		if err != nil || int64(len(sealed)) != want || p.SealedSize != want {
			t.Fatalf("n=%d: sealed %d bytes, Prepared says %d, NewBlobWriter writes %d (%v)", n, len(sealed), p.SealedSize, want, err)
		}
		if int64(len(p.Frame))+p.Size+p.Padding > p.Chunks*seal.ChunkSize || int64(len(p.Frame))+p.Size+p.Padding <= (p.Chunks-1)*seal.ChunkSize {
			t.Fatalf("n=%d: %d chunks for %d plaintext bytes", n, p.Chunks, int64(len(p.Frame))+p.Size+p.Padding)
		}
		got, b, err := openBlob(ks, seal.PurposeFile, ref, sealed)
		if err != nil || got != meta || !bytes.Equal(b, content) {
			t.Fatalf("n=%d: meta %+v, %d bytes, %v", n, got, len(b), err)
		}
		// Each prepared blob has its own file key and nonce.
		q, _ := seal.PrepareBlob(k, seal.PurposeFile, ref, meta)
		if bytes.Equal(q.PayloadKey, p.PayloadKey) || bytes.Equal(q.Header, p.Header) {
			t.Fatal("two prepared blobs share a payload key or header")
		}
	}
}

// Chunks sealed out of their place, or with the wrong last flag, do not
// open: the reference seals what age's STREAM checks.
func TestPreparedBlobOrder(t *testing.T) {
	ks, k := keys(t)
	ref := seal.BlobRef{Doctype: "io.hearth.files", ID: "b1"}
	meta := seal.Meta{Name: "a", Size: 3 << 16}
	p, err := seal.PrepareBlob(k, seal.PurposeFile, ref, meta)
	if err != nil {
		t.Fatal(err)
	}
	content := pattern(int(meta.Size))
	plain := append(append(bytes.Clone(p.Frame), content...), make([]byte, p.Padding)...)
	chunk := func(i int64) []byte { return plain[i*seal.ChunkSize : min((i+1)*seal.ChunkSize, int64(len(plain)))] }
	swapped := bytes.Clone(p.Header)
	swapped = p.SealChunk(swapped, 1, chunk(0))
	swapped = p.SealChunk(swapped, 0, chunk(1))
	for i := int64(2); i < p.Chunks; i++ {
		swapped = p.SealChunk(swapped, i, chunk(i))
	}
	if _, _, err := openBlob(ks, seal.PurposeFile, ref, swapped); err == nil {
		t.Error("chunks sealed under each other's nonces opened")
	}
	short := &seal.Prepared{Header: p.Header, PayloadKey: p.PayloadKey, Chunks: p.Chunks - 1}
	cut := bytes.Clone(p.Header)
	for i := int64(0); i < p.Chunks-1; i++ {
		cut = short.SealChunk(cut, i, chunk(i))
	}
	if _, _, err := openBlob(ks, seal.PurposeFile, ref, cut); err == nil {
		t.Error("a stream ended early by a last flag opened")
	}
}

// openChunks opens sealed, a blob NewBlobWriter wrote, the way the seal
// worker does: OpenBlobHeader, each chunk by OpenChunk, OpenBlobPayload.
func openChunks(t *testing.T, ks *seal.KeySet, ref seal.BlobRef, sealed []byte) (seal.Meta, []byte, error) {
	t.Helper()
	h, err := seal.OpenBlobHeader(sealed[:min(len(sealed), seal.BlobHeaderPrefix)], int64(len(sealed)), ks, seal.PurposeFile, ref)
	if err != nil {
		return seal.Meta{}, nil, err
	}
	payload := sealed[h.HeaderLen:]
	var plain []byte
	for i := int64(0); i < h.Chunks; i++ {
		c := payload[i*seal.SealedChunkSize : min((i+1)*seal.SealedChunkSize, int64(len(payload)))]
		if plain, err = h.OpenChunk(plain, i, c); err != nil {
			return seal.Meta{}, nil, err
		}
	}
	br, err := seal.OpenBlobPayload(bytes.NewReader(plain))
	if err != nil {
		return seal.Meta{}, nil, err
	}
	var out bytes.Buffer
	_, err = out.ReadFrom(br)
	return br.Meta(), out.Bytes(), err
}

// A blob age sealed opens chunk by chunk from its checked header, at
// every chunk boundary; a header of another blob, a changed size or a
// changed byte anywhere does not.
func TestOpenBlobHeader(t *testing.T) {
	ks, k := keys(t)
	ref := seal.BlobRef{Doctype: "io.hearth.files", ID: "b1"}
	for _, n := range []int{0, 1, 300, 64<<10 - 60, 64 << 10, 2 << 16, 3<<16 + 5, 1 << 20} {
		meta := seal.Meta{Name: "photo ünïcode.jpg", Type: "image/jpeg", Size: int64(n), Modified: 1700000000}
		content := pattern(n)
		sealed := sealBlob(t, k, seal.PurposeFile, ref, meta, content)
		got, b, err := openChunks(t, ks, ref, sealed)
		if err != nil || got != meta || !bytes.Equal(b, content) {
			t.Fatalf("n=%d: meta %+v, %d bytes, %v", n, got, len(b), err)
		}
		if _, err := seal.OpenBlobHeader(sealed[:seal.BlobHeaderPrefix%len(sealed)+1], int64(len(sealed)), ks, seal.PurposeFile, seal.BlobRef{Doctype: "io.hearth.files", ID: "b2"}); err == nil {
			t.Fatal("a blob opened as another")
		}
	}
	meta := seal.Meta{Name: "a", Size: 3<<16 + 5}
	sealed := sealBlob(t, k, seal.PurposeFile, ref, meta, pattern(int(meta.Size)))
	for _, at := range []int{10, 200, len(sealed) / 2, len(sealed) - 1} {
		bad := bytes.Clone(sealed)
		bad[at] ^= 1
		if _, _, err := openChunks(t, ks, ref, bad); err == nil {
			t.Errorf("a blob changed at byte %d of %d opened", at, len(sealed))
		}
	}
	for _, cut := range []int{1, 16, 17, seal.SealedChunkSize} {
		if _, _, err := openChunks(t, ks, ref, sealed[:len(sealed)-cut]); err == nil {
			t.Errorf("a blob cut by %d bytes opened", cut)
		}
	}
	if _, _, err := openChunks(t, ks, ref, append(bytes.Clone(sealed), make([]byte, 16)...)); err == nil {
		t.Error("a blob with a chunk of only a tag opened")
	}
}

// PayloadFrame gives the metadata, the frame's length and the padding of
// a payload's plaintext, and refuses a frame that OpenBlobPayload would.
func TestPayloadFrame(t *testing.T) {
	_, k := keys(t)
	ref := seal.BlobRef{Doctype: "io.hearth.files", ID: "b1"}
	meta := seal.Meta{Name: "a b.txt", Type: "text/plain", Size: 100000, Modified: 1700000000}
	p, err := seal.PrepareBlob(k, seal.PurposeFile, ref, meta)
	if err != nil {
		t.Fatal(err)
	}
	plain := append(bytes.Clone(p.Frame), make([]byte, int(meta.Size)+int(p.Padding))...)
	got, n, pad, err := seal.PayloadFrame(plain)
	if err != nil || got != meta || n != len(p.Frame) || pad != p.Padding {
		t.Fatalf("PayloadFrame = %+v, %d, %d, %v; want %+v, %d, %d", got, n, pad, err, meta, len(p.Frame), p.Padding)
	}
	for _, bad := range [][]byte{nil, plain[:3], plain[:len(p.Frame)-1], append([]byte{0xff, 0xff, 0xff, 0xff}, plain[4:]...)} {
		if _, _, _, err := seal.PayloadFrame(bad); err == nil {
			t.Errorf("a bad frame of %d bytes was read", len(bad))
		}
	}
}
