//go:build hearthtest && !js

package wasm

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/crypto/kdf"
	"github.com/hearthcloud/hearth/internal/wasmdevice"
)

// TestWasmUploadThroughSessions runs this package's tests built for
// GOOS=js under Node (internal/wasmdevice) against a real server: a 40 MiB
// file, over the browser's 8 MiB threshold, goes up through an upload
// session in 8 MiB pieces with the fetch transport (client/transport_js.go),
// downloads verified there, and here on a native device.
func TestWasmUploadThroughSessions(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the wasm test binary")
	}
	ctx := context.Background()
	dev := wasmdevice.Start(ctx, t, "hearthtest")
	// On this device first: a Blob read again from its start, as an
	// upload onto a file of that name does (blobseek_js.go).
	dev.Run("TestBlobReaderSeek")
	s := newServer(t)
	var patches, puts atomic.Int32
	s.mu.Lock()
	s.tamper = func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		switch {
		case r.Method == "PATCH" && strings.HasPrefix(r.URL.Path, "/v1/uploads/"):
			patches.Add(1)
		case r.Method == "PUT" && strings.HasPrefix(r.URL.Path, "/v1/blobs/"):
			puts.Add(1)
		}
		return false
	}
	s.mu.Unlock()
	const pw = "wasm session upload password"
	c, _, err := client.Signup(ctx, s.url, "alice", pw, &client.Options{KDF: kdf.TestParams})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dev.Dir(), "result")
	const size = 40 << 20
	dev.Run("TestWasmSessionUpload", "HEARTH_WASM_SERVER="+s.url, "HEARTH_WASM_USER=alice", "HEARTH_WASM_PASSWORD="+pw,
		"HEARTH_WASM_SIZE="+strconv.Itoa(size), "HEARTH_WASM_OUT="+out)
	res, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	id, sum, _ := strings.Cut(string(res), " ")
	if n := patches.Load(); n != 6 || puts.Load() != 0 {
		t.Fatalf("%d PATCHes and %d PUTs for a 40 MiB file from the browser, want 6 pieces of 8 MiB (the last a few KiB) and no PUT", n, puts.Load())
	}
	var buf bytes.Buffer
	if _, err := c.Download(ctx, id, &buf); err != nil {
		t.Fatal(err)
	}
	if got := sha256.Sum256(buf.Bytes()); hex.EncodeToString(got[:]) != sum || buf.Len() != size {
		t.Fatal("the file the browser uploaded differs here")
	}
}
