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
//	hearth rm PATH... | rm DOCTYPE ID           to the trash | a document, for good
//	hearth upload PATH... [--to FOLDER] [--ids] files and folders; a line each: where it went
//	hearth download ID|PATH [-o PATH|FOLDER]    writes nothing unless verified; a folder, or a zip
//	hearth files [FOLDER]                       sizes, dates, ids and names
//	hearth mkdir PATH | mv SRC... DST | trash [--empty] [--restore X] | versions PATH [--restore N]
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
	"io"
	"net"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strings"
	"time"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/internal/wire"
)

// A command runs with its arguments (flags and positionals mixed).
type command struct {
	usage string // the command line, and a word on it
	about string // what it does, for hearth help COMMAND
	run   func(ctx context.Context, args []string) error
}

var commands map[string]command

func init() {
	commands = map[string]command{
		"signup":   {"signup --server URL --user NAME [--invite CODE]", "Creates an account and signs in. Asks for a password (twice), which must have at least 10 characters and not be easy to guess, and prints the recovery key once: keep it safe.", cmdSignup},
		"login":    {"login --server URL --user NAME [--totp CODE] [--password-changed]", "Signs in, then reads the account's history to its end before anything is written. --password-changed: the password was changed on another device since this one last signed in.", cmdLogin},
		"logout":   {"logout", "Ends the session; what this device verified is kept, so a rollback is caught at the next login.", cmdLogout},
		"passwd":   {"passwd", "A new password: the current one from $HEARTH_PASSWORD, the new one from $HEARTH_NEW_PASSWORD, else prompts. Your data, apps and recovery key stay; your other sessions are signed out.", cmdPasswd},
		"recover":  {"recover --server URL --user NAME [--totp CODE]", "A forgotten password: the recovery key from $HEARTH_RECOVERY_KEY and a new password from $HEARTH_PASSWORD, else prompts. Every other session is signed out, and a new recovery key is printed once (the old one stops working).", cmdRecover},
		"verify":   {"verify [--accept]", "Checks the account's keyring and history from where this device left them. --accept: after a reported rollback, go on with what the server holds now.", cmdVerify},
		"usage":    {"usage", "What the account stores, and its limits.", cmdUsage},
		"totp":     {"totp enable | totp confirm CODE | totp disable CODE", "Two-factor authentication: enable prints an otpauth:// URI for your authenticator app; confirm turns it on and prints ten recovery codes once; disable takes a code or a recovery code.", cmdTOTP},
		"put":      {"put DOCTYPE [--id ID]", "Stores the JSON document read from standard input; prints its id and revision.", cmdPut},
		"get":      {"get DOCTYPE ID", "Prints a document's JSON.", cmdGet},
		"ls":       {"ls DOCTYPE [--long]", "Lists a doctype's documents: one id a line; --long adds the date and the title or name.", cmdLs},
		"rm":       {"rm PATH... | rm DOCTYPE ID", "Puts files and folders (paths or ids) in the trash; with one of the account's doctypes and an id, deletes that document for good (a file's bytes too).", cmdRm},
		"upload":   {"upload PATH... [--to FOLDER] [--ids]", "Stores files and folders (with all they hold), sealed on this device, into FOLDER (a path or an id; default: the root); a file whose name is there already gets a new version, unless it holds the same bytes (then nothing is sent). Prints a line for each item, tab-separated: its local path, where it went (the folders from the root), and what happened (new, new version, unchanged, new folder, existing folder); --ids adds its id. Checks the server's largest file and the room left before sending anything.", cmdUpload},
		"download": {"download ID|PATH [-o PATH|FOLDER] [--force]", "Writes a file back, only once all of it verifies; into FOLDER under its name; never over a file that exists unless --force. A folder comes as a local folder, or as a zip with -o NAME.zip.", cmdDownload},
		"files":    {"files [FOLDER]", "Lists a folder (default: the root): size, date, id and name of each file and folder; a folder's size is what it holds.", cmdFiles},
		"mkdir":    {"mkdir PATH", "Makes a folder, and those along PATH that are missing; prints its id.", cmdMkdir},
		"mv":       {"mv SRC... DST", "Moves files and folders into folder DST; with one SRC and a DST that does not exist, moves and renames it to DST.", cmdMv},
		"trash":    {"trash [--empty] [--restore PATH|ID]", "Lists the trash; --empty deletes what it holds for good; --restore takes an item out, back into its folder (or the root if that is gone).", cmdTrash},
		"versions": {"versions PATH [--restore N]", "Lists a file's earlier versions (the newest is 1); --restore N makes version N the current one.", cmdVersions},
		"share":    {"share ID|PATH [--expires 7d] [--max-opens N] [--password] [--label TEXT]", "Prints a link to a file or folder that opens without an account; its key is in the part after #, which never reaches the server. --password asks for one ($HEARTH_LINK_PASSWORD).", cmdShare},
		"shares":   {"shares", "Lists your share and drop links: expiry, opens and last use, and each link again; --update LINK-ID republishes one.", cmdShares},
		"unshare":  {"unshare LINK-ID|URL", "Revokes a link at once.", cmdUnshare},
		"fetch":    {"fetch URL [-o PATH] [--force]", "Downloads what a share link gives (no account needed), each file verified before it is kept; a folder becomes a folder. Asks for the link's password if it has one ($HEARTH_LINK_PASSWORD).", cmdFetch},
		"request":  {"request FOLDER [--max-files N] [--max-size SIZE] [--expires 7d]", "Prints a drop link: whoever has it can put files into FOLDER, sealed so only you can read them (hearth drops files them).", cmdRequest},
		"drops":    {"drops", "Files what was dropped through your drop links into their folders, and lists them.", cmdDrops},
		"drop":     {"drop URL FILE...", "Drops files through someone's drop link (no account needed).", cmdDrop},
		"search":   {"search QUERY [--doctype D] [--limit N]", "Searches the account's documents on this device; prints doctype, id and a snippet for each match.", cmdSearch},
		"reindex":  {"reindex [--doctype D]", "Rebuilds the search indexes from the documents.", cmdReindex},
		"app":      {"app install PATH [--yes] | app list | app remove SLUG", "Apps from archives: install shows what an app asks for and asks before installing; remove revokes it on every device and replaces its keys.", cmdApp},
		"reseal":   {"reseal", "Goes on sealing with new keys where an app's removal left work.", cmdReseal},
	}
}

