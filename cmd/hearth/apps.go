package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/term"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/internal/appmanifest"
)

// hearth app install|list|remove (spec/apps.md §3).
func cmdApp(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usagef("give install, list or remove")
	}
	switch args[0] {
	case "install":
		fs := flag.NewFlagSet("app install", flag.ContinueOnError)
		yes := fs.Bool("yes", false, "agree without asking")
		pos, err := parse(fs, args[1:], 1, 1)
		if err != nil {
			return err
		}
		archive, err := readApp(pos[0])
		if err != nil {
			return err
		}
		return withSession(ctx, func(c *client.Client) error { return installApp(ctx, c, archive, *yes) })
	case "list":
		if _, err := parse(flag.NewFlagSet("app list", flag.ContinueOnError), args[1:], 0, 0); err != nil {
			return err
		}
		return withSession(ctx, func(c *client.Client) error {
			apps, err := c.InstalledApps(ctx)
			if err != nil {
				return err
			}
			if len(apps) == 0 {
				fmt.Println("No app installed from an archive.")
			}
			for _, a := range apps {
				fmt.Printf("%s\t%s\t%s\n", printable(a.Slug), printable(a.Version), printable(a.Manifest.Name))
			}
			return nil
		})
	case "remove":
		pos, err := parse(flag.NewFlagSet("app remove", flag.ContinueOnError), args[1:], 1, 1)
		if err != nil {
			return err
		}
		if name, ok := appmanifest.BundledNames[pos[0]]; ok {
			return fmt.Errorf("%s comes with Hearth: remove it in Home, not here", name)
		}
		return withSession(ctx, func(c *client.Client) error {
			// Nothing to remove: neither an archive nor an agreement.
			_, ierr := c.Installed(ctx, pos[0])
			if errors.Is(ierr, client.ErrNotFound) {
				if k, err := c.Consent(ctx, pos[0]); err == nil && k == nil {
					return fmt.Errorf("no app %s is installed (hearth app list shows those that are)", printable(pos[0]))
				}
			}
			rotated, err := c.UninstallApp(ctx, pos[0], nil)
			if err != nil {
				return err
			}
			fmt.Printf("Uninstalled %s: its tokens are revoked on every device.\n", pos[0])
			return reseal(ctx, c, rotated)
		})
	}
	return usagef("unknown app command %q", args[0])
}

// readApp reads an app's archive, or zips its folder.
func readApp(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		if st.Size() > appmanifest.MaxArchive {
			return nil, fmt.Errorf("%s: larger than %d MiB", path, appmanifest.MaxArchive>>20)
		}
		return os.ReadFile(path)
	}
	var files []appmanifest.File
	total := 0
	err = fs.WalkDir(os.DirFS(path), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != "." && appmanifest.Hidden(p) { // never stored: not even read
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(filepath.Join(path, filepath.FromSlash(p)))
		if err != nil {
			return err
		}
		if total += len(b); total > appmanifest.MaxUncompressed {
			return fmt.Errorf("%s: more than %d MiB", path, appmanifest.MaxUncompressed>>20)
		}
		files = append(files, appmanifest.File{Path: p, Data: b})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return appmanifest.Zip(files)
}

// installApp shows what the app asks for and installs it on consent.
func installApp(ctx context.Context, c *client.Client, archive []byte, yes bool) error {
	o, err := c.OfferApp(ctx, archive)
	if err != nil {
		return err
	}
	m := o.Manifest
	// Before anything of it is shown: an app may not pass for one that
	// comes with Hearth (spec/apps.md §1), whatever the server says.
	if _, ok := appmanifest.BundledNames[m.Slug]; ok {
		return fmt.Errorf("not installed: %q is the slug of an app that comes with Hearth", m.Slug)
	}
	if err := appmanifest.CheckName(m, appmanifest.BundledNames); err != nil {
		return fmt.Errorf("not installed: %w", err)
	}
	verb := "Install"
	if o.Update() {
		verb = "Update"
		if o.Consent.Version != "" {
			fmt.Printf("%s is installed (version %s).\n", printable(m.Name), printable(o.Consent.Version))
			if v, err := appmanifest.ParseVersion(o.Consent.Version); err == nil && m.Version.Less(v) {
				verb = "Go back to an older version of"
			} else if err == nil && !v.Less(m.Version) {
				verb = "Reinstall" // the same version: its files may differ, its version does not
			}
		}
	}
	fmt.Printf("%s %s %s (%s)?\n", verb, printable(m.Name), m.Version, m.Slug)
	if m.Description != "" {
		fmt.Println("  " + printable(m.Description))
	}
	if o.Update() {
		for _, s := range o.Added {
			fmt.Println("  Asks for the first time: " + client.ScopeWords(s))
		}
		for _, s := range o.Removed {
			fmt.Println("  No longer asks: " + client.ScopeWords(s))
		}
	}
	fmt.Println("It will be able to:")
	for i, p := range m.Permissions {
		fmt.Printf("  - %s — %s\n", client.ScopeWords(client.ManifestScopes(m)[i]), printable(p.Reason))
	}
	if !yes {
		if !term.IsTerminal(int(os.Stdin.Fd())) {
			return errors.New("not installed: run on a terminal to answer, or pass --yes")
		}
		fmt.Print("Agree? [y/N] ")
		line, _ := bufio.NewReader(os.Stdin).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
			fmt.Println("Not installed.")
			return nil
		}
	}
	rotated, err := c.InstallApp(ctx, o)
	if err != nil {
		return err
	}
	fmt.Printf("Installed %s %s. Open it at %s (or from Home); it connects without asking again.\n", printable(m.Name), m.Version, appURL(c.State().Server, m.Slug, c.User()))
	return reseal(ctx, c, rotated)
}

