package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/internal/wire"
)

// parse parses flags anywhere among args (Go's flag package stops at the
// first positional) and returns the positionals, checking their count.
func parse(fs *flag.FlagSet, args []string, min, max int) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, usagef("%v", err)
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(pos) < min || len(pos) > max {
		return nil, usagef("wrong number of arguments")
	}
	return pos, nil
}

// secret reads a secret from the environment variable env when it is set
// (empty is an error), else from the terminal after prompt, without echo.
func secret(env, prompt string) (string, error) {
	if p, ok := os.LookupEnv(env); ok {
		if p == "" {
			return "", fmt.Errorf("%s is set but empty", env)
		}
		return p, nil
	}
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		return "", fmt.Errorf("no %s: set %s or run on a terminal", strings.ToLower(strings.TrimSuffix(prompt, ": ")), env)
	}
	fmt.Fprint(os.Stderr, prompt)
	p, err := term.ReadPassword(fd)
	fmt.Fprintln(os.Stderr)
	if err != nil {
		return "", err
	}
	if len(p) == 0 {
		return "", fmt.Errorf("empty %s", strings.ToLower(strings.TrimSuffix(prompt, ": ")))
	}
	return string(p), nil
}

// password reads the account's password: $HEARTH_PASSWORD, or a prompt.
func password() (string, error) { return secret("HEARTH_PASSWORD", "Password: ") }

