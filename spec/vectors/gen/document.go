package main

import "strings"

// document.json and manifest.json: spec/protocol.md §5 and §7.2.

type keyGen struct {
	Gen uint32 `json:"gen"`
	Key string `json:"key"`
}

type recordVector struct {
	Name    string   `json:"name"`
	Comment string   `json:"comment"`
	OpenAs  string   `json:"open_as"` // "document" or "manifest"
	Keys    []keyGen `json:"keys"`    // the key generations the opener holds
	Doctype string   `json:"doctype"`
	ID      string   `json:"id"`
	Rev     uint64   `json:"rev"`
	// Valid vectors: what sealed them, and what opening returns.
	Gen         uint32  `json:"gen,omitempty"`
	Prev        string  `json:"prev,omitempty"`
	PrevOf      string  `json:"prev_of,omitempty"` // prev is the SHA-256 of this vector's sealed bytes
	Nonce       string  `json:"nonce,omitempty"`
	Content     *string `json:"content,omitempty"`
	ContentText string  `json:"content_text,omitempty"`
	Sealed      string  `json:"sealed"`
	Error       string  `json:"error,omitempty"`
}

type recordFile struct {
	header
	Vectors []recordVector `json:"vectors"`
}

type recordKind struct {
	name, context, info string
}

var (
	docKind      = recordKind{"document", "hearth-document-v1", "hearth/v1 document"}
	manifestKind = recordKind{"manifest", "hearth-index-manifest-v1", "hearth/v1 index manifest"}
)

// sealRecord is §5.1, with the version byte and the padded plaintext left to
// the caller so that it can build authentic but invalid records.
func sealRecord(k recordKind, key []byte, gen uint32, version byte, doctype, id string, rev uint64, prev, nonce, padded []byte) []byte {
	header := append([]byte{version}, u32(nil, gen)...)
	header = append(header, prev...)
	ad := ctx(k.context)
	ad = lp(ad, doctype)
	ad = lp(ad, id)
	ad = u64(ad, rev)
	ad = append(ad, header...)
	out := append(header, nonce...)
	return append(out, xseal(subkey(key, k.info), nonce, padded, ad)...)
}

// recordSet builds the vectors of one record format.
type recordSet struct {
	kind  recordKind
	vs    []recordVector
	byKey map[string]recordVector
}

func (s *recordSet) add(v recordVector) recordVector {
	if v.OpenAs == "" {
		v.OpenAs = s.kind.name
	}
	if s.byKey == nil {
		s.byKey = map[string]recordVector{}
	}
	if _, dup := s.byKey[v.Name]; dup {
		panic("duplicate vector " + v.Name)
	}
	s.byKey[v.Name] = v
	s.vs = append(s.vs, v)
	return v
}

type recordSpec struct {
	name, comment string
	keys          []keyGen
	gen           uint32
	doctype, id   string
	rev           uint64
	prevOf        string // name of the vector this one replaces
	content       string
}

func keyOf(keys []keyGen, gen uint32) []byte {
	for _, k := range keys {
		if k.Gen == gen {
			return unhex(k.Key)
		}
	}
	panic("no key")
}

// valid seals a valid record and records it.
func (s *recordSet) valid(r recordSpec) recordVector {
	prev := make([]byte, 32)
	if r.prevOf != "" {
		prev = sha(unhex(s.byKey[r.prevOf].Sealed))
	}
	nonce := rnd(s.kind.name+"/"+r.name+"/nonce", 24)
	content := hx([]byte(r.content))
	sealed := sealRecord(s.kind, keyOf(r.keys, r.gen), r.gen, 0x01, r.doctype, r.id, r.rev, prev, nonce, pad([]byte(r.content)))
	return s.add(recordVector{
		Name: r.name, Comment: r.comment, Keys: r.keys, Doctype: r.doctype, ID: r.id, Rev: r.rev,
		Gen: r.gen, Prev: hx(prev), PrevOf: r.prevOf, Nonce: hx(nonce), Content: &content, ContentText: r.content,
		Sealed: hx(sealed),
	})
}

// bad records a vector that must fail with the integrity error.
func (s *recordSet) bad(name, comment string, keys []keyGen, doctype, id string, rev uint64, sealed []byte) {
	s.add(recordVector{Name: name, Comment: comment, Keys: keys, Doctype: doctype, ID: id, Rev: rev, Sealed: hx(sealed), Error: "integrity"})
}

