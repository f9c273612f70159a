package main

// passkey.json: spec/protocol.md §4.8.

type passkeyVector struct {
	Name       string `json:"name"`
	Comment    string `json:"comment"`
	Kind       string `json:"kind"` // "wrap": sealed under prf, holds ps; "unlock": sealed under ps, holds the master key
	Secret     string `json:"secret"`
	User       string `json:"user"`
	Credential string `json:"credential"` // hex, the raw credential id
	Nonce      string `json:"nonce,omitempty"`
	Plaintext  string `json:"plaintext,omitempty"` // hex: ps or the master key
	Sealed     string `json:"sealed"`              // hex
	Error      string `json:"error,omitempty"`
}

type passkeyFile struct {
	header
	PRFSalt string          `json:"prf_salt"` // hex
	Vectors []passkeyVector `json:"vectors"`
}

func passkeyAD(user string, credential []byte) []byte {
	return lp(lp(ctx("hearth-passkey-v1"), user), string(credential))
}

func passkeyInfo(kind string) string { return "hearth/v1 passkey " + kind }

func passkeySeal(kind string, secret, nonce, plain []byte, user string, credential []byte) []byte {
	return append(append([]byte{}, nonce...), xseal(subkey(secret, passkeyInfo(kind)), nonce, plain, passkeyAD(user, credential))...)
}

func genPasskey() any {
	const user = "alice"
	cred := rnd("passkey credential", 16)
	prf := rnd32("passkey prf")
	ps := rnd32("passkey ps")
	master := rnd32("passkey master key")
	wrapNonce := rnd("passkey wrap nonce", 24)
	unlockNonce := rnd("passkey unlock nonce", 24)
	wrap := passkeySeal("wrap", prf, wrapNonce, ps, user, cred)
	unlock := passkeySeal("unlock", ps, unlockNonce, master, user, cred)
	v := func(name, comment, kind string, secret []byte, user string, cred, sealed []byte, errCode string) passkeyVector {
		return passkeyVector{Name: name, Comment: comment, Kind: kind, Secret: hx(secret), User: user,
			Credential: hx(cred), Sealed: hx(sealed), Error: errCode}
	}
	valid := func(name, kind string, secret, nonce, plain, sealed []byte) passkeyVector {
		pv := v(name, "opens to plaintext; sealing plaintext with nonce gives sealed", kind, secret, user, cred, sealed, "")
		pv.Nonce, pv.Plaintext = hx(nonce), hx(plain)
		return pv
	}
	otherCred := rnd("passkey other credential", 16)
	zero := make([]byte, 32)
	f := passkeyFile{
		header: newHeader("hearth-passkey-vectors-v1", "passkey.go", "spec/protocol.md §4.8",
			"The wrap and unlock of a passkey that unlocks the account. Negative vectors fail with the error given."),
		PRFSalt: hx(sha(ctx("hearth-passkey-prf-v1"))),
		Vectors: []passkeyVector{
			valid("wrap", "wrap", prf, wrapNonce, ps, wrap),
			valid("unlock", "unlock", ps, unlockNonce, master, unlock),
			v("wrap opened as unlock", "the two seals use different subkeys", "unlock", prf, user, cred, wrap, "integrity"),
			v("another user", "the account is bound", "wrap", prf, "bob", cred, wrap, "integrity"),
			v("another credential", "the credential id is bound", "unlock", ps, user, otherCred, unlock, "integrity"),
			v("wrong prf", "another passkey's PRF output", "wrap", rnd32("passkey other prf"), user, cred, wrap, "integrity"),
			v("flipped tag", "", "unlock", ps, user, cred, flip(unlock, -1), "integrity"),
			v("flipped nonce", "", "wrap", prf, user, cred, flip(wrap, 0), "integrity"),
			v("truncated", "one byte short", "wrap", prf, user, cred, wrap[:len(wrap)-1], "integrity"),
			v("zero prf", "an all-zero secret is refused before anything is opened", "wrap", zero, user, cred, wrap, "weak_key"),
			v("zero master key sealed", "an authentic seal of an all-zero master key", "unlock", ps, user, cred,
				passkeySeal("unlock", ps, unlockNonce, zero, user, cred), "integrity"),
		},
	}
	return f
}
