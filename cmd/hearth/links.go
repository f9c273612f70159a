package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/crypto/link"
	"github.com/hearthcloud/hearth/internal/bytesize"
)

// Share links and drop links (spec/protocol.md §4.5, §8.12). A FOLDER or
// an ITEM is named as the files commands name them (resolve).

// parseDays reads a duration such as 7d, 36h or 90m, of at most 365 days
// (a link's longest life, §8.12).
func parseDays(s string) (time.Duration, error) {
	bad := usagef("--expires: a duration such as 7d, 36h or 90m, at most 365d")
	var d time.Duration
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days <= 0 || days > 365 {
			return 0, bad
		}
		d = time.Duration(days) * 24 * time.Hour
	} else if x, err := time.ParseDuration(s); err == nil {
		d = x
	}
	if d <= 0 || d > 365*24*time.Hour {
		return 0, bad
	}
	return d, nil
}

// parseLinkArgs parses the arguments of share and request (one FOLDER or
// ITEM) and the duration of their --expires flag, as fs holds it once
// parsed.
func parseLinkArgs(fs *flag.FlagSet, args []string, expires *string) ([]string, time.Duration, error) {
	pos, err := parse(fs, args, 1, 1)
	if err != nil {
		return nil, 0, err
	}
	d, err := parseDays(*expires)
	return pos, d, err
}

// printURL prints a link's URL, made unless err.
func printURL(url string, err error) error {
	if err != nil {
		return err
	}
	fmt.Println(url)
	return nil
}

func cmdShare(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("share", flag.ContinueOnError)
	expires := fs.String("expires", "7d", "how long the link works")
	maxOpens := fs.Int64("max-opens", 0, "how many times it opens (0: no limit)")
	withPassword := fs.Bool("password", false, "ask for a password the link also needs ($HEARTH_LINK_PASSWORD)")
	label := fs.String("label", "", "a note for you (sealed), such as who it is for")
	pos, d, err := parseLinkArgs(fs, args, expires)
	if err != nil {
		return err
	}
	o := client.ShareOptions{Expires: d, MaxOpens: *maxOpens, Label: *label}
	if *withPassword {
		if o.Password, err = secret("HEARTH_LINK_PASSWORD", "Link password: "); err != nil {
			return err
		}
	}
	return withFiles(ctx, func(c *client.Client, t *client.Tree) error {
		it, err := resolve(t, pos[0])
		if err != nil {
			return err
		}
		return printURL(c.Share(ctx, it.ID, o))
	})
}

func cmdShares(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("shares", flag.ContinueOnError)
	update := fs.String("update", "", "republish share link `LINK-ID` from its file or folder as they are now")
	if _, err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	return withSession(ctx, func(c *client.Client) error {
		if *update != "" {
			return c.UpdateShare(ctx, *update)
		}
		shares, err := c.Shares(ctx)
		if err != nil {
			return err
		}
		tree, err := c.Files(ctx)
		if err != nil {
			return err
		}
		// What each link gives, or where a drop link files: the item's path.
		what := func(s client.ShareInfo) string {
			if s.Item == "" {
				if s.Kind == "drop" {
					return "into /"
				}
				return ""
			}
			p := "(deleted)"
			if tree.Item(s.Item) != nil {
				p = tree.Path(s.Item)
			}
			if s.Kind == "drop" {
				return "into " + printable(p)
			}
			return printable(p)
		}
		now := time.Now()
		for _, s := range shares {
			state := "until " + s.Expires.Local().Format("2006-01-02 15:04")
			switch {
			case !s.Revoked.IsZero():
				state = "revoked"
			case !now.Before(s.Expires):
				state = "expired"
			}
			opens := strconv.FormatInt(s.Opens, 10)
			if s.MaxOpens > 0 {
				opens += "/" + strconv.FormatInt(s.MaxOpens, 10)
			}
			last := "never"
			if !s.LastOpen.IsZero() {
				last = s.LastOpen.Local().Format("2006-01-02 15:04")
			}
			extra := ""
			opened := "  opens " + opens + "  last " + last
			if s.Kind == "drop" {
				opened = fmt.Sprintf("  %d waiting", s.Pending)
			}
			if s.Password {
				extra += "  password"
			}
			if s.Failures > 0 {
				extra += fmt.Sprintf("  %d wrong", s.Failures)
			}
			label := ""
			if s.Label != "" {
				label = "  (" + printable(s.Label) + ")"
			}
			fmt.Printf("%s  %-5s  %s  %s%s%s%s\n", s.ID, s.Kind, what(s), state, opened, extra, label)
			if s.URL != "" && state != "revoked" {
				fmt.Printf("    %s\n", s.URL)
			}
		}
		return nil
	})
}

func cmdUnshare(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("unshare", flag.ContinueOnError)
	pos, err := parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	id := pos[0]
	if u, err := link.ParseURL(id); err == nil {
		id = u.ID
	}
	return withSession(ctx, func(c *client.Client) error { return c.Unshare(ctx, id) })
}

func cmdRequest(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("request", flag.ContinueOnError)
	expires := fs.String("expires", "7d", "how long the link takes files")
	maxFiles := fs.Int64("max-files", 0, "how many files it takes (0: 100)")
	maxSize := fs.String("max-size", "", "the largest file it takes, such as 200MB (default: the server's limit)")
	label := fs.String("label", "", "a note for you (sealed)")
	pos, d, err := parseLinkArgs(fs, args, expires)
	if err != nil {
		return err
	}
	o := client.RequestOptions{Expires: d, MaxFiles: *maxFiles, Label: *label}
	if *maxSize != "" {
		if o.MaxFileSize, err = bytesize.Parse(*maxSize); err != nil {
			return usagef("--max-size: %v", err)
		}
		o.MaxFileSize += 64 << 10 // what sealing adds, at most, to a file's size
	}
	return withFiles(ctx, func(c *client.Client, t *client.Tree) error {
		folder, err := destFolder(t, pos[0])
		if err != nil {
			return err
		}
		return printURL(c.Request(ctx, folder, o))
	})
}

