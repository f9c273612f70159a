// Command gen writes Hearth's test vectors (spec/vectors/*.json).
//
// It is a second implementation of the sealed formats, written from
// spec/protocol.md and the primitives alone (XChaCha20-Poly1305, HKDF,
// SHA-256, Argon2id, X25519, Ed25519, and age's header and STREAM): it
// imports none of Hearth's packages. Every key, nonce and age file key
// comes from a fixed deterministic stream, so running it twice writes
// identical files.
//
// From the module root:
//
//	go run ./spec/vectors/gen            # rewrite spec/vectors/*.json
//	go run ./spec/vectors/gen -check     # fail if a file is out of date
//
//go:generate go run . -out ..
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
)

// A generator returns the contents of one vector file.
type generator struct {
	file string
	gen  func() any
}

var generators = []generator{
	{"kdf.json", genKDF},
	{"padding.json", genPadding},
	{"document.json", genDocument},
	{"manifest.json", genManifest},
	{"keyring.json", genKeyring},
	{"blob.json", genBlob},
	{"grant.json", genGrant},
	{"passkey.json", genPasskey},
	{"link.json", genLink},
	{"content-mac.json", genContentMAC},
}

func main() {
	out := flag.String("out", "spec/vectors", "directory to write the vector files to")
	check := flag.Bool("check", false, "compare with the files in -out instead of writing them")
	flag.Parse()
	log.SetFlags(0)
	stale := 0
	for _, g := range generators {
		b := encode(g.gen())
		path := filepath.Join(*out, g.file)
		if *check {
			old, err := os.ReadFile(path)
			if err != nil || !bytes.Equal(old, b) {
				log.Printf("%s is out of date", path)
				stale++
			}
			continue
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			log.Fatal(err)
		}
	}
	if stale > 0 {
		log.Fatalf("%d vector files out of date: run go run ./spec/vectors/gen", stale)
	}
}

// encode is the JSON form of every file: two-space indentation, no HTML
// escaping, a final newline.
func encode(v any) []byte {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	e.SetIndent("", "  ")
	if err := e.Encode(v); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// rnd returns n deterministic bytes for label: the concatenation of
// SHA-256("hearth-vectors-v1" || 0x00 || label || 0x00 || u32(i)) for
// i = 0, 1, ... Labels are unique per use, so adding a vector never changes
// the others.
func rnd(label string, n int) []byte {
	var out []byte
	for i := uint32(0); len(out) < n; i++ {
		h := sha256.New()
		h.Write([]byte("hearth-vectors-v1\x00" + label + "\x00"))
		h.Write(binary.BigEndian.AppendUint32(nil, i))
		out = h.Sum(out)
	}
	return out[:n]
}

func rnd32(label string) []byte { return rnd(label, 32) }

// flip returns a copy of b with byte i xored with 0x01 (i < 0 counts from
// the end).
func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	if i < 0 {
		i += len(c)
	}
	c[i] ^= 0x01
	return c
}

// header is what every vector file starts with.
type header struct {
	Format    string `json:"format"`
	Spec      string `json:"spec"`
	Comment   string `json:"comment"`
	Generator string `json:"generator"`
}

func newHeader(format, src, spec, comment string) header {
	return header{format, spec, comment, "go run ./spec/vectors/gen (spec/vectors/gen/" + src + ")"}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(fmt.Sprint("gen: ", err))
	}
	return v
}
