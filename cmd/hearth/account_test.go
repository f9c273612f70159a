//go:build hearthtest

package main

import (
	"strings"
	"testing"
)

// TestCLIPasswordRule: sign-up, passwd and recover apply the one password
// rule and say why a password is refused.
func TestCLIPasswordRule(t *testing.T) {
	d := startDaemon(t, t.TempDir(), "")
	weak := newCLI(t, "password123")
	weak.fails("too weak: it is a very common password", "", "signup", "--server", d.url, "--user", "wendy")
	short := newCLI(t, "short")
	short.fails("use at least 10 characters", "", "signup", "--server", d.url, "--user", "wendy")
	named := newCLI(t, "wendy wendy wendy")
	named.fails("your user name", "", "signup", "--server", d.url, "--user", "wendy")
}

// TestCLIPasswdAndRecover: a person changes the password, forgets it, and
// gets back in with the recovery key, finding everything; the old
// password, the old recovery key and the other sessions stop working.
func TestCLIPasswdAndRecover(t *testing.T) {
	d := startDaemon(t, t.TempDir(), "")
	c := newCLI(t, "correct horse battery staple")
	out := c.ok("", "signup", "--server", d.url, "--user", "rose")
	rk := recoveryKeyRE.FindStringSubmatch(out)[1]
	id := strings.Fields(c.ok(`{"title":"kept through it all"}`, "put", "io.hearth.notes"))[0]
	other := newCLI(t, "correct horse battery staple")
	other.ok("", "login", "--server", d.url, "--user", "rose")

	// passwd: a weak new one is refused, a wrong current one too.
	c.env = []string{"HEARTH_NEW_PASSWORD=password123"}
	c.fails("too weak", "", "passwd")
	c.env = []string{"HEARTH_NEW_PASSWORD=a brand new passphrase"}
	wrong := *c
	wrong.password = "not the password at all"
	wrong.fails("wrong user name or password", "", "passwd")
	if out := c.ok("", "passwd"); !strings.Contains(out, "Password changed") {
		t.Fatalf("passwd: %q", out)
	}
	if got := c.ok("", "get", "io.hearth.notes", id); !strings.Contains(got, "kept through it all") {
		t.Fatalf("after passwd: %q", got)
	}
	other.fails("", "", "get", "io.hearth.notes", id) // its session ended
	// A device that knew the old seed asks to be told the password changed.
	other.fails("sign in again saying so", "", "login", "--server", d.url, "--user", "rose")
	other.fails("wrong user name or password", "", "login", "--server", d.url, "--user", "rose", "--password-changed")
	other.password = "a brand new passphrase"
	other.ok("", "login", "--server", d.url, "--user", "rose", "--password-changed")

	// recover, on a new device, with the key from sign-up (passwd kept it).
	lost := newCLI(t, "a recovered passphrase here")
	lost.env = []string{"HEARTH_RECOVERY_KEY=HEARTH-AAAAA-AAAAA"}
	lost.fails("", "", "recover", "--server", d.url, "--user", "rose")
	lost.env = []string{"HEARTH_RECOVERY_KEY=" + rk}
	lost.fails("give --server and --user", "", "recover", "--user", "rose")
	out = lost.ok("", "recover", "--server", d.url, "--user", "rose")
	m := recoveryKeyRE.FindStringSubmatch(out)
	if m == nil || m[1] == rk || !strings.Contains(out, "NEW recovery key") {
		t.Fatalf("recover printed no new recovery key:\n%s", out)
	}
	if got := lost.ok("", "get", "io.hearth.notes", id); !strings.Contains(got, "kept through it all") {
		t.Fatalf("after recover: %q", got)
	}
	// Every other session ended; the old key opens nothing now.
	c.fails("", "", "get", "io.hearth.notes", id)
	again := newCLI(t, "yet another passphrase")
	again.env = []string{"HEARTH_RECOVERY_KEY=" + rk}
	again.fails("this recovery key does not open this account", "", "recover", "--server", d.url, "--user", "rose")
	again.env = []string{"HEARTH_RECOVERY_KEY=" + m[1]}
	again.ok("", "recover", "--server", d.url, "--user", "rose")
}

// TestCLIHelpAndMessages: help on standard output, for each command too;
// ls of an unknown doctype says so; ls --long gives dates and titles;
// get of a missing document says which, once.
func TestCLIHelpAndMessages(t *testing.T) {
	d := startDaemon(t, t.TempDir(), "")
	c := newCLI(t, "correct horse battery staple")
	for _, args := range [][]string{{"help"}, {"--help"}} {
		r := c.run("", args...)
		if r.code != 0 || !strings.Contains(r.stdout, "hearth recover --server URL") || !strings.Contains(r.stdout, "HEARTH_RECOVERY_KEY") || r.stderr != "" {
			t.Fatalf("hearth %s: %d\nstdout: %s\nstderr: %s", args[0], r.code, r.stdout, r.stderr)
		}
	}
	for _, args := range [][]string{{"help", "passwd"}, {"passwd", "--help"}} {
		r := c.run("", args...)
		if r.code != 0 || !strings.HasPrefix(r.stdout, "usage: hearth passwd") || !strings.Contains(r.stdout, "HEARTH_NEW_PASSWORD") {
			t.Fatalf("hearth %v: %d\n%s%s", args, r.code, r.stdout, r.stderr)
		}
	}
	if r := c.run("", "help", "nosuch"); r.code != 2 || !strings.Contains(r.stderr, "unknown command") {
		t.Fatalf("help of an unknown command: %+v", r)
	}

	c.ok("", "signup", "--server", d.url, "--user", "lena")
	if r := c.run("", "ls", "org.example.nothing"); r.code != 0 || r.stdout != "" || !strings.Contains(r.stderr, "This account has no documents of type org.example.nothing") {
		t.Fatalf("ls of an unknown doctype: %+v", r)
	}
	c.fails("this account has no documents of type io.hearth.notes", "", "get", "io.hearth.notes", "nosuchid")
	id := strings.Fields(c.ok(`{"title":"Groceries","updated":1765000000000}`, "put", "io.hearth.notes"))[0]
	c.fails("no document nosuchid of type io.hearth.notes", "", "get", "io.hearth.notes", "nosuchid")
	c.fails("no document nosuchid of type io.hearth.notes", "", "rm", "io.hearth.notes", "nosuchid")
	c.ok(`{"name":{"full":"Zoë Martin"}}`, "put", "io.hearth.contacts")
	if out := c.ok("", "ls", "io.hearth.notes", "--long"); out != id+"\t2025-12-06 05:46\tGroceries\n" {
		t.Fatalf("ls --long: %q", out)
	}
	if out := c.ok("", "ls", "--long", "io.hearth.contacts"); !strings.HasSuffix(out, "\t-\tZoë Martin\n") {
		t.Fatalf("ls --long of contacts: %q", out)
	}
}
