package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/internal/wire"
)

// resolve finds the file or folder arg names: an item id, or a
// '/'-separated path of names from the root (not into the trash), as
// client.Tree.Resolve does for every command. A path that names two
// items is an error that lists their ids.
func resolve(t *client.Tree, arg string) (*client.FileItem, error) {
	it, err := t.Resolve(arg)
	var amb *client.AmbiguousPathError
	switch {
	case err == nil:
		return it, nil
	case errors.As(err, &amb):
		return nil, fmt.Errorf("%s names %d items: give one of their ids: %s", printable(arg), len(amb.IDs), strings.Join(amb.IDs, ", "))
	case errors.Is(err, client.ErrNotFound):
		return nil, fmt.Errorf("no file or folder %s (hearth files lists them)", printable(arg))
	}
	return nil, err
}

// resolveFolder is resolve for a folder; "" and "/" are the root ("").
func resolveFolder(t *client.Tree, arg string) (string, error) {
	if strings.Trim(arg, "/") == "" {
		return "", nil
	}
	it, err := resolve(t, arg)
	if err != nil {
		return "", err
	}
	if !it.Folder {
		return "", fmt.Errorf("%s is a file, not a folder", printable(arg))
	}
	return it.ID, nil
}

// destFolder is resolveFolder for a folder to put things in (upload --to,
// request): one that is missing is said with the command that makes it.
func destFolder(t *client.Tree, arg string) (string, error) {
	if _, err := t.Resolve(arg); strings.Trim(arg, "/") != "" && errors.Is(err, client.ErrNotFound) {
		return "", fmt.Errorf("no folder %s: hearth mkdir %s makes it", printable(arg), printable(arg))
	}
	return resolveFolder(t, arg)
}

// itemName is an item's name for people: its name, or its id.
func itemName(it *client.FileItem) string {
	if it.Name == "" {
		return it.ID
	}
	return printable(it.Name)
}

func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04")
}

// withFiles runs f in a session, with the account's files as listed now.
func withFiles(ctx context.Context, f func(c *client.Client, t *client.Tree) error) error {
	return withSession(ctx, func(c *client.Client) error {
		t, err := c.Files(ctx)
		if err != nil {
			return err
		}
		return f(c, t)
	})
}

// hearth files [FOLDER]: what a folder holds, with sizes and dates.
func cmdFiles(ctx context.Context, args []string) error {
	pos, err := parse(flag.NewFlagSet("files", flag.ContinueOnError), args, 0, 1)
	if err != nil {
		return err
	}
	return withFiles(ctx, func(c *client.Client, t *client.Tree) error {
		dir := ""
		if len(pos) == 1 {
			if dir, err = resolveFolder(t, pos[0]); err != nil {
				return err
			}
		}
		items := t.Children(dir)
		if len(items) == 0 {
			fmt.Fprintln(os.Stderr, "(empty)")
		}
		printItems(os.Stdout, items)
		if n := len(t.Malformed); n > 0 {
			fmt.Fprintf(os.Stderr, "hearth: %s not shown: malformed (another client or an app wrote them)\n", count(n, "document"))
		}
		return nil
	})
}

// printItems writes one line an item: size, date, id, name (a folder's
// ends in '/') and its earlier versions.
func printItems(w io.Writer, items []*client.FileItem) {
	sw := 0
	for _, it := range items {
		sw = max(sw, len(size(it.Length)))
	}
	for _, it := range items {
		name := itemName(it)
		if it.Folder {
			name += "/"
		}
		if n := len(it.Versions); n > 0 {
			name += "  (" + count(n, "earlier version") + ")"
		}
		fmt.Fprintf(w, "%*s  %s  %s  %s\n", sw, size(it.Length), when(it.ModTime), it.ID, name)
	}
}