// commandOrder is the order usage lists the commands in: every one.
var commandOrder = []string{"signup", "login", "logout", "passwd", "recover", "verify", "usage", "totp", "put", "get", "ls", "rm", "upload", "download", "files", "mkdir", "mv", "trash", "versions", "share", "shares", "unshare", "fetch", "request", "drops", "drop", "search", "reindex", "app", "reseal"}

// envVars are the environment variables the commands read.
var envVars = [][2]string{
	{"HEARTH_HOME", "where this client keeps its state (default: ~/.config/hearth)"},
	{"HEARTH_PASSWORD", "the password, else a prompt (signup and recover: the new one)"},
	{"HEARTH_NEW_PASSWORD", "passwd: the new password, else a prompt"},
	{"HEARTH_RECOVERY_KEY", "recover: the recovery key, else a prompt"},
	{"HEARTH_LINK_PASSWORD", "share --password, fetch: a link's password, else a prompt"},
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: hearth COMMAND [ARGS]   (hearth help COMMAND, or hearth COMMAND --help, says more)\n\ncommands:")
	for _, name := range commandOrder {
		fmt.Fprintln(w, "  hearth "+commands[name].usage)
	}
	fmt.Fprintln(w, "\nenvironment:")
	for _, e := range envVars {
		fmt.Fprintf(w, "  %-20s %s\n", e[0], e[1])
	}
}

// commandHelp says what one command does, and how to call it.
func commandHelp(w io.Writer, name string) {
	c := commands[name]
	fmt.Fprintf(w, "usage: hearth %s\n\n%s\n", c.usage, c.about)
}

func isHelp(a string) bool { return a == "-h" || a == "--help" || a == "-help" }

func main() {
	switch {
	case len(os.Args) < 2:
		usage(os.Stderr)
		os.Exit(2)
	case isHelp(os.Args[1]) || os.Args[1] == "help" && len(os.Args) == 2:
		usage(os.Stdout)
		return
	case os.Args[1] == "help":
		if _, ok := commands[os.Args[2]]; !ok {
			fmt.Fprintf(os.Stderr, "hearth: unknown command %q; run hearth help\n", os.Args[2])
			os.Exit(2)
		}
		commandHelp(os.Stdout, os.Args[2])
		return
	}
	cmd, ok := commands[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "hearth: unknown command %q; run hearth help\n", os.Args[1])
		os.Exit(2)
	}
	if slices.ContainsFunc(os.Args[2:], isHelp) {
		commandHelp(os.Stdout, os.Args[1])
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := cmd.run(ctx, os.Args[2:]); err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(os.Stderr, "hearth: %s (usage: hearth %s)\n", oneLine(ue.msg), cmd.usage)
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "hearth: "+oneLine(withoutPackage(describe(err))))
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
		var ae *client.APIError
		if errors.As(err, &ae) {
			return ae.Message // the server's words: "no such document"
		}
		return err.Error()
	case errors.Is(err, context.Canceled):
		return "interrupted"
	case errors.Is(err, client.ErrSessionEnded):
		return "your session ended (it was signed out or revoked, or it expired): run 'hearth login' again"
	}
	var ae *client.APIError
	if errors.As(err, &ae) && ae.Code == wire.CodeRateLimited {
		wait := "a little"
		if ae.RetryAfter > 0 {
			wait = ae.RetryAfter.Round(time.Second).String()
		}
		return fmt.Sprintf("too many attempts: wait %s and try again (%s)", wait, ae.Message)
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

// withoutPackage drops the client library's "client: " from a message: a
// package name is plumbing, not words for a person.
func withoutPackage(msg string) string {
	return strings.ReplaceAll(strings.TrimPrefix(msg, "client: "), ": client: ", ": ")
}

// serverOf returns the scheme and host of a request's address.
func serverOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return raw
	}
	return u.Scheme + "://" + u.Host
}