// newPassword reads a password chosen for the account user, from $env or
// from the terminal (twice), and applies the password rule
// (client.CheckPassword, protocol §3.5): a refused one is an error that
// says why, or on a terminal is asked for again.
func newPassword(env, prompt, user string) (string, error) {
	_, fromEnv := os.LookupEnv(env)
	for tries := 0; ; tries++ {
		p, err := secret(env, prompt)
		if err != nil {
			return "", err
		}
		if err := client.CheckPassword(user, p); err != nil {
			if fromEnv || tries == 2 {
				return "", err
			}
			fmt.Fprintf(os.Stderr, "%s. Try another.\n", upperFirst(err.Error()))
			continue
		}
		if !fromEnv {
			q, err := secret(env, strings.TrimSuffix(prompt, ": ")+" again: ")
			if err != nil {
				return "", err
			}
			if p != q {
				return "", errors.New("the passwords differ")
			}
		}
		return p, nil
	}
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// device names the session in the account's session list. The host sees
// it, so it says what kind of client this is and nothing about the machine.
func device() string { return "hearth cli (" + runtime.GOOS + ")" }

// accountArgs parses the flags of signup, login and recover (--server,
// --user and those fs has already), reads the password (a chosen one,
// twice and by the password rule, at sign-up and recovery) and takes the
// state lock, which the caller releases.
func accountArgs(fs *flag.FlagSet, args []string, chosen bool) (server, user *string, pw string, unlock func(), err error) {
	server = fs.String("server", "", "server URL, e.g. http://127.0.0.1:8080")
	user = fs.String("user", "", "user name")
	if _, err = parse(fs, args, 0, 0); err != nil {
		return
	}
	if *server == "" || *user == "" {
		err = usagef("give --server and --user")
		return
	}
	if chosen {
		pw, err = newPassword("HEARTH_PASSWORD", "Password: ", *user)
	} else {
		pw, err = password()
	}
	if err != nil {
		return
	}
	unlock, err = lockState()
	return
}

func cmdSignup(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("signup", flag.ContinueOnError)
	invite := fs.String("invite", "", "invitation code, for a server whose sign-up needs one")
	server, user, pw, unlock, err := accountArgs(fs, args, true)
	if err != nil {
		return err
	}
	defer unlock()
	c, rk, err := client.Signup(ctx, *server, *user, pw, &client.Options{Device: device(), Invite: *invite})
	var ae *client.APIError
	if errors.As(err, &ae) && ae.Code == wire.CodeForbidden && *invite == "" {
		if info, e2 := client.GetServerInfo(ctx, *server, nil); e2 == nil && info.Signup == "invite" {
			return fmt.Errorf("%w; give the code with --invite CODE", err)
		}
	}
	if err != nil {
		return err
	}
	if err := saveState(c.State(), true); err != nil {
		return err
	}
	fmt.Printf("Signed up as %s.\n\nYour recovery key (shown only now; write it down and keep it safe,\nit is the only way back in if you forget your password):\n\n  %s\n", *user, rk)
	return nil
}

func cmdLogin(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("login", flag.ContinueOnError)
	code := fs.String("totp", "", "authenticator code")
	changed := fs.Bool("password-changed", false, "the password was changed on another device since this one last logged in")
	server, user, pw, unlock, err := accountArgs(fs, args, false)
	if err != nil {
		return err
	}
	defer unlock()
	// A device that logged in before keeps what it remembers (the highest
	// keyring revision and its digest, the feed position, revisions and key
	// generations seen, the account's seed and KDF parameters), so a
	// rollback stays detectable across logouts.
	o := &client.Options{Device: device(), KDFChanged: *changed}
	if o.Previous, err = previous(*server, *user); err != nil {
		return err
	}
	c, err := client.Login(ctx, *server, *user, pw, *code, o)
	if err != nil {
		return err
	}
	// Read the account's history to its end before anything is written
	// (spec/protocol.md §1.4); what it verified is kept even when it fails.
	cerr := c.CatchUp(ctx)
	if err := saveState(c.State(), true); err != nil {
		return err
	}
	if cerr != nil {
		return fmt.Errorf("logged in as %s, but %w", *user, cerr)
	}
	if h := c.Halted(); h != "" {
		// It stopped writing before, and still has: logging in again
		// decides nothing.
		return fmt.Errorf("logged in as %s, but %w", *user, haltedError(h))
	}
	fmt.Printf("Logged in as %s.\n", *user)
	return nil
}

// hearth verify [--accept]: reads the account's history (keyring and
// changes feed) from where this device left it and says whether it holds;
// after a reported rollback, --accept is the user's decision to go on with
// what the server holds now (client.AcceptServerState).
func cmdVerify(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	accept := fs.Bool("accept", false, "after a rollback was reported: forget what this device saw and go on with what the server holds now")
	if _, err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	return withSession(ctx, func(c *client.Client) error {
		var err error
		switch halted := c.Halted(); {
		case *accept && halted == "":
			return errors.New("nothing to accept: this device has not stopped writing")
		case *accept:
			err = c.AcceptServerState(ctx)
		default:
			if err = c.Sync(ctx, 0, nil); err == nil {
				err = c.VerifyKeyring(ctx)
			}
		}
		if err != nil {
			return err
		}
		if halted := c.Halted(); halted != "" {
			return haltedError(halted)
		}
		if *accept {
			fmt.Println("Accepted what the server holds now; this device writes again.")
		} else {
			fmt.Println("The account's keyring and history verify.")
		}
		return nil
	})
}

func cmdLogout(ctx context.Context, args []string) error {
	if _, err := parse(flag.NewFlagSet("logout", flag.ContinueOnError), args, 0, 0); err != nil {
		return err
	}
	c, unlock, err := lockedSession()
	if err != nil {
		return err
	}
	defer unlock()
	lerr := c.Logout(ctx)
	if err := forgetSession(c.State()); err != nil {
		return err
	}
	if lerr != nil {
		return fmt.Errorf("forgot the local session, but the server did not confirm the logout: %w", lerr)
	}
	fmt.Println("Logged out.")
	return nil
}

func cmdTOTP(ctx context.Context, args []string) error {
	pos, err := parse(flag.NewFlagSet("totp", flag.ContinueOnError), args, 1, 2)
	if err != nil {
		return err
	}
	return withSession(ctx, func(c *client.Client) error {
		switch {
		case pos[0] == "enable" && len(pos) == 1:
			uri, err := c.TOTPEnroll(ctx)
			if err != nil {
				return err
			}
			fmt.Println(printable(uri))
			fmt.Fprintln(os.Stderr, "Add this to your authenticator app, then run: hearth totp confirm CODE")
		case pos[0] == "confirm" && len(pos) == 2:
			codes, err := c.TOTPConfirm(ctx, pos[1])
			if err != nil {
				return err
			}
			fmt.Fprintln(os.Stderr, "TOTP is on. Recovery codes (each works once, in place of a code; keep them safe):")
			for _, rc := range codes {
				fmt.Println(printable(rc))
			}
		case pos[0] == "disable" && len(pos) == 2:
			if err := c.TOTPDisable(ctx, pos[1]); err != nil {
				return err
			}
			fmt.Fprintln(os.Stderr, "TOTP is off.")
		default:
			return usagef("say enable, confirm CODE or disable CODE")
		}
		return nil
	})
}

func cmdPut(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("put", flag.ContinueOnError)
	id := fs.String("id", "", "document id (default: a new one)")
	pos, err := parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if term.IsTerminal(int(os.Stdin.Fd())) {
		fmt.Fprintln(os.Stderr, "Reading the document's JSON from standard input: type or paste it, then Ctrl-D.")
	}
	body, err := io.ReadAll(io.LimitReader(os.Stdin, 1<<20+1))
	if err != nil {
		return err
	}
	body = bytes.TrimSpace(body)
	if len(body) > 1<<20-1024 {
		return errors.New("the document is too large (at most about 1 MiB)")
	}
	if !json.Valid(body) {
		return errors.New("stdin is not valid JSON")
	}
	return withSession(ctx, func(c *client.Client) error {
		var rev uint64
		var err error
		if *id == "" {
			*id, rev, err = c.Create(ctx, pos[0], body)
		} else {
			rev, err = c.Put(ctx, pos[0], *id, body)
		}
		if err != nil {
			return err
		}
		fmt.Printf("%s %d\n", *id, rev)
		return nil
	})
}

func cmdGet(ctx context.Context, args []string) error {
	pos, err := parse(flag.NewFlagSet("get", flag.ContinueOnError), args, 2, 2)
	if err != nil {
		return err
	}
	return withSession(ctx, func(c *client.Client) error {
		if err := catchUp(ctx, c); err != nil {
			return err
		}
		d, err := c.Get(ctx, pos[0], pos[1])
		if err != nil {
			return missing(err, pos[0], pos[1])
		}
		out, err := terminalJSON(d.Content)
		if err != nil {
			return fmt.Errorf("%s/%s %w", pos[0], pos[1], err)
		}
		_, err = os.Stdout.Write(out)
		return err
	})
}

func cmdLs(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("ls", flag.ContinueOnError)
	long := fs.Bool("long", false, "with each document's date and title or name")
	pos, err := parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	return withSession(ctx, func(c *client.Client) error {
		if err := catchUp(ctx, c); err != nil {
			return err
		}
		ids, err := c.List(ctx, pos[0])
		if err != nil {
			return missing(err, pos[0], "")
		}
		if len(ids) == 0 {
			// None: say whether the account has the doctype at all (a
			// doctype with a key in the keyring).
			if known, err := c.Doctypes(ctx); err == nil && !slices.Contains(known, pos[0]) {
				fmt.Fprintf(os.Stderr, "This account has no documents of type %s (no app or command has stored any).\n", printable(pos[0]))
			} else {
				fmt.Fprintf(os.Stderr, "No documents of type %s.\n", printable(pos[0]))
			}
		}
		if !*long {
			for _, id := range ids {
				fmt.Println(printable(id))
			}
			return nil
		}
		docs, err := c.GetMany(ctx, pos[0], ids)
		if err != nil {
			return err
		}
		for i, id := range ids {
			when, what := "-", "(deleted)"
			if i < len(docs) && docs[i] != nil {
				when, what = describeDoc(docs[i].Content)
			}
			fmt.Printf("%s\t%s\t%s\n", printable(id), when, printable(what))
		}
		return nil
	})
}

// missing words a not-found error of doctype (and id): an unknown doctype
// or no such document, not the server's code.
func missing(err error, doctype, id string) error {
	var ae *client.APIError
	switch {
	case err == nil || !errors.Is(err, client.ErrNotFound):
		return err
	case errors.As(err, &ae) && ae.Code == wire.CodeUnknownDoctype:
		return fmt.Errorf("this account has no documents of type %s", printable(doctype))
	case id != "":
		return fmt.Errorf("no document %s of type %s", printable(id), printable(doctype))
	}
	return err
}

// describeDoc reads, from a document's JSON, its date (updated, else
// created: milliseconds, or an RFC 3339 string; else mtime, in seconds) and what names it (title,
// name, or name.full as Contacts keeps it), for ls --long; "-" for none.
func describeDoc(content []byte) (when, what string) {
	var v map[string]any
	when, what = "-", "-"
	if json.Unmarshal(content, &v) != nil {
		return
	}
	for _, k := range []string{"updated", "created", "modified"} {
		switch t := v[k].(type) {
		case float64:
			when = time.UnixMilli(int64(t)).UTC().Format("2006-01-02 15:04")
		case string:
			if p, err := time.Parse(time.RFC3339, t); err == nil {
				when = p.UTC().Format("2006-01-02 15:04")
			}
		}
		if when != "-" {
			break
		}
	}
	if t, ok := v["mtime"].(float64); ok && when == "-" && t > 0 {
		when = time.Unix(int64(t), 0).UTC().Format("2006-01-02 15:04") // io.hearth.files: seconds (§6.3)
	}
	for _, k := range []string{"title", "name"} {
		switch t := v[k].(type) {
		case string:
			if t != "" {
				return when, oneLine(t)
			}
		case map[string]any:
			if f, ok := t["full"].(string); ok && f != "" {
				return when, oneLine(f)
			}
		}
	}
	return
}

// catchUp reads the changes feed from where this device left it, verifying
// it (chain, digests, every document): a device that keeps up with the feed
// detects a host that rolls back or hides what another device wrote.
func catchUp(ctx context.Context, c *client.Client) error {
	return c.Sync(ctx, 0, func(client.Change) error { return nil })
}