// from returns the open parameters and sealed bytes of a vector.
func (s *recordSet) from(name string) (keys []keyGen, doctype, id string, rev uint64, sealed []byte) {
	v := s.byKey[name]
	return v.Keys, v.Doctype, v.ID, v.Rev, unhex(v.Sealed)
}

const notes = "io.hearth.notes"

func genDocument() any {
	s := &recordSet{kind: docKind}
	k1 := keyGen{1, hx(rnd32("document/key/notes/1"))}
	k2 := keyGen{2, hx(rnd32("document/key/notes/2"))}
	one := []keyGen{k1}
	both := []keyGen{k1, k2}
	const id = "k3vq4zqg2vbf3lqf5xhm2m7n2e"

	s.valid(recordSpec{"rev1", "Revision 1 of a note: prev is zero.", one, 1, notes, id, 1, "", `{"title":"Shopping","body":"milk, eggs"}`})
	s.valid(recordSpec{"rev2", "Revision 2: prev is the SHA-256 of rev1's sealed bytes.", one, 1, notes, id, 2, "rev1", `{"title":"Shopping","body":"milk, eggs, bread"}`})
	s.valid(recordSpec{"tombstone", "Revision 3 deletes the note: empty content.", one, 1, notes, id, 3, "rev2", ""})
	s.valid(recordSpec{"content_255", "255 bytes of content pad to exactly 256.", one, 1, notes, "c255", 1, "", string(bytesPattern(255, 'a'))})
	s.valid(recordSpec{"content_256", "256 bytes of content pad to Padme(257) = 272.", one, 1, notes, "c256", 1, "", string(bytesPattern(256, 'a'))})
	s.valid(recordSpec{"content_1000", "1000 bytes of content pad to Padme(1001) = 1024.", one, 1, notes, "c1000", 1, "", strings.Repeat(`{"k":"v"},`, 100)})
	s.valid(recordSpec{"gen2", "Sealed with generation 2; the opener holds generations 1 and 2.", both, 2, notes, "g2", 1, "", `"new key"`})
	s.valid(recordSpec{"gen1_of_two", "Sealed with generation 1; the opener holds 1 and 2 and must use the one named.", both, 1, notes, "g1", 1, "", `"old key"`})
	s.valid(recordSpec{"long_names", "A 100-character doctype, a 64-character id.", one, 1,
		"io.hearth." + strings.Repeat("x", 63) + "." + strings.Repeat("y", 26), strings.Repeat("A_z-9", 12) + "Zz_-", 1, "", `{}`})
	s.valid(recordSpec{"rev_above_2_32", "A revision above 2^32 (u64 in the associated data).", one, 1, notes, "big", 1<<32 + 1, "rev1", `"late"`})
	s.valid(recordSpec{"id_manifest", "A document whose id is the literal 'manifest': it is still a document (see manifest.json).", one, 1, notes, "manifest", 1, "", `"not a manifest"`})

	key1 := unhex(k1.Key)
	keys, dt, did, rev, sealed := s.from("rev2")
	s.bad("flip_version", "rev2 with the version byte xored with 1 (0x00).", keys, dt, did, rev, flip(sealed, 0))
	s.bad("flip_gen", "rev2 with the last byte of key-gen xored with 1: generation 0, which the opener does not hold.", keys, dt, did, rev, flip(sealed, 4))
	s.bad("flip_gen_high", "rev2 with the first byte of key-gen xored with 1: generation 0x01000001.", keys, dt, did, rev, flip(sealed, 1))
	s.bad("flip_prev", "rev2 with a byte of prev xored with 1.", keys, dt, did, rev, flip(sealed, 20))
	s.bad("flip_nonce", "rev2 with the first byte of the nonce xored with 1.", keys, dt, did, rev, flip(sealed, 37))
	s.bad("flip_nonce_last", "rev2 with the last byte of the nonce xored with 1.", keys, dt, did, rev, flip(sealed, 60))
	s.bad("flip_ciphertext", "rev2 with the first byte of the ciphertext xored with 1.", keys, dt, did, rev, flip(sealed, 61))
	s.bad("flip_ciphertext_padding", "rev2 with a byte of the ciphertext of the padding xored with 1.", keys, dt, did, rev, flip(sealed, 200))
	s.bad("flip_tag", "rev2 with the last byte of the tag xored with 1.", keys, dt, did, rev, flip(sealed, -1))
	s.bad("flip_tag_first", "rev2 with the first byte of the tag xored with 1.", keys, dt, did, rev, flip(sealed, -16))
	s.bad("wrong_doctype", "rev2 claimed to be in another doctype.", keys, "io.hearth.tasks", did, rev, sealed)
	s.bad("wrong_id", "rev2 claimed to be another document.", keys, dt, "k3vq4zqg2vbf3lqf5xhm2m7n2f", rev, sealed)
	s.bad("wrong_rev_replay", "rev2 served as revision 3 (a replay under a newer number).", keys, dt, did, 3, sealed)
	s.bad("wrong_rev_1", "rev2 served as revision 1: prev is not zero.", keys, dt, did, 1, sealed)
	s.bad("wrong_rev_1_zero_prev", "rev1 served as revision 2: prev is zero.", keys, dt, did, 2, unhex(s.byKey["rev1"].Sealed))
	s.bad("wrong_key", "rev2 opened with another key of the same generation.", []keyGen{{1, hx(rnd32("document/key/other"))}}, dt, did, rev, sealed)
	s.bad("unknown_gen", "gen2 opened by a holder of generation 1 only.", one, notes, "g2", 1, unhex(s.byKey["gen2"].Sealed))
	s.bad("swapped_tombstone", "The tombstone (rev 3) served as rev2.", keys, dt, did, 2, unhex(s.byKey["tombstone"].Sealed))

	nonce := rnd("document/authentic/nonce", 24)
	var zero [32]byte
	prev := sha([]byte("some earlier revision"))
	content := pad([]byte(`"x"`))
	auth := func(name, comment string, version byte, rev uint64, prev, padded []byte) {
		s.bad(name, comment+" Authentic: the AEAD opens.", one, notes, "auth", rev,
			sealRecord(docKind, key1, 1, version, notes, "auth", rev, prev, nonce, padded))
	}
	auth("version_0x00", "Version byte 0x00, bound in the associated data.", 0x00, 1, zero[:], content)
	auth("version_0x02", "Version byte 0x02 (a future version), bound in the associated data.", 0x02, 1, zero[:], content)
	auth("rev1_nonzero_prev", "Revision 1 with a non-zero prev.", 0x01, 1, prev, content)
	auth("rev2_zero_prev", "Revision 2 with a zero prev.", 0x01, 2, zero[:], content)
	auth("padding_none", "A plaintext of 256 zero bytes: no 0x80 marker.", 0x01, 1, zero[:], make([]byte, 256))
	auth("padding_nonzero", "A plaintext whose marker is followed by a non-zero byte.", 0x01, 1, zero[:], append([]byte(`"x"`+"\x80\x01"), make([]byte, 251)...))
	auth("padding_short", "Content, the 0x80 marker and no zeros: well formed but shorter than PadLen, which would leak the length.", 0x01, 1, zero[:], []byte(`"x"`+"\x80"))
	auth("padding_long", "Content padded to 512 bytes where PadLen is 256.", 0x01, 1, zero[:], append([]byte(`"x"`+"\x80"), make([]byte, 508)...))
	auth("padding_empty_plaintext", "An empty plaintext: the sealed document is 77 bytes.", 0x01, 1, zero[:], nil)
	s.bad("manifest_key", "A document sealed with the manifest key and context.", one, notes, "auth", 1,
		sealRecord(manifestKind, key1, 1, 0x01, notes, "auth", 1, zero[:], nonce, content))
	s.bad("document_context_manifest_key", "The document context with the manifest key.", one, notes, "auth", 1,
		sealRecord(recordKind{"", docKind.context, manifestKind.info}, key1, 1, 0x01, notes, "auth", 1, zero[:], nonce, content))

	keys, dt, did, rev, sealed = s.from("rev1")
	for _, n := range []int{0, 1, 36, 37, 60, 61, 76, len(sealed) - 1} {
		s.bad(sprintf("truncated_%d", n), sprintf("rev1 cut to %d bytes.", n), keys, dt, did, rev, sealed[:n])
	}
	s.bad("extended", "rev1 with a zero byte appended.", keys, dt, did, rev, append(sealed, 0))
	return &recordFile{newHeader("document", "document.go", "spec/protocol.md §5",
		"Sealed documents. Open each vector as open_as says (OpenDocument with doctype, id, rev) with a key set of the keys listed. "+
			"Valid vectors open to content (hex; content_text is the same as text) with generation gen and previous digest prev, "+
			"and sealing content with the same nonce gives sealed again. Every vector with an error must fail with the integrity error, "+
			"the same for every cause."), s.vs}
}

