package main

import (
	"bytes"
	"crypto/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hearthcloud/hearth/client"
)

// admin runs the built hearthd's operator command on a data folder.
func admin(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(bins.hearthd, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("hearthd %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.String()
}

// TestE2EQuotaAndInvitations runs the built binaries: a server whose
// sign-up needs an invitation and whose accounts have a quota; the
// invitation made by 'hearthd invite' while it runs; 'hearth usage'; an
// upload refused when the account is full; more room given by 'hearthd
// quota' while the server runs, seen at once.
func TestE2EQuotaAndInvitations(t *testing.T) {
	dir := t.TempDir()
	d := startDaemon(t, dir, "", "--signup", "invite", "--quota", "200KB")
	c := newCLI(t, "correct horse battery staple")
	c.fails("--invite CODE", "", "signup", "--server", d.url, "--user", "alice")
	c.fails("needs an invitation", "", "signup", "--server", d.url, "--user", "alice", "--invite", "abcd-efgh-ijkl-mnop-qrst")
	code := strings.TrimSpace(admin(t, "invite", "--data", dir))
	if !regexp.MustCompile(`^[a-z2-7]{4}(-[a-z2-7]{4}){4}$`).MatchString(code) {
		t.Fatalf("hearthd invite printed %q", code)
	}
	c.ok("", "signup", "--server", d.url, "--user", "alice", "--invite", code)
	c2 := newCLI(t, "another password")
	c2.fails("needs an invitation", "", "signup", "--server", d.url, "--user", "bob", "--invite", code)

	if out := c.ok("", "usage"); !regexp.MustCompile(`^Stored:    \d+ bytes of 200 kB \(0%\)\nDocuments: 0 \(no limit\)\n$`).MatchString(out) {
		t.Fatalf("hearth usage:\n%s", out)
	}
	big := filepath.Join(t.TempDir(), "big.bin")
	b := make([]byte, 150<<10)
	rand.Read(b)
	os.WriteFile(big, b, 0o600)
	c.ok("", "upload", big)
	// The same bytes again: unchanged, nothing sent, so no room needed.
	if out := c.ok("", "upload", big); !strings.HasSuffix(out, "\tunchanged\n") {
		t.Fatalf("the same file again: %q", out)
	}
	// Other bytes: the server's refusal says the room left, in numbers.
	rand.Read(b)
	os.WriteFile(big, b, 0o600)
	c.fails(" left of 200 kB", "", "upload", big)
	if out := c.ok("", "usage"); !strings.Contains(out, "of 200 kB (7") || !strings.Contains(out, "Documents: 1 (no limit)") {
		t.Fatalf("hearth usage after one upload:\n%s", out)
	}

	// More room, given while the server runs.
	if out := admin(t, "quota", "--data", dir, "alice", "1MiB", "--docs", "10"); !strings.Contains(out, "alice: 1") || !strings.Contains(out, "(limit: 1 MiB), 1 documents (limit: 10)") {
		t.Fatalf("hearthd quota: %q", out)
	}
	c.ok("", "upload", big) // the same name: a new version of the file, the first kept as its earlier version
	if out := c.ok("", "usage"); !strings.Contains(out, "of 1 MiB (29%)") || !strings.Contains(out, "Documents: 1 of 10 (10%)") {
		t.Fatalf("hearth usage after more room:\n%s", out)
	}
}

// TestE2ESignupClosed: --signup=false still closes sign-up.
func TestE2ESignupClosed(t *testing.T) {
	d := startDaemon(t, t.TempDir(), "", "--signup=false")
	c := newCLI(t, "correct horse battery staple")
	c.fails("sign-up is closed", "", "signup", "--server", d.url, "--user", "alice")
}

func TestPrintUsage(t *testing.T) {
	n := func(v int64) *int64 { return &v }
	for _, c := range []struct {
		a    client.Account
		want string
	}{
		{client.Account{}, "Stored:    0 bytes (no limit)\nDocuments: 0 (no limit)\n"},
		{client.Account{Usage: client.Usage{Bytes: 3 << 29, Docs: 532}}, "Stored:    1.5 GiB (no limit)\nDocuments: 532 (no limit)\n"},
	} {
		var b bytes.Buffer
		printUsage(&b, &c.a)
		if b.String() != c.want {
			t.Errorf("printUsage: %q, want %q", b.String(), c.want)
		}
	}
	a := client.Account{Usage: client.Usage{Bytes: 10 << 30, Docs: 9}}
	a.Quota.Bytes, a.Quota.Docs = n(10<<30), n(10)
	var b bytes.Buffer
	printUsage(&b, &a)
	if want := "Stored:    10 GiB of 10 GiB (100%): full, delete something or ask the server's operator for more room\nDocuments: 9 of 10 (90%)\n"; b.String() != want {
		t.Errorf("printUsage full: %q, want %q", b.String(), want)
	}
}
