// Command gen writes the build output of the web client into dist/ (run by
// make web after hearth.wasm and wasm_exec.js are in place; site.Build puts
// wasm_exec.js into hearth-worker.js and writes the import maps and
// integrity attributes of the pages, as hearthd does again at start): a gzip and a
// brotli copy of every file where it saves space, and manifest.json with
// each file's SHA-384 (SRI) and content hash. Copies whose content did not
// change since the last run are kept; stale ones are removed.
//
//	go run ./wasm/web/gen [-static wasm/web/static] [-dist wasm/web/dist]
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/andybalholm/brotli"

	"github.com/hearthcloud/hearth/server/site"
)

var brEncoder = site.Encoder{Name: "br", Ext: ".br", Compress: func(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	// Quality 11 is several times slower for about 5% less on large files.
	q := brotli.BestCompression
	if len(b) > 1<<20 {
		q = 9
	}
	w := brotli.NewWriterLevel(&buf, q)
	w.Write(b)
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}}

func main() {
	static := flag.String("static", "wasm/web/static", "source folder")
	dist := flag.String("dist", "wasm/web/dist", "output folder")
	flag.Parse()
	if err := run(*static, *dist); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(static, dist string) error {
	b, err := site.Build(os.DirFS(static), os.DirFS(dist), site.BuildOptions{Encoders: []site.Encoder{brEncoder, site.Gzip}})
	if err != nil {
		return err
	}
	files, err := b.Files()
	if err != nil {
		return err
	}
	// Remove copies that no longer belong (a file removed or grown larger).
	err = filepath.WalkDir(dist, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dist, p)
		rel = filepath.ToSlash(rel)
		if (strings.HasSuffix(rel, ".gz") || strings.HasSuffix(rel, ".br")) && files[rel] == nil {
			return os.Remove(p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	var total, n int
	for rel, data := range files {
		p := filepath.Join(dist, filepath.FromSlash(rel))
		if old, err := os.ReadFile(p); err == nil && bytes.Equal(old, data) {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p+".tmp", data, 0o644); err != nil {
			return err
		}
		if err := os.Rename(p+".tmp", p); err != nil {
			return err
		}
		total += len(data)
		n++
	}
	m := b.Manifest
	wasm := "none (no wasm/cmd/hearthwasm yet)"
	if e := m.Files[site.WasmName]; e != nil {
		wasm = fmt.Sprintf("%d bytes, %s", e.Size, e.SRI)
	}
	fmt.Printf("web: %d files served, %d outputs rewritten; hearth.wasm: %s\n", len(m.Files), n, wasm)
	return nil
}