func cmdDrops(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("drops", flag.ContinueOnError)
	if _, err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	return withSession(ctx, func(c *client.Client) error {
		adopted, err := c.AdoptDrops(ctx)
		for _, a := range adopted {
			switch {
			case a.Err == nil:
				fmt.Printf("%s  %s\n", a.FileID, printable(a.Name))
			case errors.Is(a.Err, client.ErrIntegrity):
				fmt.Fprintf(os.Stderr, "refused a drop of link %s that does not open (forged or damaged); deleted it\n", a.Link)
			default:
				fmt.Fprintf(os.Stderr, "drop %s of link %s: %s (kept, try again)\n", a.Drop, a.Link, printable(a.Err.Error()))
			}
		}
		if len(adopted) == 0 && err == nil {
			fmt.Fprintln(os.Stderr, "no drops waiting")
		}
		return err
	})
}

// fileVersions keeps the highest manifest version opened per link in the
// state folder (links.json), so a replayed older folder is refused.
type fileVersions struct {
	mu   sync.Mutex
	path string
}

func (f *fileVersions) load() map[string]uint64 {
	m := map[string]uint64{}
	if b, err := os.ReadFile(f.path); err == nil {
		json.Unmarshal(b, &m)
	}
	return m
}

func (f *fileVersions) LinkVersion(id string) uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.load()[id]
}

func (f *fileVersions) SetLinkVersion(id string, v uint64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := f.load()
	m[id] = v
	b, _ := json.Marshal(m)
	tmp := f.path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, f.path)
}

func linkOptions() (*client.LinkOptions, error) {
	h, err := home()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(h, 0o700); err != nil {
		return nil, err
	}
	return &client.LinkOptions{Versions: &fileVersions{path: filepath.Join(h, "links.json")}}, nil
}

func cmdFetch(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("fetch", flag.ContinueOnError)
	out := fs.String("o", "", "where to write: a file's path, or the folder to make (default: the shared name, here)")
	force := fs.Bool("force", false, "replace files that exist")
	pos, err := parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	o, err := linkOptions()
	if err != nil {
		return err
	}
	pw := ""
	has, err := client.LinkHasPassword(ctx, pos[0], o)
	if err != nil {
		return linkError(err)
	}
	if has {
		if pw, err = secret("HEARTH_LINK_PASSWORD", "Link password: "); err != nil {
			return err
		}
	}
	s, err := client.OpenLink(ctx, pos[0], pw, o)
	if err != nil {
		return linkError(err)
	}
	m := s.Manifest
	root := *out
	if root == "" {
		root = m.Name // checked by the manifest's rules: a plain name
	}
	if m.Kind == link.KindFolder {
		if err := os.MkdirAll(root, 0o755); err != nil {
			return err
		}
	}
	for _, e := range m.Entries {
		target := root
		if m.Kind == link.KindFolder {
			target = filepath.Join(root, filepath.FromSlash(e.Path)) // each component a plain name (§4.5)
		}
		if e.Folder {
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
			continue
		}
		if err := fetchOne(ctx, s, e, target, *force); err != nil {
			return err
		}
	}
	return nil
}

// fetchOne writes one file through a temporary file, renamed into place
// only once all of it verified.
func fetchOne(ctx context.Context, s *client.Shared, e link.Entry, target string, force bool) error {
	if _, err := os.Lstat(target); err == nil && !force {
		return fmt.Errorf("%s already exists: give -o PATH to write elsewhere, or --force to replace it", printable(target))
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(target), ".hearth-fetch-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := s.Download(ctx, e, tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if e.MTime != 0 {
		os.Chtimes(tmp.Name(), time.Now(), time.Unix(e.MTime, 0))
	}
	keepMode(tmp.Name())
	if err := os.Rename(tmp.Name(), target); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "wrote %s (%d bytes)\n", printable(target), e.Length)
	return nil
}

func cmdDrop(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("drop", flag.ContinueOnError)
	pos, err := parse(fs, args, 2, 1000)
	if err != nil {
		return err
	}
	var files []client.DropFile
	for _, p := range pos[1:] {
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return err
		}
		if !st.Mode().IsRegular() {
			return fmt.Errorf("%s is not a file", printable(p))
		}
		files = append(files, client.DropFile{Name: filepath.Base(p), Size: st.Size(), ModTime: st.ModTime(), Content: f})
	}
	n, err := client.Drop(ctx, pos[0], files, nil)
	if err != nil {
		// One line, as every failure: what was sent before it, in it.
		if n > 0 {
			return fmt.Errorf("%w (%d of the %d files were dropped before this)", linkError(err), n, len(files))
		}
		return linkError(err)
	}
	fmt.Fprintf(os.Stderr, "dropped %d of %d files\n", n, len(files))
	return nil
}

// linkError words a link's refusals.
func linkError(err error) error {
	var g *client.GoneError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &g):
		return errors.New(g.Error())
	case errors.Is(err, link.ErrBadURL):
		return usagef("%v", err)
	}
	return err
}
