package kdf_test

import (
	"crypto/sha256"

	"bytes"
	"encoding/json"
	"errors"
	"golang.org/x/crypto/argon2"
	"testing"

	"github.com/hearthcloud/hearth/crypto/kdf"
)

var seed = bytes.Repeat([]byte{7}, kdf.SeedSize)

func TestDeriveDeterministic(t *testing.T) {
	defer kdf.LowerFloorForTesting()()
	a, err := kdf.Derive("correct horse", "alice", seed, kdf.TestParams)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := kdf.Derive("correct horse", "alice", seed, kdf.TestParams)
	if *a != *b {
		t.Fatal("Derive is not deterministic")
	}
	// NFC: a decomposed "é" is the same password as the composed one.
	c, _ := kdf.Derive("caf\u00e9", "alice", seed, kdf.TestParams)
	d, _ := kdf.Derive("cafe\u0301", "alice", seed, kdf.TestParams)
	if *c != *d {
		t.Fatal("password is not NFC-normalized")
	}
	for _, bad := range []struct {
		pw, user string
		seed     []byte
	}{{"", "alice", seed}, {"pw", "Alice", seed}, {"pw", "alice", seed[:31]}, {"pw", "alice", make([]byte, 32)}} {
		if _, err := kdf.Derive(bad.pw, bad.user, bad.seed, kdf.TestParams); err == nil {
			t.Errorf("Derive(%q, %q, %x) succeeded", bad.pw, bad.user, bad.seed)
		}
	}
}

func TestParamsJSON(t *testing.T) {
	b, _ := json.Marshal(kdf.Default)
	if string(b) != `{"alg":"argon2id","m":65536,"t":3,"p":1}` {
		t.Fatalf("Default encodes as %s", b)
	}
	if err := kdf.Default.Check(); err != nil {
		t.Fatal(err)
	}
}

func TestFakeSeed(t *testing.T) {
	secret := bytes.Repeat([]byte{1}, 32)
	a, b := kdf.FakeSeed(secret, "mallory"), kdf.FakeSeed(secret, "mallory")
	if !bytes.Equal(a, b) || len(a) != kdf.SeedSize || bytes.Equal(a, kdf.FakeSeed(secret, "eve")) {
		t.Fatal("fake seed is not stable per user")
	}
}

// Property 5: parameters under the client's floor are refused, whatever the
// server says, and so are other algorithms and absurd costs.
func TestSecurity05KDFDowngradeRefused(t *testing.T) {
	for _, p := range []kdf.Params{
		{Alg: "argon2id", Memory: 32 << 10, Time: 3, Threads: 1},
		{Alg: "argon2id", Memory: 64 << 10, Time: 2, Threads: 1},
		{Alg: "argon2id", Memory: 64 << 10, Time: 3, Threads: 0},
		kdf.TestParams,
	} {
		if _, err := kdf.Derive("pw", "alice", seed, p); !errors.Is(err, kdf.ErrWeakParams) {
			t.Errorf("%+v: %v", p, err)
		}
	}
	for _, p := range []kdf.Params{
		{Alg: "argon2i", Memory: 64 << 10, Time: 3, Threads: 1},
		{Alg: "scrypt", Memory: 64 << 10, Time: 3, Threads: 1},
		{Alg: "argon2id", Memory: 1<<18 + 1, Time: 3, Threads: 1},
		{Alg: "argon2id", Memory: 64 << 10, Time: 100, Threads: 1},
	} {
		if _, err := kdf.Derive("pw", "alice", seed, p); !errors.Is(err, kdf.ErrParams) {
			t.Errorf("%+v: %v", p, err)
		}
	}
	// The testing hook lowers the floor only while it is in effect.
	restore := kdf.LowerFloorForTesting()
	if err := kdf.TestParams.Check(); err != nil {
		t.Fatal(err)
	}
	restore()
	if err := kdf.TestParams.Check(); !errors.Is(err, kdf.ErrWeakParams) {
		t.Fatal("floor not restored")
	}
}

// Property 6: what login sends (the login secret) reveals neither the
// password nor the master key, and the salt binds the user name and seed.
func TestSecurity06LoginSecretIndependentAndSaltBound(t *testing.T) {
	defer kdf.LowerFloorForTesting()()
	k, _ := kdf.Derive("hunter2", "alice", seed, kdf.TestParams)
	// The two secrets are the two halves of one Argon2id output, computed
	// here independently: neither is derived from the other.
	p := kdf.TestParams
	out := argon2.IDKey([]byte("hunter2"), kdf.Salt("alice", seed), p.Time, p.Memory, p.Threads, 64)
	if !bytes.Equal(k.LoginSecret[:], out[:32]) || !bytes.Equal(k.MasterKey[:], out[32:]) {
		t.Fatal("login secret and master key are not the halves of Argon2id(password, salt)")
	}
	for _, h := range [][32]byte{sha256.Sum256(k.LoginSecret[:]), sha256.Sum256(k.MasterKey[:])} {
		if h == k.LoginSecret || h == k.MasterKey {
			t.Fatal("one secret is the hash of the other")
		}
	}
	other := bytes.Clone(seed)
	other[0] ^= 1
	for name, kk := range map[string]*kdf.Keys{
		"other user": must(kdf.Derive("hunter2", "bob", seed, kdf.TestParams)),
		"other seed": must(kdf.Derive("hunter2", "alice", other, kdf.TestParams)),
	} {
		if kk.LoginSecret == k.LoginSecret || kk.MasterKey == k.MasterKey {
			t.Errorf("%s: same keys", name)
		}
	}
	if bytes.Equal(kdf.Salt("alice", seed), kdf.Salt("bob", seed)) {
		t.Fatal("salt not bound to the user name")
	}
}

func must(k *kdf.Keys, err error) *kdf.Keys {
	if err != nil {
		panic(err)
	}
	return k
}

func TestDeriveDefaultParams(t *testing.T) {
	if testing.Short() {
		t.Skip("Argon2id at 64 MiB")
	}
	k, err := kdf.Derive("pw", "alice", seed, kdf.Default)
	if err != nil || k.MasterKey == [32]byte{} {
		t.Fatal(err)
	}
}
