package kdf

import (
	"bytes"
	"encoding/hex"
	"errors"
	"github.com/hearthcloud/hearth/spec/vectors/vectorstest"
	"testing"

	"github.com/hearthcloud/hearth/internal/wire"
)

// The vectors of spec/vectors/kdf.json, made by spec/vectors/gen. The
// relative path works natively and under GOOS=js GOARCH=wasm.

type kdfVector struct {
	Name        string `json:"name"`
	Comment     string `json:"comment"`
	User        string `json:"user"`
	Password    string `json:"password"`
	PasswordHex string `json:"password_hex"`
	Seed        string `json:"seed"`
	Params      Params `json:"params"`
	TestOnly    bool   `json:"test_only"`
	Salt        string `json:"salt"`
	LoginSecret string `json:"login_secret"`
	MasterKey   string `json:"master_key"`
	Error       string `json:"error"`
}

type kdfFile struct {
	Format    string            `json:"format"`
	Spec      string            `json:"spec"`
	Comment   string            `json:"comment"`
	Generator string            `json:"generator"`
	Errors    map[string]string `json:"errors"`
	Vectors   []kdfVector       `json:"vectors"`
	FakeSeeds []struct {
		Name         string `json:"name"`
		ServerSecret string `json:"server_secret"`
		User         string `json:"user"`
		Seed         string `json:"seed"`
	} `json:"fake_seeds"`
}

func loadKDFVectors(t testing.TB) *kdfFile {
	t.Helper()
	var f kdfFile
	vectorstest.Load(t, "kdf.json", &f)
	if len(f.Vectors) == 0 {
		t.Fatal("no vectors")
	}
	return &f
}

var vectorErrors = map[string]error{
	"weak_params":    ErrWeakParams,
	"params":         ErrParams,
	"bad_seed":       ErrBadSeed,
	"empty_password": ErrEmptyPassword,
	"invalid_user":   wire.ErrInvalidUser,
}

func TestKDFVectors(t *testing.T) {
	f := loadKDFVectors(t)
	for code := range f.Errors {
		if vectorErrors[code] == nil {
			t.Errorf("error code %q has no error", code)
		}
	}
	for _, v := range f.Vectors {
		t.Run(v.Name, func(t *testing.T) {
			if hex.EncodeToString([]byte(v.Password)) != v.PasswordHex {
				t.Fatal("password and password_hex differ")
			}
			seed := unhex(t, v.Seed)
			if v.Error != "" {
				// Checked with the real floor, never the test one.
				want := vectorErrors[v.Error]
				if want == nil {
					t.Fatalf("unknown error %q", v.Error)
				}
				k, err := Derive(v.Password, v.User, seed, v.Params)
				if k != nil || err != want || !errors.Is(err, want) {
					t.Fatalf("Derive = %v, want %v", err, want)
				}
				return
			}
			if v.TestOnly {
				if err := v.Params.Check(); err != ErrWeakParams {
					t.Fatalf("test-only params without the test floor: %v", err)
				}
				defer LowerFloorForTesting()()
			} else if testing.Short() {
				t.Skip("the real parameters take 64 MiB and ~0.2 s; skipped in -short")
			}
			if got := Salt(v.User, seed); !bytes.Equal(got, unhex(t, v.Salt)) {
				t.Errorf("Salt = %x", got)
			}
			k, err := Derive(v.Password, v.User, seed, v.Params)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(k.LoginSecret[:], unhex(t, v.LoginSecret)) || !bytes.Equal(k.MasterKey[:], unhex(t, v.MasterKey)) {
				t.Fatalf("Derive = login %x, master %x", k.LoginSecret, k.MasterKey)
			}
		})
	}
	for _, v := range f.FakeSeeds {
		if got := FakeSeed(unhex(t, v.ServerSecret), v.User); !bytes.Equal(got, unhex(t, v.Seed)) {
			t.Errorf("%s: FakeSeed = %x", v.Name, got)
		}
	}
}

var unhex = vectorstest.Unhex
