package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/client/search"
)

// withDoctypes runs fn in the current session, once the changes feed is
// verified up to now, with the doctypes to search: only, or every
// doctype of the account but Hearth's own.
func withDoctypes(ctx context.Context, only string, fn func(c *client.Client, cache *fileCache, doctypes []string) error) error {
	return withSession(ctx, func(c *client.Client) error {
		if err := catchUp(ctx, c); err != nil {
			return err
		}
		cache, err := newFileCache(c)
		if err != nil {
			return err
		}
		all, err := c.Doctypes(ctx)
		if err != nil {
			return err
		}
		if only != "" {
			if !slices.Contains(all, only) {
				// Nothing of it was ever written: nothing to find.
				return fn(c, cache, nil)
			}
			return fn(c, cache, []string{only})
		}
		var dts []string
		for _, dt := range all {
			if search.Searched(dt) {
				dts = append(dts, dt)
			}
		}
		return fn(c, cache, dts)
	})
}

// openIndex opens doctype's search index, telling of long work on stderr
// when it is a terminal, and warning when the stored index failed
// verification.
func openIndex(ctx context.Context, c *client.Client, cache *fileCache, doctype string, rebuild bool) (*search.Store, error) {
	tty := term.IsTerminal(int(os.Stderr.Fd()))
	var last time.Time
	drawn := false
	s, err := search.Open(ctx, c, doctype, &search.Options{Rebuild: rebuild, Cache: cache, Progress: func(stage string, done, total int) {
		if !tty || time.Since(last) < 100*time.Millisecond {
			return
		}
		last = time.Now()
		switch stage {
		case "index", "compact":
			fmt.Fprintf(os.Stderr, "\r%s: %s %s ", doctype, map[string]string{"index": "indexing", "compact": "compacting"}[stage], count(done, "document"))
		default:
			fmt.Fprintf(os.Stderr, "\r%s: loading the index, %d of %d segments ", doctype, done, total)
		}
		drawn = true
	}})
	if drawn {
		fmt.Fprint(os.Stderr, "\r\033[K")
	}
	if err != nil {
		return nil, err
	}
	if r := s.Rebuilt(); r != nil {
		fmt.Fprintf(os.Stderr, "hearth: warning: the stored search index of %s could not be used, so it was rebuilt from your documents: %s\n", printable(doctype), oneLine(describe(r)))
	}
	return s, nil
}

// saveIndex stores what changed in the index for the next device; another
// device having stored it meanwhile is fine (its index is loaded next time).
func saveIndex(ctx context.Context, s *search.Store) error {
	err := s.Save(ctx)
	if errors.Is(err, search.ErrConflict) {
		return nil
	}
	return err
}

func cmdSearch(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("search", flag.ContinueOnError)
	doctype := fs.String("doctype", "", "search this doctype only")
	limit := fs.Int("limit", 20, "most results per doctype")
	pos, err := parse(fs, args, 1, 1000)
	if err != nil {
		return err
	}
	q := search.Query{Text: strings.Join(pos, " "), Limit: *limit}
	bold := term.IsTerminal(int(os.Stdout.Fd()))
	return withDoctypes(ctx, *doctype, func(c *client.Client, cache *fileCache, dts []string) error {
		found := 0
		for _, dt := range dts {
			s, err := openIndex(ctx, c, cache, dt, false)
			if err != nil {
				return err
			}
			r, err := s.Search(ctx, q)
			if err != nil {
				s.Close()
				if errors.Is(err, search.ErrBadQuery) {
					return usagef("%v", err)
				}
				return err
			}
			var tree *client.Tree
			if dt == client.FilesDoctype {
				// A file or folder found shows the folder it is in; one
				// in the trash is left out.
				if tree, err = c.Files(ctx); err != nil {
					s.Close()
					return err
				}
			}
			for _, f := range r.Found {
				where := ""
				if tree != nil {
					it := tree.Item(f.ID)
					if it == nil || it.InTrash {
						continue
					}
					if it.Parent != "" {
						where = printable(tree.Path(it.Parent)) + "/"
					}
				}
				fmt.Printf("%s\t%s\t%s%s\n", printable(dt), printable(f.ID), where, snippetLine(f.Snippet, bold))
				found++
			}
			err = saveIndex(ctx, s)
			s.Close()
			if err != nil {
				return fmt.Errorf("storing the search index of %s: %w", dt, err)
			}
		}
		if found == 0 {
			fmt.Fprintln(os.Stderr, "no match")
		}
		return nil
	})
}

// snippetLine renders a snippet on one line, its matches in bold on a
// terminal.
func snippetLine(sn *search.Snippet, bold bool) string {
	if sn == nil {
		return ""
	}
	var b strings.Builder
	if sn.CutStart {
		b.WriteString("…")
	}
	at := 0
	for _, m := range sn.Marks {
		b.WriteString(printable(sn.Text[at:m[0]]))
		if bold {
			b.WriteString("\033[1m" + printable(sn.Text[m[0]:m[1]]) + "\033[0m")
		} else {
			b.WriteString(printable(sn.Text[m[0]:m[1]]))
		}
		at = m[1]
	}
	b.WriteString(printable(sn.Text[at:]))
	if sn.CutEnd {
		b.WriteString("…")
	}
	return b.String()
}

func cmdReindex(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("reindex", flag.ContinueOnError)
	doctype := fs.String("doctype", "", "rebuild this doctype's index only")
	if _, err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	return withDoctypes(ctx, *doctype, func(c *client.Client, cache *fileCache, dts []string) error {
		for _, dt := range dts {
			start := time.Now()
			s, err := openIndex(ctx, c, cache, dt, true)
			if err != nil {
				return err
			}
			n, _ := s.Count()
			err = s.Save(ctx)
			s.Close()
			if err != nil {
				return fmt.Errorf("storing the search index of %s: %w", dt, err)
			}
			fmt.Printf("%s: %s indexed in %.1f s\n", printable(dt), count(n, "document"), time.Since(start).Seconds())
		}
		return nil
	})
}