func genManifest() any {
	s := &recordSet{kind: manifestKind}
	k1 := keyGen{1, hx(rnd32("document/key/notes/1"))} // the same doctype key as document.json
	k2 := keyGen{2, hx(rnd32("document/key/notes/2"))}
	one := []keyGen{k1}
	both := []keyGen{k1, k2}
	const m = "manifest"
	s.valid(recordSpec{"rev1", "Revision 1 of the notes index manifest.", one, 1, notes, m, 1, "", `{"seq":12,"segments":["s1"]}`})
	s.valid(recordSpec{"rev2", "Revision 2, chained to rev1.", one, 1, notes, m, 2, "rev1", `{"seq":40,"segments":["s1","s2"]}`})
	s.valid(recordSpec{"gen2", "Sealed with generation 2 after a rotation.", both, 2, notes, m, 3, "rev2", `{"seq":41,"segments":["s3"]}`})

	keys, dt, _, rev, sealed := s.from("rev2")
	s.bad("flip_header", "rev2 with a byte of prev xored with 1.", keys, dt, m, rev, flip(sealed, 10))
	s.bad("flip_nonce", "rev2 with a nonce byte xored with 1.", keys, dt, m, rev, flip(sealed, 40))
	s.bad("flip_ciphertext", "rev2 with a ciphertext byte xored with 1.", keys, dt, m, rev, flip(sealed, 70))
	s.bad("flip_tag", "rev2 with the last byte xored with 1.", keys, dt, m, rev, flip(sealed, -1))
	s.bad("wrong_doctype", "rev2 claimed to be another doctype's manifest.", keys, "io.hearth.tasks", m, rev, sealed)
	s.bad("wrong_rev", "rev2 served as revision 3.", keys, dt, m, 3, sealed)
	s.bad("unknown_gen", "gen2 opened by a holder of generation 1 only.", one, dt, m, 3, unhex(s.byKey["gen2"].Sealed))
	s.bad("truncated", "rev2 without its last byte.", keys, dt, m, rev, sealed[:len(sealed)-1])
	s.add(recordVector{Name: "as_document", Comment: "rev1 opened as a document with id 'manifest': a manifest never opens as a document.",
		OpenAs: "document", Keys: one, Doctype: notes, ID: m, Rev: 1, Sealed: s.byKey["rev1"].Sealed, Error: "integrity"})
	doc := genDocument().(*recordFile).Vectors
	for _, v := range doc {
		if v.Name == "id_manifest" {
			s.add(recordVector{Name: "document_as_manifest", Comment: "document.json's id_manifest (a document with id 'manifest') opened as the manifest: a document never opens as a manifest.",
				Keys: v.Keys, Doctype: v.Doctype, ID: m, Rev: v.Rev, Sealed: v.Sealed, Error: "integrity"})
		}
	}
	zero := make([]byte, 32)
	nonce := rnd("manifest/authentic/nonce", 24)
	s.bad("document_key", "The manifest context with the document key. Authentic under the document key.", one, notes, m, 1,
		sealRecord(recordKind{"", manifestKind.context, docKind.info}, unhex(k1.Key), 1, 0x01, notes, m, 1, zero, nonce, pad([]byte("{}"))))
	s.bad("other_id", "A manifest sealed as id 'manifest2'; the id bound is always 'manifest'.", one, notes, m, 1,
		sealRecord(manifestKind, unhex(k1.Key), 1, 0x01, notes, "manifest2", 1, zero, nonce, pad([]byte("{}"))))
	return &recordFile{newHeader("manifest", "document.go", "spec/protocol.md §7.2",
		"Sealed index manifests: the document construction with the manifest key, the context hearth-index-manifest-v1 and the id 'manifest'. "+
			"Open with OpenManifest(doctype, rev) unless open_as is \"document\"; otherwise as document.json."), s.vs}
}
