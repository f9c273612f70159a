//go:build hearthtest && js

// The WebAssembly half of TestWasmUploadThroughSessions
// (upload_native_test.go): under Node, with the fetch transport, a file
// large enough for an upload session goes up in pieces and comes back
// verified. Without the server's address in its environment it skips.

package wasm

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/crypto/kdf"
)

func TestWasmSessionUpload(t *testing.T) {
	url := os.Getenv("HEARTH_WASM_SERVER")
	if url == "" {
		t.Skip("HEARTH_WASM_SERVER not set: this test is run by TestWasmUploadThroughSessions (native)")
	}
	ctx := context.Background()
	c, err := client.Login(ctx, url, os.Getenv("HEARTH_WASM_USER"), os.Getenv("HEARTH_WASM_PASSWORD"), "",
		&client.Options{KDF: kdf.TestParams, Device: "wasm"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	size, _ := strconv.Atoi(os.Getenv("HEARTH_WASM_SIZE"))
	data := make([]byte, size)
	rand.NewChaCha8([32]byte{7}).Read(data)
	var acked []int64
	start := time.Now()
	id, err := c.Upload(ctx, bytes.NewReader(data), int64(len(data)), cleanName("big/file.bin"), "", time.Time{}, func(done, total int64) {
		acked = append(acked, done)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("uploaded %d MiB in %v, progress %v", size>>20, time.Since(start).Round(time.Millisecond), acked)
	if len(acked) < 2 || acked[len(acked)-1] != int64(size) {
		t.Fatalf("progress %v", acked)
	}
	var out bytes.Buffer
	if _, err := c.Download(ctx, id, &out); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), data) {
		t.Fatal("the file downloaded differs")
	}
	sum := sha256.Sum256(data)
	os.WriteFile(os.Getenv("HEARTH_WASM_OUT"), []byte(id+" "+hex.EncodeToString(sum[:])), 0o600)
}
