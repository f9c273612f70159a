package main

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"strings"
)

// keyring.json: spec/protocol.md §4.2 and §4.3.

type keyringExpected struct {
	SignPublic   string              `json:"sign_public"`   // the Ed25519 public key of the sign seed
	BoxRecipient string              `json:"box_recipient"` // the age recipient of box
	Doctypes     map[string][]keyGen `json:"doctypes"`
	Digest       string              `json:"digest"`  // keyring-digest of this revision (§4.2)
	History      []string            `json:"history"` // the digests of the revisions before, oldest first; null: none written
}

type keyringVector struct {
	Name      string           `json:"name"`
	Comment   string           `json:"comment"`
	Slot      string           `json:"slot"`   // the copy the opener expects: "password" or "recovery"
	Secret    string           `json:"secret"` // the master key or the recovery key
	User      string           `json:"user"`
	Rev       uint64           `json:"rev"`
	Nonce     string           `json:"nonce,omitempty"`
	Plaintext string           `json:"plaintext,omitempty"` // the keyring JSON, before padding
	Expected  *keyringExpected `json:"expected,omitempty"`
	Sealed    string           `json:"sealed"`
	Error     string           `json:"error,omitempty"`
}

type recoveryVector struct {
	Name     string `json:"name"`
	Comment  string `json:"comment"`
	String   string `json:"string"`
	Key      string `json:"key,omitempty"`
	AuthUser string `json:"auth_user,omitempty"`
	Auth     string `json:"auth,omitempty"` // recovery-auth of key for auth_user
	Error    string `json:"error,omitempty"`
}

// successionVector: a device that remembers known_rev and known_digest (0
// and "": nothing) opens the valid vector named keyring; result is "ok"
// when that keyring is the one remembered or descends from it, "fork" when
// it does not, "rolled_back" when its revision is below known_rev (§4.2).
type successionVector struct {
	Name        string `json:"name"`
	Comment     string `json:"comment"`
	KnownRev    uint64 `json:"known_rev"`
	KnownDigest string `json:"known_digest"`
	Keyring     string `json:"keyring"`
	Result      string `json:"result"`
}

type keyringFile struct {
	header
	Vectors      []keyringVector    `json:"vectors"`
	Successions  []successionVector `json:"successions"`
	RecoveryKeys []recoveryVector   `json:"recovery_keys"`
}

const (
	slotPassword = 0x01
	slotRecovery = 0x02
)

var slotNames = map[byte]string{slotPassword: "password", slotRecovery: "recovery"}

func slotInfo(slot byte) string {
	return map[byte]string{slotPassword: "hearth/v1 keyring password", slotRecovery: "hearth/v1 keyring recovery"}[slot]
}

// sealKeyring is §4.2 over an arbitrary plaintext, already padded.
func sealKeyring(version, slot byte, secret []byte, user string, rev uint64, nonce, padded []byte) []byte {
	header := []byte{version, slot}
	ad := u64(lp(ctx("hearth-keyring-v1"), user), rev)
	ad = append(ad, header...)
	out := append(header, nonce...)
	return append(out, xseal(subkey(secret, slotInfo(slot)), nonce, padded, ad)...)
}

// keyringJSON is the plaintext in the field order and encoding a Go client
// writes (encoding/json, map keys sorted), so that a reseal is byte-exact.
type keyringJSON struct {
	V        int                    `json:"v"`
	User     string                 `json:"user"`
	Sign     []byte                 `json:"sign"`
	Box      string                 `json:"box"`
	Recovery []byte                 `json:"recovery"`
	Doctypes map[string][]keyGenB64 `json:"doctypes"`
	History  []byte                 `json:"history,omitempty"`
}

type keyGenB64 struct {
	Gen uint32 `json:"gen"`
	Key []byte `json:"key"`
}

