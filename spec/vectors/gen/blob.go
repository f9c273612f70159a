package main

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// blob.json: spec/protocol.md §6 and §7.1.

type blobMeta struct {
	Name     string `json:"name"`
	Type     string `json:"type,omitempty"`
	Size     int64  `json:"size"`
	Modified int64  `json:"mtime,omitempty"`
}

type contentPattern struct {
	Length int    `json:"length"`
	Rule   string `json:"rule"`
}

type blobVector struct {
	Name        string   `json:"name"`
	Comment     string   `json:"comment"`
	Keys        []keyGen `json:"keys"`
	Purpose     string   `json:"purpose"` // what the opener expects: "file" or "index"
	Doctype     string   `json:"doctype"`
	ID          string   `json:"id"`
	DerivedFrom string   `json:"derived_from,omitempty"` // bytes released before failing must be a prefix of its content
	// Valid vectors: what sealed them, and what opening returns.
	Gen            uint32          `json:"gen,omitempty"`
	FileKey        string          `json:"file_key,omitempty"`
	StanzaNonce    string          `json:"stanza_nonce,omitempty"`
	PayloadNonce   string          `json:"payload_nonce,omitempty"`
	MetaJSON       string          `json:"meta_json,omitempty"`
	Meta           *blobMeta       `json:"meta,omitempty"`
	Content        *string         `json:"content,omitempty"`
	ContentPattern *contentPattern `json:"content_pattern,omitempty"`
	ContentSHA256  string          `json:"content_sha256,omitempty"`
	SealedLen      int             `json:"sealed_len"`
	Sealed         string          `json:"sealed,omitempty"` // base64
	// Or, for a large blob, sealed is derived_from's sealed bytes with the
	// first cut kept (when cut > 0) and the byte at xor_at xored with 0x01
	// (when xor_at > 0).
	Cut   int    `json:"cut,omitempty"`
	XorAt int    `json:"xor_at,omitempty"`
	Error string `json:"error,omitempty"`
}

type blobFile struct {
	header
	Vectors []blobVector `json:"vectors"`
}

const patternRule = "byte i is i mod 251"

func patternBytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i % 251)
	}
	return b
}

var purposeInfo = map[string]string{"file": "hearth/v1 blob file", "index": "hearth/v1 blob index"}

func blobAD(purpose, doctype, id string, gen uint32) []byte {
	return u32(lp(lp(lp(ctx("hearth-blob-v1"), purpose), doctype), id), gen)
}

// blobStanza is §6.1's recipient stanza.
func blobStanza(key []byte, gen uint32, purpose, doctype, id string, nonce, fileKey []byte) stanza {
	body := append(append([]byte{}, nonce...), xseal(subkey(key, purposeInfo[purpose]), nonce, fileKey, blobAD(purpose, doctype, id, gen))...)
	return stanza{"hearth-blob", []string{"1", purpose, strconv.FormatUint(uint64(gen), 10)}, body}
}

// blobPlaintext is u32(len(meta)) || meta || content || zeros.
func blobPlaintext(meta, content []byte) []byte {
	p := u32(nil, uint32(len(meta)))
	p = append(append(p, meta...), content...)
	return append(p, make([]byte, padme(int64(max(len(p), 256)))-int64(len(p)))...)
}

type blobSpec struct {
	name, comment    string
	keys             []keyGen
	gen              uint32
	purpose, doctype string
	id               string
	meta             blobMeta
	content          []byte
}

