package main

import (
	"crypto/hmac"
	"crypto/sha256"

	"golang.org/x/crypto/argon2"
	"golang.org/x/text/unicode/norm"
)

// kdf.json: spec/protocol.md §3.

type kdfParams struct {
	Alg string `json:"alg"`
	M   uint32 `json:"m"`
	T   uint32 `json:"t"`
	P   uint8  `json:"p"`
}

type kdfVector struct {
	Name        string    `json:"name"`
	Comment     string    `json:"comment"`
	User        string    `json:"user"`
	Password    string    `json:"password"`
	PasswordHex string    `json:"password_hex"` // its UTF-8 bytes as given, before NFC
	Seed        string    `json:"seed"`
	Params      kdfParams `json:"params"`
	TestOnly    bool      `json:"test_only,omitempty"`
	Salt        string    `json:"salt,omitempty"`
	LoginSecret string    `json:"login_secret,omitempty"`
	MasterKey   string    `json:"master_key,omitempty"`
	Error       string    `json:"error,omitempty"`
}

type fakeSeedVector struct {
	Name         string `json:"name"`
	ServerSecret string `json:"server_secret"`
	User         string `json:"user"`
	Seed         string `json:"seed"`
}

type kdfFile struct {
	header
	Errors    map[string]string `json:"errors"`
	Vectors   []kdfVector       `json:"vectors"`
	FakeSeeds []fakeSeedVector  `json:"fake_seeds"`
}

var (
	testParams    = kdfParams{"argon2id", 64, 1, 1}
	defaultParams = kdfParams{"argon2id", 65536, 3, 1}
)

func kdfSalt(user string, seed []byte) []byte {
	return sha(append(lp(ctx("hearth-kdf-v1"), user), seed...))
}

func genKDF() any {
	f := &kdfFile{
		header: newHeader("kdf", "kdf.go", "spec/protocol.md §3", "Password to login secret and master key. "+
			"Vectors with test_only: true use parameters below the floor of §3.2; an implementation runs them with its test-only switch that lowers the floor "+
			"(and MUST refuse them without it, see test_params_refused). Vectors with an error are checked with the real floor."),
		Errors: map[string]string{
			"weak_params":    "parameters under the floor: the client refuses (possible downgrade)",
			"params":         "another algorithm, or parameters over the ceiling",
			"bad_seed":       "a seed that is not 32 bytes or is all zeros",
			"empty_password": "an empty password",
			"invalid_user":   "a user name that is not valid (§2.1)",
		},
	}
	seed := rnd32("kdf/seed")
	ok := func(name, comment, user, password string, seed []byte, p kdfParams) {
		salt := kdfSalt(user, seed)
		out := argon2.IDKey([]byte(norm.NFC.String(password)), salt, p.T, p.M, p.P, 64)
		f.Vectors = append(f.Vectors, kdfVector{
			Name: name, Comment: comment, User: user, Password: password, PasswordHex: hx([]byte(password)),
			Seed: hx(seed), Params: p, TestOnly: p != defaultParams,
			Salt: hx(salt), LoginSecret: hx(out[:32]), MasterKey: hx(out[32:]),
		})
	}
	bad := func(name, comment, user, password string, seed []byte, p kdfParams, err string) {
		f.Vectors = append(f.Vectors, kdfVector{
			Name: name, Comment: comment, User: user, Password: password, PasswordHex: hx([]byte(password)),
			Seed: hx(seed), Params: p, Error: err,
		})
	}
	ok("ascii", "An ASCII password.", "alice", "correct horse battery staple", seed, testParams)
	ok("other_user", "The same password and seed for another user: the salt binds the user name.", "bob", "correct horse battery staple", seed, testParams)
	ok("nfc_composed", "A password with a precomposed e-acute (U+00E9).", "alice", "caf\u00e9 cr\u00e8me", seed, testParams)
	ok("nfc_decomposed", "The same password typed as e + U+0301 and e + U+0300: NFC makes it nfc_composed, with the same keys.", "alice", "cafe\u0301 cre\u0300me", seed, testParams)
	ok("nfc_hangul", "Conjoining jamo U+1100 U+1161 U+11A8 compose to U+AC01, and U+304B U+3099 to U+304C, under NFC.", "alice", "\u1100\u1161\u11a8-\u304b\u3099", seed, testParams)
	ok("params_passed", "m=128, t=2, p=2: each parameter reaches Argon2id.", "a", "pw", rnd32("kdf/seed2"), kdfParams{"argon2id", 128, 2, 2})
	ok("long_user", "A 32-character user name and a 64-character password.", "abcdefghijklmnopqrstuvwxyz-01234", string(bytesPattern(64, 'a')), rnd32("kdf/seed3"), testParams)
	ok("default_params", "The real parameters of new accounts (64 MiB, 3 passes, 1 lane); about 0.2 s native.", "alice", "correct horse battery staple", seed, defaultParams)

	bad("test_params_refused", "The test parameters without the test-only switch.", "alice", "pw", seed, testParams, "weak_params")
	bad("m_below_floor", "m one below the floor.", "alice", "pw", seed, kdfParams{"argon2id", 65535, 3, 1}, "weak_params")
	bad("t_below_floor", "t one below the floor.", "alice", "pw", seed, kdfParams{"argon2id", 65536, 2, 1}, "weak_params")
	bad("p_zero", "p = 0.", "alice", "pw", seed, kdfParams{"argon2id", 65536, 3, 0}, "weak_params")
	bad("alg_argon2i", "Another Argon2 variant.", "alice", "pw", seed, kdfParams{"argon2i", 65536, 3, 1}, "params")
	bad("alg_case", "Algorithm names are case-sensitive.", "alice", "pw", seed, kdfParams{"Argon2id", 65536, 3, 1}, "params")
	bad("alg_empty", "No algorithm.", "alice", "pw", seed, kdfParams{"", 65536, 3, 1}, "params")
	bad("m_above_ceiling", "m one above the ceiling (256 MiB).", "alice", "pw", seed, kdfParams{"argon2id", 1<<18 + 1, 3, 1}, "params")
	bad("t_above_ceiling", "t one above the ceiling.", "alice", "pw", seed, kdfParams{"argon2id", 65536, 17, 1}, "params")
	bad("p_above_ceiling", "p one above the ceiling.", "alice", "pw", seed, kdfParams{"argon2id", 65536, 3, 9}, "params")
	bad("seed_zero", "An all-zero seed.", "alice", "pw", make([]byte, 32), defaultParams, "bad_seed")
	bad("seed_short", "A 31-byte seed.", "alice", "pw", seed[:31], defaultParams, "bad_seed")
	bad("password_empty", "An empty password.", "alice", "", seed, defaultParams, "empty_password")
	bad("user_invalid", "An upper-case user name.", "Alice", "pw", seed, defaultParams, "invalid_user")

	secret := rnd32("kdf/server-secret")
	for _, u := range []string{"alice", "nobody"} {
		m := hmac.New(sha256.New, secret)
		m.Write(ctx("hearth-fake-seed-v1"))
		m.Write([]byte(u))
		f.FakeSeeds = append(f.FakeSeeds, fakeSeedVector{Name: "fake_seed_" + u, ServerSecret: hx(secret), User: u, Seed: hx(m.Sum(nil))})
	}
	return f
}

// bytesPattern returns n printable bytes cycling from first.
func bytesPattern(n int, first byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = first + byte(i%26)
	}
	return b
}