// hearth mkdir PATH: makes the folders of PATH that are missing.
func cmdMkdir(ctx context.Context, args []string) error {
	pos, err := parse(flag.NewFlagSet("mkdir", flag.ContinueOnError), args, 1, 1)
	if err != nil {
		return err
	}
	parts := strings.FieldsFunc(pos[0], func(r rune) bool { return r == '/' })
	if len(parts) == 0 {
		return usagef("give a folder's path")
	}
	return withFiles(ctx, func(c *client.Client, t *client.Tree) error {
		parent, made := "", false
		for i, name := range parts {
			found := t.Lookup(strings.Join(parts[:i+1], "/"))
			switch {
			case len(found) > 1 && !made:
				_, err := resolve(t, strings.Join(parts[:i+1], "/"))
				return err
			case len(found) == 1 && !made:
				if !found[0].Folder {
					return fmt.Errorf("%s is a file", printable(strings.Join(parts[:i+1], "/")))
				}
				parent = found[0].ID
				continue
			}
			if parent, err = c.Mkdir(ctx, parent, name); err != nil {
				return err
			}
			made = true
		}
		if !made {
			return fmt.Errorf("%s exists already", printable(pos[0]))
		}
		fmt.Println(parent)
		return nil
	})
}

// hearth mv SRC... DST: into folder DST, or, for one SRC and a DST that
// does not exist, to DST's folder under DST's last name.
func cmdMv(ctx context.Context, args []string) error {
	pos, err := parse(flag.NewFlagSet("mv", flag.ContinueOnError), args, 2, 1<<20)
	if err != nil {
		return err
	}
	return withFiles(ctx, func(c *client.Client, t *client.Tree) error {
		var ids []string
		for _, s := range pos[:len(pos)-1] {
			it, err := resolve(t, s)
			if err != nil {
				return err
			}
			ids = append(ids, it.ID)
		}
		dst := pos[len(pos)-1]
		if d, err := resolveFolder(t, dst); err == nil {
			return c.Move(ctx, ids, d)
		} else if len(ids) > 1 || len(t.Lookup(dst)) > 0 || t.Item(dst) != nil {
			return err
		}
		// A rename, perhaps into another folder.
		dir, name := "", strings.Trim(dst, "/")
		if i := strings.LastIndexByte(name, '/'); i >= 0 {
			dir, name = name[:i], name[i+1:]
		}
		to, err := resolveFolder(t, dir)
		if err != nil {
			return err
		}
		if err := client.CheckFileName(name); err != nil {
			return err
		}
		if it := t.Item(ids[0]); it.Parent != to {
			if err := c.Move(ctx, ids, to); err != nil {
				return err
			}
		}
		return c.Rename(ctx, ids[0], name)
	})
}

// hearth trash [--empty] [--restore PATH|ID]
func cmdTrash(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("trash", flag.ContinueOnError)
	empty := fs.Bool("empty", false, "delete what the trash holds, for good")
	restore := fs.String("restore", "", "take this item (its path as the trash lists it, or its id) out of the trash")
	if _, err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	if *empty && *restore != "" {
		return usagef("give --empty or --restore, not both")
	}
	return withFiles(ctx, func(c *client.Client, t *client.Tree) error {
		switch {
		case *empty:
			n := 0
			for _, it := range t.Trash() {
				n += 1 + len(t.Descendants(it.ID))
			}
			if err := c.EmptyTrash(ctx); err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "Deleted %s for good.\n", count(n, "item"))
		case *restore != "":
			var ids []string
			for _, it := range t.Trash() {
				if it.ID == *restore || trashPath(t, it) == strings.Trim(*restore, "/") {
					ids = append(ids, it.ID)
				}
			}
			if it := t.Item(*restore); len(ids) == 0 && it != nil && it.InTrash {
				ids = append(ids, it.ID)
			}
			switch len(ids) {
			case 0:
				return fmt.Errorf("no %s in the trash (hearth trash lists it)", printable(*restore))
			case 1:
			default:
				return fmt.Errorf("%s names %d items in the trash: give one of their ids: %s", printable(*restore), len(ids), strings.Join(ids, ", "))
			}
			if err := c.Restore(ctx, ids); err != nil {
				return err
			}
			// Where it went: its folder, made again if it was gone, or the
			// root; another name if its own was taken there.
			now, err := c.Files(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "Restored to %s.\n", printable(now.Path(ids[0])))
		default:
			items := t.Trash()
			if len(items) == 0 {
				fmt.Fprintln(os.Stderr, "The trash is empty.")
			}
			for _, it := range items {
				name := printable(trashPath(t, it))
				if it.Folder {
					name += "/"
				}
				fmt.Printf("%s  %s  %s  %s\n", size(it.Length), when(it.Trashed), it.ID, name)
			}
		}
		return nil
	})
}

