package metatest

import (
	"bytes"
	"errors"
	"reflect"
	"sync"
	"testing"

	"github.com/hearthcloud/hearth/server/meta"
)

func sameTOTP(t *testing.T, got, want *meta.TOTPState) {
	t.Helper()
	g, w := *got, *want
	for _, p := range []*meta.TOTPState{&g, &w} {
		if len(p.Secret) == 0 {
			p.Secret = nil
		}
		if len(p.RecoveryCodes) == 0 {
			p.RecoveryCodes = nil
		}
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("TOTP = %+v, want %+v", g, w)
	}
}

func testTOTP(t *testing.T, s meta.Store) {
	_, err := s.TOTP(ctx, "alice")
	wantErr(t, "TOTP without account", err, meta.ErrNotFound)
	wantErr(t, "PutTOTP without account", s.PutTOTP(ctx, "alice", &meta.TOTPState{}), meta.ErrNotFound)
	wantErr(t, "UseTOTPStep without account", s.UseTOTPStep(ctx, "alice", 1), meta.ErrNotFound)
	wantErr(t, "UseRecoveryCode without account", s.UseRecoveryCode(ctx, "alice", []byte("x")), meta.ErrNotFound)

	mustCreateAccount(t, s, "alice")
	got, err := s.TOTP(ctx, "alice")
	wantErr(t, "TOTP", err, nil)
	sameTOTP(t, got, &meta.TOTPState{})

	codes := [][]byte{bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32), bytes.Repeat([]byte{3}, 32)}
	st := &meta.TOTPState{Secret: bytes.Repeat([]byte{0xaa}, 20), Enabled: false, LastStep: 100, RecoveryCodes: codes}
	wantErr(t, "PutTOTP", s.PutTOTP(ctx, "alice", st), nil)
	got, _ = s.TOTP(ctx, "alice")
	sameTOTP(t, got, st)

	st.Enabled = true
	wantErr(t, "PutTOTP enable", s.PutTOTP(ctx, "alice", st), nil)
	got, _ = s.TOTP(ctx, "alice")
	sameTOTP(t, got, st)

	steps := []struct {
		step int64
		want error
	}{
		{100, meta.ErrReplay}, // equal to LastStep
		{99, meta.ErrReplay},
		{101, nil},
		{101, meta.ErrReplay},
		{100, meta.ErrReplay},
		{105, nil},
		{102, meta.ErrReplay},
	}
	for _, st := range steps {
		wantErr(t, "UseTOTPStep", s.UseTOTPStep(ctx, "alice", st.step), st.want)
	}
	got, _ = s.TOTP(ctx, "alice")
	if got.LastStep != 105 {
		t.Fatalf("LastStep = %d, want 105", got.LastStep)
	}

	wantErr(t, "UseRecoveryCode", s.UseRecoveryCode(ctx, "alice", codes[1]), nil)
	wantErr(t, "UseRecoveryCode twice", s.UseRecoveryCode(ctx, "alice", codes[1]), meta.ErrNotFound)
	wantErr(t, "UseRecoveryCode unknown", s.UseRecoveryCode(ctx, "alice", bytes.Repeat([]byte{9}, 32)), meta.ErrNotFound)
	got, _ = s.TOTP(ctx, "alice")
	sameTOTP(t, got, &meta.TOTPState{Secret: st.Secret, Enabled: true, LastStep: 105, RecoveryCodes: [][]byte{codes[0], codes[2]}})

	// Turning TOTP off.
	wantErr(t, "PutTOTP off", s.PutTOTP(ctx, "alice", &meta.TOTPState{}), nil)
	got, _ = s.TOTP(ctx, "alice")
	sameTOTP(t, got, &meta.TOTPState{})
	wantErr(t, "UseRecoveryCode after off", s.UseRecoveryCode(ctx, "alice", codes[0]), meta.ErrNotFound)

	// Without stored state the last step is 0.
	mustCreateAccount(t, s, "bob")
	wantErr(t, "UseTOTPStep fresh", s.UseTOTPStep(ctx, "bob", 1), nil)
	wantErr(t, "UseTOTPStep fresh replay", s.UseTOTPStep(ctx, "bob", 1), meta.ErrReplay)
}

// testTOTPConcurrent checks that UseTOTPStep is atomic: of many concurrent
// uses of one step, exactly one succeeds.
func testTOTPConcurrent(t *testing.T, s meta.Store) {
	mustCreateAccount(t, s, "alice")
	wantErr(t, "PutTOTP", s.PutTOTP(ctx, "alice", &meta.TOTPState{Secret: make([]byte, 20), Enabled: true, LastStep: 10}), nil)
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { errs[i] = s.UseTOTPStep(ctx, "alice", 11) })
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, meta.ErrReplay):
			t.Fatalf("UseTOTPStep: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d of %d concurrent uses of one step succeeded, want 1", ok, n)
	}
}
