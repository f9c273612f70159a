// Command hearthload is Hearth's load and fault harness (package
// internal/loadtest): it starts the shipped hearthd, drives it with many
// simulated devices, kills and restarts it, fills its disk, opens slow
// clients against it, and then checks every acknowledged write from a new
// device per account. `make load` runs it with its defaults.
//
//	hearthload [--hearthd bin/hearthd] [--devices 1000] [--accounts 100] [--duration 4m] ...
//
// It exits 1 if any operation failed (retries the server asked for and
// connections refused while it was down are counted apart) or any check
// did not hold.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/hearthcloud/hearth/internal/loadtest"
)

func main() {
	var c loadtest.Config
	faults := flag.String("faults", "kill,diskfull,slow", "faults to inject, comma-separated: kill, diskfull, slow (\"\" for none)")
	flag.StringVar(&c.Hearthd, "hearthd", "", "the hearthd binary (default: build the shipped one into the work folder)")
	flag.StringVar(&c.Work, "work", "", "work folder (default: a new temporary folder, removed afterwards)")
	flag.IntVar(&c.Accounts, "accounts", 100, "accounts")
	flag.IntVar(&c.Devices, "devices", 1000, "devices in all, spread over the accounts")
	flag.DurationVar(&c.Duration, "duration", 0, "load once every device is signed in (default 4m)")
	flag.DurationVar(&c.Think, "think", 0, "mean pause between a device's operations (default 1s)")
	flag.DurationVar(&c.Wait, "wait", 0, "long-poll wait of the feed requests (default 25s)")
	flag.IntVar(&c.KDFWorkers, "kdf-workers", 0, "key derivations at once (default 2)")
	flag.DurationVar(&c.SigninEvery, "signin-every", 2*time.Second, "one device signs in again (a new session, real key derivation) this often during the load (0: never)")
	flag.IntVar(&c.Kills, "kills", 0, "kill -9 and restarts (default 1)")
	flag.DurationVar(&c.KillDown, "kill-down", 0, "how long the server stays down after each kill (default 2s)")
	flag.DurationVar(&c.DiskFullFor, "diskfull-for", 0, "how long the disk stays full (default 20s)")
	flag.IntVar(&c.SlowConns, "slow-conns", 0, "slow connections of each kind (default 50)")
	flag.DurationVar(&c.SlowFor, "slow-for", 0, "how long the slow clients hold on (default 70s)")
	flag.Uint64Var(&c.Seed, "seed", 1, "random seed")
	flag.Parse()
	if flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	for _, f := range strings.Split(*faults, ",") {
		if f = strings.TrimSpace(f); f != "" {
			c.Faults = append(c.Faults, f)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, c); err != nil {
		fmt.Fprintln(os.Stderr, "hearthload:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, c loadtest.Config) error {
	if c.Work == "" {
		dir, err := os.MkdirTemp("", "hearthload-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		c.Work = dir
	}
	if c.Hearthd == "" {
		bin, err := loadtest.BuildHearthd(ctx, c.Work)
		if err != nil {
			return err
		}
		c.Hearthd = bin
	}
	res, err := loadtest.Run(ctx, c)
	if err != nil {
		return err
	}
	if res.Errors > 0 || len(res.Failures) > 0 {
		return fmt.Errorf("%d operations failed and %d checks did not hold", res.Errors, len(res.Failures))
	}
	return nil
}