// trashPath is where an item in the trash came from, and goes back to:
// its path, or, its folder gone, the path it had (which a restore makes
// again).
func trashPath(t *client.Tree, it *client.FileItem) string {
	if it.FromGone && len(it.TrashedFrom) > 0 {
		return strings.Join(it.TrashedFrom, "/") + "/" + cmp.Or(it.Name, it.ID)
	}
	return t.Path(it.ID)
}

// hearth versions PATH [--restore N]
func cmdVersions(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("versions", flag.ContinueOnError)
	restore := fs.Int("restore", 0, "make earlier version N (1 the newest, as listed) the current one")
	pos, err := parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	restoring := false
	fs.Visit(func(f *flag.Flag) { restoring = restoring || f.Name == "restore" })
	if restoring && *restore < 1 {
		return usagef("--restore: the number of an earlier version as hearth versions lists them, 1 the newest")
	}
	return withFiles(ctx, func(c *client.Client, t *client.Tree) error {
		it, err := resolve(t, pos[0])
		if err != nil {
			return err
		}
		if it.Folder {
			return fmt.Errorf("%s is a folder: only files have versions", printable(pos[0]))
		}
		if restoring {
			if err := c.RestoreVersion(ctx, it.ID, *restore-1); err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "Version %d of %s is the current one again; what was current is version 1.\n", *restore, itemName(it))
			return nil
		}
		fmt.Printf("current  %s  %s\n", size(it.Length), when(it.ModTime))
		for i, v := range it.Versions {
			fmt.Printf("%7d  %s  %s  (replaced %s)\n", i+1, size(v.Length), when(v.ModTime), when(v.Replaced))
		}
		if len(it.Versions) == 0 {
			fmt.Fprintf(os.Stderr, "No earlier versions (up to %d are kept).\n", t.VersionsKept)
		}
		return nil
	})
}

// hearth upload PATH... [--to FOLDER] [--ids]
func cmdUpload(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("upload", flag.ContinueOnError)
	to := fs.String("to", "", "the folder to upload into (a path or an id; default: the root)")
	withIDs := fs.Bool("ids", false, "add each item's id as a last column")
	pos, err := parse(fs, args, 1, 1<<20)
	if err != nil {
		return err
	}
	var srcs []client.UploadSource
	var locals []string // the local path of each of srcs
	for _, p := range pos {
		if srcs, locals, err = localSources(srcs, locals, p); err != nil {
			return err
		}
	}
	return withFiles(ctx, func(c *client.Client, t *client.Tree) error {
		dir, err := destFolder(t, *to)
		if err != nil {
			return err
		}
		var total int64
		for _, s := range srcs {
			total += s.Size
		}
		bar := newProgress("uploading", total)
		done, err := c.UploadAll(ctx, dir, srcs, bar.update)
		bar.done(err == nil)
		printUploaded(os.Stdout, t.Path(dir), srcs, locals, done, *withIDs)
		return err
	})
}