// hearth reseal: goes on with the re-sealing a revocation left to do, on
// this device or another (spec/protocol.md §4.6).
func cmdReseal(ctx context.Context, args []string) error {
	if _, err := parse(flag.NewFlagSet("reseal", flag.ContinueOnError), args, 0, 0); err != nil {
		return err
	}
	return withSession(ctx, func(c *client.Client) error {
		pending, err := c.PendingReseal(ctx)
		if err != nil {
			return err
		}
		if len(pending) == 0 {
			fmt.Println("Nothing to seal again: every doctype has one key.")
			return nil
		}
		return reseal(ctx, c, pending)
	})
}

// reseal seals the documents of doctypes again with their new keys
// (spec/protocol.md §4.6), saying how far it got.
func reseal(ctx context.Context, c *client.Client, doctypes []string) error {
	tty := term.IsTerminal(int(os.Stderr.Fd()))
	for _, d := range doctypes {
		last := 0
		n, err := c.ResealCount(ctx, d, func(done, total int) {
			if tty {
				fmt.Fprintf(os.Stderr, "\rRe-sealing %s with a new key: %d of %d ", printable(d), done, total)
			}
			last = total
		})
		if tty {
			fmt.Fprintln(os.Stderr)
		}
		if err != nil {
			return fmt.Errorf("re-sealing %s with its new key (run the command again to go on): %w", d, err)
		}
		if n > 0 {
			fmt.Printf("%s: a new key; %s sealed again with it (the old key is retired at a later run, after a few minutes).\n", printable(d), count(n, "document"))
		} else {
			fmt.Printf("%s: all %s sealed with the new key.\n", printable(d), count(last, "document")+map[bool]string{true: " is", false: " are"}[last == 1])
		}
	}
	return nil
}

// appURL is the address of the app slug of user on server (spec/web.md §1):
// <slug>.<user>.<domain>, where server is the base domain (a loopback
// address is localhost: apps need a name) or Home's host, home.<domain>.
func appURL(server, slug, user string) string {
	u, err := url.Parse(server)
	if err != nil || u.Host == "" {
		return ""
	}
	host, port := u.Hostname(), u.Port()
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		host = "localhost"
	}
	host = strings.TrimPrefix(strings.ToLower(host), "home.")
	u.Host = slug + "." + user + "." + host
	if port != "" {
		u.Host += ":" + port
	}
	u.Path, u.RawQuery, u.Fragment = "/", "", ""
	return u.String()
}
