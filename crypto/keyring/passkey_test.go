package keyring

import (
	"bytes"
	"encoding/hex"
	"testing"
)

type passkeyVector struct {
	Name       string `json:"name"`
	Comment    string `json:"comment"`
	Kind       string `json:"kind"`
	Secret     string `json:"secret"`
	User       string `json:"user"`
	Credential string `json:"credential"`
	Nonce      string `json:"nonce"`
	Plaintext  string `json:"plaintext"`
	Sealed     string `json:"sealed"`
	Error      string `json:"error"`
}

type passkeyFile struct {
	fileHeader
	PRFSalt string          `json:"prf_salt"`
	Vectors []passkeyVector `json:"vectors"`
}

// openPasskeyVector opens v as its kind says, giving the plaintext.
func openPasskeyVector(t testing.TB, v passkeyVector) ([]byte, error) {
	secret, cred, sealed := unhex(t, v.Secret), unhex(t, v.Credential), unhex(t, v.Sealed)
	if v.Kind == "wrap" {
		ps, err := OpenPasskeyWrap(sealed, secret, v.User, cred)
		if err != nil {
			return nil, err
		}
		return ps[:], nil
	}
	var ps PasskeySecret
	copy(ps[:], secret)
	if len(secret) != len(ps) {
		t.Fatalf("%s: secret of %d bytes", v.Name, len(secret))
	}
	mk, err := OpenPasskeyUnlock(sealed, &ps, v.User, cred)
	if err != nil {
		return nil, err
	}
	return mk[:], nil
}

func TestPasskeyVectors(t *testing.T) {
	var f passkeyFile
	loadVectors(t, "passkey.json", &f)
	if got := hex.EncodeToString(PasskeyPRFSalt()); got != f.PRFSalt {
		t.Fatalf("PRF salt %s, want %s", got, f.PRFSalt)
	}
	for _, v := range f.Vectors {
		got, err := openPasskeyVector(t, v)
		if v.Error != "" {
			wantError(t, v.Error, err)
			continue
		}
		if err != nil || !bytes.Equal(got, unhex(t, v.Plaintext)) {
			t.Fatalf("%s: %x, %v", v.Name, got, err)
		}
		// Sealing with the vector's nonce gives its bytes.
		var resealed []byte
		withNonces(unhex(t, v.Nonce), func() {
			secret, cred := unhex(t, v.Secret), unhex(t, v.Credential)
			var ps PasskeySecret
			if v.Kind == "wrap" {
				copy(ps[:], got)
				resealed, err = SealPasskeyWrap(secret, &ps, v.User, cred)
			} else {
				var mk [32]byte
				copy(ps[:], secret)
				copy(mk[:], got)
				resealed, err = SealPasskeyUnlock(&ps, &mk, v.User, cred)
			}
		})
		if err != nil || !bytes.Equal(resealed, unhex(t, v.Sealed)) {
			t.Fatalf("%s: sealed %x, %v", v.Name, resealed, err)
		}
	}
}

func TestPasskeyRoundTrip(t *testing.T) {
	prf := bytes.Repeat([]byte{7}, 32)
	cred := []byte("credential-id")
	ps := NewPasskeySecret()
	var mk [32]byte
	randRead(mk[:])
	wrap, err := SealPasskeyWrap(prf, ps, "alice", cred)
	if err != nil || len(wrap) != PasskeyAnswerSize {
		t.Fatal(len(wrap), err)
	}
	unlock, err := SealPasskeyUnlock(ps, &mk, "alice", cred)
	if err != nil {
		t.Fatal(err)
	}
	ps2, err := OpenPasskeyWrap(wrap, prf, "alice", cred)
	if err != nil || *ps2 != *ps {
		t.Fatal(err)
	}
	mk2, err := OpenPasskeyUnlock(unlock, ps2, "alice", cred)
	if err != nil || *mk2 != mk {
		t.Fatal(err)
	}
	if _, err := SealPasskeyWrap(prf, ps, "alice", nil); err == nil {
		t.Fatal("sealed for no credential")
	}
	if _, err := SealPasskeyWrap(prf, ps, "Not A User", cred); err == nil {
		t.Fatal("sealed for an invalid user")
	}
}

func FuzzOpenPasskey(f *testing.F) {
	var pf passkeyFile
	loadVectors(f, "passkey.json", &pf)
	for _, v := range pf.Vectors {
		f.Add(unhex(f, v.Sealed), unhex(f, v.Credential), v.User)
	}
	prf := bytes.Repeat([]byte{7}, 32)
	f.Fuzz(func(t *testing.T, sealed, cred []byte, user string) {
		ps, err := OpenPasskeyWrap(sealed, prf, user, cred)
		if err == nil {
			t.Fatalf("a fuzzed wrap opened: %x", ps[:])
		}
		if _, err := OpenPasskeyUnlock(sealed, new(PasskeySecret), user, cred); err == nil {
			t.Fatal("opened under a zero secret")
		}
	})
}
