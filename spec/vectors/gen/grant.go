package main

import (
	"crypto/ed25519"
	"encoding/json"
)

// grant.json: spec/protocol.md §4.4.

type grantDoctype struct {
	Verbs []string `json:"verbs"`
	Keys  []keyGen `json:"keys"`
}

type grantExpected struct {
	User     string                  `json:"user"`
	Grantee  string                  `json:"grantee"`
	Rev      uint64                  `json:"rev"`
	Issued   int64                   `json:"issued"`
	Doctypes map[string]grantDoctype `json:"doctypes"`
}

type grantVector struct {
	Name     string         `json:"name"`
	Comment  string         `json:"comment"`
	Identity string         `json:"identity"` // the grantee's age identity, which opens the grant
	Signer   string         `json:"signer"`   // the signing public key the grantee pinned
	User     string         `json:"user"`     // the user the grantee expects
	Sealed   string         `json:"sealed"`   // base64
	Expected *grantExpected `json:"expected,omitempty"`
	Error    string         `json:"error,omitempty"`
}

type grantFile struct {
	header
	Vectors []grantVector `json:"vectors"`
}

// grantJSON is the payload in the order a Go client writes it.
type grantJSON struct {
	User     string                      `json:"user"`
	Grantee  string                      `json:"grantee"`
	Rev      uint64                      `json:"rev"`
	Issued   int64                       `json:"issued"`
	Doctypes map[string]grantDoctypeJSON `json:"doctypes"`
}

type grantDoctypeJSON struct {
	Verbs []string    `json:"verbs"`
	Keys  []keyGenB64 `json:"keys"`
}

const grantMagic = "hearth-grant-v1\n"

// grantRev is the revision the vectors' grants carry.
const grantRev = 7

func grantPayload(user, grantee string, issued int64, doctypes map[string]grantDoctype) []byte {
	g := grantJSON{User: user, Grantee: grantee, Rev: grantRev, Issued: issued, Doctypes: map[string]grantDoctypeJSON{}}
	for d, gd := range doctypes {
		var keys []keyGenB64
		for _, k := range gd.Keys {
			keys = append(keys, keyGenB64{k.Gen, unhex(k.Key)})
		}
		g.Doctypes[d] = grantDoctypeJSON{gd.Verbs, keys}
	}
	return must(json.Marshal(g))
}

// grantMessage is magic || u32(len(payload)) || payload || signature.
func grantMessage(seed []byte, magic string, payload []byte) []byte {
	msg := u32([]byte(grantMagic), uint32(len(payload)))
	msg = append(msg, payload...)
	return append(msg, ed25519.Sign(ed25519.NewKeyFromSeed(seed), append([]byte(magic), payload...))...)
}

