//go:build js && wasm

package wasm

import (
	"bytes"
	"io"
	"syscall/js"
	"testing"
)

// TestBlobReaderSeek: a Blob read to its end, rewound, reads the same
// bytes again, across slices (under Node: the arrayBuffer() path).
func TestBlobReaderSeek(t *testing.T) {
	data := make([]byte, blobChunk*2+12345)
	for i := range data {
		data[i] = byte(i * 7)
	}
	u8 := js.Global().Get("Uint8Array").New(len(data))
	js.CopyBytesToJS(u8, data)
	blob := js.Global().Get("Blob").New([]any{u8})
	r := &blobReader{blob: blob, size: int64(len(data))}
	half := make([]byte, blobChunk+7)
	if _, err := io.ReadFull(r, half); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := r.Seek(0, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("read again: %d bytes, %v", len(got), err)
		}
	}
	if _, err := r.Seek(5, io.SeekStart); err == nil {
		t.Fatal("a seek elsewhere than the start")
	}
}