type testKeyring struct {
	user     string
	sign     []byte // Ed25519 seed
	box      []byte // X25519 scalar
	recovery []byte // the recovery key, kept in the keyring (§4.2)
	doctypes map[string][]keyGen
	history  []byte // the digests of the revisions before; nil: none written
}

// keyringDigest is keyring-digest of §4.2.
func keyringDigest(user string, rev uint64, js []byte) []byte {
	return sha(append(u64(lp(ctx("hearth-keyring-digest-v1"), user), rev), js...))
}

func (k testKeyring) json() []byte {
	j := keyringJSON{V: 1, User: k.user, Sign: k.sign, Box: ageIdentity(k.box), Recovery: k.recovery, Doctypes: map[string][]keyGenB64{}, History: k.history}
	for d, keys := range k.doctypes {
		for _, kg := range keys {
			j.Doctypes[d] = append(j.Doctypes[d], keyGenB64{kg.Gen, unhex(kg.Key)})
		}
	}
	return must(json.Marshal(j))
}

func (k testKeyring) expected(rev uint64) *keyringExpected {
	d := k.doctypes
	if d == nil {
		d = map[string][]keyGen{}
	}
	var h []string
	for i := 0; i < len(k.history); i += 32 {
		h = append(h, hx(k.history[i:i+32]))
	}
	return &keyringExpected{
		SignPublic:   hx(ed25519.NewKeyFromSeed(k.sign).Public().(ed25519.PublicKey)),
		BoxRecipient: ageRecipient(x25519Public(k.box)),
		Doctypes:     d,
		Digest:       hx(keyringDigest(k.user, rev, k.json())),
		History:      h,
	}
}

// next returns k's successor at revision rev+1, with doctypes, whose
// history is k's followed by k's digest at rev.
func (k testKeyring) next(rev uint64, doctypes map[string][]keyGen) testKeyring {
	n := k
	n.doctypes = doctypes
	h := k.history
	if h == nil {
		h = make([]byte, 32*(rev-1))
	}
	n.history = append(append([]byte{}, h...), keyringDigest(k.user, rev, k.json())...)
	return n
}

// The keys of alice's keyring; the notes keys are those of document.json.
var (
	notesGen1 = keyGen{1, hx(rnd32("document/key/notes/1"))}
	notesGen2 = keyGen{2, hx(rnd32("document/key/notes/2"))}
	tasksGen1 = keyGen{1, hx(rnd32("keyring/key/tasks/1"))}
	aliceSign = rnd32("keyring/alice/sign")
	aliceBox  = rnd32("keyring/alice/box")
)

var recoveryEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// recoveryString is §4.3's written form of a recovery key.
func recoveryString(key []byte) string {
	sum := sha(append(ctx("hearth-recovery-v1"), key...))
	s := recoveryEncoding.EncodeToString(append(append([]byte{}, key...), sum[:2]...))
	var groups []string
	for i := 0; i < len(s); i += 5 {
		groups = append(groups, s[i:min(i+5, len(s))])
	}
	return "HEARTH-" + strings.Join(groups, "-")
}

func recoveryAuth(key []byte, user string) []byte {
	m := hmac.New(sha256.New, subkey(key, "hearth/v1 recovery auth"))
	m.Write(ctx("hearth-recovery-auth-v1"))
	m.Write([]byte(user))
	return m.Sum(nil)
}

