package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hearthcloud/hearth/server"
	"github.com/hearthcloud/hearth/server/auth"
	"github.com/hearthcloud/hearth/server/meta"
)

// TestQuotaCommand: hearthd quota shows an account's usage and own
// limits, sets them (sizes as people write them, default, unlimited),
// and refuses what it cannot read or a missing account.
func TestQuotaCommand(t *testing.T) {
	dir := t.TempDir()
	s, err := server.Open(context.Background(), server.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	run := func(args ...string) (string, string, int) {
		var out, errb bytes.Buffer
		code := quotaCmd(append([]string{"--data", dir}, args...), &out, &errb)
		return out.String(), errb.String(), code
	}
	if _, e, code := run("alice"); code != 1 || !strings.Contains(e, `no account "alice"`) {
		t.Fatalf("quota of no account: %d %q", code, e)
	}
	mustAccount(t, dir, "alice")

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"alice"}, "alice: 0 bytes stored (limit: the server's default, its --quota flag), 0 documents (limit: the server's default, its --quota-docs flag)\n"},
		{[]string{"alice", "20GiB"}, "alice: 0 bytes stored (limit: 20 GiB), 0 documents (limit: the server's default, its --quota-docs flag)\n"},
		{[]string{"alice", "--docs", "5000"}, "alice: 0 bytes stored (limit: 20 GiB), 0 documents (limit: 5000)\n"},
		{[]string{"--docs", "unlimited", "alice", "1.5 GB"}, "alice: 0 bytes stored (limit: 1.5 GB), 0 documents (limit: unlimited)\n"},
		{[]string{"alice", "default", "--docs", "default"}, "alice: 0 bytes stored (limit: the server's default, its --quota flag), 0 documents (limit: the server's default, its --quota-docs flag)\n"},
		{[]string{"alice", "unlimited"}, "alice: 0 bytes stored (limit: unlimited), 0 documents (limit: the server's default, its --quota-docs flag)\n"},
	} {
		if out, e, code := run(c.args...); code != 0 || out != c.want {
			t.Errorf("hearthd quota %v: %d %q %q, want %q", c.args, code, out, e, c.want)
		}
	}
	for _, bad := range [][]string{{}, {"alice", "10X"}, {"alice", "--docs", "-3"}, {"Alice"}, {"alice", "1GiB", "extra"}} {
		if _, _, code := run(bad...); code != 2 {
			t.Errorf("hearthd quota %v: exit %d, want 2", bad, code)
		}
	}
	// What is wrong is said, not only the usage.
	if _, e, _ := run("alice", "5", "gigs"); !strings.Contains(e, "give the size as one word") {
		t.Errorf("hearthd quota alice 5 gigs: %q", e)
	}
}

// mustAccount signs user up through the API of a server on dir.
func mustAccount(t *testing.T, dir, user string) {
	t.Helper()
	s, err := server.Open(context.Background(), server.Config{Dir: dir, Hash: auth.HashParams{Memory: 64, Time: 1, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	b, _ := json.Marshal(map[string]any{"user": user, "kdf": map[string]any{"alg": "argon2id", "m": 65536, "t": 3, "p": 1},
		"seed": make([]byte, 32), "login_secret": make([]byte, 32), "recovery_auth": make([]byte, 32),
		"keyring": []byte("k"), "recovery_keyring": []byte("r"), "device": "d"})
	res, err := http.Post(ts.URL+"/v1/accounts", "application/json", bytes.NewReader(b))
	if err != nil || res.StatusCode != 201 {
		t.Fatalf("sign-up: %v %v", err, res)
	}
	res.Body.Close()
}

var inviteLine = regexp.MustCompile(`^[a-z2-7]{4}(-[a-z2-7]{4}){4}\n$`)

// TestInviteCommand: hearthd invite prints a fresh code each time and
// refuses a folder without Hearth data.
func TestInviteCommand(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if code := inviteCmd([]string{"--data", dir}, &out, &errb, time.Now()); code != 1 || !strings.Contains(errb.String(), "no meta.db") {
		t.Fatalf("invite on an empty folder: %d %q", code, errb.String())
	}
	s, err := server.Open(context.Background(), server.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	seen := map[string]bool{}
	for range 3 {
		out.Reset()
		if code := inviteCmd([]string{"--data", dir, "--expires", "48h"}, &out, &errb, time.Now()); code != 0 || !inviteLine.MatchString(out.String()) || seen[out.String()] {
			t.Fatalf("invite: %d %q", code, out.String())
		}
		seen[out.String()] = true
	}
	if code := inviteCmd([]string{"--data", dir, "--expires", "-1h"}, &out, &errb, time.Now()); code != 2 {
		t.Fatalf("invite with a negative expiry: %d", code)
	}
}

func TestSignupFlag(t *testing.T) {
	for in, want := range map[string]signupMode{"open": signupOpen, "true": signupOpen, "invite": signupInvite, "closed": signupClosed, "false": signupClosed} {
		var m signupMode
		if err := m.Set(in); err != nil || m != want {
			t.Errorf("--signup %s: %v %v", in, m, err)
		}
	}
	var m signupMode
	if m.Set("maybe") == nil {
		t.Error("--signup maybe accepted")
	}
	if l, err := parseLimits("10GiB", "unlimited", false); err != nil || l != (meta.Limits{Bytes: 10 << 30}) {
		t.Errorf("parseLimits: %+v %v", l, err)
	}
	if _, err := parseLimits("default", "0", false); err == nil {
		t.Error("--quota default accepted")
	}
}
