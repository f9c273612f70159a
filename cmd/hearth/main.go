// Command hearth is the Hearth command line client. It does all the
// cryptography locally (package client): the server sees only ciphertext.
//
//	hearth signup --server URL --user NAME [--invite CODE]   prints the recovery key once
//	hearth login  --server URL --user NAME [--totp CODE] [--password-changed]
//	hearth logout
//	hearth passwd                               a new password; the other sessions end
//	hearth recover --server URL --user NAME [--totp CODE]   a forgotten password, with the recovery key
//	hearth verify [--accept]                    checks the keyring and the changes feed
//	hearth usage                                what the account stores, and its limits
//	hearth totp enable | confirm CODE | disable CODE
//	hearth put DOCTYPE [--id ID]                JSON on stdin; prints "ID REV"
//	hearth get DOCTYPE ID                       prints the JSON
//	hearth ls DOCTYPE                           one id a line
//	hearth rm DOCTYPE ID
//	hearth upload PATH                          prints the file id
//	hearth download ID [-o PATH]                writes nothing unless verified
//	hearth search QUERY [--doctype D] [--limit N]   prints doctype, id and a snippet
//	hearth reindex [--doctype D]                rebuilds the search index
//	hearth app install PATH [--yes] | list | remove SLUG   apps from archives (apps.go)
//	hearth reseal                               goes on sealing with new keys after a removal
//
// State lives in $HEARTH_HOME (default: the user's config folder, then
// "hearth"), in files of mode 0600 (state.go says which). The password
// comes from $HEARTH_PASSWORD when set, else from a terminal prompt.
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/signal"

	"github.com/hearthcloud/hearth/client"
)

// A command runs with its arguments (flags and positionals mixed).
type command struct {
	usage string
	run   func(ctx context.Context, args []string) error
}

var commands map[string]command

func init() {
	commands = map[string]command{
		"signup":   {"signup --server URL --user NAME [--invite CODE]", cmdSignup},
		"usage":    {"usage   (what the account stores, and its limits)", cmdUsage},
		"login":    {"login --server URL --user NAME [--totp CODE] [--password-changed]", cmdLogin},
		"verify":   {"verify [--accept]   (checks the account's history; --accept goes on after a rollback)", cmdVerify},
		"logout":   {"logout", cmdLogout},
		"passwd":   {"passwd   (a new password; $HEARTH_PASSWORD the current one, $HEARTH_NEW_PASSWORD the new one, else prompts)", cmdPasswd},
		"recover":  {"recover --server URL --user NAME [--totp CODE]   (a forgotten password: $HEARTH_RECOVERY_KEY, $HEARTH_PASSWORD the new one, else prompts)", cmdRecover},
		"totp":     {"totp enable | totp confirm CODE | totp disable CODE", cmdTOTP},
		"put":      {"put DOCTYPE [--id ID]   (JSON on stdin)", cmdPut},
		"get":      {"get DOCTYPE ID", cmdGet},
		"ls":       {"ls DOCTYPE", cmdLs},
		"rm":       {"rm DOCTYPE ID", cmdRm},
		"upload":   {"upload PATH", cmdUpload},
		"download": {"download ID [-o PATH]", cmdDownload},
		"search":   {"search QUERY [--doctype D] [--limit N]", cmdSearch},
		"reindex":  {"reindex [--doctype D]", cmdReindex},
		"app":      {"app install PATH [--yes] | app list | app remove SLUG", cmdApp},
		"reseal":   {"reseal   (goes on sealing with new keys after an app was removed)", cmdReseal},
	}
}

// commandOrder is the order usage lists the commands in: every one.
var commandOrder = []string{"signup", "login", "logout", "passwd", "recover", "verify", "usage", "totp", "put", "get", "ls", "rm", "upload", "download", "search", "reindex", "app", "reseal"}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: hearth COMMAND [ARGS]\n\ncommands:")
	for _, name := range commandOrder {
		fmt.Fprintln(os.Stderr, "  hearth "+commands[name].usage)
	}
}

func main() {
	if len(os.Args) < 2 || os.Args[1] == "-h" || os.Args[1] == "--help" || os.Args[1] == "help" {
		usage()
		if len(os.Args) < 2 {
			os.Exit(2)
		}
		return
	}
	cmd, ok := commands[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "hearth: unknown command %q; run hearth help\n", os.Args[1])
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := cmd.run(ctx, os.Args[2:]); err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(os.Stderr, "hearth: %s (usage: hearth %s)\n", oneLine(ue.msg), cmd.usage)
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "hearth: "+oneLine(describe(err)))
		os.Exit(1)
	}
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// describe words an error for a person.
func describe(err error) string {
	switch {
	case errors.As(err, new(haltedError)):
		return err.Error()
	case errors.Is(err, client.ErrHalted):
		return err.Error() + " ('hearth verify --accept' does)"
	case errors.Is(err, client.ErrIntegrity):
		return err.Error() // the client's message says what failed and that data was altered
	case errors.Is(err, client.ErrTOTPRequired):
		return "this account needs an authenticator code: add --totp CODE"
	case errors.Is(err, client.ErrBadCredentials):
		return "wrong user name or password"
	case errors.Is(err, client.ErrNotFound):
		return "not found: " + err.Error()
	case errors.Is(err, context.Canceled):
		return "interrupted"
	}
	var ue *url.Error
	if errors.As(err, &ue) && !errors.Is(err, client.ErrIntegrity) {
		var op *net.OpError
		if errors.As(ue.Err, &op) {
			// The server could not be reached: say so, with the address
			// and the system's reason, not the transport's plumbing.
			return fmt.Sprintf("cannot reach the server at %s: %v", serverOf(ue.URL), op.Err)
		}
	}
	return err.Error()
}

// serverOf returns the scheme and host of a request's address.
func serverOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return raw
	}
	return u.Scheme + "://" + u.Host
}
