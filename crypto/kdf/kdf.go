// Package kdf turns a password into Hearth's two root secrets
// (spec/protocol.md §3): a login secret, which the server checks, and a
// master key, which never leaves the client.
//
// One Argon2id call over the password, salted with the user name and a
// random seed the server keeps for the account, yields 64 bytes: the first
// 32 are the login secret, the last 32 the master key. The server hands the
// client the seed and the parameters at login (Params, as they travel in
// JSON); the client refuses parameters under its floor, so that a
// malicious server cannot make the password cheaper to guess, or over its
// ceiling, so that it cannot exhaust the device. For a user name with no
// account, the server reports a FakeSeed, so that prelogin does not tell
// which accounts exist.
package kdf

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"

	"golang.org/x/crypto/argon2"
	"golang.org/x/text/unicode/norm"

	"github.com/hearthcloud/hearth/crypto/internal/format"
	"github.com/hearthcloud/hearth/internal/wire"
)

// Alg is the only algorithm name of protocol version 1.
const Alg = "argon2id"

// SeedSize is the size of an account's KDF seed.
const SeedSize = 32

// Params are the Argon2id parameters of an account, as they travel in JSON.
type Params struct {
	Alg     string `json:"alg"`
	Memory  uint32 `json:"m"` // KiB
	Time    uint32 `json:"t"` // passes
	Threads uint8  `json:"p"` // lanes
}

// Default is what new accounts use: 64 MiB, three passes, one lane. It is
// also the floor a client accepts (see Params.Check).
var Default = Params{Alg: Alg, Memory: 64 << 10, Time: 3, Threads: 1}

// Ceiling bounds what a client agrees to spend, so a server cannot exhaust a
// phone's memory (WebAssembly memory is never given back) with absurd
// parameters: four times the default memory, 16 passes, 8 lanes.
var Ceiling = Params{Alg: Alg, Memory: 1 << 18, Time: 16, Threads: 8}

var (
	floorMu sync.RWMutex
	floor   = Default
)

// Errors.
var (
	ErrWeakParams    = errors.New("kdf: the server asked for key-derivation parameters below the safe minimum; refusing (possible downgrade attack)")
	ErrParams        = errors.New("kdf: unsupported key-derivation parameters")
	ErrBadSeed       = errors.New("kdf: malformed account seed")
	ErrEmptyPassword = errors.New("kdf: empty password")
)

// Check returns ErrWeakParams if p is under the client's floor, and
// ErrParams if p names another algorithm or exceeds the ceiling.
func (p Params) Check() error {
	if p.Alg != Alg {
		return ErrParams
	}
	if p.Memory > Ceiling.Memory || p.Time > Ceiling.Time || p.Threads > Ceiling.Threads {
		return ErrParams
	}
	floorMu.RLock()
	f := floor
	floorMu.RUnlock()
	if p.Memory < f.Memory || p.Time < f.Time || p.Threads < f.Threads || p.Threads == 0 {
		return ErrWeakParams
	}
	return nil
}

// lowerFloor lets tests derive keys with cheap parameters such as
// TestParams, and returns a function that restores the floor. It is reached
// only through LowerFloorForTesting, which exists in test builds only: this
// package's own tests (export_test.go) and builds with the hearthtest tag
// (testhook.go), which the Makefile passes to go test and no shipped build
// uses.
func lowerFloor() (restore func()) {
	floorMu.Lock()
	old := floor
	floor = TestParams
	floorMu.Unlock()
	return func() {
		floorMu.Lock()
		floor = old
		floorMu.Unlock()
	}
}

// TestParams are cheap parameters for tests. Check refuses them unless a
// test has lowered the floor.
var TestParams = Params{Alg: Alg, Memory: 64, Time: 1, Threads: 1}

// Keys are the two secrets derived from a password.
type Keys struct {
	LoginSecret [32]byte // sent to the server at sign-up and login
	MasterKey   [32]byte // seals the keyring; never leaves the client
}

// NewSeed returns a fresh random account seed.
func NewSeed() []byte {
	b := make([]byte, SeedSize)
	rand.Read(b)
	return b
}

// Salt returns the Argon2id salt of user with the account's seed:
// SHA-256("hearth-kdf-v1" || 0x00 || lp(user) || seed).
func Salt(user string, seed []byte) []byte {
	b := format.Context("hearth-kdf-v1")
	b = format.AppendString(b, user)
	b = append(b, seed...)
	s := sha256.Sum256(b)
	return s[:]
}

// Derive runs Argon2id over the password (normalized to Unicode NFC) with the
// salt of user and seed, and splits the 64-byte result into the login secret
// and the master key. It refuses parameters that fail Check.
func Derive(password, user string, seed []byte, p Params) (*Keys, error) {
	if err := p.Check(); err != nil {
		return nil, err
	}
	if err := wire.CheckUser(user); err != nil {
		return nil, err
	}
	if len(seed) != SeedSize || format.IsZero(seed) {
		return nil, ErrBadSeed
	}
	if password == "" {
		return nil, ErrEmptyPassword
	}
	pw := norm.NFC.String(password)
	out := argon2.IDKey([]byte(pw), Salt(user, seed), p.Time, p.Memory, p.Threads, 64)
	k := &Keys{}
	copy(k.LoginSecret[:], out[:32])
	copy(k.MasterKey[:], out[32:])
	clear(out)
	return k, nil
}

// FakeSeed returns the stable seed a server reports for a user name that has
// no account, so that a prelogin answer does not reveal whether an account
// exists: HMAC-SHA256(serverSecret, "hearth-fake-seed-v1" || 0x00 || user).
func FakeSeed(serverSecret []byte, user string) []byte {
	if len(serverSecret) < 32 {
		panic(fmt.Sprintf("kdf: server secret of %d bytes is too short", len(serverSecret)))
	}
	m := hmac.New(sha256.New, serverSecret)
	m.Write(format.Context("hearth-fake-seed-v1"))
	m.Write([]byte(user))
	return m.Sum(nil)
}
