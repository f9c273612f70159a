package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hearthcloud/hearth/internal/bytesize"
	"github.com/hearthcloud/hearth/internal/wire"
	"github.com/hearthcloud/hearth/server"
	"github.com/hearthcloud/hearth/server/meta"
)

// The operator's commands on a data folder. They are safe while the server
// runs on it, which sees their changes at its next request (server.Admin).

// adminCommands maps a first argument to its command, which returns the
// exit code.
var adminCommands = map[string]func(args []string) int{
	"quota":  func(args []string) int { return quotaCmd(args, os.Stdout, os.Stderr) },
	"invite": func(args []string) int { return inviteCmd(args, os.Stdout, os.Stderr, time.Now()) },
}

// signupMode is the --signup flag: open, invite or closed (true and false
// still work, as open and closed).
type signupMode string

const (
	signupOpen   signupMode = "open"
	signupInvite signupMode = "invite"
	signupClosed signupMode = "closed"
)

func (m *signupMode) String() string { return string(*m) }

func (m *signupMode) Set(v string) error {
	switch strings.ToLower(v) {
	case "open", "true":
		*m = signupOpen
	case "invite":
		*m = signupInvite
	case "closed", "false":
		*m = signupClosed
	default:
		return errors.New("give open, invite or closed")
	}
	return nil
}

// parseLimit reads one limit: "unlimited" (0), a number (a size if bytes),
// or, when own is true, "default" (follow the server's flag).
func parseLimit(v string, bytes, own bool) (int64, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "unlimited", "none":
		return 0, nil
	case "default":
		if own {
			return meta.DefaultLimit, nil
		}
	}
	if bytes {
		return bytesize.Parse(v)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n < 0 || n >= 1<<53 {
		return 0, fmt.Errorf("%q: give a whole number of documents, or unlimited", v)
	}
	return n, nil
}

// parseLimits reads a bytes limit and a documents limit.
func parseLimits(size, docs string, own bool) (meta.Limits, error) {
	b, err := parseLimit(size, true, own)
	if err != nil {
		return meta.Limits{}, fmt.Errorf("quota %q: %v", size, err)
	}
	d, err := parseLimit(docs, false, own)
	if err != nil {
		return meta.Limits{}, fmt.Errorf("documents: %v", err)
	}
	return meta.Limits{Bytes: b, Docs: d}, nil
}

// parseInterleaved parses fs's flags wherever they stand among the
// positional arguments, which it returns.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func quotaCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("hearthd quota", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "./hearth-data", "the server's data folder")
	docs := fs.String("docs", "", "documents the account may keep: a number, unlimited, or default (the server's --quota-docs)")
	fs.Usage = func() {
		fmt.Fprint(stderr, "usage: hearthd quota [--data DIR] USER [SIZE|default|unlimited] [--docs N|default|unlimited]\n\n"+
			"Shows an account's usage and own limits; with a SIZE (such as 20GiB) or --docs, sets them.\n"+
			"default follows the server's --quota and --quota-docs. Safe while the server runs.\n\n")
		fs.PrintDefaults()
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return 2
	}
	switch {
	case len(pos) > 2:
		fmt.Fprintf(stderr, "hearthd quota: too many arguments (%d): give the size as one word, such as 5GiB or 500MB\n", len(pos))
		return 2
	case len(pos) == 1 || len(pos) == 2:
		if err := wire.CheckUser(pos[0]); err != nil {
			fmt.Fprintf(stderr, "hearthd quota: %q is no user name\n", pos[0])
			return 2
		}
	default:
		fs.Usage()
		return 2
	}
	user := pos[0]
	ctx := context.Background()
	adm, err := server.OpenAdmin(*data)
	if err != nil {
		fmt.Fprintln(stderr, "hearthd quota:", err)
		return 1
	}
	defer adm.Close()
	q, err := adm.Quota(ctx, user)
	if err != nil {
		fmt.Fprintln(stderr, "hearthd quota:", err)
		return 1
	}
	if len(pos) == 2 || *docs != "" {
		own := q.Own
		if len(pos) == 2 {
			if own.Bytes, err = parseLimit(pos[1], true, true); err != nil {
				fmt.Fprintf(stderr, "hearthd quota: %q: %v\n", pos[1], err)
				return 2
			}
		}
		if *docs != "" {
			if own.Docs, err = parseLimit(*docs, false, true); err != nil {
				fmt.Fprintln(stderr, "hearthd quota: --docs:", err)
				return 2
			}
		}
		if err := adm.SetQuota(ctx, user, own); err != nil {
			fmt.Fprintln(stderr, "hearthd quota:", err)
			return 1
		}
		if q, err = adm.Quota(ctx, user); err != nil {
			fmt.Fprintln(stderr, "hearthd quota:", err)
			return 1
		}
	}
	limit := func(n int64, flag string, format func(int64) string) string {
		switch n {
		case meta.DefaultLimit:
			return "the server's default, its " + flag + " flag"
		case 0:
			return "unlimited"
		}
		return format(n)
	}
	fmt.Fprintf(stdout, "%s: %s stored (limit: %s), %d documents (limit: %s)\n", user,
		bytesize.Format(q.Used.Bytes), limit(q.Own.Bytes, "--quota", bytesize.Format),
		q.Used.Docs, limit(q.Own.Docs, "--quota-docs", func(n int64) string { return strconv.FormatInt(n, 10) }))
	return 0
}

func inviteCmd(args []string, stdout, stderr io.Writer, now time.Time) int {
	fs := flag.NewFlagSet("hearthd invite", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "./hearth-data", "the server's data folder")
	ttl := fs.Duration("expires", 7*24*time.Hour, "how long the invitation may be used")
	fs.Usage = func() {
		fmt.Fprint(stderr, "usage: hearthd invite [--data DIR] [--expires 168h]\n\n"+
			"Prints a one-time sign-up code for a server run with --signup invite. Give it to one person:\n"+
			"it works once, until it expires. Only its hash is stored. Safe while the server runs.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 0 || *ttl <= 0 {
		fs.Usage()
		return 2
	}
	adm, err := server.OpenAdmin(*data)
	if err != nil {
		fmt.Fprintln(stderr, "hearthd invite:", err)
		return 1
	}
	defer adm.Close()
	code, expires, err := adm.Invite(context.Background(), now, *ttl)
	if err != nil {
		fmt.Fprintln(stderr, "hearthd invite:", err)
		return 1
	}
	fmt.Fprintln(stdout, code)
	fmt.Fprintf(stderr, "A one-time sign-up code, valid until %s: hearth signup --invite %s\n", expires.UTC().Format(time.RFC3339), code)
	return 0
}