func genGrant() any {
	f := &grantFile{header: newHeader("grant", "grant.go", "spec/protocol.md §4.4",
		"Signed grants, age-encrypted to the grantee. Open each vector with OpenGrant(identity, signer, user). "+
			"Valid vectors give expected (keys in base64 inside the grant, hex here). Vectors with an error fail with the integrity error, "+
			"or weak_key when the pinned signer is not a usable Ed25519 key.")}
	app := rnd32("grant/app/identity")
	appRecipient := ageRecipient(x25519Public(app))
	other := rnd32("grant/other-app/identity")
	otherRecipient := ageRecipient(x25519Public(other))
	signer := hx(ed25519.NewKeyFromSeed(aliceSign).Public().(ed25519.PublicKey)) // alice's key in keyring.json
	const issued = 1795000000

	n := 0
	seal := func(to []byte, msg []byte) []byte {
		n++
		label := sprintf("grant/%d/", n)
		fk := rnd(label+"file-key", 16)
		return ageFile(fk, rnd(label+"payload-nonce", 16), msg, x25519Stanza(fk, rnd32(label+"ephemeral"), x25519Public(to)))
	}
	scopes := map[string]grantDoctype{notes: {[]string{"read", "write"}, []keyGen{notesGen1}}}
	valid := func(name, comment string, doctypes map[string]grantDoctype) []byte {
		sealed := seal(app, grantMessage(aliceSign, grantMagic, grantPayload("alice", appRecipient, issued, doctypes)))
		f.Vectors = append(f.Vectors, grantVector{Name: name, Comment: comment, Identity: ageIdentity(app), Signer: signer, User: "alice",
			Sealed: b64(sealed), Expected: &grantExpected{"alice", appRecipient, grantRev, issued, doctypes}})
		return sealed
	}
	bad := func(name, comment string, identity []byte, signer, user string, sealed []byte, err string) {
		f.Vectors = append(f.Vectors, grantVector{Name: name, Comment: comment, Identity: ageIdentity(identity), Signer: signer, User: user,
			Sealed: b64(sealed), Error: err})
	}
	g := valid("notes_read_write", "Read and write on io.hearth.notes, generation 1.", scopes)
	valid("two_doctypes", "Every verb on notes with generations 1 and 2, read on tasks.", map[string]grantDoctype{
		notes:             {[]string{"read", "write", "delete"}, []keyGen{notesGen1, notesGen2}},
		"io.hearth.tasks": {[]string{"read"}, []keyGen{tasksGen1}},
	})
	bobSigner := hx(ed25519.NewKeyFromSeed(rnd32("keyring/bob/sign")).Public().(ed25519.PublicKey))
	bad("wrong_signer", "notes_read_write checked against another user's signing key.", app, bobSigner, "alice", g, "integrity")
	bad("wrong_user", "notes_read_write opened by a grantee that expects user bob.", app, signer, "bob", g, "integrity")
	bad("other_identity", "notes_read_write opened with another app's identity.", other, signer, "alice", g, "integrity")
	bad("small_order_signer", "The pinned signer is the identity point.", app, "01"+hx(make([]byte, 31)), "alice", g, "weak_key")
	bad("flip_payload", "notes_read_write with its last byte xored with 1.", app, signer, "alice", flip(g, -1), "integrity")
	bad("truncated", "notes_read_write without its last byte.", app, signer, "alice", g[:len(g)-1], "integrity")

	// Well-formed age files to the app, with a wrong message inside.
	payload := grantPayload("alice", appRecipient, issued, scopes)
	inner := func(name, comment string, msg []byte) {
		bad(name, comment, app, signer, "alice", seal(app, msg), "integrity")
	}
	inner("for_other_grantee", "A grant alice signed for another app, re-encrypted to this one by that app: grantee is not this identity's recipient.",
		grantMessage(aliceSign, grantMagic, grantPayload("alice", otherRecipient, issued, scopes)))
	inner("signed_by_other", "A grant signed with bob's key in alice's name.", grantMessage(rnd32("keyring/bob/sign"), grantMagic, payload))
	inner("signature_flipped", "A bit of the signature flipped.", flip(grantMessage(aliceSign, grantMagic, payload), -1))
	inner("signature_without_magic", "The signature covers the payload without the magic.", grantMessage(aliceSign, "", payload))
	m := grantMessage(aliceSign, "hearth-grant-v2\n", payload)
	copy(m, "hearth-grant-v2\n")
	inner("magic_v2", "Magic and signed prefix hearth-grant-v2.", m)
	m = grantMessage(aliceSign, grantMagic, payload)
	m[len(grantMagic)+3]--
	inner("length_short", "The length field is one less than the payload.", m)
	inner("trailing_byte", "A byte after the signature.", append(grantMessage(aliceSign, grantMagic, payload), 0))
	inner("message_short", "Shorter than magic, length and signature.", []byte(grantMagic+"\x00\x00"))
	raw := func(name, comment, js string) {
		inner(name, comment+" Signed by alice.", grantMessage(aliceSign, grantMagic, []byte(js)))
	}
	key := b64(unhex(notesGen1.Key))
	head := `{"user":"alice","grantee":"` + appRecipient + `","rev":7,"issued":1795000000,"doctypes":`
	raw("rev_zero", "A grant revision of 0.", `{"user":"alice","grantee":"`+appRecipient+`","rev":0,"issued":1795000000,"doctypes":{"io.hearth.notes":{"verbs":["read"],"keys":[{"gen":1,"key":"`+b64(unhex(notesGen1.Key))+`"}]}}}`)
	raw("rev_missing", "No grant revision.", `{"user":"alice","grantee":"`+appRecipient+`","issued":1795000000,"doctypes":{"io.hearth.notes":{"verbs":["read"],"keys":[{"gen":1,"key":"`+b64(unhex(notesGen1.Key))+`"}]}}}`)
	raw("unknown_field", "An unknown field in the payload.", head+`{"io.hearth.notes":{"verbs":["read"],"keys":[{"gen":1,"key":"`+key+`"}]}},"admin":true}`)
	raw("bad_verb", "The verb admin.", head+`{"io.hearth.notes":{"verbs":["admin"],"keys":[{"gen":1,"key":"`+key+`"}]}}}`)
	raw("duplicate_verb", "read twice.", head+`{"io.hearth.notes":{"verbs":["read","read"],"keys":[{"gen":1,"key":"`+key+`"}]}}}`)
	raw("no_verbs", "An empty verb list.", head+`{"io.hearth.notes":{"verbs":[],"keys":[{"gen":1,"key":"`+key+`"}]}}}`)
	raw("no_keys", "An empty key list.", head+`{"io.hearth.notes":{"verbs":["read"],"keys":[]}}}`)
	raw("key_zero", "An all-zero key.", head+`{"io.hearth.notes":{"verbs":["read"],"keys":[{"gen":1,"key":"`+b64(make([]byte, 32))+`"}]}}}`)
	raw("key_gen0", "A key of generation 0.", head+`{"io.hearth.notes":{"verbs":["read"],"keys":[{"gen":0,"key":"`+key+`"}]}}}`)
	raw("key_gen_duplicate", "Two keys of generation 1.", head+`{"io.hearth.notes":{"verbs":["read"],"keys":[{"gen":1,"key":"`+key+`"},{"gen":1,"key":"`+key+`"}]}}}`)
	raw("doctype_invalid", "A doctype that is not a valid name.", head+`{"notes":{"verbs":["read"],"keys":[{"gen":1,"key":"`+key+`"}]}}}`)
	raw("not_json", "The payload is not JSON.", "hello")
	raw("trailing_json", "A second JSON value after the payload.", head+`{}}{}`)
	return f
}
