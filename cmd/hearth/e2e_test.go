package main

import (
	"bytes"
	"crypto/rand"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// totpCode computes the authenticator code for uri at time at.
func totpCode(t *testing.T, uri string, at time.Time) string {
	t.Helper()
	key, err := otp.NewKeyFromURL(strings.TrimSpace(uri))
	if err != nil {
		t.Fatal(err)
	}
	code, err := totp.GenerateCodeCustom(key.Secret(), at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return code
}

var recoveryKeyRE = regexp.MustCompile(`(?m)^\s+(\S+-\S+)\s*$`)

// TestCLI walks the README: sign up, documents, files, TOTP, log out and in.
func TestCLI(t *testing.T) {
	d := startDaemon(t, t.TempDir(), "")
	c := newCLI(t, "correct horse battery staple")

	c.fails("give --server and --user", "", "signup", "--user", "alice")
	out := c.ok("", "signup", "--server", d.url, "--user", "alice")
	if !strings.Contains(out, "recovery key") || recoveryKeyRE.FindStringSubmatch(out) == nil {
		t.Fatalf("signup printed no recovery key:\n%s", out)
	}
	checkModes(t, c.home)
	c.fails("user name is taken", "", "signup", "--server", d.url, "--user", "alice")

	// Documents.
	f := strings.Fields(c.ok(`{"title":"first note","body":"hello"}`, "put", "io.hearth.notes"))
	if len(f) != 2 || f[1] != "1" {
		t.Fatalf("put printed %q, want ID REV", f)
	}
	id := f[0]
	if got := c.ok("", "get", "io.hearth.notes", id); !strings.Contains(got, `"first note"`) {
		t.Fatalf("get: %q", got)
	}
	if got := strings.Fields(c.ok(`{"title":"edited"}`, "put", "io.hearth.notes", "--id", id)); got[0] != id || got[1] != "2" {
		t.Fatalf("update printed %q", got)
	}
	f2 := strings.Fields(c.ok(`{"title":"second"}`, "put", "io.hearth.notes", "--id", "mynoteid"))
	if f2[0] != "mynoteid" || f2[1] != "1" {
		t.Fatalf("put --id new: %q", f2)
	}
	ls := strings.Fields(c.ok("", "ls", "io.hearth.notes"))
	if len(ls) != 2 {
		t.Fatalf("ls: %q", ls)
	}
	c.ok("", "rm", "io.hearth.notes", "mynoteid")
	if ls := strings.Fields(c.ok("", "ls", "io.hearth.notes")); len(ls) != 1 || ls[0] != id {
		t.Fatalf("ls after rm: %q", ls)
	}
	c.fails("no document mynoteid of type io.hearth.notes", "", "get", "io.hearth.notes", "mynoteid")
	c.fails("not valid JSON", "{not json", "put", "io.hearth.notes")
	c.fails("no document nosuchid of type io.hearth.notes", "", "get", "io.hearth.notes", "nosuchid")
	c.fails("", "", "get", "Not A Doctype", "x")

	// Files.
	src := filepath.Join(t.TempDir(), "holiday photo.jpg")
	content := make([]byte, 3<<20+12345)
	rand.Read(content)
	if err := os.WriteFile(src, content, 0o644); err != nil {
		t.Fatal(err)
	}
	fileID := uploadedID(t, c.ok("", "upload", src, "--ids"))
	dst := filepath.Join(t.TempDir(), "copy.jpg")
	c.ok("", "download", fileID, "-o", dst)
	if got, _ := os.ReadFile(dst); !bytes.Equal(got, content) {
		t.Fatal("downloaded file differs")
	}
	// A new file's mode, as other tools write them (not the temporary
	// file's 0600).
	if fi, err := os.Stat(dst); err != nil || fi.Mode().Perm() != 0o666&^umask() {
		t.Fatalf("the downloaded file's mode: %v (%v), want %v", fi.Mode().Perm(), err, 0o666&^umask())
	}
	// Without -o: the file's own name, in the working folder.
	wd := t.TempDir()
	old, _ := os.Getwd()
	os.Chdir(wd)
	c.ok("", "download", fileID)
	os.Chdir(old)
	if got, _ := os.ReadFile(filepath.Join(wd, "holiday photo.jpg")); !bytes.Equal(got, content) {
		t.Fatal("download by name differs")
	}
	// -o a folder: the file's name, in it; never over a file, unless --force.
	into := t.TempDir()
	c.ok("", "download", fileID, "-o", into)
	if got, _ := os.ReadFile(filepath.Join(into, "holiday photo.jpg")); !bytes.Equal(got, content) {
		t.Fatal("download into a folder differs")
	}
	c.fails("already exists", "", "download", fileID, "-o", into)
	c.fails("already exists", "", "download", fileID, "-o", dst)
	c.ok("", "download", fileID, "-o", dst, "--force")
	c.fails("no file nosuchfile", "", "download", "nosuchfile")

	// TOTP.
	uri := strings.TrimSpace(c.ok("", "totp", "enable"))
	if !strings.HasPrefix(uri, "otpauth://totp/") || !strings.Contains(uri, "secret=") {
		t.Fatalf("totp enable printed %q", uri)
	}
	c.fails("wrong", "", "totp", "confirm", "000000")
	codes := strings.Fields(c.ok("", "totp", "confirm", totpCode(t, uri, time.Now())))
	if len(codes) != 10 {
		t.Fatalf("recovery codes: %q", codes)
	}
	c.ok("", "logout")
	c.fails("not logged in", "", "ls", "io.hearth.notes")
	c.fails("authenticator code", "", "login", "--server", d.url, "--user", "alice")
	c.fails("wrong", "", "login", "--server", d.url, "--user", "alice", "--totp", "000000")
	c2 := *c
	c2.password = "wrong password"
	c2.fails("wrong user name or password", "", "login", "--server", d.url, "--user", "alice", "--totp", "000000")
	// The step after the one confirm used (the server accepts one step
	// either side, and each step once).
	c.ok("", "login", "--server", d.url, "--user", "alice", "--totp", totpCode(t, uri, time.Now().Add(30*time.Second)))
	if got := c.ok("", "get", "io.hearth.notes", id); !strings.Contains(got, `"edited"`) {
		t.Fatalf("get after login: %q", got)
	}
	// A second device logs in with a recovery code and sees the same data.
	dev2 := newCLI(t, c.password)
	dev2.ok("", "login", "--server", d.url, "--user", "alice", "--totp", codes[0])
	if got := dev2.ok("", "get", "io.hearth.notes", id); !strings.Contains(got, `"edited"`) {
		t.Fatalf("second device: %q", got)
	}
	dev3 := newCLI(t, c.password)
	dev3.fails("wrong", "", "login", "--server", d.url, "--user", "alice", "--totp", codes[0]) // used once already
	dev2.ok("", "totp", "disable", codes[1])
	dev3.ok("", "login", "--server", d.url, "--user", "alice")
}

// checkModes checks that the state folder holds only 0600 files in 0700
// folders (the state holds the session token and the master key).
func checkModes(t *testing.T, home string) {
	t.Helper()
	n := 0
	filepath.WalkDir(home, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := e.Info()
		switch {
		case e.IsDir() && fi.Mode().Perm() != 0o700, !e.IsDir() && fi.Mode().Perm() != 0o600:
			t.Errorf("%s has mode %v", p, fi.Mode().Perm())
		}
		if !e.IsDir() {
			n++
		}
		return nil
	})
	if n == 0 {
		t.Fatal("no state files")
	}
}
