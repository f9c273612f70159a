package web_test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hearthcloud/hearth/crypto/seal"
)

// TestSealWorkerMatchesGo runs the seal worker (static/hearth-seal.js,
// libsodium) in Node on prepared blobs of sizes around the chunk
// boundaries, in requests of several chunk counts, and checks that it
// writes exactly what crypto/seal's reference seals, which age opens.
func TestSealWorkerMatchesGo(t *testing.T) {
	node, ks, k, ref := sealNodeSetup(t)
	dir := t.TempDir()
	for _, c := range []struct{ n, batch int }{{0, 1}, {1, 1}, {65536 - 70, 1}, {65536, 2}, {3*65536 + 5, 2}, {1<<20 + 17, 3}, {1 << 20, 16}} {
		content := make([]byte, c.n)
		rand.Read(content)
		meta := seal.Meta{Name: "ünïcode name.bin", Type: "application/octet-stream", Size: int64(c.n), Modified: 1790000000}
		p, err := seal.PrepareBlob(k, seal.PurposeFile, ref, meta)
		if err != nil {
			t.Fatal(err)
		}
		contentPath, in, out := filepath.Join(dir, "content"), filepath.Join(dir, "in.json"), filepath.Join(dir, "out")
		os.WriteFile(contentPath, content, 0o600)
		job, _ := json.Marshal(map[string]any{"key": p.PayloadKey, "frame": p.Frame, "padding": p.Padding, "chunks": p.Chunks, "batch": c.batch, "content": contentPath})
		os.WriteFile(in, job, 0o600)
		res, err := exec.Command(node, "testdata/seal_node.cjs", in, out).CombinedOutput()
		if err != nil || !strings.Contains(string(res), "PASS") {
			t.Fatalf("n=%d: node: %v\n%s", c.n, err, res)
		}
		got, _ := os.ReadFile(out)
		plain := append(append(bytes.Clone(p.Frame), content...), make([]byte, p.Padding)...)
		var want []byte
		for i := int64(0); i < p.Chunks; i++ {
			want = p.SealChunk(want, i, plain[i*seal.ChunkSize:min((i+1)*seal.ChunkSize, int64(len(plain)))])
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("n=%d batch %d: the seal worker wrote %d bytes, not Go's %d (or other bytes)", c.n, c.batch, len(got), len(want))
		}
		r, err := seal.OpenBlob(bytes.NewReader(append(bytes.Clone(p.Header), got...)), ks, seal.PurposeFile, ref)
		if err != nil {
			t.Fatalf("n=%d: %v", c.n, err)
		}
		var opened bytes.Buffer
		if _, err := opened.ReadFrom(r); err != nil || !bytes.Equal(opened.Bytes(), content) || r.Meta() != meta {
			t.Fatalf("n=%d: opened %d bytes, meta %+v, %v", c.n, opened.Len(), r.Meta(), err)
		}
	}
}

// TestSealWorkerOpens runs the seal worker's open in Node on blobs age
// sealed (seal.NewBlobWriter), in requests of several chunk counts: it
// gives back the payload's plaintext, which seal.OpenBlobPayload reads as
// the file; a changed byte in any chunk is an integrity error.
func TestSealWorkerOpens(t *testing.T) {
	node, ks, k, ref := sealNodeSetup(t)
	dir := t.TempDir()
	run := func(h *seal.OpenedHeader, payload []byte, batch int) []byte {
		t.Helper()
		pp, in, out := filepath.Join(dir, "payload"), filepath.Join(dir, "in.json"), filepath.Join(dir, "out")
		os.WriteFile(pp, payload, 0o600)
		job, _ := json.Marshal(map[string]any{"mode": "open", "key": h.PayloadKey, "chunks": h.Chunks, "batch": batch, "payload": pp})
		os.WriteFile(in, job, 0o600)
		res, err := exec.Command(node, "testdata/seal_node.cjs", in, out).CombinedOutput()
		if err != nil || !strings.Contains(string(res), "PASS") {
			t.Fatalf("node: %v\n%s", err, res)
		}
		got, _ := os.ReadFile(out)
		return got
	}
	for _, c := range []struct{ n, batch int }{{0, 1}, {65536 - 70, 1}, {65536, 2}, {3*65536 + 5, 2}, {1<<20 + 17, 3}} {
		content := make([]byte, c.n)
		rand.Read(content)
		meta := seal.Meta{Name: "ünïcode name.bin", Size: int64(c.n), Modified: 1790000000}
		var sealed bytes.Buffer
		w, err := seal.NewBlobWriter(&sealed, k, seal.PurposeFile, ref, meta)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(content)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		b := sealed.Bytes()
		h, err := seal.OpenBlobHeader(b[:min(len(b), seal.BlobHeaderPrefix)], int64(len(b)), ks, seal.PurposeFile, ref)
		if err != nil {
			t.Fatal(err)
		}
		plain := run(h, b[h.HeaderLen:], c.batch)
		br, err := seal.OpenBlobPayload(bytes.NewReader(plain))
		if err != nil {
			t.Fatalf("n=%d: %v", c.n, err)
		}
		var opened bytes.Buffer
		if _, err := opened.ReadFrom(br); err != nil || !bytes.Equal(opened.Bytes(), content) || br.Meta() != meta {
			t.Fatalf("n=%d: opened %d bytes, meta %+v, %v", c.n, opened.Len(), br.Meta(), err)
		}
		bad := bytes.Clone(b[h.HeaderLen:])
		bad[len(bad)-1] ^= 1
		if got := run(h, bad, c.batch); string(got) != "integrity" {
			t.Fatalf("n=%d: a changed last byte opened (%d bytes)", c.n, len(got))
		}
	}
}

// sealNodeSetup is Node's path and a doctype key (of a key set) and blob
// to seal with, for the seal worker's tests.
func sealNodeSetup(t *testing.T) (node string, ks *seal.KeySet, k *seal.Key, ref seal.BlobRef) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("no node in PATH") // make test installs it
	}
	ks = &seal.KeySet{}
	if k, err = ks.Rotate(); err != nil {
		t.Fatal(err)
	}
	return node, ks, k, seal.BlobRef{Doctype: "io.hearth.files", ID: "b1"}
}