// printUploaded writes a line for each item uploaded: its local path,
// where it went in the drive (the folders from the root, '/'-separated;
// a folder's ending in '/'), and what happened (new, new version,
// unchanged: the file there held these bytes already; new folder,
// existing folder), tab-separated, with the id last if withIDs; then,
// on stderr, a summary for people. Nothing else goes to w, so a script
// reads one line per item (names hold no tab or line break: the name
// rule; local paths are escaped).
func printUploaded(w io.Writer, dest string, srcs []client.UploadSource, locals []string, done []client.Uploaded, withIDs bool) {
	counts := map[string]int{}
	files := 0
	for i, u := range done {
		if u.ID == "" {
			break // not reached: the upload stopped before it
		}
		s := srcs[i]
		drive := s.Path
		if dest != "" {
			drive = dest + "/" + drive
		}
		what := "new"
		switch {
		case s.Folder && u.Unchanged:
			what = "existing folder"
		case s.Folder:
			what = "new folder"
		case u.Unchanged:
			what = "unchanged"
		case u.Version:
			what = "new version"
		}
		local := locals[i]
		if s.Folder {
			local, drive = strings.TrimSuffix(local, string(filepath.Separator))+string(filepath.Separator), drive+"/"
		} else {
			files++
			counts[what]++
		}
		line := printable(local) + "\t" + printable(drive) + "\t" + what
		if withIDs {
			line += "\t" + u.ID
		}
		fmt.Fprintln(w, line)
	}
	if files == 0 {
		return
	}
	var parts []string
	for _, k := range []string{"new", "new version", "unchanged"} {
		if counts[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[k], k))
		}
	}
	where := "All files"
	if dest != "" {
		where = printable(dest)
	}
	fmt.Fprintf(os.Stderr, "%s into %s: %s.\n", count(files, "file"), where, strings.Join(parts, ", "))
}

// localSources appends to srcs the file or folder tree at p, and to
// locals the local path of each: a folder before what it holds; what is
// neither a regular file nor a folder (a symbolic link, a device) is left
// out, with a warning.
func localSources(srcs []client.UploadSource, locals []string, p string) ([]client.UploadSource, []string, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, nil, err
	}
	base := filepath.Base(filepath.Clean(p))
	if !fi.IsDir() {
		if !fi.Mode().IsRegular() {
			return nil, nil, fmt.Errorf("%s is not a regular file", p)
		}
		return append(srcs, fileSource(p, base, fi)), append(locals, p), nil
	}
	err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(p, path)
		name := base
		if rel != "." {
			name = base + "/" + filepath.ToSlash(rel)
		}
		if d.IsDir() {
			srcs, locals = append(srcs, client.UploadSource{Path: name, Folder: true}), append(locals, path)
			return nil
		}
		if !d.Type().IsRegular() {
			fmt.Fprintf(os.Stderr, "hearth: leaving out %s: not a regular file\n", printable(path))
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		srcs, locals = append(srcs, fileSource(path, name, fi)), append(locals, path)
		return nil
	})
	return srcs, locals, err
}

func fileSource(path, name string, fi os.FileInfo) client.UploadSource {
	return client.UploadSource{Path: name, Size: fi.Size(), ModTime: fi.ModTime(), Open: func() (io.ReadCloser, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		// The size announced is the one the walk saw: a file that
		// changed since fails its upload (the client counts).
		return f, nil
	}}
}

// rm: "hearth rm DOCTYPE ID", where DOCTYPE is one of the account's
// doctypes, deletes a document, as before; any other "hearth rm PATH..."
// puts files and folders in the trash.
func cmdRm(ctx context.Context, args []string) error {
	pos, err := parse(flag.NewFlagSet("rm", flag.ContinueOnError), args, 1, 1<<20)
	if err != nil {
		return err
	}
	return withSession(ctx, func(c *client.Client) error {
		if len(pos) == 2 && wire.CheckDoctype(pos[0]) == nil {
			if dts, err := c.Doctypes(ctx); err == nil && slices.Contains(dts, pos[0]) {
				if pos[0] == client.FilesDoctype {
					return missing(c.DeleteFile(ctx, pos[1]), pos[0], pos[1]) // the file's blobs go too
				}
				return missing(c.Delete(ctx, pos[0], pos[1]), pos[0], pos[1])
			}
		}
		t, err := c.Files(ctx)
		if err != nil {
			return err
		}
		var ids []string
		for _, p := range pos {
			it, err := resolve(t, p)
			if err != nil {
				return err
			}
			ids = append(ids, it.ID)
		}
		if err := c.Trash(ctx, ids); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "Moved %s to the trash (hearth trash lists it; hearth trash --restore brings it back).\n", count(len(ids), "item"))
		return nil
	})
}
