package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"

	"golang.org/x/crypto/argon2"
)

// link.json: spec/protocol.md §4.5.

type linkURLVector struct {
	Name    string `json:"name"`
	URL     string `json:"url"`
	Origin  string `json:"origin,omitempty"`
	Kind    string `json:"kind,omitempty"`
	ID      string `json:"id,omitempty"`
	Key     string `json:"key,omitempty"` // hex
	Error   string `json:"error,omitempty"`
	Comment string `json:"comment,omitempty"`
}

type linkKDF struct {
	Alg string `json:"alg"`
	M   uint32 `json:"m"`
	T   uint32 `json:"t"`
	P   uint8  `json:"p"`
}

type linkDerivation struct {
	Name     string   `json:"name"`
	Comment  string   `json:"comment"`
	ID       string   `json:"id"`
	Key      string   `json:"key"` // hex
	Password *string  `json:"password,omitempty"`
	Salt     string   `json:"salt,omitempty"`
	KDF      *linkKDF `json:"kdf,omitempty"`
	PW       string   `json:"pw,omitempty"` // Argon2id output, hex
	Root     string   `json:"root"`
	Proof    string   `json:"proof"`
	Verifier string   `json:"verifier"`
	SealKey  string   `json:"seal_key"`
	DropKey  string   `json:"drop_key"`
}

type linkManifestVector struct {
	Name       string `json:"name"`
	Comment    string `json:"comment"`
	Derivation string `json:"derivation"` // whose keys open it
	ID         string `json:"id"`         // the link id the opener expects
	Version    uint64 `json:"version"`    // the version the server states
	Nonce      string `json:"nonce,omitempty"`
	Content    string `json:"content_json,omitempty"` // what opening gives (valid vectors), the exact bytes sealed
	Sealed     string `json:"sealed"`                 // hex
	Error      string `json:"error,omitempty"`
}

type linkTagVector struct {
	Name       string `json:"name"`
	Derivation string `json:"derivation"`
	Recipient  string `json:"recipient"`
	Tag        string `json:"tag"` // hex
	Valid      bool   `json:"valid"`
}

type linkDropVector struct {
	Name       string    `json:"name"`
	Comment    string    `json:"comment"`
	Derivation string    `json:"derivation"`
	DropID     string    `json:"drop_id"`
	Identity   string    `json:"identity"`
	HeaderHash string    `json:"header_sha256,omitempty"`
	DropTag    string    `json:"drop_tag,omitempty"` // hex
	Meta       *blobMeta `json:"meta,omitempty"`
	Content    string    `json:"content,omitempty"` // hex
	Sealed     string    `json:"sealed"`            // base64
	Error      string    `json:"error,omitempty"`
}

type linkFile struct {
	header
	URLs        []linkURLVector      `json:"urls"`
	Derivations []linkDerivation     `json:"derivations"`
	Manifests   []linkManifestVector `json:"manifests"`
	Tags        []linkTagVector      `json:"recipient_tags"`
	Drops       []linkDropVector     `json:"drops"`
}

type linkKeys struct{ id, proof, seal, drop []byte }

func deriveLink(id string, k, pw []byte) (root []byte, lk linkKeys) {
	root = subkey(append(append([]byte{}, k...), pw...), "hearth/v1 link "+id)
	return root, linkKeys{[]byte(id), subkey(root, "hearth/v1 link access"), subkey(root, "hearth/v1 link manifest"), subkey(root, "hearth/v1 link drop")}
}

