package appmanifest

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strings"
	"time"
)

// Limits of an app's archive (spec/apps.md §2).
const (
	MaxArchive      = 32 << 20 // bytes of the archive
	MaxFiles        = 1000     // files served
	MaxUncompressed = 64 << 20 // bytes of those files
	MaxRatio        = 100      // uncompressed ÷ compressed, per file
)

// ManifestName is the manifest's name at the root of an app's folder.
const ManifestName = "hearth-app.json"

// ErrBadArchive is what every archive error Is.
var ErrBadArchive = errors.New("app archive refused")

// ArchiveError is an archive that breaks a rule: Entry names the file (""
// for the whole archive). A manifest that breaks a rule is an ArchiveError
// for hearth-app.json wrapping the manifest's *Error.
type ArchiveError struct {
	Entry   string
	Problem string
	Err     error
}

func (e *ArchiveError) Error() string {
	p := e.Problem
	if e.Err != nil {
		p = e.Err.Error()
		if me, ok := e.Err.(*Error); ok {
			p = me.Field + ": " + me.Problem
			if me.Field == "" {
				p = me.Problem
			}
		}
	}
	if e.Entry == "" {
		return "app archive: " + p
	}
	return "app archive: " + e.Entry + ": " + p
}

func (e *ArchiveError) Unwrap() error { return e.Err }

// Is makes every ArchiveError match ErrBadArchive.
func (e *ArchiveError) Is(target error) bool { return target == ErrBadArchive }

func badEntry(entry, format string, a ...any) error {
	return &ArchiveError{Entry: entry, Problem: fmt.Sprintf(format, a...)}
}

// Archive is an app's archive, read and checked.
type Archive struct {
	Manifest     *Manifest
	ManifestJSON []byte   // hearth-app.json as it is in the archive
	Paths        []string // the files served, sorted
	Skipped      []string // entries left out (hidden: ".", "_"), as named in the archive
	Uncompressed int64    // their bytes
	// Files holds the files served, by path (the app's folder): reading
	// one decompresses it again from the archive.
	Files fs.FS
}

// Hidden reports whether a file of an app's folder (a "/"-separated path)
// is left out of the app, never served nor stored: a name with a segment
// starting with "." or "_" (.DS_Store, .git/, __MACOSX/), as go:embed
// leaves them out of the bundled apps; but "." and ".." are not left out,
// they are errors.
func Hidden(name string) bool {
	for _, seg := range strings.Split(name, "/") {
		if seg == "." || seg == ".." {
			return false // not a path: an error
		}
		if strings.HasPrefix(seg, ".") || strings.HasPrefix(seg, "_") {
			return true
		}
	}
	return false
}

// ReadArchive reads and checks an app's archive of size bytes (spec/apps.md
// §2): its limits, its entries' names and kinds, its manifest, and every
// file's checksum (each file is decompressed once).
func ReadArchive(r io.ReaderAt, size int64) (*Archive, error) {
	if size > MaxArchive {
		return nil, badEntry("", "larger than %d MiB", MaxArchive>>20)
	}
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, badEntry("", "not a ZIP archive (%v)", strings.TrimPrefix(err.Error(), "zip: "))
	}
	// The files kept, by name in the archive.
	var kept []*zip.File
	var hidden []string
	for _, f := range zr.File {
		name := f.Name
		if strings.HasSuffix(name, "/") && f.UncompressedSize64 == 0 {
			continue // a directory
		}
		if Hidden(name) {
			hidden = append(hidden, name)
			continue
		}
		if f.Flags&1 != 0 {
			return nil, badEntry(name, "encrypted")
		}
		if f.Mode()&fs.ModeType != 0 {
			return nil, badEntry(name, "not a regular file (a link?)")
		}
		if f.Method != zip.Store && f.Method != zip.Deflate {
			return nil, badEntry(name, "compressed with method %d (only stored and deflated files)", f.Method)
		}
		if err := checkPath(name); err != nil {
			return nil, badEntry(name, "%v", err)
		}
		if len(kept) == MaxFiles {
			return nil, badEntry("", "more than %d files", MaxFiles)
		}
		kept = append(kept, f)
	}
	// hearth-app.json at the root, or every file in one folder that has it.
	prefix := ""
	if !hasName(kept, ManifestName) {
		first, _, ok := strings.Cut(firstName(kept), "/")
		if ok && hasName(kept, first+"/"+ManifestName) {
			prefix = first + "/"
			for _, f := range kept {
				if !strings.HasPrefix(f.Name, prefix) {
					return nil, badEntry(f.Name, "outside the folder %s that holds %s", first, ManifestName)
				}
			}
		} else {
			return nil, badEntry("", "no %s at its root (nor in one folder holding everything)", ManifestName)
		}
	}
	files := map[string]*zip.File{}
	lower := map[string]string{}
	a := &Archive{Skipped: hidden}
	for _, f := range kept {
		p := strings.TrimPrefix(f.Name, prefix)
		if prev, ok := lower[strings.ToLower(p)]; ok {
			if prev == p {
				return nil, badEntry(p, "appears twice")
			}
			return nil, badEntry(p, "the same name as %s but for case", prev)
		}
		lower[strings.ToLower(p)] = p
		if f.UncompressedSize64 > MaxUncompressed || int64(f.UncompressedSize64) > MaxUncompressed-a.Uncompressed {
			return nil, badEntry(p, "the files add up to more than %d MiB", MaxUncompressed>>20)
		}
		if f.UncompressedSize64 > 1<<10 && f.UncompressedSize64 > MaxRatio*f.CompressedSize64 {
			return nil, badEntry(p, "compressed more than %d to 1", MaxRatio)
		}
		a.Uncompressed += int64(f.UncompressedSize64)
		files[p] = f
		a.Paths = append(a.Paths, p)
	}
	sort.Strings(a.Paths)
	// Every checksum and size, once.
	for _, p := range a.Paths {
		rc, err := files[p].Open()
		if err == nil {
			_, err = io.Copy(io.Discard, rc)
			rc.Close()
		}
		if err != nil {
			return nil, badEntry(p, "damaged (%v)", strings.TrimPrefix(err.Error(), "zip: "))
		}
	}
	mf := files[ManifestName]
	if mf.UncompressedSize64 > MaxSize {
		return nil, &ArchiveError{Entry: ManifestName, Err: bad("", "larger than %d bytes", MaxSize)}
	}
	a.ManifestJSON, err = readZipFile(mf)
	if err != nil {
		return nil, badEntry(ManifestName, "damaged (%v)", err)
	}
	if a.Manifest, err = Parse(a.ManifestJSON); err != nil {
		return nil, &ArchiveError{Entry: ManifestName, Err: err}
	}
	pages := []string{a.Manifest.Entry}
	for _, in := range a.Manifest.Intents {
		page, _, _ := strings.Cut(in.Href, "#")
		pages = append(pages, page)
	}
	for _, page := range pages {
		if files[page] == nil {
			return nil, badEntry(page, "named by %s but not in the archive", ManifestName)
		}
	}
	a.Files = zipFS{files: files, paths: a.Paths}
	return a, nil
}