func genKeyring() any {
	f := &keyringFile{header: newHeader("keyring", "keyring.go", "spec/protocol.md §4.2, §4.3",
		"Sealed keyrings. Open each vector as the copy slot names (password: with secret as the master key; recovery: with secret as the recovery key) "+
			"for user at revision rev. Valid vectors open to a keyring with expected's keys, and resealing the opened keyring with nonce gives sealed again "+
			"(plaintext is the JSON a Go client writes); expected gives the revision's digest and the history it names. Vectors with an error fail with the integrity error, or weak_key for an all-zero secret. "+
			"successions: a device remembering known_rev and known_digest opens the valid vector named keyring; result says whether it is accepted (ok), a fork, or rolled back. "+
			"recovery_keys: written recovery keys, valid ones with their key and recovery-auth, invalid ones with error bad_recovery_key.")}
	master := rnd32("keyring/alice/master")
	rk := rnd32("keyring/alice/recovery")
	alice1 := testKeyring{"alice", aliceSign, aliceBox, rk, map[string][]keyGen{notes: {notesGen1}}, nil}
	alice2 := alice1.next(1, map[string][]keyGen{notes: {notesGen1, notesGen2}, "io.hearth.tasks": {tasksGen1}})
	bob := testKeyring{"bob", rnd32("keyring/bob/sign"), rnd32("keyring/bob/box"), rnd32("keyring/bob/recovery"), nil, nil}
	bobMaster := rnd32("keyring/bob/master")

	byName := map[string]keyringVector{}
	add := func(v keyringVector) {
		if _, dup := byName[v.Name]; dup {
			panic(v.Name)
		}
		byName[v.Name] = v
		f.Vectors = append(f.Vectors, v)
	}
	valid := func(name, comment string, slot byte, secret []byte, kr testKeyring, rev uint64) {
		nonce := rnd("keyring/"+name+"/nonce", 24)
		js := kr.json()
		add(keyringVector{Name: name, Comment: comment, Slot: slotNames[slot], Secret: hx(secret), User: kr.user, Rev: rev,
			Nonce: hx(nonce), Plaintext: string(js), Expected: kr.expected(rev),
			Sealed: hx(sealKeyring(0x01, slot, secret, kr.user, rev, nonce, pad(js)))})
	}
	bad := func(name, comment string, slot byte, secret []byte, user string, rev uint64, sealed []byte) {
		add(keyringVector{Name: name, Comment: comment, Slot: slotNames[slot], Secret: hx(secret), User: user, Rev: rev, Sealed: hx(sealed), Error: "integrity"})
	}
	valid("password_rev1", "alice's keyring, revision 1, sealed with her master key.", slotPassword, master, alice1, 1)
	valid("recovery_rev1", "The recovery copy of revision 1, sealed with her recovery key (see recovery_keys).", slotRecovery, rk, alice1, 1)
	valid("password_rev2", "Revision 2: notes rotated to generation 2, tasks added.", slotPassword, master, alice2, 2)
	valid("recovery_rev2", "The recovery copy of revision 2.", slotRecovery, rk, alice2, 2)
	valid("empty", "A keyring with no doctypes yet.", slotPassword, bobMaster, bob, 1)

	// A succession (§4.2): revision 3 follows 2; a fork of revision 2 (a
	// device that was shown revision 1 again wrote its own revision 2, without
	// the rotation of notes) and its revision 3; a revision 2 written before
	// histories, and a revision 3 that follows it.
	contactsGen1 := keyGen{1, hx(rnd32("keyring/key/contacts/1"))}
	alice3 := alice2.next(2, map[string][]keyGen{notes: {notesGen1, notesGen2}, "io.hearth.tasks": {tasksGen1}, "io.hearth.contacts": {contactsGen1}})
	fork2 := alice1.next(1, map[string][]keyGen{notes: {notesGen1}, "io.hearth.tasks": {tasksGen1}})
	fork3 := fork2.next(2, map[string][]keyGen{notes: {notesGen1}, "io.hearth.tasks": {tasksGen1}, "io.hearth.contacts": {contactsGen1}})
	legacy2 := alice2
	legacy2.history = nil
	afterLegacy3 := legacy2.next(2, alice3.doctypes)
	valid("password_rev3", "Revision 3: contacts added; its history names revisions 1 and 2.", slotPassword, master, alice3, 3)
	valid("fork_rev2", "A fork of revision 2: written over revision 1 by a device that never saw password_rev2 (notes not rotated).", slotPassword, master, fork2, 2)
	valid("fork_rev3", "Revision 3 on the fork: its history names fork_rev2.", slotPassword, master, fork3, 3)
	valid("legacy_rev2", "Revision 2 as written before histories: no history member. Opens; it descends, as far as anyone can tell, from any revision 1.", slotPassword, master, legacy2, 2)
	valid("after_legacy_rev3", "Revision 3 written over legacy_rev2: the digest of revision 1, unknown to its writer, is all zeros.", slotPassword, master, afterLegacy3, 3)

	p1 := unhex(byName["password_rev1"].Sealed)
	r1 := unhex(byName["recovery_rev1"].Sealed)
	p2 := unhex(byName["password_rev2"].Sealed)
	bad("wrong_user", "password_rev1 opened as bob's.", slotPassword, master, "bob", 1, p1)
	bad("wrong_rev_replay", "password_rev1 served as revision 2.", slotPassword, master, "alice", 2, p1)
	bad("wrong_rev_rollback", "password_rev2 served as revision 1.", slotPassword, master, "alice", 1, p2)
	bad("wrong_master_key", "password_rev1 opened with another master key.", slotPassword, rnd32("keyring/other-master"), "alice", 1, p1)
	bad("recovery_as_password", "recovery_rev1 opened as the password copy with the recovery key.", slotPassword, rk, "alice", 1, r1)
	bad("password_as_recovery", "password_rev1 opened as the recovery copy with the master key.", slotRecovery, master, "alice", 1, p1)
	s := bytesReplace(p1, 1, slotRecovery)
	bad("slot_swapped", "password_rev1 with its slot byte changed to 2, opened as the recovery copy with the master key as recovery key.", slotRecovery, master, "alice", 1, s)
	bad("slot_swapped_password", "password_rev1 with its slot byte changed to 2, opened as the password copy.", slotPassword, master, "alice", 1, s)
	s = bytesReplace(r1, 1, slotPassword)
	bad("slot_swapped_recovery", "recovery_rev1 with its slot byte changed to 1, opened as the password copy with the recovery key as master key.", slotPassword, rk, "alice", 1, s)
	other := rnd32("keyring/alice/other-recovery")
	bad("recovery_key_mismatch", "A recovery copy of alice1 (which holds her recovery key) sealed with another recovery key, opened with that key.",
		slotRecovery, other, "alice", 1, sealKeyring(0x01, slotRecovery, other, "alice", 1, rnd("keyring/mismatch/nonce", 24), pad(alice1.json())))
	bad("version_0x02", "password_rev1 with version byte 2.", slotPassword, master, "alice", 1, bytesReplace(p1, 0, 0x02))
	bad("version_0x00", "password_rev1 with version byte 0.", slotPassword, master, "alice", 1, bytesReplace(p1, 0, 0x00))
	bad("flip_nonce", "password_rev1 with a nonce byte xored with 1.", slotPassword, master, "alice", 1, flip(p1, 2))
	bad("flip_ciphertext", "password_rev1 with a ciphertext byte xored with 1.", slotPassword, master, "alice", 1, flip(p1, 30))
	bad("flip_tag", "password_rev1 with its last byte xored with 1.", slotPassword, master, "alice", 1, flip(p1, -1))
	for _, n := range []int{0, 2, 26, 41, len(p1) - 1} {
		bad(sprintf("truncated_%d", n), sprintf("password_rev1 cut to %d bytes.", n), slotPassword, master, "alice", 1, p1[:n])
	}
	bad("extended", "password_rev1 with a zero byte appended.", slotPassword, master, "alice", 1, append(append([]byte{}, p1...), 0))
	add(keyringVector{Name: "zero_master_key", Comment: "An all-zero master key is refused before anything is opened.", Slot: "password",
		Secret: hx(make([]byte, 32)), User: "alice", Rev: 1, Sealed: hx(p1), Error: "weak_key"})

	// Successions.
	dg := func(name string) string { return byName[name].Expected.Digest }
	succ := func(name, comment string, knownRev uint64, known, kr, result string) {
		if byName[kr].Error != "" {
			panic(kr)
		}
		kd := ""
		if known != "" {
			kd = dg(known)
		}
		f.Successions = append(f.Successions, successionVector{Name: name, Comment: comment, KnownRev: knownRev, KnownDigest: kd, Keyring: kr, Result: result})
	}
	succ("fresh_device", "A device that remembers nothing opens any revision.", 0, "", "fork_rev3", "ok")
	succ("same", "The revision remembered.", 2, "password_rev2", "password_rev2", "ok")
	succ("next", "The next revision names the one remembered.", 2, "password_rev2", "password_rev3", "ok")
	succ("skip", "Revision 3, remembering revision 1: its history names it.", 1, "password_rev1", "password_rev3", "ok")
	succ("fork_same_rev", "The fork's revision 2, remembering password_rev2.", 2, "password_rev2", "fork_rev2", "fork")
	succ("fork_later_rev", "The fork's revision 3, remembering password_rev2.", 2, "password_rev2", "fork_rev3", "fork")
	succ("fork_remembered", "password_rev3, remembering the fork's revision 2 (the device that wrote it).", 2, "fork_rev2", "password_rev3", "fork")
	succ("rolled_back", "Revision 2, remembering revision 3.", 3, "password_rev3", "password_rev2", "rolled_back")
	succ("legacy_no_history", "A revision written before histories cannot be checked against an earlier one.", 1, "password_rev1", "legacy_rev2", "ok")
	succ("legacy_remembered", "A revision 3 whose history names legacy_rev2, remembering it.", 2, "legacy_rev2", "after_legacy_rev3", "ok")
	succ("legacy_zero_entry", "An all-zero entry (unknown to its writer) matches whatever is remembered at that revision.", 1, "password_rev1", "after_legacy_rev3", "ok")
	succ("legacy_not_remembered", "A revision 3 that names legacy_rev2, remembering password_rev2 (which has a history, so another digest).", 2, "password_rev2", "after_legacy_rev3", "fork")

	// Authentic seals of plaintexts that are not valid keyrings.
	nonce := rnd("keyring/authentic/nonce", 24)
	goodKey := b64(unhex(notesGen1.Key))
	obj := func(v, user, sign, box, doctypes string) []byte {
		return []byte(sprintf(`{"v":%s,"user":%s,"sign":%s,"box":%s,"doctypes":%s}`, v, user, sign, box, doctypes))
	}
	sign, box := `"`+b64(aliceSign)+`"`, `"`+ageIdentity(aliceBox)+`"`
	dts := `{"io.hearth.notes":[{"gen":1,"key":"` + goodKey + `"}]}`
	auth := func(name, comment string, padded []byte) {
		bad(name, comment+" Authentic: the AEAD opens.", slotPassword, master, "alice", 1,
			sealKeyring(0x01, slotPassword, master, "alice", 1, nonce, padded))
	}
	auth("inner_user_bob", "The JSON names user bob; the seal binds alice.", pad(obj("1", `"bob"`, sign, box, dts)))
	auth("inner_v2", "v is 2.", pad(obj("2", `"alice"`, sign, box, dts)))
	auth("inner_v_missing", "No v field.", pad([]byte(`{"user":"alice","sign":`+sign+`,"box":`+box+`,"doctypes":`+dts+`}`)))
	auth("inner_unknown_field", "An unknown field (version 1 rejects them).", pad([]byte(`{"v":1,"user":"alice","sign":`+sign+`,"box":`+box+`,"doctypes":`+dts+`,"extra":1}`)))
	auth("inner_trailing_data", "A second JSON value after the object.", pad(append(obj("1", `"alice"`, sign, box, dts), "{}"...)))
	auth("inner_not_json", "The plaintext is not JSON.", pad([]byte("hello")))
	auth("inner_sign_zero", "An all-zero signing seed.", pad(obj("1", `"alice"`, `"`+b64(make([]byte, 32))+`"`, box, dts)))
	auth("inner_sign_short", "A 31-byte signing seed.", pad(obj("1", `"alice"`, `"`+b64(aliceSign[:31])+`"`, box, dts)))
	auth("inner_box_bad_checksum", "box with a broken bech32 checksum.", pad(obj("1", `"alice"`, sign, `"`+breakLast(ageIdentity(aliceBox))+`"`, dts)))
	auth("inner_box_recipient", "box holds a recipient (age1...) instead of an identity.", pad(obj("1", `"alice"`, sign, `"`+ageRecipient(x25519Public(aliceBox))+`"`, dts)))
	auth("inner_doctype_invalid", "A doctype that is not a valid name.", pad(obj("1", `"alice"`, sign, box, `{"Notes":[{"gen":1,"key":"`+goodKey+`"}]}`)))
	auth("inner_key_zero", "An all-zero doctype key.", pad(obj("1", `"alice"`, sign, box, `{"io.hearth.notes":[{"gen":1,"key":"`+b64(make([]byte, 32))+`"}]}`)))
	auth("inner_key_short", "A 31-byte doctype key.", pad(obj("1", `"alice"`, sign, box, `{"io.hearth.notes":[{"gen":1,"key":"`+b64(unhex(notesGen1.Key)[:31])+`"}]}`)))
	auth("inner_key_gen0", "A key of generation 0.", pad(obj("1", `"alice"`, sign, box, `{"io.hearth.notes":[{"gen":0,"key":"`+goodKey+`"}]}`)))
	auth("inner_key_gen_duplicate", "Two keys of generation 1.", pad(obj("1", `"alice"`, sign, box, `{"io.hearth.notes":[{"gen":1,"key":"`+goodKey+`"},{"gen":1,"key":"`+b64(unhex(notesGen2.Key))+`"}]}`)))
	auth("inner_keys_empty", "A doctype with no keys.", pad(obj("1", `"alice"`, sign, box, `{"io.hearth.notes":[]}`)))
	withHistory := func(h []byte) []byte {
		return []byte(sprintf(`{"v":1,"user":"alice","sign":%s,"box":%s,"recovery":"%s","doctypes":%s,"history":"%s"}`, sign, box, b64(rk), dts, b64(h)))
	}
	auth("inner_history_at_rev1", "Revision 1 with a history of one digest (there is no revision before).", pad(withHistory(rnd32("keyring/history/1"))))
	bad("inner_history_short", "Revision 2 whose history is 31 bytes. Authentic: the AEAD opens.", slotPassword, master, "alice", 2,
		sealKeyring(0x01, slotPassword, master, "alice", 2, nonce, pad(withHistory(rnd("keyring/history/2", 31)))))
	bad("inner_history_long", "Revision 2 whose history holds two digests. Authentic: the AEAD opens.", slotPassword, master, "alice", 2,
		sealKeyring(0x01, slotPassword, master, "alice", 2, nonce, pad(withHistory(rnd("keyring/history/3", 64)))))
	auth("inner_padding_none", "A valid keyring JSON without the 0x80 marker (zeros follow it directly).", append(alice1.json(), make([]byte, 64)...))
	auth("inner_padding_nonzero", "A valid keyring JSON padded with 0x80 0x01.", append(alice1.json(), 0x80, 0x01))

	// Recovery keys.
	canon := recoveryString(rk)
	rv := func(name, comment, s string) {
		f.RecoveryKeys = append(f.RecoveryKeys, recoveryVector{Name: name, Comment: comment, String: s, Key: hx(rk), AuthUser: "alice", Auth: hx(recoveryAuth(rk, "alice"))})
	}
	rbad := func(name, comment, s string) {
		if k := parseRecovery(s); k != nil {
			panic("gen: invalid recovery key vector parses: " + name)
		}
		f.RecoveryKeys = append(f.RecoveryKeys, recoveryVector{Name: name, Comment: comment, String: s, Error: "bad_recovery_key"})
	}
	body := strings.TrimPrefix(canon, "HEARTH-")
	rv("canonical", "As printed: HEARTH- and eleven groups of five.", canon)
	rv("lower_case", "Case does not matter.", strings.ToLower(canon))
	rv("spaces", "Spaces instead of dashes.", strings.ReplaceAll(canon, "-", " "))
	rv("no_separators", "No dashes at all.", strings.ReplaceAll(canon, "-", ""))
	rv("regrouped", "Dashes in other places.", "HEARTH-"+strings.ReplaceAll(body, "-", "")[:20]+"-"+strings.ReplaceAll(body, "-", "")[20:])
	rv("other_user_auth", "The same key; auth is for user bob.", canon)
	f.RecoveryKeys[len(f.RecoveryKeys)-1].AuthUser = "bob"
	f.RecoveryKeys[len(f.RecoveryKeys)-1].Auth = hx(recoveryAuth(rk, "bob"))

	raw := []byte(canon)
	sub := func(i int, c byte) string { b := append([]byte{}, raw...); b[i] = c; return string(b) }
	i := len("HEARTH-") + 3
	rbad("typo", "One character changed.", sub(i, nextBase32(raw[i])))
	j := len("HEARTH-") + 6
	for raw[j] == raw[j+1] {
		j++
	}
	sw := append([]byte{}, raw...)
	sw[j], sw[j+1] = sw[j+1], sw[j]
	rbad("transposed", "Two neighbouring characters swapped.", string(sw))
	rbad("checksum_typo", "A character of the checksum changed.", sub(len(raw)-2, nextBase32(raw[len(raw)-2])))
	last := raw[len(raw)-1]
	rbad("non_canonical_last", "The last character with one of its three unused bits set: decodes to the same bytes but is not canonical.", sub(len(raw)-1, base32Char(base32Value(last)|1)))
	rbad("missing_char", "One character left out.", canon[:len(canon)-1])
	rbad("extra_char", "One character too many.", canon+"A")
	rbad("invalid_char", "'0' is not in the base32 alphabet.", sub(i, '0'))
	rbad("wrong_prefix", "HEARTX- for HEARTH-.", "HEARTX-"+body)
	rbad("zero_key", "The all-zero key with its correct checksum: refused.", recoveryString(make([]byte, 32)))
	rbad("empty", "Nothing.", "")
	rbad("prefix_only", "Only the prefix.", "HEARTH-")
	return f
}

