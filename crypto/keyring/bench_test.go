package keyring_test

import (
	"fmt"
	"testing"

	"filippo.io/age"

	"github.com/hearthcloud/hearth/crypto/keyring"
)

const benchUser = "alice"

// benchKeyring returns a keyring for benchUser with n doctypes, one key
// generation each.
func benchKeyring(b *testing.B, n int) *keyring.Keyring {
	b.Helper()
	kr, err := keyring.New(benchUser)
	if err != nil {
		b.Fatal(err)
	}
	for i := range n {
		if _, err := kr.AddDoctype(fmt.Sprintf("io.hearth.app%02d", i)); err != nil {
			b.Fatal(err)
		}
	}
	return kr
}

// BenchmarkOpenKeyring opens a keyring of 20 doctypes with the master key,
// as a client does at login once Argon2id has run.
func BenchmarkOpenKeyring(b *testing.B) {
	kr := benchKeyring(b, 20)
	var mk [32]byte
	for i := range mk {
		mk[i] = byte(i + 1)
	}
	sealed, err := kr.SealWithMasterKey(&mk, 1)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(sealed)))
	b.ReportAllocs()
	for b.Loop() {
		got, err := keyring.OpenWithMasterKey(sealed, &mk, benchUser, 1)
		if err != nil || len(got.Doctypes()) != 20 {
			b.Fatalf("open: %v", err)
		}
	}
}

// BenchmarkOpenGrant opens a grant of two doctypes (read and write), as an
// app does when it starts: X25519 unwrap, Ed25519 check, key decoding.
func BenchmarkOpenGrant(b *testing.B) {
	kr := benchKeyring(b, 2)
	app, err := age.GenerateX25519Identity()
	if err != nil {
		b.Fatal(err)
	}
	var scopes []keyring.Scope
	for _, d := range kr.Doctypes() {
		scopes = append(scopes, keyring.Scope{Doctype: d, Verbs: []string{keyring.VerbRead, keyring.VerbWrite}})
	}
	sealed, err := kr.Grant(app.Recipient(), scopes, 1)
	if err != nil {
		b.Fatal(err)
	}
	signer := kr.SigningKey()
	b.SetBytes(int64(len(sealed)))
	b.ReportAllocs()
	for b.Loop() {
		g, err := keyring.OpenGrant(sealed, app, signer, benchUser, nil)
		if err != nil || len(g.Doctypes) != 2 {
			b.Fatalf("open grant: %v", err)
		}
	}
}
