package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/internal/zipstream"
)

// hearth download ID|PATH [-o PATH|FOLDER] [--force]: a file, written
// only once it verified; a folder, as a tree of local folders, or as a
// zip when -o ends in .zip.
func cmdDownload(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("download", flag.ContinueOnError)
	out := fs.String("o", "", "output path, or a folder to write into under the item's name (default: its name, in this folder); a folder to x.zip: a zip")
	force := fs.Bool("force", false, "replace files that exist at the output path")
	pos, err := parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	// -o naming a folder: the item goes into it, under its own name.
	into := "."
	if st, err := os.Stat(*out); *out != "" && err == nil && st.IsDir() {
		into, *out = *out, ""
	}
	return withSession(ctx, func(c *client.Client) error {
		id := pos[0]
		t, err := c.Files(ctx)
		if err != nil {
			return err
		}
		if t.Item(id) == nil {
			// A path; else an id the listing left out (a malformed
			// document): DownloadProgress says what it is.
			switch found := t.Lookup(id); len(found) {
			case 0:
			case 1:
				id = found[0].ID
			default:
				_, err := resolve(t, id)
				return err
			}
		}
		if it := t.Item(id); it != nil && it.Folder {
			return downloadFolder(ctx, c, t, it, into, *out, *force)
		}
		target := *out
		if target == "" {
			if it := t.Item(id); it != nil && it.Name != "" {
				target = filepath.Join(into, it.Name)
			}
		}
		return downloadFile(ctx, c, id, into, target, *force)
	})
}

// downloadFile writes file id to target (or, if "", into folder into under
// its name), through a temporary file moved into place only after the
// whole file verified: a failure leaves nothing behind.
func downloadFile(ctx context.Context, c *client.Client, id, into, target string, force bool) error {
	dir := into
	if target != "" {
		dir = filepath.Dir(target)
		if _, err := os.Lstat(target); err == nil && !force {
			return fmt.Errorf("%s already exists: give -o PATH to write elsewhere, or --force to replace it", printable(target))
		}
	}
	tmp, err := os.CreateTemp(dir, ".hearth-download-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	bar := newProgress("downloading", 0)
	info, err := c.DownloadProgress(ctx, id, tmp, bar.update)
	bar.done(err == nil)
	if err != nil {
		tmp.Close()
		if errors.Is(err, client.ErrNotFound) {
			return fmt.Errorf("no file %s (hearth files lists them)", printable(id))
		}
		return err
	}
	// Not fsynced: like other download tools, the file is left to the
	// operating system's writeback; what matters here is that nothing
	// unverified is ever put in place.
	if err := tmp.Close(); err != nil {
		return err
	}
	if target == "" {
		if client.CheckFileName(info.Name) != nil {
			return errors.New("the file has no usable name; give -o PATH")
		}
		target = filepath.Join(into, info.Name)
	}
	if _, err := os.Lstat(target); err == nil && !force {
		return fmt.Errorf("%s already exists: give -o PATH to write elsewhere, or --force to replace it", printable(target))
	}
	if !info.ModTime.IsZero() {
		os.Chtimes(tmp.Name(), time.Now(), info.ModTime)
	}
	keepMode(tmp.Name())
	if err := os.Rename(tmp.Name(), target); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "wrote %s (%d bytes)\n", printable(target), info.Size)
	return nil
}

// downloadFolder writes folder it as a zip when out ends in ".zip", else as
// a local folder (out, or into/its name) holding what it holds but the
// trash. Each file goes through a temporary file moved into place once it
// verified; a zip is written to a temporary file moved into place once the
// whole archive is written.
func downloadFolder(ctx context.Context, c *client.Client, t *client.Tree, it *client.FileItem, into, out string, force bool) error {
	var total int64 = it.Length
	if strings.HasSuffix(strings.ToLower(out), ".zip") {
		if _, err := os.Lstat(out); err == nil && !force {
			return fmt.Errorf("%s already exists: give -o PATH to write elsewhere, or --force to replace it", printable(out))
		}
		tmp, err := os.CreateTemp(filepath.Dir(out), ".hearth-download-*")
		if err != nil {
			return err
		}
		defer os.Remove(tmp.Name())
		bar := newProgress("downloading", total)
		err = c.WriteZip(ctx, []string{it.ID}, tmp, bar.update)
		bar.done(err == nil)
		if err != nil {
			tmp.Close()
			return err
		}
		if err := tmp.Close(); err != nil {
			return err
		}
		keepMode(tmp.Name())
		if err := os.Rename(tmp.Name(), out); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "wrote %s\n", printable(out))
		return nil
	}
	root := out
	if root == "" {
		root = filepath.Join(into, it.Name)
	}
	if _, err := os.Lstat(root); err == nil && !force {
		return fmt.Errorf("%s already exists: give -o PATH to write elsewhere, or --force to write into it (replacing files of the same names)", printable(root))
	}
	bar := newProgress("downloading", total)
	var before int64
	var walk func(id, dir string) error
	walk = func(id, dir string) error {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		used := zipstream.Names{} // two items of one name: " (2)"…, as in a zip
		for _, ch := range t.Children(id) {
			if ch.Name == "" {
				fmt.Fprintf(os.Stderr, "hearth: leaving out %s: no name\n", ch.ID)
				continue
			}
			p := filepath.Join(dir, used.Unique("", ch.Name, ch.Folder))
			if ch.Folder {
				if err := walk(ch.ID, p); err != nil {
					return err
				}
				continue
			}
			if err := downloadQuiet(ctx, c, ch, p, func(done, _ int64) { bar.update(before+done, total) }); err != nil {
				return fmt.Errorf("%s: %w", printable(t.Path(ch.ID)), err)
			}
			before += ch.Length
		}
		return nil
	}
	err := walk(it.ID, root)
	bar.done(err == nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "wrote %s (%s)\n", printable(root), size(total))
	return nil
}

// downloadQuiet writes file it to target through a temporary file.
func downloadQuiet(ctx context.Context, c *client.Client, it *client.FileItem, target string, progress func(done, total int64)) error {
	tmp, err := os.CreateTemp(filepath.Dir(target), ".hearth-download-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	info, err := c.DownloadProgress(ctx, it.ID, tmp, progress)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if !info.ModTime.IsZero() {
		os.Chtimes(tmp.Name(), time.Now(), info.ModTime)
	}
	keepMode(tmp.Name())
	return os.Rename(tmp.Name(), target)
}