func bytesReplace(b []byte, i int, c byte) []byte {
	out := append([]byte{}, b...)
	out[i] = c
	return out
}

// breakLast changes the last character of a bech32 string.
func breakLast(s string) string {
	c := s[len(s)-1]
	if c == 'Q' {
		return s[:len(s)-1] + "P"
	}
	return s[:len(s)-1] + "Q"
}

const base32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

func base32Value(c byte) int { return strings.IndexByte(base32Alphabet, c) }
func base32Char(v int) byte  { return base32Alphabet[v] }
func nextBase32(c byte) byte { return base32Char((base32Value(c) + 1) % 32) }

// parseRecovery is a reader of §4.3, used to check the invalid vectors.
func parseRecovery(s string) []byte {
	s = strings.NewReplacer("-", "", " ", "").Replace(strings.ToUpper(s))
	if !strings.HasPrefix(s, "HEARTH") {
		return nil
	}
	s = s[len("HEARTH"):]
	b, err := recoveryEncoding.DecodeString(s)
	if err != nil || len(b) != 34 || recoveryEncoding.EncodeToString(b) != s {
		return nil
	}
	sum := sha(append(ctx("hearth-recovery-v1"), b[:32]...))
	if !hmac.Equal(sum[:2], b[32:]) || string(b[:32]) == string(make([]byte, 32)) {
		return nil
	}
	return b[:32]
}