func hasName(fs []*zip.File, name string) bool {
	for _, f := range fs {
		if f.Name == name {
			return true
		}
	}
	return false
}

func firstName(fs []*zip.File) string {
	if len(fs) == 0 {
		return ""
	}
	return fs[0].Name
}

func readZipFile(f *zip.File) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// Repack returns the archive of the files a serves only (no hidden
// entries), or nil when it has none to leave out.
func (a *Archive) Repack() ([]byte, error) {
	if len(a.Skipped) == 0 {
		return nil, nil
	}
	files := make([]File, 0, len(a.Paths))
	for _, p := range a.Paths {
		b, err := fs.ReadFile(a.Files, p)
		if err != nil {
			return nil, err
		}
		files = append(files, File{Path: p, Data: b})
	}
	return Zip(files)
}

// A File is one file of an app's folder, for Zip.
type File struct {
	Path string // relative, "/"-separated
	Data []byte
}

// Zip makes an app's archive of files (in the order given), deflated but
// for files that would shrink more than MaxRatio to 1, which are stored
// (ReadArchive refuses such ratios, as zip bombs). It checks nothing else:
// ReadArchive does.
func Zip(files []File) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		method := zip.Deflate
		if len(f.Data) > 1<<10 {
			var c countWriter
			fw, _ := flate.NewWriter(&c, flate.DefaultCompression)
			fw.Write(f.Data)
			fw.Close()
			if int64(len(f.Data)) > MaxRatio*c.n {
				method = zip.Store
			}
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Path, Method: method})
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(f.Data); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// countWriter counts what is written to it.
type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// zipFS serves an archive's kept files by path, with the folders they are
// in (fs.WalkDir works on it).
type zipFS struct {
	files map[string]*zip.File
	paths []string // sorted
}

func (z zipFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if f, ok := z.files[name]; ok {
		rc, err := f.Open()
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
		return &zipFile{ReadCloser: rc, info: f.FileInfo()}, nil
	}
	entries := z.dir(name)
	if entries == nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return &zipDir{name: name, entries: entries}, nil
}

// dir lists the folder name ("." for the root), or returns nil if no file
// is in it.
func (z zipFS) dir(name string) []fs.DirEntry {
	prefix := name + "/"
	if name == "." {
		prefix = ""
	}
	var out []fs.DirEntry
	seen := map[string]bool{}
	for _, p := range z.paths {
		rest, ok := strings.CutPrefix(p, prefix)
		if !ok {
			continue
		}
		child, _, isDir := strings.Cut(rest, "/")
		if seen[child] {
			continue
		}
		seen[child] = true
		if isDir {
			out = append(out, fs.FileInfoToDirEntry(dirInfo(child)))
		} else {
			out = append(out, fs.FileInfoToDirEntry(z.files[p].FileInfo()))
		}
	}
	if out == nil && name == "." {
		out = []fs.DirEntry{}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out
}

type zipFile struct {
	io.ReadCloser
	info fs.FileInfo
}

func (f *zipFile) Stat() (fs.FileInfo, error) { return f.info, nil }

type zipDir struct {
	name    string
	entries []fs.DirEntry
	off     int
}

func (d *zipDir) Stat() (fs.FileInfo, error) { return dirInfo(pathBase(d.name)), nil }
func (d *zipDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.name, Err: errors.New("is a directory")}
}
func (d *zipDir) Close() error { return nil }

func (d *zipDir) ReadDir(n int) ([]fs.DirEntry, error) {
	rest := d.entries[d.off:]
	if n <= 0 {
		d.off = len(d.entries)
		return rest, nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	if n > len(rest) {
		n = len(rest)
	}
	d.off += n
	return rest[:n], nil
}

func pathBase(name string) string {
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		return name[i+1:]
	}
	return name
}

// dirInfo describes a folder of a zipFS.
type dirInfo string

func (d dirInfo) Name() string       { return string(d) }
func (d dirInfo) Size() int64        { return 0 }
func (d dirInfo) Mode() fs.FileMode  { return fs.ModeDir | 0o555 }
func (d dirInfo) ModTime() time.Time { return time.Time{} }
func (d dirInfo) IsDir() bool        { return true }
func (d dirInfo) Sys() any           { return nil }
