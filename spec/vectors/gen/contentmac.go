package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
)

// content-mac.json: spec/protocol.md §4.1 and §6.3, the keyed hash a files
// document records of a file's plaintext (its member mac).

type contentMACVector struct {
	Name    string `json:"name"`
	Key     string `json:"key"`               // the doctype key K
	Content string `json:"content,omitempty"` // the file's plaintext, or:
	Fill    int    `json:"fill,omitempty"`    // with length: length bytes of this value
	Length  int    `json:"length,omitempty"`
	MAC     string `json:"mac"`
}

type contentMACFile struct {
	header
	Vectors []contentMACVector `json:"vectors"`
}

// contentMAC is §6.3's construction, written here apart from crypto/seal.
func contentMAC(key, content []byte) []byte {
	const piece = 4 << 20
	var list []byte
	for i := 0; i*piece < len(content); i++ {
		m := hmac.New(sha256.New, key)
		m.Write(binary.BigEndian.AppendUint64([]byte{0}, uint64(i)))
		m.Write(content[i*piece : min((i+1)*piece, len(content))])
		list = m.Sum(list)
	}
	m := hmac.New(sha256.New, key)
	m.Write(binary.BigEndian.AppendUint64([]byte{1}, uint64(len(content))))
	m.Write(list)
	return m.Sum(nil)
}

func genContentMAC() any {
	f := &contentMACFile{header: newHeader("content-mac", "contentmac.go", "spec/protocol.md §4.1, §6.3",
		"The mac of a file document, with Km = HKDF(K, \"hearth/v1 content mac\") of the doctype key K of generation mac_gen: "+
			"the plaintext cut in pieces of 4 MiB (the last shorter; none when empty), m_i = HMAC-SHA-256(Km, 0x00 || u64(i) || piece i), "+
			"mac = HMAC-SHA-256(Km, 0x01 || u64(length) || m_0 || m_1 || ...). A vector with fill and length stands for length bytes of fill.")}
	k1, k2 := rnd32("content-mac key 1"), rnd32("content-mac key 2")
	add := func(name string, k, content []byte) {
		f.Vectors = append(f.Vectors, contentMACVector{Name: name, Key: hx(k), Content: hx(content), MAC: hx(contentMAC(subkey(k, "hearth/v1 content mac"), content))})
	}
	fill := func(name string, k []byte, b byte, n int) {
		f.Vectors = append(f.Vectors, contentMACVector{Name: name, Key: hx(k), Fill: int(b), Length: n,
			MAC: hx(contentMAC(subkey(k, "hearth/v1 content mac"), bytes.Repeat([]byte{b}, n)))})
	}
	add("empty", k1, nil)
	add("short", k1, []byte("holiday photos, 2024\n"))
	add("short_other_key", k2, []byte("holiday photos, 2024\n"))
	add("one_byte_changed", k1, []byte("holiday photos, 2025\n"))
	add("two_blocks", k1, rnd("content-mac two blocks", 130))
	fill("one_piece", k1, 'a', 4<<20)
	fill("one_piece_and_a_byte", k1, 'a', 4<<20+1)
	fill("three_pieces_less_a_byte", k1, 0, 12<<20-1)
	return f
}