func genBlob() any {
	f := &blobFile{header: newHeader("blob", "blob.go", "spec/protocol.md §6, §7.1",
		"Sealed blobs (age v1 files with one hearth-blob stanza). Open each vector with OpenBlob(purpose, doctype, id) and a key set of keys, "+
			"then read to the end. Valid vectors give meta and the content (hex, or content_pattern: length bytes where byte i is i mod 251; "+
			"content_sha256 in both cases), and sealed_len equals the size a writer announces for meta. The age file key and nonces are given "+
			"so that sealing can be reproduced. Vectors with an error fail with the integrity error, at open or at a later read; "+
			"bytes read before the failure are a prefix of the content of derived_from. "+
			"A few negative vectors of a large blob give no sealed bytes but say how to derive them from derived_from: keep the first cut bytes, or xor the byte at xor_at with 0x01.")}
	files := "io.hearth.files"
	k1 := keyGen{1, hx(rnd32("blob/key/files/1"))}
	k2 := keyGen{2, hx(rnd32("blob/key/files/2"))}
	n1 := notesGen1 // document.json's notes key
	byName := map[string]blobVector{}
	add := func(v blobVector) {
		if _, dup := byName[v.Name]; dup {
			panic(v.Name)
		}
		byName[v.Name] = v
		f.Vectors = append(f.Vectors, v)
	}
	valid := func(s blobSpec) {
		fk := rnd("blob/"+s.name+"/file-key", 16)
		sn := rnd("blob/"+s.name+"/stanza-nonce", 24)
		pn := rnd("blob/"+s.name+"/payload-nonce", 16)
		mj := must(json.Marshal(s.meta))
		st := blobStanza(keyOf(s.keys, s.gen), s.gen, s.purpose, s.doctype, s.id, sn, fk)
		sealed := ageFile(fk, pn, blobPlaintext(mj, s.content), st)
		v := blobVector{Name: s.name, Comment: s.comment, Keys: s.keys, Purpose: s.purpose, Doctype: s.doctype, ID: s.id,
			Gen: s.gen, FileKey: hx(fk), StanzaNonce: hx(sn), PayloadNonce: hx(pn), MetaJSON: string(mj), Meta: &s.meta,
			ContentSHA256: hx(sha(s.content)), SealedLen: len(sealed), Sealed: b64(sealed)}
		if len(s.content) <= 1024 {
			c := hx(s.content)
			v.Content = &c
		} else {
			v.ContentPattern = &contentPattern{len(s.content), patternRule}
		}
		add(v)
	}
	bad := func(name, comment, from string, keys []keyGen, purpose, doctype, id string, sealed []byte) {
		add(blobVector{Name: name, Comment: comment, Keys: keys, Purpose: purpose, Doctype: doctype, ID: id, DerivedFrom: from,
			SealedLen: len(sealed), Sealed: b64(sealed), Error: "integrity"})
	}
	one, both := []keyGen{k1}, []keyGen{k1, k2}
	const id = "q5mz2hx7ncl4w3tyb6rkd2ve4a"
	small := blobMeta{Name: "hello.txt", Type: "text/plain", Size: 100, Modified: 1795000000}
	valid(blobSpec{"file_small", "A 100-byte file: one chunk, padded to 256 bytes of plaintext.", one, 1, "file", files, id, small, patternBytes(100)})
	valid(blobSpec{"file_two_chunks", "A 70,000-byte file: plaintext padded to 71,680 bytes, two STREAM chunks (65,536 + 6,144).", one, 1, "file", files, "big",
		blobMeta{Name: "photo.jpg", Type: "image/jpeg", Size: 70000}, patternBytes(70000)})
	// The metadata of a 65,4xx-byte file is as long as that of a 65,000-byte one.
	oneChunk := blobMeta{Name: "exact.bin", Size: int64(chunkSize - 4 - len(must(json.Marshal(blobMeta{Name: "exact.bin", Size: 65000}))))}
	valid(blobSpec{"file_one_full_chunk", "A plaintext of exactly 65,536 bytes: a single full chunk that is the last one.", one, 1, "file", files, "exact",
		oneChunk, patternBytes(int(oneChunk.Size))})
	valid(blobSpec{"file_empty", "An empty file.", one, 1, "file", files, "empty", blobMeta{Name: "empty", Size: 0}, nil})
	valid(blobSpec{"file_gen2", "Sealed with generation 2; the opener holds 1 and 2.", both, 2, "file", files, "g2", blobMeta{Name: "new.txt", Size: 3}, []byte("new")})
	seg := blobMeta{Name: "s1", Type: "application/vnd.hearth.index-segment; engine=bleve-scorch; zap=16", Size: 300}
	valid(blobSpec{"index_segment", "An index segment of doctype io.hearth.notes: purpose index, under the notes key.", []keyGen{n1}, 1, "index", notes, "s1", seg, patternBytes(300)})

	from := func(name string) (keys []keyGen, purpose, doctype, id string, sealed []byte) {
		v := byName[name]
		return v.Keys, v.Purpose, v.Doctype, v.ID, unb64(v.Sealed)
	}
	keys, p, dt, bid, s := from("file_small")
	hdr := bytes.Index(s, []byte("\n---")) + 1 // start of the MAC line
	payload := bytes.IndexByte(s[hdr:], '\n') + hdr + 1
	bad("wrong_id", "file_small opened as another blob.", "file_small", keys, p, dt, "q5mz2hx7ncl4w3tyb6rkd2ve4b", s)
	bad("wrong_doctype", "file_small opened in another doctype.", "file_small", keys, p, "io.hearth.photos", bid, s)
	bad("wrong_purpose_index", "file_small opened as an index segment.", "file_small", keys, "index", dt, bid, s)
	bad("wrong_key", "file_small opened with another key of generation 1.", "file_small", []keyGen{{1, hx(rnd32("blob/key/other"))}}, p, dt, bid, s)
	bad("flip_intro", "file_small with a byte of the intro line changed.", "file_small", keys, p, dt, bid, flip(s, 4))
	bad("flip_stanza_gen", "file_small with the stanza's generation changed from 1 to 0.", "file_small", keys, p, dt, bid, bytes.Replace(s, []byte(" file 1\n"), []byte(" file 0\n"), 1))
	bad("flip_stanza_body", "file_small with a bit of the stanza body flipped (re-encoded canonically).", "file_small", keys, p, dt, bid,
		rewriteStanzaBody(s, func(b []byte) { b[30] ^= 0x01 }))
	bad("flip_header_mac", "file_small with a bit of the header MAC flipped (re-encoded canonically).", "file_small", keys, p, dt, bid, rewriteMAC(s))
	bad("flip_payload_nonce", "file_small with a byte of the payload nonce xored with 1.", "file_small", keys, p, dt, bid, flip(s, payload+3))
	bad("flip_payload", "file_small with a byte of the first chunk xored with 1.", "file_small", keys, p, dt, bid, flip(s, payload+16+2))
	bad("flip_payload_tag", "file_small with its last byte (the chunk's tag) xored with 1.", "file_small", keys, p, dt, bid, flip(s, -1))
	bad("truncated_header", "file_small cut inside the header.", "file_small", keys, p, dt, bid, s[:hdr])
	bad("truncated_nonce", "file_small cut inside the payload nonce.", "file_small", keys, p, dt, bid, s[:payload+8])
	bad("truncated_payload", "file_small without its last byte.", "file_small", keys, p, dt, bid, s[:len(s)-1])
	bad("no_payload", "file_small's header and nonce only.", "file_small", keys, p, dt, bid, s[:payload+16])
	bad("extended", "file_small with a byte appended.", "file_small", keys, p, dt, bid, append(bytes.Clone(s), 0))
	bad("empty", "No bytes at all.", "", keys, p, dt, bid, nil)
	keys, p, dt, bid, s = from("file_gen2")
	bad("unknown_gen", "file_gen2 opened by a holder of generation 1 only.", "file_gen2", one, p, dt, bid, s)
	keys, p, dt, bid, s = from("index_segment")
	bad("wrong_purpose_file", "index_segment opened as a file.", "index_segment", keys, "file", dt, bid, s)
	keys, p, dt, bid, s = from("file_two_chunks")
	payload = bytes.IndexByte(s[bytes.Index(s, []byte("\n---"))+1:], '\n') + bytes.Index(s, []byte("\n---")) + 2
	first := payload + 16 + chunkSize + 16
	derived := func(name, comment string, cut, xorAt int) {
		n := len(s)
		if cut > 0 {
			n = cut
		}
		add(blobVector{Name: name, Comment: comment, Keys: keys, Purpose: p, Doctype: dt, ID: bid, DerivedFrom: "file_two_chunks",
			SealedLen: n, Cut: cut, XorAt: xorAt, Error: "integrity"})
	}
	derived("truncated_final_chunk", "file_two_chunks without the last byte of its final chunk.", len(s)-1, 0)
	derived("truncated_final_chunk_half", "file_two_chunks with half of its final chunk.", first+3000, 0)
	derived("final_chunk_dropped", "file_two_chunks without its final chunk: the first chunk is not marked last.", first, 0)
	derived("flip_first_chunk", "file_two_chunks with a byte of the first chunk xored with 1.", 0, payload+16+1000)
	derived("flip_second_chunk", "file_two_chunks with a byte of the second chunk xored with 1.", 0, first+100)
	derived("flip_header_gen", "file_two_chunks with the stanza's generation 1 changed to 0.", 0, bytes.Index(s, []byte(" file 1\n"))+6)

	// Authentic age files (the header MAC verifies) that are not valid blobs.
	k := unhex(k1.Key)
	fk := rnd("blob/authentic/file-key", 16)
	sn := rnd("blob/authentic/stanza-nonce", 24)
	pn := rnd("blob/authentic/payload-nonce", 16)
	const aid = "auth"
	good := blobStanza(k, 1, "file", files, aid, sn, fk)
	meta := must(json.Marshal(blobMeta{Name: "x", Size: 10}))
	plain := blobPlaintext(meta, patternBytes(10))
	auth := func(name, comment string, sealed []byte) {
		bad(name, comment+" The header MAC verifies.", "", one, "file", files, aid, sealed)
	}
	auth("stanza_gen_leading_zero", "The stanza names generation \"01\" (the associated data binds generation 1).", ageFile(fk, pn, plain, withArgs(good, "1", "file", "01")))
	auth("stanza_version_2", "The stanza's version argument is 2.", ageFile(fk, pn, plain, withArgs(good, "2", "file", "1")))
	auth("stanza_extra_arg", "The stanza has a fourth argument.", ageFile(fk, pn, plain, withArgs(good, "1", "file", "1", "x")))
	auth("stanza_purpose_index", "The stanza says index, the body is wrapped for a file; opened as a file.", ageFile(fk, pn, plain, withArgs(good, "1", "index", "1")))
	auth("stanza_gen_mismatch", "The stanza names generation 1; the body's associated data binds generation 2.", ageFile(fk, pn, plain,
		withArgs(blobStanza(k, 2, "file", files, aid, sn, fk), "1", "file", "1")))
	auth("two_stanzas", "Two identical hearth-blob stanzas.", ageFile(fk, pn, plain, good, good))
	auth("extra_stanza", "The hearth-blob stanza and another one.", ageFile(fk, pn, plain, good, stanza{"hearth-grease", []string{"x"}, []byte("grease")}))
	auth("x25519_stanza_only", "An X25519 stanza in place of the hearth-blob stanza.", ageFile(fk, pn, plain, x25519Stanza(fk, rnd32("blob/authentic/eph"), x25519Public(rnd32("blob/authentic/someone")))))
	auth("stanza_body_short", "A stanza body of 40 bytes.", ageFile(fk, pn, plain, stanza{"hearth-blob", good.args, good.body[:40]}))
	auth("meta_too_long", "The metadata length field says 65,537 (the stream ends 252 zero bytes later).", ageFile(fk, pn, append(u32(nil, 65537), make([]byte, 252)...), good))
	auth("meta_not_json", "The metadata is not JSON.", ageFile(fk, pn, blobPlaintext([]byte("name=x"), nil), good))
	auth("meta_negative_size", "The metadata's size is negative.", ageFile(fk, pn, blobPlaintext([]byte(`{"name":"x","size":-1}`), nil), good))
	auth("meta_name_path", "The file name is a path that climbs out of a folder.", ageFile(fk, pn, blobPlaintext([]byte(`{"name":"../../.ssh/authorized_keys","size":0}`), nil), good))
	auth("meta_name_dotdot", "The file name is \"..\".", ageFile(fk, pn, blobPlaintext([]byte(`{"name":"..","size":0}`), nil), good))
	auth("meta_name_backslash", "The file name holds a backslash.", ageFile(fk, pn, blobPlaintext([]byte(`{"name":"a\\b","size":0}`), nil), good))
	auth("meta_name_control", "The file name holds a NUL byte.", ageFile(fk, pn, blobPlaintext([]byte(`{"name":"a\u0000b","size":0}`), nil), good))
	auth("meta_type_control", "The media type holds a newline.", ageFile(fk, pn, blobPlaintext([]byte(`{"name":"a","type":"text/html\nX: y","size":0}`), nil), good))
	auth("meta_size_missing", "The metadata has no size.", ageFile(fk, pn, blobPlaintext([]byte(`{"name":"x"}`), nil), good))
	auth("meta_size_null", "The metadata's size is null.", ageFile(fk, pn, blobPlaintext([]byte(`{"name":"x","size":null}`), nil), good))
	auth("meta_size_too_large", "The metadata's size is 2^56 + 1.", ageFile(fk, pn, blobPlaintext([]byte(`{"name":"x","size":72057594037927937}`), nil), good))
	auth("meta_size_string", "The metadata's size is a string.", ageFile(fk, pn, blobPlaintext([]byte(`{"name":"x","size":"10"}`), nil), good))
	short := u32(nil, uint32(len(`{"name":"x","size":1000}`)))
	short = append(append(short, `{"name":"x","size":1000}`...), make([]byte, 256-4-len(`{"name":"x","size":1000}`))...)
	auth("content_short", "The metadata says 1,000 bytes; the stream ends after 256 bytes of plaintext.", ageFile(fk, pn, short, good))
	nz := bytes.Clone(plain)
	nz[len(nz)-1] = 1
	auth("padding_nonzero", "The last padding byte is 1.", ageFile(fk, pn, nz, good))
	auth("padding_long", "16 zero bytes more than the padding.", ageFile(fk, pn, append(bytes.Clone(plain), make([]byte, 16)...), good))
	auth("padding_short", "One zero byte less than the padding.", ageFile(fk, pn, plain[:len(plain)-1], good))
	auth("padding_missing", "No padding at all.", ageFile(fk, pn, plain[:4+len(meta)+10], good))
	auth("stream_no_last_flag", "The only chunk is not marked last.", ageFileChunks(fk, pn, [][]byte{plain}, -1, good))
	return f
}