func linkMAC(key []byte, parts ...[]byte) []byte {
	m := hmac.New(sha256.New, key)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

func linkManifestAD(id string, version uint64) []byte {
	return append(u64(lp(ctx("hearth-link-v1"), id), version), 0x01)
}

func sealLinkManifest(sealKey []byte, id string, version uint64, nonce, content []byte) []byte {
	return append(append([]byte{0x01}, nonce...), xseal(sealKey, nonce, pad(content), linkManifestAD(id, version))...)
}

func genLink() any {
	f := &linkFile{header: newHeader("link", "link.go", "spec/protocol.md §4.5",
		"Share and drop links. urls: parse each url; valid ones give origin, kind, id and key (hex), others fail with bad_url. "+
			"derivations: from id, key and (when password is given) Argon2id(NFC(password), salt, kdf) = pw, derive root = HKDF(key || pw, \"hearth/v1 link \" || id) "+
			"and from it proof, seal_key and drop_key; verifier = SHA-256(proof). manifests: open sealed (hex) with the seal key of the named derivation, "+
			"as link id and version; valid ones give content_json (sealing those bytes with nonce gives sealed exactly), others fail with integrity. "+
			"recipient_tags: HMAC-SHA-256(drop_key, lp(id) || lp(recipient)); valid says whether tag is that. "+
			"drops: open sealed (base64) with identity as drop_id of the derivation's link, checking the metadata's tag; valid ones give meta and content, others fail with integrity.")}
	const id1, id2 = "k3v7dq2xmwzr5a6b4nepfhyjua", "m2pq7f4ztx3vhclw6ryd5bnk2e"
	k1 := rnd32("link/key/1")
	k2 := rnd32("link/key/2")
	keyStr := base64.RawURLEncoding.EncodeToString(k1)

	// URLs.
	okURL := func(name, url, origin, kind, id string, key []byte) {
		f.URLs = append(f.URLs, linkURLVector{Name: name, URL: url, Origin: origin, Kind: kind, ID: id, Key: hx(key)})
	}
	badURL := func(name, url, comment string) {
		f.URLs = append(f.URLs, linkURLVector{Name: name, URL: url, Error: "bad_url", Comment: comment})
	}
	okURL("share_https", "https://example.org/s/"+id1+"#"+keyStr, "https://example.org", "share", id1, k1)
	okURL("drop_loopback_port", "http://localhost:8080/d/"+id1+"#"+keyStr, "http://localhost:8080", "drop", id1, k1)
	okURL("share_ipv4_loopback", "http://127.0.0.1:9/s/"+id2+"#"+base64.RawURLEncoding.EncodeToString(k2), "http://127.0.0.1:9", "share", id2, k2)
	badURL("http_remote", "http://example.org/s/"+id1+"#"+keyStr, "plain http off loopback")
	badURL("no_fragment", "https://example.org/s/"+id1, "")
	badURL("padded_key", "https://example.org/s/"+id1+"#"+keyStr+"=", "")
	badURL("short_key", "https://example.org/s/"+id1+"#"+keyStr[:42], "")
	badURL("std_base64_key", "https://example.org/s/"+id1+"#"+base64.RawStdEncoding.EncodeToString(append([]byte{0xfb, 0xff}, k1[2:]...)), "a key in standard base64 (+ or /)")
	badURL("zero_key", "https://example.org/s/"+id1+"#"+base64.RawURLEncoding.EncodeToString(make([]byte, 32)), "")
	badURL("upper_id", "https://example.org/s/K3V7DQ2XMWZR5A6B4NEPFHYJUA#"+keyStr, "")
	badURL("short_id", "https://example.org/s/k3v7dq2x#"+keyStr, "")
	badURL("other_path", "https://example.org/x/"+id1+"#"+keyStr, "")
	badURL("query", "https://example.org/s/"+id1+"?a=b#"+keyStr, "")
	badURL("userinfo", "https://a@example.org/s/"+id1+"#"+keyStr, "")
	badURL("trailing_slash", "https://example.org/s/"+id1+"/#"+keyStr, "")

	// Derivations.
	_, plainKeys := deriveLink(id1, k1, nil)
	root, _ := deriveLink(id1, k1, nil)
	f.Derivations = append(f.Derivations, linkDerivation{Name: "no_password", Comment: "No password: pw is empty.", ID: id1, Key: hx(k1),
		Root: hx(root), Proof: hx(plainKeys.proof), Verifier: hx(sha(plainKeys.proof)), SealKey: hx(plainKeys.seal), DropKey: hx(plainKeys.drop)})
	password := "correct horse \u00e9" // "é" precomposed; NFC leaves it
	salt := rnd("link/salt", 16)
	pw := argon2.IDKey([]byte(password), salt, 3, 65536, 1, 32)
	root2, pwKeys := deriveLink(id2, k2, pw)
	f.Derivations = append(f.Derivations, linkDerivation{Name: "password", Comment: "A password, Argon2id at the default parameters.", ID: id2, Key: hx(k2),
		Password: &password, Salt: hx(salt), KDF: &linkKDF{"argon2id", 65536, 3, 1}, PW: hx(pw),
		Root: hx(root2), Proof: hx(pwKeys.proof), Verifier: hx(sha(pwKeys.proof)), SealKey: hx(pwKeys.seal), DropKey: hx(pwKeys.drop)})

	// Manifests.
	fileContent := []byte(`{"kind":"file","name":"holiday.jpg","created":1795000000,"entries":[{"path":"holiday.jpg","type":"image/jpeg","length":2483716,"mtime":1795000000,` +
		`"blob":"sx26hrxtfeijjcjry3kajh7m6a","digest":"` + b64(sha([]byte("blob"))) + `","size":2489344,"key":"` + b64(rnd("link/filekey/1", 16)) + `"}]}`)
	folderContent := []byte(`{"kind":"folder","name":"Trips","created":1795000100,"entries":[` +
		`{"path":"2024/a.jpg","type":"image/jpeg","length":10,"blob":"q5mz2hx7ncl4w3tyb6rkd2ve4a","digest":"` + b64(sha([]byte("a"))) + `","size":300,"key":"` + b64(rnd("link/filekey/2", 16)) + `"},` +
		`{"path":"2024/b.txt","length":0,"blob":"q5mz2hx7ncl4w3tyb6rkd2ve4b","digest":"` + b64(sha([]byte("b"))) + `","size":290,"key":"` + b64(rnd("link/filekey/3", 16)) + `"},` +
		`{"path":"empty","folder":true}]}`)
	manifest := func(name, comment, deriv string, keys linkKeys, id string, version uint64, content []byte) []byte {
		nonce := rnd("link/manifest/"+name, 24)
		sealed := sealLinkManifest(keys.seal, id, version, nonce, content)
		f.Manifests = append(f.Manifests, linkManifestVector{Name: name, Comment: comment, Derivation: deriv, ID: id, Version: version,
			Nonce: hx(nonce), Content: string(content), Sealed: hx(sealed)})
		return sealed
	}
	bad := func(name, comment, deriv, id string, version uint64, sealed []byte) {
		f.Manifests = append(f.Manifests, linkManifestVector{Name: name, Comment: comment, Derivation: deriv, ID: id, Version: version, Sealed: hx(sealed), Error: "integrity"})
	}
	fileSealed := manifest("file", "A file link's manifest, version 1.", "no_password", plainKeys, id1, 1, fileContent)
	folderSealed := manifest("folder_password", "A folder link with a password, version 3.", "password", pwKeys, id2, 3, folderContent)
	bad("older_version", "folder_password opened as version 2.", "password", id2, 2, folderSealed)
	bad("newer_version", "folder_password opened as version 4.", "password", id2, 4, folderSealed)
	bad("version_zero", "file opened as version 0.", "no_password", id1, 0, fileSealed)
	bad("wrong_keys", "file opened with the password link's keys (and its id).", "password", id2, 1, fileSealed)
	bad("flip_ciphertext", "file with a ciphertext byte xored with 1.", "no_password", id1, 1, flip(fileSealed, 40))
	bad("flip_tag", "file with its last byte xored with 1.", "no_password", id1, 1, flip(fileSealed, -1))
	bad("flip_version_byte", "file with its format byte 1 changed to 2.", "no_password", id1, 1, append([]byte{0x02}, fileSealed[1:]...))
	bad("truncated", "file without its last byte.", "no_password", id1, 1, fileSealed[:len(fileSealed)-1])
	// Authentic seals of contents that break §4.5's rules.
	auth := func(name, comment, content string) {
		nonce := rnd("link/manifest/"+name, 24)
		bad(name, comment+" Authentically sealed.", "no_password", id1, 1, sealLinkManifest(plainKeys.seal, id1, 1, nonce, []byte(content)))
	}
	entry := func(path, extra string) string {
		return `{"path":"` + path + `","blob":"q5mz2hx7ncl4w3tyb6rkd2ve4a","digest":"` + b64(sha([]byte("a"))) + `","size":300,"length":1,"key":"` + b64(rnd("link/filekey/x", 16)) + `"` + extra + `}`
	}
	auth("path_dotdot", "A path that climbs out of the folder.", `{"kind":"folder","name":"T","created":1,"entries":[`+entry("../x", "")+`]}`)
	auth("path_absolute", "An absolute path.", `{"kind":"folder","name":"T","created":1,"entries":[`+entry("/x", "")+`]}`)
	auth("path_backslash", "A path with a backslash.", `{"kind":"folder","name":"T","created":1,"entries":[`+entry(`a\\b`, "")+`]}`)
	auth("path_duplicate", "Two entries of one path.", `{"kind":"folder","name":"T","created":1,"entries":[`+entry("a", "")+`,`+entry("a", "")+`]}`)
	auth("file_under_file", "A file whose folder is a file.", `{"kind":"folder","name":"T","created":1,"entries":[`+entry("a", "")+`,`+entry("a/b", "")+`]}`)
	auth("kind_unknown", "Another kind.", `{"kind":"album","name":"T","created":1,"entries":[]}`)
	auth("file_two_entries", "A file manifest of two entries.", `{"kind":"file","name":"a","created":1,"entries":[`+entry("a", "")+`,`+entry("b", "")+`]}`)
	auth("file_other_name", "A file manifest whose entry is named otherwise.", `{"kind":"file","name":"a","created":1,"entries":[`+entry("b", "")+`]}`)
	auth("key_short", "A file key of 15 bytes.", `{"kind":"folder","name":"T","created":1,"entries":[{"path":"a","blob":"q5mz2hx7ncl4w3tyb6rkd2ve4a","digest":"`+b64(sha([]byte("a")))+`","size":300,"key":"`+b64(make([]byte, 15))+`"}]}`)
	auth("key_zero", "An all-zero file key.", `{"kind":"folder","name":"T","created":1,"entries":[{"path":"a","blob":"q5mz2hx7ncl4w3tyb6rkd2ve4a","digest":"`+b64(sha([]byte("a")))+`","size":300,"key":"`+b64(make([]byte, 16))+`"}]}`)
	auth("folder_with_blob", "A folder entry naming a blob.", `{"kind":"folder","name":"T","created":1,"entries":[{"path":"a","folder":true,"blob":"q5mz2hx7ncl4w3tyb6rkd2ve4a"}]}`)
	auth("not_json", "Not JSON.", `kind=folder`)
	{
		nonce := rnd("link/manifest/bad_padding", 24)
		c := append([]byte(`{"kind":"file"}`), 0x80) // no zeros to the padded length
		bad("bad_padding", "Padding shorter than Padmé's length. Authentically sealed.", "no_password", id1, 1,
			append(append([]byte{0x01}, nonce...), xseal(plainKeys.seal, nonce, c, linkManifestAD(id1, 1))...))
	}

	// Recipient tags.
	identity := rnd32("link/drop/identity")
	identity[0] &= 248
	identity[31] = identity[31]&127 | 64
	recipient := ageRecipient(x25519Public(identity))
	other := ageRecipient(x25519Public(rnd32("link/drop/other")))
	tag := linkMAC(plainKeys.drop, lp(lp(nil, id1), recipient))
	f.Tags = append(f.Tags,
		linkTagVector{"valid", "no_password", recipient, hx(tag), true},
		linkTagVector{"swapped_recipient", "no_password", other, hx(tag), false},
		linkTagVector{"other_link", "password", recipient, hx(tag), false})

	// Drops.
	const dropID = "d4mz2hx7ncl4w3tyb6rkd2ve4a"
	idStr := ageIdentity(identity)
	drop := func(name, comment string, keys linkKeys, dropFor string, content []byte, valid bool) {
		fk := rnd("link/drop/"+name+"/file-key", 16)
		st := x25519Stanza(fk, rnd32("link/drop/"+name+"/eph"), x25519Public(identity))
		hdr := ageHeader(fk, st)
		hh := sha(hdr)
		dt := linkMAC(keys.drop, lp(lp(nil, id1), dropFor), hh)
		meta := blobMeta{Name: "report.pdf", Type: "application/pdf", Size: int64(len(content)), Modified: 1795000200}
		mj := must(json.Marshal(struct {
			blobMeta
			Tag []byte `json:"tag"`
		}{meta, dt}))
		sealed := ageFile(fk, rnd("link/drop/"+name+"/payload-nonce", 16), blobPlaintext(mj, content), st)
		v := linkDropVector{Name: name, Comment: comment, Derivation: "no_password", DropID: dropID, Identity: idStr, Sealed: b64(sealed)}
		if valid {
			v.HeaderHash, v.DropTag, v.Meta, v.Content = hx(hh), hx(dt), &meta, hx(content)
		} else {
			v.Error = "integrity"
		}
		f.Drops = append(f.Drops, v)
	}
	drop("valid", "A drop of 300 bytes.", plainKeys, dropID, patternBytes(300), true)
	drop("tag_other_drop_id", "The tag names another drop id.", plainKeys, "d4mz2hx7ncl4w3tyb6rkd2ve4b", patternBytes(300), false)
	drop("tag_other_link_key", "The tag was made with another link's drop key (what a host knowing only the recipient could do is worse: no key at all).", pwKeys, dropID, patternBytes(300), false)
	return f
}
