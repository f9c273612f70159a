package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/internal/bytesize"
)

func cmdUsage(ctx context.Context, args []string) error {
	if _, err := parse(flag.NewFlagSet("usage", flag.ContinueOnError), args, 0, 0); err != nil {
		return err
	}
	return withSession(ctx, func(c *client.Client) error {
		a, err := c.Account(ctx)
		if err != nil {
			return err
		}
		printUsage(os.Stdout, a)
		return nil
	})
}

// printUsage writes an account's usage and limits for people:
//
//	Stored:    1.2 GiB of 10 GiB (12%)
//	Documents: 532 (no limit)
func printUsage(w io.Writer, a *client.Account) {
	stored := bytesize.Format(a.Usage.Bytes)
	if l := a.Quota.Bytes; l != nil && *l > 0 {
		stored += " of " + bytesize.Format(*l) + fmt.Sprintf(" (%d%%)", percent(a.Usage.Bytes, *l))
		if a.Usage.Bytes >= *l {
			stored += ": full, delete something or ask the server's operator for more room"
		}
	} else {
		stored += " (no limit)"
	}
	docs := fmt.Sprint(a.Usage.Docs)
	if l := a.Quota.Docs; l != nil && *l > 0 {
		docs += fmt.Sprintf(" of %d (%d%%)", *l, percent(a.Usage.Docs, *l))
		if a.Usage.Docs >= *l {
			docs += ": full, delete some or ask the server's operator for a higher limit"
		}
	} else {
		docs += " (no limit)"
	}
	fmt.Fprintf(w, "Stored:    %s\nDocuments: %s\n", stored, docs)
}

// percent is used*100/limit, rounded down: above 100 when the operator
// lowered a limit below what the account holds.
func percent(used, limit int64) int64 { return used * 100 / limit }