func withArgs(st stanza, args ...string) stanza { st.args = args; return st }

// rewriteStanzaBody decodes the first stanza's two body lines, changes the
// body, and encodes it again, so that only the body differs.
func rewriteStanzaBody(s []byte, change func([]byte)) []byte {
	start := bytes.IndexByte(s, '\n') + 1         // after the intro
	start += bytes.IndexByte(s[start:], '\n') + 1 // after "-> hearth-blob ..."
	end := bytes.Index(s, []byte("\n---")) + 1
	lines := bytes.Split(bytes.TrimSuffix(s[start:end], []byte("\n")), []byte("\n"))
	body := must(rawB64.DecodeString(string(bytes.Join(lines, nil))))
	change(body)
	st := stanza{body: body}
	enc := st.marshal()
	enc = enc[bytes.IndexByte([]byte(enc), '\n')+1:] // drop the "-> " line
	return append(append(append([]byte{}, s[:start]...), enc...), s[end:]...)
}

// rewriteMAC flips a bit of the header MAC and encodes it again.
func rewriteMAC(s []byte) []byte {
	i := bytes.Index(s, []byte("\n--- ")) + 5
	j := i + bytes.IndexByte(s[i:], '\n')
	mac := must(rawB64.DecodeString(string(s[i:j])))
	mac[0] ^= 0x01
	return append(append(append([]byte{}, s[:i]...), rawB64.EncodeToString(mac)...), s[j:]...)
}
