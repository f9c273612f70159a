package main

import (
	"crypto/hmac"
	"crypto/sha256"
)

// content-mac.json: spec/protocol.md §4.1 and §6.3, the keyed hash a files
// document records of a file's plaintext (its member mac).

type contentMACVector struct {
	Name    string `json:"name"`
	Key     string `json:"key"`     // the doctype key K
	Content string `json:"content"` // the file's plaintext
	MAC     string `json:"mac"`     // HMAC-SHA-256(HKDF(K, "hearth/v1 content mac"), content)
}

type contentMACFile struct {
	header
	Vectors []contentMACVector `json:"vectors"`
}

func genContentMAC() any {
	f := &contentMACFile{header: newHeader("content-mac", "contentmac.go", "spec/protocol.md §4.1, §6.3",
		"The mac of a file document: HMAC-SHA-256 of the file's plaintext under the subkey HKDF(K, \"hearth/v1 content mac\") "+
			"of the doctype key K of generation mac_gen. Equal content under one key gives one mac; another key, another.")}
	k1, k2 := rnd32("content-mac key 1"), rnd32("content-mac key 2")
	add := func(name string, k, content []byte) {
		m := hmac.New(sha256.New, subkey(k, "hearth/v1 content mac"))
		m.Write(content)
		f.Vectors = append(f.Vectors, contentMACVector{Name: name, Key: hx(k), Content: hx(content), MAC: hx(m.Sum(nil))})
	}
	add("empty", k1, nil)
	add("short", k1, []byte("holiday photos, 2024\n"))
	add("short_other_key", k2, []byte("holiday photos, 2024\n"))
	add("one_byte_changed", k1, []byte("holiday photos, 2025\n"))
	add("two_blocks", k1, rnd("content-mac two blocks", 130))
	return f
}
